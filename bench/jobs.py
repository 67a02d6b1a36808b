"""Performers the benchmark's Python workers run (``--app bench.jobs``)."""

from __future__ import annotations

import time

import redis

from resque_compat import Registry

registry = Registry()
_latency_client: dict[str, redis.Redis] = {}


@registry.job("NoopJob", queue="noop")
def noop(number: int, text: str) -> None:
    """The job used everywhere in perf-anchors.md: two arguments, no work."""


@registry.job("LatencyJob", queue="latency")
def latency(enqueued_at: float, redis_url: str, result_key: str) -> None:
    """Record enqueue-to-start latency (same host, same clock) into ``result_key``."""
    started = time.time()
    client = _latency_client.get(redis_url)
    if client is None:
        client = _latency_client[redis_url] = redis.Redis.from_url(redis_url)
    client.rpush(result_key, repr(started - enqueued_at))
