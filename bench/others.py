"""RQ on the same Redis (only when it is installed: a benchmark-only dependency) and the fork
floors of Python and Ruby (``bench.floor``, ``ruby.FORK_FLOOR``)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Callable

import redis

from . import ruby, workloads
from .workloads import REPO, Context, fresh_namespace, pinned


def have_rq() -> bool:
    return importlib.util.find_spec("rq") is not None


def _clear_rq(url: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match="rq:*", count=5000))
    for i in range(0, len(keys), 5000):
        client.unlink(*keys[i : i + 5000])


def _run(argv: list[str], env: dict[str, str] | None = None) -> list[float]:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[3:6]} failed: {done.stderr.strip()[-500:]}")
    return [float(x) for x in done.stdout.strip().splitlines()[-1].split()]


def rq(workload: str, jobs: int) -> Callable[[Context], float]:
    """RQ's ``enqueue``, ``simple`` (SimpleWorker) or ``fork`` (Worker) on ``jobs`` jobs."""

    def run(ctx: Context) -> float:
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        client = [sys.executable, "-m", "bench.rq_client"]
        try:
            if workload != "enqueue":
                _run([*client, "enqueue", ctx.url, queue, str(jobs)])
            return _run(pinned(ctx, [*client, workload, ctx.url, queue, str(jobs)]))[0]
        finally:
            _clear_rq(ctx.url)

    return run


def py_floor(forks: int) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        argv = [sys.executable, "-m", "bench.floor", ctx.url, fresh_namespace(), str(forks)]
        rate, rss = _run(pinned(ctx, argv))
        return {"value": rate, "rss_kb": rss}

    return run


def rb_floor(forks: int) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        assert ctx.reference is not None
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, fresh_namespace())}
        env["BENCH_JOBS"] = str(forks)
        rate, rss = _run(pinned(ctx, ruby.ruby_argv(ctx.reference, ruby.FORK_FLOOR)), env)
        return {"value": rate, "rss_kb": rss}

    return run


def py_fork_over_floor(jobs: int) -> Callable[[Context], dict[str, float]]:
    """The floor rule measured fairly on a loaded machine: the fork floor, the fork worker on
    ``jobs`` jobs, the floor again, within seconds of each other (the rows ``python worker fork``
    and ``python fork floor`` are minutes apart). The value is the worker's rate over the mean
    of the two floors'."""
    floor, worker = py_floor(jobs), workloads.py_worker(jobs, fork=True)

    def run(ctx: Context) -> dict[str, float]:
        before = floor(ctx)
        rate = worker(ctx)
        after = floor(ctx)
        floors = (before["value"] + after["value"]) / 2
        return {
            "value": rate["value"] / floors,
            "worker": rate["value"],
            "floor": floors,
            "worker_rss_kb": rate["rss_kb"],  # the floor is fair only as large as the worker
            "floor_rss_kb": max(before["rss_kb"], after["rss_kb"]),
        }

    return run
