"""``make bench`` / ``python -m bench``: every workload several times in one run, on one
private redis-server pinned to CPU 0, with the client pinned to CPU 1 ("split": round trips
cost what they cost between machines) and to CPU 0 ("shared": pure CPU cost). Prints median,
min and max, the ratios the goals name, and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resque_compat.testing import RedisServer

from . import ruby, scheduler, workloads
from .workloads import Context

PLACEMENTS = {"split": "1", "shared": "0"}


def plan(jobs_scale: float, have_ruby: bool) -> list[tuple[str, str, Callable[[Context], Any], bool | str]]:
    """(name, unit, workload, needs Ruby: True, or ``SCHEDULER`` for Ruby with resque-scheduler)."""

    def n(x: int) -> int:
        return max(100, int(x * jobs_scale))

    return [
        ("redis-benchmark RPUSH", "req/s", workloads.redis_benchmark(1, n(50000)), False),
        ("redis-benchmark RPUSH -P 50", "req/s", workloads.redis_benchmark(50, n(500000)), False),
        ("python enqueue", "jobs/s", workloads.py_enqueue("single", n(20000)), False),
        ("ruby enqueue", "jobs/s", workloads.rb_enqueue(n(20000)), True),
        ("python bulk enqueue", "jobs/s", workloads.py_enqueue("bulk", n(200000)), False),
        ("python worker in-process", "jobs/s", workloads.py_worker(n(10000), fork=False), False),
        ("ruby worker in-process", "jobs/s", workloads.rb_worker(n(10000), fork=False), True),
        ("python worker fork", "jobs/s", workloads.py_worker(n(1500), fork=True), False),
        ("ruby worker fork", "jobs/s", workloads.rb_worker(n(1500), fork=True), True),
        (
            "python worker in-process COUNT=2",
            "jobs/s",
            workloads.py_worker(n(10000), fork=False, count=2),
            False,
        ),
        ("python worker fork COUNT=2", "jobs/s", workloads.py_worker(n(1500), fork=True, count=2), False),
        ("python pickup latency p50, blocking", "ms", workloads.py_latency(n(200), blocking=True), False),
        ("python pickup latency p50, INTERVAL=0.1", "ms", workloads.py_latency(n(40), blocking=False), False),
        ("python scheduler moving due jobs", "jobs/s", scheduler.moved(n(100000), "python"), False),
        ("ruby scheduler moving due jobs", "jobs/s", scheduler.moved(n(100000), "ruby"), SCHEDULER),
        ("python enqueue_at", "jobs/s", workloads.py_enqueue("enqueue_at", n(20000)), False),
        ("ruby enqueue_at", "jobs/s", scheduler.rb_enqueue_at(n(20000)), SCHEDULER),
        ("python idle scheduler", "commands/s", scheduler.idle_commands("python"), False),
        ("ruby idle scheduler", "commands/s", scheduler.idle_commands("ruby"), SCHEDULER),
    ]


SCHEDULER = "resque-scheduler"
"""A row that needs Ruby's resque-scheduler as well (``RESQUE_SCHEDULER_LIB``)."""


COMMANDS = [
    ("python enqueue", "python", "enqueue"),
    ("ruby enqueue", "ruby", "enqueue"),
    ("python worker in-process", "python", "work"),
    ("ruby worker in-process", "ruby", "work"),
]

RATIOS = [
    # (label, numerator, denominator, goal)
    ("python/ruby enqueue", "python enqueue", "ruby enqueue", 1.6),
    ("python bulk / redis-benchmark -P 50", "python bulk enqueue", "redis-benchmark RPUSH -P 50", 0.5),
    ("python/ruby worker in-process", "python worker in-process", "ruby worker in-process", 2.0),
    ("python/ruby worker fork", "python worker fork", "ruby worker fork", 2.0),
    ("python enqueue / redis-benchmark RPUSH", "python enqueue", "redis-benchmark RPUSH", None),
    (
        "python/ruby scheduler moving due jobs",
        "python scheduler moving due jobs",
        "ruby scheduler moving due jobs",
        3.0,
    ),
    ("python/ruby enqueue_at", "python enqueue_at", "ruby enqueue_at", 1.6),
    # commands per second: Ruby's over Python's, so >= 1 means Python costs Redis no more
    ("ruby/python idle scheduler commands", "ruby idle scheduler", "python idle scheduler", 1.0),
]


