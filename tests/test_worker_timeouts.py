"""Per-job timeouts: in fork mode the parent ends an overrunning child (TERM, then KILL after
RESQUE_TERM_TIMEOUT) and the failure names the limit; in-process a coroutine is cancelled at
its limit, and a plain function's limit is said plainly not to be enforced."""

from __future__ import annotations

import json
import logging
import re

import pytest
import redis
from worker_harness import Workers, failures, in_process_worker, push_raw, wait_exited, workers

from resque_compat import Resque

__all__ = ["workers"]


def test_a_forked_job_past_the_workers_timeout_fails_inside_the_job_and_the_worker_goes_on(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "async_jobs_for_tests", QUEUE="aq", RESQUE_JOB_TIMEOUT="0.5")
    push_raw(redis_client, namespace, "aq", b'{"class":"Slow","args":[30]}', b'{"class":"Echo","args":[1]}')
    child_pid = int(workers.next("started") or 0)
    assert workers.next("echo") == "[1]"  # the next job ran: the slow one was ended
    assert wait_exited(child_pid)
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "ResqueCompat::JobTimeout",
        "Slow ran past its timeout of 0.5 seconds",
    )
    # Raised where the job was: its frames, as a Ruby tool shows them.
    assert re.fullmatch(r".*/jobs_for_tests\.py:\d+:in `slow'", record["backtrace"][0])
    assert workers.all("finished") == []
    assert workers.stop(proc) == 0
    assert redis_client.mget(f"{namespace}:stat:processed", f"{namespace}:stat:failed") == [b"2", b"1"]


def test_a_forked_job_that_ignores_term_is_killed_and_recorded_by_the_worker(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(
        "--app", "async_jobs_for_tests", QUEUE="aq", RESQUE_JOB_TIMEOUT="0.3", RESQUE_TERM_TIMEOUT="0.3"
    )
    push_raw(
        redis_client, namespace, "aq", b'{"class":"Stubborn","args":[30]}', b'{"class":"Echo","args":[2]}'
    )
    child_pid = int(workers.next("started") or 0)
    assert workers.next("echo") == "[2]"
    (record,) = failures(redis_client, namespace)
    assert record["exception"] == "ResqueCompat::JobTimeout"
    assert record["error"] == (
        "Stubborn ran past its timeout of 0.3 seconds; "
        f"the child was ended: pid {child_pid} SIGKILL (signal 9)"
    )
    assert record["payload"] == {"class": "Stubborn", "args": [30]}
    assert workers.stop(proc) == 0


def test_a_performers_own_timeout_wins_over_none_for_the_worker(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "async_jobs_for_tests", QUEUE="aq")
    push_raw(redis_client, namespace, "aq", b'{"class":"SyncSlow","args":[30]}')
    workers.next("started")
    (record,) = [json.loads(v) for v in [redis_client.blmove(  # type: ignore[union-attr]
        f"{namespace}:failed", f"{namespace}:failed", 15, "LEFT", "RIGHT")]]  # fmt: skip
    assert (record["exception"], record["error"]) == (
        "ResqueCompat::JobTimeout",
        "SyncSlow ran past its timeout of 0.5 seconds",
    )
    assert workers.stop(proc) == 0


def test_an_async_job_in_the_child_is_cancelled_so_its_cleanup_runs(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "async_jobs_for_tests", QUEUE="aq", RESQUE_JOB_TIMEOUT="0.5")
    push_raw(redis_client, namespace, "aq", b'{"class":"AsyncSlow","args":[30]}')
    child_pid = workers.next("started")
    assert workers.next("cleanup") == child_pid
    assert wait_exited(int(child_pid or 0))
    (record,) = failures(redis_client, namespace)
    assert record["exception"] == "ResqueCompat::JobTimeout"
    # Where it waited: asyncio's sleep, called from the job.
    assert re.fullmatch(r".*/asyncio/tasks\.py:\d+:in `sleep'", record["backtrace"][0])
    assert re.fullmatch(r".*/async_jobs_for_tests\.py:\d+:in `async_slow'", record["backtrace"][1])
    assert workers.stop(proc) == 0


def test_in_process_a_coroutine_is_cancelled_at_its_timeout_and_a_plain_function_is_said_not_to_be(
    resque: Resque,
    redis_client: redis.Redis,
    namespace: str,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)
    push_raw(
        redis_client,
        namespace,
        "aq",
        b'{"class":"AsyncSlow","args":[30]}',
        b'{"class":"SyncSlow","args":[0.6]}',
    )
    worker = in_process_worker(resque, namespace, job_timeout=0.3)
    with caplog.at_level(logging.ERROR, logger=worker.log.name):
        assert worker.work() == 0
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "ResqueCompat::JobTimeout",
        "AsyncSlow ran past its timeout of 0.3 seconds",
    )
    # Where it waited: asyncio's sleep, called from the job.
    assert re.fullmatch(r".*/asyncio/tasks\.py:\d+:in `sleep'", record["backtrace"][0])
    assert re.fullmatch(r".*/async_jobs_for_tests\.py:\d+:in `async_slow'", record["backtrace"][1])
    # The plain function ran to its end, and the log says why its 0.5 s did not stop it.
    assert redis_client.llen(f"{namespace}:test:finished") == 1
    assert any(
        "SyncSlow: its 0.5 s timeout is not enforced in this process" in r.message for r in caplog.records
    )
    assert redis_client.get(f"{namespace}:stat:processed") == b"2"
