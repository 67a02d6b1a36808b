"""The scheduler workloads: due delayed jobs moved per second, ``enqueue_at`` per second and the
Redis commands per second of an idle scheduler, for ``resque-compat scheduler`` and for Ruby's
resque-scheduler 5.0 (``RESQUE_SCHEDULER_LIB``) in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import redis

from conformance.reference import plugin_lib_flags, plugin_lib_problem

from . import ruby
from .workloads import ARGS, Context, clear, fresh_namespace, pinned

PER_SECOND = 100
"""Due items per timestamp: 100,000 jobs over 1,000 seconds of the past."""

RB_SCHEDULER = """
require "resque"
require "resque-scheduler"
Resque.redis = ENV.fetch("BENCH_REDIS")
Resque::Scheduler.poll_sleep_amount = Float(ENV.fetch("BENCH_INTERVAL"))
Resque::Scheduler.quiet = true
Resque::Scheduler.run
"""

RB_ENQUEUE_AT = """
require "resque"
require "resque-scheduler"
Resque.redis = ENV.fetch("BENCH_REDIS")
class NoopJob; @queue = :noop; end
n = Integer(ENV.fetch("BENCH_JOBS"))
t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times { Resque.enqueue_at_with_queue("noop", 4102444800, NoopJob, 12345, "abcdefghijklmnopqrstuvwxy") }
puts(n / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t))
"""


def ruby_scheduler_problem() -> str | None:
    return plugin_lib_problem("RESQUE_SCHEDULER_LIB")


def _rb_argv(ctx: Context, program: str) -> list[str]:
    assert ctx.reference is not None
    return [*ruby.ruby_argv(ctx.reference, program)[:-2], *plugin_lib_flags(), "-e", program]


def _scheduler(ctx: Context, side: str, ns: str, interval: float) -> subprocess.Popen[bytes]:
    if side == "ruby":
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "BENCH_INTERVAL": str(interval)}
        argv = _rb_argv(ctx, RB_SCHEDULER)
    else:
        env = {**os.environ, "RESQUE_SCHEDULER_INTERVAL": str(interval), "QUIET": "1"}
        argv = [sys.executable, "-m", "resque_compat.cli", "-r", ctx.url, "-N", ns, "scheduler"]
    return subprocess.Popen(pinned(ctx, argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _fill_due(url: str, ns: str, jobs: int) -> None:
    from resque_compat import Resque

    resque = Resque.from_url(url, namespace=ns)
    now = int(time.time())
    encode = resque.encode
    entries = []
    for n in range(jobs):
        ts = now - 10 - n // PER_SECOND
        entries.append((ts, encode({"class": "NoopJob", "args": [n, ARGS[1]], "queue": "noop"})))
    for i in range(0, jobs, 10000):
        resque.delayed_store.delayed_push_many(entries[i : i + 10000])


def moved(jobs: int, side: str) -> Callable[[Context], float]:
    """Jobs per second from the first moved job until all ``jobs`` are on the queue."""

    def run(ctx: Context) -> float:
        ns = fresh_namespace()
        client = redis.Redis.from_url(ctx.url)
        _fill_due(ctx.url, ns, jobs)
        proc = _scheduler(ctx, side, ns, 0.1)
        key = f"{ns}:queue:noop"
        try:
            deadline = time.monotonic() + 600
            first: float | None = None
            first_count = 0
            while time.monotonic() < deadline:
                done = int(client.llen(key))  # type: ignore[arg-type]
                now = time.perf_counter()
                if first is None and done:
                    first, first_count = now, done
                if done >= jobs and first is not None:
                    return (done - first_count) / max(now - first, 1e-9)
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"the {side} scheduler exited with {proc.returncode} after {done} jobs"
                    )
                time.sleep(0.002)  # sampling a counter, not synchronising a test
            raise RuntimeError(f"the {side} scheduler did not move {jobs} jobs in 600s")
        finally:
            proc.kill()
            proc.wait(30)
            clear(ctx.url, ns)

    return run


def rb_enqueue_at(jobs: int) -> Callable[[Context], float]:
    def run(ctx: Context) -> float:
        ns = fresh_namespace()
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "BENCH_JOBS": str(jobs)}
        try:
            done = subprocess.run(
                pinned(ctx, _rb_argv(ctx, RB_ENQUEUE_AT)),
                capture_output=True,
                text=True,
                check=True,
                env=env,
                timeout=600,
            )
            return float(done.stdout.strip().splitlines()[-1])
        finally:
            clear(ctx.url, ns)

    return run


def idle_commands(side: str, seconds: float = 10.0, interval: float = 1.0) -> Callable[[Context], float]:
    """Redis commands per second of a scheduler with nothing to do (master, polling every
    ``interval`` s), from ``total_commands_processed`` over ``seconds`` once it is master."""

    def run(ctx: Context) -> float:
        ns = fresh_namespace()
        client = redis.Redis.from_url(ctx.url)
        proc = _scheduler(ctx, side, ns, interval)
        lock = f"{ns}:{ns}:resque_scheduler_master_lock"
        try:
            deadline = time.monotonic() + 30
            while not client.exists(lock) and time.monotonic() < deadline:
                time.sleep(0.05)  # waiting for a process to start, not synchronising a test
            time.sleep(interval * 2)  # past start-up and the first schedule load
            before = int(client.info("stats")["total_commands_processed"])
            time.sleep(seconds)
            after = int(client.info("stats")["total_commands_processed"])
            return (after - before - 1) / seconds  # less the first INFO itself
        finally:
            proc.kill()
            proc.wait(30)
            clear(ctx.url, ns)

    return run
