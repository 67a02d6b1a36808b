"""resque-retry: attempts counted in resque-retry:<Class>:<sha1> as the plugin counts them,
retries enqueued at once or through the delayed queue, failures suppressed by
MultipleWithRetrySuppression (the Ruby side of each is checked in the conformance suite)."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

from resque_compat import Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.plugins import ExponentialBackoff, Retry
from resque_compat.plugins.retry_failure import suppression
from resque_compat.runtime.worker import Worker


def drain(resque: Resque, performers: Registry, suppress: bool = False) -> None:
    settings = WorkerSettings(queues=("rq", "again"), interval=0.0, fork_per_job=False)
    backend = suppression(resque) if suppress else None
    worker = Worker.from_client(
        resque, performers, settings, logger=logging.getLogger("retry"), failure_backend=backend
    )
    assert worker.work() == 0


def flaky(resque: Resque, name: str, **attrs: Any) -> tuple[type, Registry]:
    def perform(*args: Any) -> None:
        resque.redis.rpush(resque.keys.physical("ran"), json.dumps(list(args)))
        raise ValueError("boom")

    cls = type(
        name,
        (attrs.pop("base", Retry),),
        {"resque_class": name, "queue": "rq", "perform": staticmethod(perform), **attrs},
    )
    registry = Registry()
    registry.register(cls)
    resque.registry = registry
    return cls, registry


def runs(resque: Resque) -> int:
    return int(resque.redis.llen(resque.keys.physical("ran")))  # type: ignore[arg-type]


def test_the_retry_key_is_the_plugins_sha1_of_the_joined_arguments() -> None:
    # Recorded from resque-retry on Resque 3.0: R.redis_retry_key(1, {"b" => 2}, "x y", nil, 1.5)
    cls = type("R", (Retry,), {"resque_class": "R"})
    assert (
        cls.redis_retry_key(1, {"b": 2}, "x y", None, 1.5)
        == "resque-retry:R:f346fef57371f0ddb06f0041d973721d85d5e5d3"
    )
    assert cls.redis_retry_key() == "resque-retry:R"


def test_a_failing_job_runs_one_plus_retry_limit_times_with_a_failure_each(
    resque: Resque, redis_client: redis.Redis
) -> None:
    cls, registry = flaky(resque, "Flaky", retry_limit=2)
    resque.enqueue(cls, 1, "x")
    drain(resque, registry)
    assert runs(resque) == 3 and resque.failure.count() == 3
    assert list(redis_client.scan_iter(match=f"{resque.namespace}:resque-retry*")) == []


def test_with_retry_suppression_only_the_final_failure_is_recorded(resque: Resque) -> None:
    cls, registry = flaky(resque, "Quiet", retry_limit=3)
    resque.enqueue(cls, 1)
    drain(resque, registry, suppress=True)
    assert runs(resque) == 4 and resque.failure.count() == 1


def test_a_delayed_retry_goes_to_the_delayed_queue_and_keeps_the_suppressed_failure(
    resque: Resque, redis_client: redis.Redis
) -> None:
    cls, registry = flaky(resque, "Later", retry_delay=30, retry_queue=classmethod(lambda c, e, *a: "again"))
    resque.enqueue(cls, 5)
    drain(resque, registry, suppress=True)
    assert runs(resque) == 1 and resque.failure.count() == 0
    key = "resque-retry:Later:" + (cls.retry_identifier(5) or "")
    assert redis_client.get(f"{resque.namespace}:{key}") == b"0"
    record = json.loads(redis_client.get(f"{resque.namespace}:failure-{key}") or b"")
    assert (record["exception"], record["error"], record["queue"]) == ("ValueError", "boom", "rq")
    assert 0 < redis_client.ttl(f"{resque.namespace}:failure-{key}") <= 60
    assert resque.delayed_queue_schedule_size() == 1
    (item,) = resque.delayed_timestamp_peek(resque.delayed_queue_peek(0, 1)[0], 0, 1)
    assert item == {"class": "Later", "args": [5], "queue": "again"}


def test_fatal_exceptions_give_up_at_once_and_a_success_cleans_the_key(
    resque: Resque, redis_client: redis.Redis
) -> None:
    cls, registry = flaky(resque, "Fatal", retry_limit=5, fatal_exceptions=[ValueError])
    resque.enqueue(cls, 1)
    drain(resque, registry)
    assert runs(resque) == 1 and resque.failure.count() == 1
    assert list(redis_client.scan_iter(match=f"{resque.namespace}:resque-retry*")) == []


def test_exponential_backoff_takes_its_delays_from_the_strategy() -> None:
    cls = type("B", (ExponentialBackoff,), {"resque_class": "B", "backoff_strategy": (0, 10, 100)})
    assert cls.limit() == 3
    cls._retry_attempt = 1
    assert cls.delay() == 10
    cls._retry_attempt = 7
    assert cls.delay() == 100
