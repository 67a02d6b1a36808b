"""The worker run in this process (``FORK_PER_JOB=false``, ``INTERVAL=0``: drain, then exit):
registry keys, stats, failure records, hooks, pausing, priority and pruning, byte for byte."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Callable
from typing import Any

import jobs_for_tests
import pytest
import redis
from worker_harness import failures, push_raw, told

from resque_compat import Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.protocol.times import parse_time
from resque_compat.runtime.worker import Worker

MakeWorker = Callable[..., Worker]


@pytest.fixture
def make_worker(
    resque: Resque, redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> MakeWorker:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)

    def make(queues: str = "high,low", **settings: Any) -> Worker:
        values: dict[str, Any] = {"queues": tuple(queues.split(",")), "interval": 0.0, "fork_per_job": False}
        values.update(settings)
        logger = logging.getLogger(f"test-worker-{namespace}")
        return Worker.from_client(
            resque, jobs_for_tests.registry, WorkerSettings(**values), jobs_for_tests.hooks, logger=logger
        )

    return make


def test_a_python_worker_performs_ruby_payloads_with_identical_arguments(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    # Given payloads as Ruby's json gem writes them
    push_raw(
        redis_client,
        namespace,
        "high",
        b'{"class":"Echo","args":[44,"masterbrew",1.0e+20,18446744073709551616,null,true,{"a":[1.5]},"\xc3\xa9"]}',
        b'{"class":"Echo","args":[],"meta":{"trace":"abc"}}',
    )
    # When a worker drains the queue
    assert make_worker().work() == 0
    # Then each perform saw exactly those arguments, and the stats count them
    assert [json.loads(v) for v in told(redis_client, namespace, "echo")] == [
        [44, "masterbrew", 1e20, 2**64, None, True, {"a": [1.5]}, "é"],
        [],
    ]
    assert redis_client.get(f"{namespace}:stat:processed") == b"2"
    assert redis_client.get(f"{namespace}:stat:failed") is None


def test_the_registry_keys_look_like_a_ruby_workers_and_go_at_exit(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    seen: dict[str, Any] = {}

    @jobs_for_tests.registry.job("PeekSelf")
    def peek_self() -> None:
        wid = next(iter(resque.workers()))
        seen["id"] = wid
        seen["working"] = redis_client.get(f"{namespace}:worker:{wid}")
        seen["started"] = resque.worker_started(wid)
        seen["heartbeat"] = resque.heartbeats()[wid]

    try:
        push_raw(redis_client, namespace, "low", b'{"class":"PeekSelf","args":[]}')
        worker = make_worker()
        assert worker.work() == 0
    finally:
        jobs_for_tests.registry._by_name.pop("PeekSelf")
    assert seen["id"] == f"{socket.gethostname()}:{os.getpid()}:high,low" == worker.worker_id
    assert re.fullmatch(
        rb'\{"queue":"low","run_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","payload":\{"class":"PeekSelf","args":\[\]\}\}',
        seen["working"],
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", seen["started"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", seen["heartbeat"])
    parse_time(seen["heartbeat"])
    # Everything of the worker is gone after it exits, the global stat stays.
    assert resque.workers() == [] and resque.heartbeats() == {}
    assert redis_client.get(f"{namespace}:stat:processed:{worker.worker_id}") is None
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"


def test_failures_keep_rubys_record_shape_and_count_as_processed_and_failed(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "high", b'{"class":"Boom","args":[3]}', b'{"class":"Nope","args":[1]}')
    worker = make_worker()
    worker.work()
    boom, nope = failures(redis_client, namespace)
    assert list(boom) == ["failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"]
    assert boom["payload"] == {"class": "Boom", "args": [3]}
    assert (boom["exception"], boom["error"], boom["worker"], boom["queue"]) == (
        "RuntimeError",
        "boom (3,)",
        worker.worker_id,
        "high",
    )
    # Cut where the worker's own frames begin, as Ruby cuts at lib/resque/job.rb; the adapter
    # that calls a registered function is left out.
    assert len(boom["backtrace"]) == 1
    assert re.fullmatch(r".*/jobs_for_tests\.py:\d+:in `boom'", boom["backtrace"][0])
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \w+", boom["failed_at"])
    assert (nope["exception"], nope["error"], nope["backtrace"]) == (
        "NameError",
        "uninitialized constant Nope",
        [],
    )
    assert redis_client.mget(f"{namespace}:stat:processed", f"{namespace}:stat:failed") == [b"2", b"2"]


def test_a_failure_raised_inside_the_package_keeps_the_packages_frames(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "high", b'{"class":"EnqueueNowhere","args":[]}')
    make_worker().work()
    (record,) = failures(redis_client, namespace)
    assert record["exception"] == "resque_compat.errors.NoQueueError"
    frames = record["backtrace"]
    assert re.fullmatch(r".*/resque_compat/client\.py:\d+:in `validate'", frames[0])
    assert any(re.fullmatch(r".*/resque_compat/client\.py:\d+:in `enqueue'", f) for f in frames)
    assert re.fullmatch(r".*/jobs_for_tests\.py:\d+:in `enqueue_nowhere'", frames[-1])
    assert not any("/resque_compat/runtime/" in f for f in frames)


def test_a_thousand_garbage_payloads_become_a_thousand_failures_and_nothing_is_lost(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    garbage = [
        b"{not json %d" % i
        if i % 4 == 0
        else b"[%d]" % i
        if i % 4 == 1
        else b'{"x":%d}' % i
        if i % 4 == 2
        else b"\xff%d" % i
        for i in range(1000)
    ]
    push_raw(redis_client, namespace, "low", *garbage)
    assert make_worker().work() == 0
    records = failures(redis_client, namespace)
    assert len(records) == 1000
    assert redis_client.llen(f"{namespace}:queue:low") == 0
    kept = []
    for record in records:
        assert record["payload"]["class"] == "ResqueCompat::UnreadablePayload"
        arg = record["payload"]["args"][0]
        kept.append(arg.encode() if isinstance(arg, str) else __import__("base64").b64decode(arg["base64"]))
    assert kept == garbage
    exceptions = {r["exception"] for r in records}
    assert exceptions == {"Resque::Helpers::DecodeException", "ResqueCompat::InvalidPayload"}


def test_job_hooks_run_in_rubys_order_and_dont_perform_skips_quietly(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    payloads = [b'{"class":"Billing::Hooked","args":[%s]}' % a for a in (b'"ok"', b'"fail"', b'"dont"')]
    push_raw(redis_client, namespace, "high", *payloads)
    make_worker().work()
    before = ["before_perform_a", "before_perform_b"]
    ok = [*before, "around_a enter", "perform", "around_a exit", "after_perform_a"]
    fail = [*before, "around_a enter", "perform", "on_failure_a ValueError"]
    dont = ["before_perform_a"]
    assert told(redis_client, namespace, "order") == ok + fail + dont
    assert [f["exception"] for f in failures(redis_client, namespace)] == ["ValueError"]
    assert redis_client.get(f"{namespace}:stat:processed") == b"3"


def test_worker_hooks_run_in_rubys_order_without_fork_hooks_in_process(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "high", b'{"class":"NoopJob","args":[]}')
    make_worker(interval=0.0).work()
    assert told(redis_client, namespace, "hooks") == ["before_first_fork", "queue_empty", "worker_exit"]


def test_queues_are_taken_in_priority_order_and_star_means_every_queue_alphabetically(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    for q in ("b", "a", "c"):
        push_raw(redis_client, namespace, q, b'{"class":"Echo","args":["%s"]}' % q.encode())
    make_worker("c,*").work()
    assert told(redis_client, namespace, "echo") == ['["c"]', '["a"]', '["b"]']


def test_pause_all_workers_stops_reservations_until_cleared(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "high", b'{"class":"NoopJob","args":[]}')
    redis_client.set(f"{namespace}:pause-all-workers", b" TRUE\n")
    make_worker().work()
    assert redis_client.llen(f"{namespace}:queue:high") == 1
    redis_client.delete(f"{namespace}:pause-all-workers")
    make_worker().work()
    assert redis_client.llen(f"{namespace}:queue:high") == 0


def test_unknown_classes_can_be_pushed_back_for_ruby_workers_instead_of_failed(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    raw = b'{"class":"RubyOnly","args":[1]}'
    push_raw(redis_client, namespace, "high", raw, b'{"class":"Echo","args":[2]}')
    make_worker(unknown_class="requeue").work()
    assert redis_client.lrange(f"{namespace}:queue:high", 0, -1) == [raw]
    assert told(redis_client, namespace, "echo") == ["[2]"]
    assert failures(redis_client, namespace) == []
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"


def test_the_multi_queue_backend_gets_failures_per_queue(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "low", b'{"class":"Boom","args":[]}')
    make_worker(failure_backends=("redis_multi_queue",)).work()
    assert redis_client.smembers(f"{namespace}:failed_queues") == {b"low_failed"}
    assert [f["exception"] for f in failures(redis_client, namespace, "low_failed")] == ["RuntimeError"]
    assert redis_client.llen(f"{namespace}:failed") == 0


def test_startup_prunes_dead_same_host_workers_and_expired_heartbeats_like_ruby(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    host = socket.gethostname()
    dead_local = f"{host}:999991:high,low"
    other_queues = f"{host}:999992:other"
    other_host = "otherhost2:222:high,low"
    expired = "otherhost:111:slow"
    reg = resque.worker_registry
    for wid in (dead_local, other_queues, other_host, expired):
        reg.register_worker(wid, "2026-11-27 16:56:53 +0000")
    reg.set_worker_payload(
        dead_local, b'{"queue":"high","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Echo","args":[1]}}'
    )
    reg.set_worker_payload(
        expired, b'{"queue":"slow","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Slow","args":[1]}}'
    )
    reg.heartbeat_now(expired, "2000-01-01T00:00:00+00:00")
    make_worker().work()
    assert set(resque.workers()) == {other_queues, other_host}
    records = failures(redis_client, namespace)
    assert {(r["worker"], r["exception"], r["error"]) for r in records} == {
        (
            expired,
            "Resque::PruneDeadWorkerDirtyExit",
            f"Worker {expired} did not gracefully exit while processing Slow",
        ),
        (dead_local, "Resque::DirtyExit", "Job still being processed"),
    }
    assert redis_client.ttl(f"{namespace}:pruning_dead_workers_in_progress") > 0


def test_a_worker_run_inside_a_program_puts_the_process_title_back_when_it_returns(
    make_worker: MakeWorker, redis_client: redis.Redis, namespace: str
) -> None:
    from setproctitle import getproctitle, setproctitle

    before = getproctitle()
    setproctitle("a program that runs a worker")
    try:
        push_raw(redis_client, namespace, "high", b'{"class":"Echo","args":["x"]}')
        assert make_worker().work() == 0
        assert redis_client.get(f"{namespace}:stat:processed") == b"1"
        # A pruner on this host matches titles, not pids: this process is no worker now.
        assert getproctitle() == "a program that runs a worker"
    finally:
        setproctitle(before)
