"""A worker's own failed job: its failure record, the failure's counts and its ``done_working``
(``DEL worker:<id>``, ``stat:processed``) go in as one script with the Redis backends, so Redis
never holds both the record and the ``worker:<id>`` mark. A worker killed with ``kill -9`` right
after its record leaves nothing for a pruner to record a second time as a ``DirtyExit``."""

from __future__ import annotations

import os
import signal

import pytest
import redis
from worker_harness import Workers, failures, push_raw, wait_exited, workers

from resque_compat import Resque
from resque_compat.runtime.pruning import prune

__all__ = ["workers"]

HOLD = "jobs_for_tests:hold_after_record"


def stat(client: redis.Redis, namespace: str, name: str) -> int:
    return int(client.get(f"{namespace}:stat:{name}") or 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_worker_killed_right_after_its_failure_record_leaves_one_record_for_the_pruner(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque, fork: str
) -> None:
    proc = workers.start(QUEUE="q1", FORK_PER_JOB=fork, RESQUE_ERROR_REPORTERS=HOLD)
    wid = workers.worker_id(proc)
    push_raw(redis_client, namespace, "q1", b'{"class":"Boom","args":["J1"]}')
    holder = int(workers.next("recorded") or 0)  # the record is in; the worker waits in its reporter
    assert len(failures(redis_client, namespace)) == 1
    assert redis_client.exists(f"{namespace}:worker:{wid}") == 0, "the record and the mark coexist"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=15)
    assert wait_exited(holder)
    redis_client.delete(f"{namespace}:pruning_dead_workers_in_progress")  # the worker's own lock
    assert prune(resque, ("q1",)) == [wid]
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["payload"]["args"], record["worker"]) == ("RuntimeError", ["J1"], wid)
    assert stat(redis_client, namespace, "processed") == 1
    assert stat(redis_client, namespace, "failed") == 1
    assert redis_client.exists(f"{namespace}:worker:{wid}") == 0
    assert redis_client.smembers(f"{namespace}:workers") == set()


@pytest.mark.parametrize("fork", ["true", "false"])
@pytest.mark.parametrize("backend", ["redis", "redis_multi_queue", "redis,jobs_for_tests:ListBackend"])
def test_a_settled_failure_is_counted_processed_once_and_the_worker_goes_on(
    workers: Workers, redis_client: redis.Redis, namespace: str, fork: str, backend: str
) -> None:
    wid = workers.worker_id(workers.start(QUEUE="q1", FORK_PER_JOB=fork, RESQUE_FAILURE_BACKENDS=backend))
    push_raw(redis_client, namespace, "q1", b'{"class":"Boom","args":[1]}', b"{not json")
    push_raw(redis_client, namespace, "q1", b'{"class":"Nobody","args":[2]}', b'{"class":"Echo","args":[3]}')
    assert workers.next("echo") == "[3]"
    name = "q1_failed" if backend == "redis_multi_queue" else "failed"
    got = failures(redis_client, namespace, name)
    assert [r["exception"] for r in got] == ["RuntimeError", "Resque::Helpers::DecodeException", "NameError"]
    if "ListBackend" in backend:
        assert len(workers.all("custom-failed")) == 3
    assert stat(redis_client, namespace, "failed") == 3
    assert int(redis_client.get(f"{namespace}:stat:failed:{wid}") or 0) == 3  # type: ignore[arg-type]
    # The Echo job's done_working rides with the next reserve: 3 settled failures and it.
    workers.stop(workers.procs[0])
    assert stat(redis_client, namespace, "processed") == 4


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_custom_failure_backend_records_once_and_counts_processed_at_the_next_reserve(
    workers: Workers, redis_client: redis.Redis, namespace: str, fork: str
) -> None:
    env = {"FORK_PER_JOB": fork, "RESQUE_FAILURE_BACKENDS": "jobs_for_tests:ListBackend"}
    proc = workers.start(QUEUE="q1", **env)
    push_raw(redis_client, namespace, "q1", b'{"class":"Boom","args":[1]}', b'{"class":"Echo","args":[2]}')
    assert workers.next("echo") == "[2]"
    assert workers.stop(proc) == 0
    assert len(workers.all("custom-failed")) == 1
    assert redis_client.llen(f"{namespace}:failed") == 0
    assert stat(redis_client, namespace, "processed") == 2
    assert stat(redis_client, namespace, "failed") == 1
