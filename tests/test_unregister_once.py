"""A job known only from a dead worker's ``worker:<id>`` is recorded once, however many
pruners find it: the record and the key's deletion are one script, so a second pruner that read
the key before the first wrote (two start-ups within the lock's expiry), or a pruner killed
between its record and its clean-up, leaves nothing to record again."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from worker_harness import WAIT

from resque_compat import Resque
from resque_compat.failure import MultipleFailure
from resque_compat.protocol import FailureRecord
from resque_compat.runtime.failures import FailureReporter
from resque_compat.runtime.pruning import prune
from resque_compat.runtime.registry import remove_worker, unregister_worker
from resque_compat.store import connect

DEAD = "gone-host:4242:q1"
HELD = b'{"queue":"q1","run_at":"2026/01/01 00:00:00 UTC","payload":{"class":"Racy","args":["J1"]}}'


def dead_worker_holding_a_job(client: redis.Redis, namespace: str) -> None:
    client.sadd(f"{namespace}:workers", DEAD)
    client.set(f"{namespace}:worker:{DEAD}", HELD)
    client.set(f"{namespace}:worker:{DEAD}:started", "2026-01-01 00:00:00 +0000")


def records(client: redis.Redis, namespace: str) -> list[dict[str, Any]]:
    return [json.loads(r) for r in client.lrange(f"{namespace}:failed", 0, -1)]  # type: ignore[union-attr]


def test_a_job_two_pruners_find_in_a_dead_worker_is_recorded_once(
    redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    dead_worker_holding_a_job(redis_client, namespace)
    others: list[bool] = []

    class Racy:
        """Its failure hook runs between the first pruner's read of worker:<id> and its record:
        there the second pruner does the whole of its unregistering, as a concurrent one would."""

        @staticmethod
        def on_failure_race(_exc: BaseException, *_args: Any) -> None:
            if not others:
                others.append(
                    remove_worker(resque.worker_registry, resque.failure, {}, DEAD, lambda _m: None)
                )

    reporter = FailureReporter(resque.failure, "pruner:1:q1", lambda _m: None)
    unregister_worker(resque.worker_registry, reporter, {"Racy": Racy}, DEAD)
    assert others == [True]
    (record,) = records(redis_client, namespace)
    assert (record["worker"], record["exception"], record["payload"]["args"]) == (
        DEAD,
        "Resque::DirtyExit",
        ["J1"],
    )
    assert not redis_client.sismember(f"{namespace}:workers", DEAD)
    assert redis_client.exists(f"{namespace}:worker:{DEAD}") == 0


class DiesAfterTheRecord:
    """A second failure backend that fails where a pruner killed after its record would stop."""

    def save(self, record: FailureRecord) -> None:
        raise RuntimeError("the pruner stops here")


def test_a_pruner_stopped_after_its_record_leaves_nothing_for_the_next_to_record_again(
    redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    dead_worker_holding_a_job(redis_client, namespace)
    backend = MultipleFailure([resque.failure, DiesAfterTheRecord()])  # type: ignore[list-item]
    stopped = FailureReporter(backend, "pruner:1:q1", lambda _m: None)
    unregister_worker(resque.worker_registry, stopped, {}, DEAD)
    assert len(records(redis_client, namespace)) == 1
    # The next pruner (or resque-compat workers remove) finds the worker still registered.
    assert remove_worker(resque.worker_registry, resque.failure, {}, DEAD, lambda _m: None)
    assert [r["payload"]["args"] for r in records(redis_client, namespace)] == [["J1"]]
    assert not redis_client.sismember(f"{namespace}:workers", DEAD)


def test_two_pruners_racing_run_a_dead_workers_failure_hooks_once(
    redis_client: redis.Redis, redis_url: str, namespace: str
) -> None:
    dead_worker_holding_a_job(redis_client, namespace)
    redis_client.hset(f"{namespace}:workers:heartbeat", DEAD, "2020-01-01T00:00:00+00:00")
    hooks, release = f"{namespace}:test:hooks", f"{namespace}:test:release"

    class Racy:
        """Its failure hook says it runs, and the first run waits for the test's release: the
        second pruner starts meanwhile, as one does once the pruning lock expired."""

        @staticmethod
        def on_failure_count(_exc: BaseException, *args: Any) -> None:
            own = connect(redis_url)
            if own.rpush(hooks, json.dumps(args)) == 1:
                own.blpop([release], timeout=WAIT)
            own.close()

    def pruner() -> list[str] | None:
        return prune(Resque(connect(redis_url), namespace=namespace), ("q1",), performers={"Racy": Racy})

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(pruner)
        assert redis_client.brpoplpush(hooks, hooks, timeout=WAIT) is not None  # the first is in its hook
        redis_client.delete(f"{namespace}:pruning_dead_workers_in_progress")  # as if it expired
        second = pool.submit(pruner)
        assert second.result(timeout=WAIT) == []  # left to the first
        redis_client.rpush(release, "go")
        assert first.result(timeout=WAIT) == [DEAD]
    assert redis_client.lrange(hooks, 0, -1) == [b'["J1"]']
    (record,) = records(redis_client, namespace)
    assert (record["worker"], record["exception"]) == (DEAD, "Resque::PruneDeadWorkerDirtyExit")
    assert not redis_client.sismember(f"{namespace}:workers", DEAD)
    assert redis_client.exists(f"{namespace}:worker:{DEAD}") == 0
    assert not redis_client.keys(f"{namespace}:resque-compat:unregistering:*")
