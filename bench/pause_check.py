"""What resque-pause's check in the reserve script costs the worker: the same worker run with the
reserve script as shipped and with a copy whose pause check is taken out (``pauses`` fixed at 0,
so no ``EXISTS`` runs), interleaved in one workload run (A B B A), on the same number of jobs.
The value is the shipped script's rate over the copy's: at least 0.95 is the goal (issue: the
in-process and fork rates stay within 5% with the check).

A third variant, ``paused-other``, keeps the check and pauses another queue the worker also
listens on (``pause:queue:other`` exists), so every reserve runs the per-queue ``EXISTS`` too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from itertools import cycle

import redis

from .workloads import REPO, Context, clear, fill, fresh_namespace, pinned, rate_while, worker_argv

CHECK = """-- One EXISTS over the global key and every pause:queue:<q>: nothing paused is the common case.
local pauses = redis.call('EXISTS', unpack(KEYS, 4, 4 + n))
"""
NO_CHECK = "local pauses = 0\n"

WITHOUT = (
    "import runpy; import resque_compat.store.reserve as r; "
    f"assert {CHECK!r} in r._RESERVE, 'the reserve script changed: update bench/pause_check.py'; "
    f"r._RESERVE = r._RESERVE.replace({CHECK!r}, {NO_CHECK!r}); "
    "runpy.run_module('resque_compat.cli', run_name='__main__')"
)
"""The worker CLI with the reserve script's pause check taken out (a benchmark-only copy)."""


def _server_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _rate(ctx: Context, jobs: int, fork: bool, variant: str) -> tuple[float, float]:
    """Jobs per second of one worker run, and the redis-server's CPU microseconds per job
    meanwhile (the pause check runs there; no other client uses the benchmark's server)."""
    ns = fresh_namespace()
    fill(ctx.url, ns, jobs)
    queues = "noop,other" if variant == "paused-other" else "noop"
    argv = worker_argv(ctx.url, ns, "-q", queues, "--interval", "0", "--fork" if fork else "--no-fork")
    if variant == "without":
        argv = [sys.executable, "-c", WITHOUT, *argv[3:]]
    client = redis.Redis.from_url(ctx.url)
    if variant == "paused-other":
        client.set(f"{ns}:pause:queue:other", "true")
    before = _server_cpu(client)
    proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        rate = float(rate_while(ctx.url, ns, jobs, [proc], timeout=300)["value"])
        return rate, (_server_cpu(client) - before) * 1e6 / jobs
    finally:
        client.close()
        clear(ctx.url, ns)


def paired(jobs: int, fork: bool, variant: str = "with") -> Callable[[Context], dict[str, float]]:
    """One run: ``variant`` (``with`` or ``paused-other``) and ``without``, A B B A; the value
    is the ratio of their summed rates, with each side's mean rate and the redis-server's CPU
    per job beside it (``server_cpu_ratio``: the variant's over the copy's; ``added_cpu_share``:
    the CPU it adds to a job over a job's time; CPU time, so a loaded machine disturbs them far
    less than the rates)."""
    orders = cycle([(variant, "without", "without", variant), ("without", variant, variant, "without")])

    def run(ctx: Context) -> dict[str, float]:
        rates: dict[str, list[float]] = {variant: [], "without": []}
        cpu: dict[str, list[float]] = {variant: [], "without": []}
        for which in next(orders):
            rate, us = _rate(ctx, jobs, fork, which)
            rates[which].append(rate)
            cpu[which].append(us)
        mine, base = sum(rates[variant]) / 2, sum(rates["without"]) / 2
        mine_cpu, base_cpu = sum(cpu[variant]) / 2, sum(cpu["without"]) / 2
        return {
            "value": mine / base,
            f"{variant}_jobs_per_s": mine,
            "without_jobs_per_s": base,
            f"{variant}_server_cpu_us_per_job": mine_cpu,
            "without_server_cpu_us_per_job": base_cpu,
            "server_cpu_ratio": mine_cpu / base_cpu,
            # the Redis CPU the variant adds to a job, as a share of a job's time without it: what
            # the check can cost the rate at most, measured in CPU time rather than wall time
            "added_cpu_share": (mine_cpu - base_cpu) * base / 1e6,
        }

    return run
