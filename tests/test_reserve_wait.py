"""The blocking wait and the reserve in one write (``JobSource.wait_then_reserve``): a job pushed
while the worker waits is marked in ``worker:<id>`` by the script Redis runs as the wait ends,
stamped with the second it was popped in, and nothing is taken that is not marked."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from resque_compat import Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.errors import UnreadableKey
from resque_compat.protocol import encode
from resque_compat.protocol.records import working_on_prefix
from resque_compat.protocol.times import format_run_at
from resque_compat.runtime.hooks import WorkerHooks
from resque_compat.runtime.worker import Worker
from resque_compat.store.reserve import _ISO8601, JobSource, WorkingOnPrefixes

WORKER = "vm:4242:q"
JOB = b'{"class":"Echo","args":[1]}'


class StalePrefixes(WorkingOnPrefixes):
    """Prefixes made in 1970: a wait that outlasted the second its prefixes were made in."""

    def __call__(self, queues: Sequence[str]) -> list[bytes]:
        self.second = 1
        return [working_on_prefix(encode(q, self.profile), "1970-01-01T00:00:01Z") for q in queues]


def source(resque: Resque) -> JobSource:
    resque.redis.sadd(resque.keys.workers(), WORKER)
    return resque.store.job_source(WORKER)


def push_once_blocked(client: redis.Redis, key: str, value: bytes) -> threading.Thread:
    """Push ``value`` once a client is blocked on a list (the waiting source)."""

    def push() -> None:
        for _ in range(2000):
            if int(client.info("clients")["blocked_clients"]) >= 1:
                client.rpush(key, value)
                return
            time.sleep(0.005)  # polling Redis's blocked-clients count: there is no event to block on
        raise AssertionError("nothing blocked on the queue within 10 s")

    thread = threading.Thread(target=push)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "moment",
    [0, 951782400, 951868799, 1709164800, 4107542400, 1798761599, 1764633600, 253402300799],
)
def test_the_scripts_run_at_is_time_utc_iso8601_for_any_second(
    redis_client: redis.Redis, moment: int
) -> None:
    # 1970, the leap days of 2000 and 2024, 2100 (no leap day), a year's last second, 9999.
    got = redis_client.eval(_ISO8601 + "return iso8601(tonumber(ARGV[1]))", 0, moment)
    assert got.decode() == format_run_at(datetime.fromtimestamp(moment, UTC))


def test_a_job_pushed_during_the_wait_is_marked_and_handed_over_in_the_same_trip(resque: Resque) -> None:
    jobs = source(resque)
    prefixes = WorkingOnPrefixes(resque.profile)
    pusher = push_once_blocked(resque.redis, resque.keys.queue("q"), JOB)
    reserved = jobs.wait_then_reserve(["q"], 10.0, prefixes)
    pusher.join()
    assert reserved.popped is not None and reserved.popped.raw == JOB
    held = resque.redis.get(resque.keys.worker(WORKER))
    assert held is not None and reserved.popped.mark == hashlib.sha1(held).hexdigest()
    assert json.loads(held)["payload"] == json.loads(JOB) and json.loads(held)["queue"] == "q"
    assert resque.size("q") == 0
    # Its done_working rides with the next reserve, as any reserved job's does.
    jobs.done_working(reserved.popped)
    assert resque.redis.get(resque.keys.worker(WORKER)) is None
    assert resque.redis.get(resque.keys.stat("processed")) == b"1"


def test_a_job_popped_in_a_later_second_than_the_wait_began_gets_run_at_from_redis_clock(
    resque: Resque,
) -> None:
    jobs = source(resque)
    resque.redis.rpush(resque.keys.queue("q"), JOB)
    before = int(resque.redis.time()[0])
    reserved = jobs.wait_then_reserve(["q"], 1.0, StalePrefixes(resque.profile))
    after = int(resque.redis.time()[0])
    held = resque.redis.get(resque.keys.worker(WORKER))
    assert reserved.popped is not None and held is not None
    assert reserved.popped.mark == hashlib.sha1(held).hexdigest()
    stamps = {format_run_at(datetime.fromtimestamp(t, UTC)) for t in range(before, after + 1)}
    assert json.loads(held)["run_at"] in stamps
    assert held.endswith(b'","payload":' + JOB + b"}")


def test_a_wait_that_times_out_reserves_nothing_and_leaves_the_queues_as_they_were(resque: Resque) -> None:
    jobs = source(resque)
    reserved = jobs.wait_then_reserve(["q"], 0.05, WorkingOnPrefixes(resque.profile))
    assert reserved.popped is None and not reserved.paused and reserved.registered
    assert resque.redis.exists(resque.keys.worker(WORKER), resque.keys.queue("q")) == 0


def test_a_first_queue_of_another_type_is_named_unless_a_later_queue_had_a_job_to_hand_over(
    resque: Resque,
) -> None:
    jobs = source(resque)
    resque.redis.set(resque.keys.queue("odd"), b"not a list")
    with pytest.raises(UnreadableKey, match="odd"):
        jobs.wait_then_reserve(["odd", "q"], 0.05, WorkingOnPrefixes(resque.profile))
    resque.redis.rpush(resque.keys.queue("q"), JOB)
    reserved = jobs.wait_then_reserve(["odd", "q"], 0.05, WorkingOnPrefixes(resque.profile))
    assert reserved.popped is not None and reserved.popped.queue == "q" and reserved.popped.raw == JOB


def test_a_job_the_wait_reserved_as_the_worker_was_told_to_stop_goes_back_to_the_head_of_its_queue(
    resque: Resque, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a blocking in-process worker whose queue_empty hook (run once the first job is done)
    # pushes a second job and sends this process QUIT: the wait returns at once with the job
    # reserved, and the worker stops before running it.
    registry = Registry()
    ran: list[Any] = []
    registry.job("Echo")(lambda *args: ran.append(list(args)))
    hooks = WorkerHooks()

    @hooks.queue_empty
    def arrive_and_quit() -> None:
        resque.enqueue_to("q", "Echo", 2)
        os.kill(os.getpid(), signal.SIGQUIT)

    resque.enqueue_to("q", "Echo", 1)
    settings = WorkerSettings(queues=("q",), interval=5.0, fork_per_job=False, blocking=True)
    worker = Worker.from_client(resque, registry, settings, hooks, logger=logging.getLogger("wait-test"))
    with caplog.at_level(logging.ERROR, logger="wait-test"):
        assert worker.work() == 0
    # Then the second job is queued once, unrun and uncounted, and nothing is said to be lost.
    assert ran == [[1]]
    assert resque.redis.lrange(resque.keys.queue("q"), 0, -1) == [b'{"class":"Echo","args":[2]}']
    assert resque.redis.exists(resque.keys.worker(worker.worker_id)) == 0
    assert resque.redis.get(resque.keys.stat("processed")) == b"1"
    assert resque.redis.llen(resque.keys.failed()) == 0
    assert caplog.records == []
