"""Workloads for the production features: ``async def`` no-op jobs beside sync ones in one
in-process worker run, tracing switched off with the otel extra importable and hidden, tracing
on with no SDK configured, and the pool's respawn time after a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from .workloads import ARGS, REPO, Context, clear, fresh_namespace, pinned, rate_while, worker_argv

HIDE = (
    "import runpy, sys; sys.modules[{0!r}] = None; runpy.run_module('resque_compat.cli', run_name='__main__')"
)


def _fill(url: str, namespace: str, queue: str, job_class: str, jobs: int) -> None:
    from resque_compat import Resque

    resque = Resque.from_url(url, namespace=namespace)
    for i in range(0, jobs, 1000):
        resque.enqueue_many(queue, job_class, [ARGS] * min(1000, jobs - i))


def in_process(jobs: int, kind: str) -> Callable[[Context], dict[str, float]]:
    """``kind``: ``sync`` (NoopJob), ``async`` (AsyncNoopJob; ``async-asyncio``: uvloop hidden,
    asyncio's own loop), ``otel-hidden`` (sync, the
    opentelemetry package made unimportable), ``otel-on`` (sync, RESQUE_OTEL=1, API only)."""
    queue, job_class = ("anoop", "AsyncNoopJob") if kind.startswith("async") else ("noop", "NoopJob")

    def run(ctx: Context) -> dict[str, float]:
        ns = fresh_namespace()
        _fill(ctx.url, ns, queue, job_class, jobs)
        argv = worker_argv(
            ctx.url, ns, "--app", "bench.production_jobs", "-q", queue, "--interval", "0", "--no-fork"
        )
        env = dict(os.environ)
        hidden = {"otel-hidden": "opentelemetry", "async-asyncio": "uvloop"}.get(kind)
        if hidden:
            argv = [sys.executable, "-c", HIDE.format(hidden), *argv[3:]]
        if kind == "otel-on":
            env["RESQUE_OTEL"] = "1"
        proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL, env=env)
        try:
            return rate_while(ctx.url, ns, jobs, [proc], timeout=300)
        finally:
            clear(ctx.url, ns)

    return run


def pool_respawn(kills: int) -> Callable[[Context], dict[str, Any]]:
    """Seconds from ``kill -9`` of a pool worker until its replacement is registered (the
    report shows the median in ms)."""

    def run(ctx: Context) -> dict[str, Any]:
        ns = fresh_namespace()
        client = redis.Redis.from_url(ctx.url)
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp, "resque-pool.yml")
            config.write_text("noop: 1\n")
            cli = [sys.executable, "-m", "resque_compat.cli", "-r", ctx.url, "-N", ns]
            argv = [*cli, "pool", "--app", "bench.jobs", "-c", str(config)]
            proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)
            times: list[float] = []
            try:
                seen: set[str] = set()
                current = _wait_for_worker(client, ns, seen)
                for _ in range(kills):
                    pid = int(current.split(":")[1])
                    killed = time.monotonic()
                    os.kill(pid, signal.SIGKILL)
                    seen.add(current)  # a killed worker stays registered until pruned
                    current = _wait_for_worker(client, ns, seen)
                    times.append(time.monotonic() - killed)
            finally:
                proc.send_signal(signal.SIGQUIT)
                proc.wait(timeout=30)
                clear(ctx.url, ns)
        return {"value": times, "max_ms": max(times) * 1000}

    return run


def _wait_for_worker(client: redis.Redis, namespace: str, old: set[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = {m.decode() for m in client.smembers(f"{namespace}:workers")} - old  # type: ignore[union-attr]
        if ids:
            return ids.pop()
        time.sleep(0.001)  # sampling the registry, not synchronising a test
    raise RuntimeError("no pool worker registered")