def measure(fn: Callable[[Context], Any], ctx: Context, runs: int, unit: str) -> list[float]:
    values = []
    for _ in range(runs):
        got = fn(ctx)
        values.append(statistics.median(got) * 1000 if unit == "ms" else float(got))
    return values


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per workload (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the job counts (default 1.0)")
    parser.add_argument("--only", help="run workloads whose name contains this text")
    parser.add_argument("--placement", choices=[*PLACEMENTS, "both"], default="both")
    parser.add_argument("--json", default="bench/results/latest.json", help="where to write the numbers")
    opts = parser.parse_args()

    ref = ruby.local_reference()
    reference = None if isinstance(ref, str) else ref
    if reference is None:
        print(f"note: {ref}; Ruby rows are skipped", flush=True)
    placements = list(PLACEMENTS) if opts.placement == "both" else [opts.placement]
    results: dict[str, dict[str, Any]] = {}
    with RedisServer(cpu=0) as server:
        for placement in placements:
            ctx = Context(server.url, server.port, PLACEMENTS[placement], reference)
            for name, unit, fn, needs_ruby in plan(opts.scale, reference is not None):
                if opts.only and opts.only not in name:
                    continue
                key = f"{placement}/{name}"
                if needs_ruby and reference is None:
                    results[key] = {"unit": unit, "skipped": "no Ruby reference"}
                    continue
                problem = scheduler.ruby_scheduler_problem() if needs_ruby == SCHEDULER else None
                if problem:
                    results[key] = {"unit": unit, "skipped": problem}
                    continue
                print(f"[{placement}] {name} ...", end="", flush=True)
                start = time.monotonic()
                values = measure(fn, ctx, opts.runs, unit)
                results[key] = {"unit": unit, "values": values, "median": statistics.median(values)}
                print(
                    f" {_fmt(statistics.median(values))} {unit} ({time.monotonic() - start:.0f}s)", flush=True
                )
        if not opts.only or "commands" in opts.only:
            ctx = Context(server.url, server.port, "1", reference)
            for name, side, what in COMMANDS:
                if side == "ruby" and reference is None:
                    continue
                print(f"[commands] {name} ...", end="", flush=True)
                per_job = workloads.commands_per_job(2000, side, what)(ctx)
                results[f"commands/{name}"] = {"unit": "commands/job", "values": [per_job], "median": per_job}
                print(f" {per_job:.2f} commands/job", flush=True)
    report(results, placements, opts, reference)
    return 0


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def report(results: dict[str, dict[str, Any]], placements: list[str], opts: Any, reference: Any) -> None:
    print("\n| workload | placement | median | min | max | unit |\n|---|---|---|---|---|---|")
    for key, r in results.items():
        placement, name = key.split("/", 1)
        if "skipped" in r:
            print(f"| {name} | {placement} | skipped: {r['skipped']} | | | {r['unit']} |")
            continue
        v = r["values"]
        print(
            f"| {name} | {placement} | {_fmt(r['median'])} | {_fmt(min(v))} | {_fmt(max(v))} | {r['unit']} |"
        )
    print("\n| ratio | placement | value | goal | holds |\n|---|---|---|---|---|")
    ratios = {}
    for label, num, den, goal in RATIOS:
        for placement in placements:
            a, b = results.get(f"{placement}/{num}", {}), results.get(f"{placement}/{den}", {})
            if "median" not in a or "median" not in b:
                continue
            value = a["median"] / b["median"]
            holds = "" if goal is None else ("yes" if value >= goal else "NO")
            ratios[f"{placement}/{label}"] = value
            goal_text = "" if goal is None else f">= {goal}"
            print(f"| {label} | {placement} | {value:.2f}x | {goal_text} | {holds} |")
    for placement in placements:
        lat = results.get(f"{placement}/python pickup latency p50, blocking", {})
        if "median" in lat:
            ok = "yes" if lat["median"] <= 2.0 else "NO"
            print(f"| pickup latency p50, blocking (ms) | {placement} | {lat['median']:.2f} | <= 2 | {ok} |")
    out = Path(opts.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "runs": opts.runs, "scale": opts.scale}
    meta["ruby_reference"] = reference.describe() if reference else None
    out.write_text(json.dumps({"meta": meta, "results": results, "ratios": ratios}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    sys.exit(main())
