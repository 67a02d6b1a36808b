"""Failure backends against a real Redis: Failure::Redis, RedisMultiQueue and Multiple (spec 7)."""

from __future__ import annotations

from typing import Any

import pytest

from resque_compat import MultipleFailure, Resque
from resque_compat.errors import DecodeError, FailureQueueError
from resque_compat.protocol import FailureRecord, decode
from resque_compat.protocol.times import parse_time


def fail(resque: Resque, cls: str, *args: Any, queue: str = "low", backend: Any = None) -> None:
    (backend or resque.failure).save(
        FailureRecord(
            payload={"class": cls, "args": list(args)},
            exception="RuntimeError",
            error=f"boom {cls}",
            backtrace=["jobs.py:5:in `perform'"],
            worker="vm:1:low",
            queue=queue,
        )
    )


def failed_raw(resque: Resque, name: str = "failed") -> list[bytes]:
    return list(resque.redis.lrange(resque.keys.failed_list(name), 0, -1))  # type: ignore[arg-type]


def test_a_failure_record_has_ruby_s_keys_in_ruby_s_order(resque: Resque) -> None:
    fail(resque, "BadJob", 3)
    [raw] = failed_raw(resque)
    record = decode(raw)
    assert list(record) == ["failed_at", "payload", "exception", "error", "backtrace", "worker", "queue"]
    assert raw.endswith(
        b'"payload":{"class":"BadJob","args":[3]},"exception":"RuntimeError","error":"boom BadJob",'
        b'"backtrace":["jobs.py:5:in `perform\'"],"worker":"vm:1:low","queue":"low"}'
    )
    parse_time(record["failed_at"])


def test_count_all_and_each_follow_ruby_s_indexes_and_per_window_desc_order(resque: Resque) -> None:
    for i in range(5):
        fail(resque, "A" if i % 2 else "B", i)
    f = resque.failure
    assert f.count() == 5
    assert f.count(class_name="A") == 2
    assert [e.index for e in f.all(1, 3)] == [1, 2, 3]
    assert [e.record["payload"]["args"] for e in f.all(0, 2) if e.record] == [[0], [1]]
    each = list(f.each(0, 3))  # type: ignore[attr-defined]
    assert [e.index for e in each] == [2, 1, 0]


def test_requeue_adds_retried_at_keeps_the_record_and_enqueues_class_and_args_only(resque: Resque) -> None:
    resque.failure.save(
        FailureRecord(
            payload={"class": "GoodJob", "args": [2], "jid": "x"},
            exception="RuntimeError",
            error="e2",
            backtrace=[],
            worker="vm:1:low",
            queue="high",
        )
    )
    before = failed_raw(resque)[0]
    resque.failure.requeue(0)
    [after] = failed_raw(resque)
    assert after.startswith(before[:-1] + b',"retried_at":"')
    assert decode(after)["retried_at"].endswith(decode(after)["failed_at"][-3:])
    assert resque.peek("high") == {"class": "GoodJob", "args": [2]}
    assert "high" in resque.queues()


def test_requeuing_twice_keeps_retried_at_in_its_place(resque: Resque) -> None:
    fail(resque, "A", 1)
    resque.failure.requeue(0)
    resque.failure.requeue(0)
    assert list(decode(failed_raw(resque)[0]))[-1] == "retried_at"
    assert resque.size("low") == 2


def test_remove_uses_the_empty_sentinel_and_removes_exactly_one_record(resque: Resque) -> None:
    for i in range(3):
        fail(resque, "A", i)
    resque.failure.remove(1)
    assert [decode(r)["payload"]["args"] for r in failed_raw(resque)] == [[0], [2]]


def test_clear_requeue_all_requeue_queue_and_remove_queue(resque: Resque) -> None:
    fail(resque, "A", 1, queue="low")
    fail(resque, "A", 2, queue="high")
    fail(resque, "A", 3, queue="low")
    f = resque.failure
    f.requeue_queue("low")
    assert resque.size("low") == 2 and resque.size("high") == 0
    f.requeue_all()
    assert resque.size("low") == 4 and resque.size("high") == 1
    f.remove_queue("low")
    assert [decode(r)["queue"] for r in failed_raw(resque)] == ["high"]
    f.clear()
    assert f.count() == 0


def test_clear_retried_removes_only_records_that_were_retried(resque: Resque) -> None:
    for i in range(4):
        fail(resque, "A", i)
    resque.failure.requeue(1)
    resque.failure.requeue(3)
    resque.failure.clear_retried()  # type: ignore[attr-defined]
    assert [decode(r)["payload"]["args"] for r in failed_raw(resque)] == [[0], [2]]


def test_the_redis_backend_refuses_any_queue_but_failed(resque: Resque) -> None:
    with pytest.raises(FailureQueueError, match="invalid queue: low_failed"):
        resque.failure.count("low_failed")
    assert resque.failure.count("failed") == 0


def test_an_unreadable_record_is_listed_with_its_raw_bytes_and_requeue_refuses_it(resque: Resque) -> None:
    resque.redis.rpush(resque.keys.failed(), b"{broken")
    [entry] = resque.failure.all(0, 5)
    assert entry.record is None and entry.raw == b"{broken" and entry.error
    with pytest.raises(DecodeError):
        resque.failure.requeue(0)
    assert failed_raw(resque) == [b"{broken"]


def test_the_multi_queue_backend_writes_per_queue_lists_and_zone_less_retried_at(
    redis_client: Any, namespace: str
) -> None:
    resque = Resque(redis_client, namespace=namespace, failure_backend="redis_multi_queue")
    fail(resque, "A", 1, queue="low")
    fail(resque, "B", 2, queue="high")
    fail(resque, "A", 3, queue="low")
    f = resque.failure
    assert f.queues() == ["high_failed", "low_failed"]
    assert f.count() == 3 and f.count("low_failed") == 2 and f.count("low_failed", "A") == 2
    assert resque.info()["failed"] == 0  # Ruby: LLEN failed, whatever the backend
    f.requeue(0, "low_failed")
    retried_at = decode(failed_raw(resque, "low_failed")[0])["retried_at"]
    assert len(retried_at) == len("2026/11/27 16:59:10")
    assert resque.peek("low") == {"class": "A", "args": [1]}
    f.remove(0, "low_failed")
    assert f.count("low_failed") == 1
    f.remove_queue("high")
    assert f.count("high_failed") == 0 and "high_failed" in f.queues()
    f.clear()
    assert f.count() == 0


def test_the_multiple_backend_saves_to_all_reads_from_the_first_and_removes_from_all(
    redis_client: Any, namespace: str
) -> None:
    resque = Resque(redis_client, namespace=namespace)
    mirror = Resque(redis_client, namespace=namespace + ":mirror")
    multiple = MultipleFailure([resque.failure, mirror.failure])
    fail(resque, "A", 1, backend=multiple)
    fail(resque, "A", 2, backend=multiple)
    assert len(failed_raw(resque)) == 2 and len(failed_raw(mirror)) == 2
    assert multiple.count() == 2
    multiple.requeue(0)
    assert resque.size("low") == 1 and mirror.size("low") == 0
    multiple.remove(1)
    assert [decode(r)["payload"]["args"] for r in failed_raw(resque)] == [[1]]
    assert [decode(r)["payload"]["args"] for r in failed_raw(mirror)] == [[1]]
