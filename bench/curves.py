"""Cost as work grows: jobs/s, Redis calls per job and Redis CPU per job for the Python and
the Ruby worker (in-process) at 1, 10, 100 and 1,000 queues with ``QUEUE=*``; 1, 2, 4 and 8
workers (``COUNT``) on one queue; payloads of 100 B, 10 KB and 1 MB; and a queue holding
10,000,000 jobs. Each point is one run of each side on the same Redis, one after the other.

Commands sent per job (and those scripts ran) come from a first, ``MONITOR``-ed run; then a
timed run without it gives jobs/s, Redis calls per job from ``INFO commandstats`` (which counts
the commands a script runs as well as the ``EVALSHA``: everything Redis executed) and Redis CPU
per job, the server's ``used_cpu_user + used_cpu_sys`` over the run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from . import ruby
from .workloads import REPO, Context, Monitor, clear, fresh_namespace, pinned, rate_while, worker_argv

IGNORED = {"cmdstat_getrange", "cmdstat_info", "cmdstat_config", "cmdstat_eval", "cmdstat_scan"}
"""The benchmark's own commands: its polling, the statistics reads, the deep-queue fill."""

FILL_DEEP = """
for i = 1, tonumber(ARGV[2]) do redis.call('RPUSH', KEYS[1], ARGV[1]) end
return redis.call('LLEN', KEYS[1])
"""


@dataclass(frozen=True)
class Point:
    """One setting: how many queues (``QUEUE=*`` when more than one), workers, payload size,
    jobs already waiting behind the measured ones, and how many jobs each side runs."""

    curve: str
    label: str
    queues: int = 1
    count: int = 1
    payload: int = 62
    depth: int = 0
    py_jobs: int = 5000
    rb_jobs: int = 1500


def points(scale: float) -> list[Point]:
    def n(x: int) -> int:
        return max(20, int(x * scale))

    # Both sides run the same jobs over the same queues: calls per job depend on how many
    # empty queues a reserve passes, so on the fill.
    same = {q: n(1500 if q < 100 else 300) for q in (1, 10, 100, 1000)}
    out = [Point("queues", f"{q} queues", queues=q, py_jobs=j, rb_jobs=j) for q, j in same.items()]
    out += [
        Point("count", f"COUNT={c}", count=c, py_jobs=n(5000 * c), rb_jobs=n(1500 * c)) for c in (1, 2, 4, 8)
    ]
    out += [
        Point("payload", "100 B", payload=100, py_jobs=n(5000), rb_jobs=n(1500)),
        Point("payload", "10 KB", payload=10_000, py_jobs=n(3000), rb_jobs=n(1500)),
        Point("payload", "1 MB", payload=1_000_000, py_jobs=n(100), rb_jobs=n(100)),
    ]
    depth = max(1000, int(10_000_000 * scale))
    out.append(Point("depth", f"{depth:,} queued", depth=depth, py_jobs=n(5000), rb_jobs=n(1500)))
    return out


def _queue_names(point: Point) -> list[str]:
    return ["noop"] if point.queues == 1 else [f"q{i:04d}" for i in range(point.queues)]


def _args(point: Point) -> list[Any]:
    text_len = max(1, point.payload - 37)  # {"class":"NoopJob","args":[12345,""]} is 37 bytes
    return [12345, "x" * text_len]


def fill(url: str, namespace: str, point: Point, jobs: int) -> None:
    """``jobs`` jobs round-robin over the point's queues (every queue registered), then the
    ``depth`` jobs behind them, written server-side in slices."""
    from resque_compat import Resque

    resque = Resque.from_url(url, namespace=namespace)
    names = _queue_names(point)
    client = redis.Redis.from_url(url)
    client.sadd(f"{namespace}:queues", *names)
    batch = max(1, min(1000, 2_000_000 // point.payload))
    args = _args(point)
    per_queue = [jobs // len(names) + (1 if i < jobs % len(names) else 0) for i in range(len(names))]
    for name, k in zip(names, per_queue, strict=True):
        for i in range(0, k, batch):
            resque.enqueue_many(name, "NoopJob", [args] * min(batch, k - i))
    if point.depth:
        raw = b'{"class":"NoopJob","args":[12345,"abcdefghijklmnopqrstuvwxy"]}'
        fill_deep = client.register_script(FILL_DEEP)
        for i in range(0, point.depth, 500_000):
            fill_deep(keys=[f"{namespace}:queue:{names[0]}"], args=[raw, min(500_000, point.depth - i)])


def _redis_cpu(client: redis.Redis) -> float:
    info: dict[str, Any] = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _calls(client: redis.Redis) -> int:
    stats: dict[str, Any] = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k not in IGNORED)


def _start(ctx: Context, ns: str, point: Point, side: str) -> list[subprocess.Popen[bytes]]:
    spec = "*" if point.queues > 1 else "noop"
    if side == "python":
        argv = worker_argv(ctx.url, ns, "-q", spec, "--interval", "0", "--no-fork")
        argv += ["--count", str(point.count)]
        return [subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)]
    assert ctx.reference is not None
    env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "FORK_PER_JOB": "false"}
    env["BENCH_QUEUES"] = spec
    argv = pinned(ctx, ruby.ruby_argv(ctx.reference, ruby.WORKER))
    return [subprocess.Popen(argv, env=env) for _ in range(point.count)]


def run_point(ctx: Context, point: Point, side: str) -> dict[str, float]:
    """A counted run (``MONITOR``: commands sent and run by scripts, per job) on the first
    ``counted`` jobs, then a timed one (no ``MONITOR``: jobs/s, Redis calls and CPU per job)."""
    jobs = point.py_jobs if side == "python" else point.rb_jobs
    counted = max(10, point.rb_jobs // 3)
    ns = fresh_namespace()
    client = redis.Redis.from_url(ctx.url)
    try:
        fill(ctx.url, ns, point, counted + jobs)
        monitor = Monitor(ctx.port)
        try:
            rate_while(ctx.url, ns, counted, _start(ctx, ns, point, side), timeout=300, stop=True, every=0.01)
        finally:
            sent, scripted = monitor.stop(ctx.port)
        client.config_resetstat()
        cpu0 = _redis_cpu(client)
        procs = _start(ctx, ns, point, side)
        got = rate_while(
            ctx.url, ns, counted + jobs, procs, timeout=300, stop=point.depth > 0, every=0.01, since=counted
        )
        calls, cpu = _calls(client), _redis_cpu(client) - cpu0
        processed = int(client.getrange(f"{ns}:stat:processed", 0, -1) or 0) - counted
        got["sent_per_job"] = sent / counted
        got["script_calls_per_job"] = scripted / counted
        got["calls_per_job"] = calls / processed
        got["redis_cpu_us_per_job"] = cpu / processed * 1e6
        return got
    finally:
        clear(ctx.url, ns)


def curve(point: Point, side: str) -> Callable[[Context], dict[str, float]]:
    return lambda ctx: run_point(ctx, point, side)
