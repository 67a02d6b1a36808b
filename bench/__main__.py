"""``make bench`` / ``python -m bench``: every workload several times in one run, on one
private redis-server pinned to CPU 0, with the client pinned to CPU 1 ("split": round trips
cost what they cost between machines) and to CPU 0 ("shared": pure CPU cost). Ruby Resque
(``RESQUE_REF_LIB``) and RQ (when installed) run the same workloads in the same run. Prints
median, min and max, the ratios the goals name, the curves and the memory figures, and writes
every number as JSON.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from resque_compat.testing import RedisServer

from . import curves, memory, others, pause_check, production, ruby, scheduler, workloads
from .report import report
from .workloads import Context

PLACEMENTS = {"split": "1", "shared": "0"}

Workload = Callable[[Context], Any]


def plan(jobs_scale: float) -> list[tuple[str, str, Workload, str | None]]:
    """(name, unit, workload, what it needs: ``ruby``, ``rq``, ``scheduler`` (Ruby with
    resque-scheduler, ``RESQUE_SCHEDULER_LIB``) or nothing)."""

    def n(x: int) -> int:
        return max(100, int(x * jobs_scale))

    return [
        ("redis-benchmark RPUSH", "req/s", workloads.redis_benchmark(1, n(50000)), None),
        ("redis-benchmark RPUSH -P 50", "req/s", workloads.redis_benchmark(50, n(500000)), None),
        ("python enqueue", "jobs/s", workloads.py_enqueue("single", n(20000)), None),
        ("ruby enqueue", "jobs/s", workloads.rb_enqueue(n(20000)), "ruby"),
        ("rq enqueue", "jobs/s", others.rq("enqueue", n(5000)), "rq"),
        ("python bulk enqueue", "jobs/s", workloads.py_enqueue("bulk", n(200000)), None),
        ("python worker in-process", "jobs/s", workloads.py_worker(n(10000), fork=False), None),
        ("python reserve trip alone", "jobs/s", workloads.py_enqueue("reserve", n(10000)), None),
        ("ruby worker in-process", "jobs/s", workloads.rb_worker(n(10000), fork=False), "ruby"),
        ("rq SimpleWorker", "jobs/s", others.rq("simple", n(1000)), "rq"),
        ("python worker fork", "jobs/s", workloads.py_worker(n(1500), fork=True), None),
        ("ruby worker fork", "jobs/s", workloads.rb_worker(n(1500), fork=True), "ruby"),
        ("rq Worker (fork)", "jobs/s", others.rq("fork", n(300)), "rq"),
        (
            "python worker in-process, pause check / none",
            "x",
            pause_check.paired(n(10000), fork=False),
            None,
        ),
        ("python worker fork, pause check / none", "x", pause_check.paired(n(1500), fork=True), None),
        (
            "python worker in-process, pause check with another queue paused / none",
            "x",
            pause_check.paired(n(10000), fork=False, variant="paused-other"),
            None,
        ),
        ("python fork floor", "forks/s", others.py_floor(n(1500)), None),
        ("ruby fork floor", "forks/s", others.rb_floor(n(1500)), "ruby"),
        ("python worker fork / fork floor, interleaved", "x", others.py_fork_over_floor(n(1500)), None),
        (
            "python worker in-process COUNT=2",
            "jobs/s",
            workloads.py_worker(n(10000), fork=False, count=2),
            None,
        ),
        ("python worker fork COUNT=2", "jobs/s", workloads.py_worker(n(1500), fork=True, count=2), None),
        ("python pickup latency p50, blocking", "ms", workloads.py_latency(n(200), blocking=True), None),
        ("python pickup latency p50, INTERVAL=0.1", "ms", workloads.py_latency(n(40), blocking=False), None),
        ("python scheduler moving due jobs", "jobs/s", scheduler.moved(n(100000), "python"), None),
        ("ruby scheduler moving due jobs", "jobs/s", scheduler.moved(n(100000), "ruby"), "scheduler"),
        ("python enqueue_at", "jobs/s", workloads.py_enqueue("enqueue_at", n(20000)), None),
        ("ruby enqueue_at", "jobs/s", scheduler.rb_enqueue_at(n(20000)), "scheduler"),
        ("python idle scheduler", "commands/s", scheduler.idle_commands("python"), None),
        ("python worker in-process sync no-op", "jobs/s", production.in_process(n(10000), "sync"), None),
        ("python worker in-process async no-op", "jobs/s", production.in_process(n(10000), "async"), None),
        (
            "python worker in-process async no-op, asyncio loop",
            "jobs/s",
            production.in_process(n(10000), "async-asyncio"),
            None,
        ),
        (
            "python worker in-process, otel hidden",
            "jobs/s",
            production.in_process(n(10000), "otel-hidden"),
            None,
        ),
        (
            "python worker in-process, RESQUE_OTEL=1 no SDK",
            "jobs/s",
            production.in_process(n(10000), "otel-on"),
            None,
        ),
        ("python pool respawn after kill -9", "ms", production.pool_respawn(5), None),
        ("ruby idle scheduler", "commands/s", scheduler.idle_commands("ruby"), "scheduler"),
    ]


COMMANDS = [
    ("python enqueue", "python", "enqueue"),
    ("ruby enqueue", "ruby", "enqueue"),
    ("python worker in-process", "python", "work"),
    ("ruby worker in-process", "ruby", "work"),
]


def measure(fn: Workload, ctx: Context, runs: int, unit: str) -> dict[str, Any]:
    """``runs`` runs: their values, median, and every extra figure a run reported (as lists)."""
    values: list[float] = []
    extras: dict[str, list[float]] = {}
    for _ in range(runs):
        got = fn(ctx)
        if isinstance(got, dict):
            for k, v in got.items():
                if k != "value":
                    extras.setdefault(k, []).append(v)
            got = got["value"]
        values.append(statistics.median(got) * 1000 if unit == "ms" else float(got))
    return {"unit": unit, "values": values, "median": statistics.median(values), **extras}


def _available(needs: str | None, reference: Any) -> str | None:
    """Why a workload cannot run, or ``None``."""
    if needs == "ruby" and reference is None:
        return "no Ruby reference"
    if needs == "rq" and not others.have_rq():
        return "RQ not installed (pip install rq)"
    if needs == "scheduler":
        return "no Ruby reference" if reference is None else scheduler.ruby_scheduler_problem()
    return None


def _wanted(opts: Any, name: str) -> bool:
    return not opts.only or any(text in name for text in opts.only)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per workload (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the job counts (default 1.0)")
    parser.add_argument(
        "--only",
        action="append",
        help="run workloads whose name contains this text (repeat it for several; a ratio needs both rows)",
    )
    parser.add_argument("--placement", choices=[*PLACEMENTS, "both"], default="both")
    parser.add_argument("--no-curves", action="store_true", help="skip the curves and the memory runs")
    parser.add_argument("--json", default="bench/results/latest.json", help="where to write the numbers")
    opts = parser.parse_args()

    ref = ruby.local_reference()
    reference = None if isinstance(ref, str) else ref
    if reference is None:
        print(f"note: {ref}; Ruby rows are skipped", flush=True)
    placements = list(PLACEMENTS) if opts.placement == "both" else [opts.placement]
    results: dict[str, dict[str, Any]] = {}
    started = time.time()
    load_before = os.getloadavg()
    with RedisServer(cpu=0) as server:
        for placement in placements:
            ctx = Context(server.url, server.port, PLACEMENTS[placement], reference)
            for name, unit, fn, needs in plan(opts.scale):
                if _wanted(opts, name):
                    results[f"{placement}/{name}"] = _one(f"[{placement}] {name}", unit, fn, ctx, opts, needs)
        split = Context(server.url, server.port, PLACEMENTS["split"], reference)
        if _wanted(opts, "commands"):
            for name, side, what in COMMANDS:
                fn = workloads.commands_per_job(2000, side, what)
                needs = "ruby" if side == "ruby" else None
                results[f"commands/{name}"] = _one(
                    f"[commands] {name}", "sent/job", fn, split, opts, needs, 1
                )
        if not opts.no_curves:
            _memory_and_curves(results, split, opts, reference)
    meta = {
        "python": platform.python_version(),
        "runs": opts.runs,
        "scale": opts.scale,
        "seconds": round(time.time() - started),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "ruby_reference": reference.describe() if reference else None,
        "redis_py": _version("redis"),
        "rq": _version("rq"),
    }
    report(results, placements, opts.json, meta)
    return 0


def _memory_and_curves(results: dict[str, dict[str, Any]], ctx: Context, opts: Any, reference: Any) -> None:
    big = max(2000, int(100_000 * opts.scale))
    mem = [
        ("python worker RSS", memory.py_rss([1000, big]), None),
        ("ruby worker RSS", memory.rb_rss([1000, max(2000, big // 10)]), "ruby"),
    ]
    for name, fn, needs in mem:
        if _wanted(opts, name):
            results[f"memory/{name}"] = _one(f"[memory] {name}", "kB", fn, ctx, opts, needs, runs=1)
    for point in curves.points(opts.scale):
        for side in ("python", "ruby"):
            name = f"{point.curve}: {point.label} {side}"
            if _wanted(opts, name):
                fn = curves.curve(point, side)
                needs = "ruby" if side == "ruby" else None
                results[f"curves/{name}"] = _one(f"[curves] {name}", "jobs/s", fn, ctx, opts, needs, runs=1)


def _one(
    title: str, unit: str, fn: Workload, ctx: Context, opts: Any, needs: str | None, runs: int | None = None
) -> dict[str, Any]:
    why_not = _available(needs, ctx.reference)
    if why_not:
        return {"unit": unit, "skipped": why_not}
    print(f"{title} ...", end="", flush=True)
    start = time.monotonic()
    try:
        got = measure(fn, ctx, runs or opts.runs, unit)
    except Exception as exc:  # one broken workload must not lose the rest of a long run
        print(f" failed: {exc!r}", flush=True)
        return {"unit": unit, "skipped": f"failed: {exc!r}"}
    print(f" {got['median']:,.2f} {unit} ({time.monotonic() - start:.0f}s)", flush=True)
    return got


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
