"""Worker memory: the RSS of an in-process worker after its first 1,000 jobs and after
100,000 (a leak shows as growth between the two), beside Ruby's worker after 1,000 and 10,000
(Ruby runs about a quarter as fast; 100,000 would dominate the run)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import redis

from . import ruby
from .floor import rss_kb
from .workloads import REPO, Context, clear, fill, fresh_namespace, pinned, worker_argv


def _sample_rss(
    url: str, namespace: str, proc: subprocess.Popen[bytes], marks: list[int], timeout: float
) -> dict[str, float]:
    """RSS of ``proc`` once ``stat:processed`` reaches each of ``marks`` (the last one after the
    worker has gone idle on the empty queue), then ``QUIT``."""
    client = redis.Redis.from_url(url)
    key = f"{namespace}:stat:processed"
    out: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    pending = list(marks)
    try:
        while pending and time.monotonic() < deadline:
            done = int(client.getrange(key, 0, -1) or 0)
            if done >= pending[0]:
                if len(pending) == 1:
                    time.sleep(0.2)  # let the last job finish and the worker reach its idle wait
                out[f"rss_kb_after_{pending.pop(0)}"] = rss_kb(proc.pid)
                continue
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode} after {done} jobs")
            time.sleep(0.005)  # sampling a counter, not synchronising a test
        if pending:
            raise RuntimeError(f"worker did not reach {pending[0]} jobs in {timeout}s")
        return out
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def py_rss(marks: list[int]) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        ns = fresh_namespace()
        fill(ctx.url, ns, marks[-1])
        argv = worker_argv(ctx.url, ns, "-q", "noop", "--interval", "0.5", "--polling", "--no-fork")
        proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)
        try:
            got = _sample_rss(ctx.url, ns, proc, marks, timeout=600)
        finally:
            clear(ctx.url, ns)
        return {"value": got[f"rss_kb_after_{marks[0]}"], **got}

    return run


def rb_rss(marks: list[int]) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        assert ctx.reference is not None
        ns = fresh_namespace()
        fill(ctx.url, ns, marks[-1])
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "FORK_PER_JOB": "false"}
        env["BENCH_INTERVAL"] = "0.5"
        proc = subprocess.Popen(pinned(ctx, ruby.ruby_argv(ctx.reference, ruby.WORKER)), env=env)
        try:
            got = _sample_rss(ctx.url, ns, proc, marks, timeout=600)
        finally:
            clear(ctx.url, ns)
        return {"value": got[f"rss_kb_after_{marks[0]}"], **got}

    return run
