"""resque-pause: paused queues are skipped by the reserve script, ``queues pause|unpause`` writes
the plugin's keys, and a ``Pause`` performer handles a job from a paused queue as
``before_perform_pause`` does."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest
import redis

from resque_compat import Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.plugins import Pause
from resque_compat.runtime.worker import Worker


def drain(resque: Resque, registry: Registry, queues: str, **settings: Any) -> int:
    values: dict[str, Any] = {"queues": tuple(queues.split(",")), "interval": 0.0, "fork_per_job": False}
    values.update(settings)
    return Worker.from_client(
        resque, registry, WorkerSettings(**values), logger=logging.getLogger("pause-test")
    ).work()


@pytest.fixture
def recorder(resque: Resque) -> Registry:
    registry = Registry()

    @registry.job("Echo")
    def echo(*args: Any) -> None:
        resque.redis.rpush(resque.keys.physical("performed"), json.dumps(list(args)))

    return registry


def performed(resque: Resque) -> list[Any]:
    return [json.loads(v) for v in resque.redis.lrange(resque.keys.physical("performed"), 0, -1)]  # type: ignore[union-attr]


def test_a_paused_queue_is_not_drained_by_a_python_worker_while_the_others_are(
    resque: Resque, recorder: Registry, redis_client: redis.Redis, namespace: str
) -> None:
    resque.enqueue_to("held", "Echo", 1)
    resque.enqueue_to("open", "Echo", 2)
    redis_client.set(f"{namespace}:pause:queue:held", "anything")  # any value pauses
    assert drain(resque, recorder, "held,open") == 0
    assert performed(resque) == [[2]]
    assert resque.size("held") == 1
    resque.pauses.unpause("held")
    assert drain(resque, recorder, "held,open") == 0
    assert performed(resque) == [[2], [1]]


@pytest.mark.parametrize("global_key", ["pause:all", "maintenance:pause"])
def test_the_global_pause_key_holds_every_queue_until_it_is_deleted(
    redis_client: redis.Redis, namespace: str, global_key: str
) -> None:
    resque = Resque(redis_client, namespace=namespace, global_pause_key=global_key)
    registry = Registry()
    registry.job("Echo")(
        lambda *a: resque.redis.rpush(resque.keys.physical("performed"), json.dumps(list(a)))
    )
    resque.enqueue_to("a", "Echo", 1)
    resque.pauses.global_pause()
    assert redis_client.get(f"{namespace}:{global_key}") == b"true"
    assert drain(resque, registry, "*") == 0
    assert resque.size("a") == 1 and performed(resque) == []
    resque.pauses.global_unpause()
    assert drain(resque, registry, "*") == 0
    assert performed(resque) == [[1]]


def test_a_blocking_worker_waits_on_a_timer_while_its_queue_is_paused(
    resque: Resque, recorder: Registry
) -> None:
    resque.enqueue_to("held", "Echo", 1)
    resque.pauses.pause("held")
    worker = Worker.from_client(
        resque,
        recorder,
        WorkerSettings(queues=("held",), interval=0.0, fork_per_job=False, blocking=True),
        logger=logging.getLogger("pause-test"),
    )
    reserved = worker.source.reserve(["held"], worker.prefixes(["held"]), check_pause=True, settle=None)
    assert reserved.popped is None and reserved.held and not reserved.paused
    assert resque.size("held") == 1


def cli(redis_url: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_queues_pause_and_unpause_write_the_keys_resque_pause_writes(
    redis_url: str, namespace: str, resque: Resque, redis_client: redis.Redis
) -> None:
    resque.enqueue_to("mail", "Echo", 1)
    done = cli(redis_url, namespace, "queues", "pause", "mail", "--all")
    assert done.returncode == 0, done.stderr
    assert redis_client.get(f"{namespace}:pause:queue:mail") == b"true"
    assert redis_client.get(f"{namespace}:pause:all") == b"true"
    assert (
        cli(redis_url, namespace, "queues").stdout == "mail\t1\tpaused\nevery queue is paused (pause:all)\n"
    )
    assert cli(redis_url, namespace, "queues", "unpause", "mail", "--all").returncode == 0
    assert redis_client.exists(f"{namespace}:pause:queue:mail", f"{namespace}:pause:all") == 0
    refused = cli(redis_url, namespace, "queues", "pause")
    assert refused.returncode == 2 and "--all" in refused.stderr


class Paused(Pause):
    resque_class = "Reports::Paused"
    queue = "reports"
    pause_check_interval = 0.0

    @classmethod
    def perform(cls, *args: Any) -> None:
        raise AssertionError("a job from a paused queue must not be performed")


def test_a_pause_performer_given_a_job_from_its_paused_queue_puts_it_back_at_the_head(
    resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    registry = Registry()
    registry.register(Paused)
    resque.enqueue_to("intake", Paused, {"b": 1, "a": [2]}, "x")  # taken from another queue,
    resque.enqueue_to("reports", "Other", 0)
    resque.pauses.pause("reports")  # but its class's queue is paused
    assert drain(resque, registry, "intake") == 0
    assert redis_client.lrange(f"{namespace}:queue:reports", 0, -1) == [
        b'{"class":"Reports::Paused","args":[{"b":1,"a":[2]},"x"]}',
        b'{"class":"Other","args":[0]}',
    ]
    assert resque.failure.count() == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"  # Ruby counts a DontPerform job
