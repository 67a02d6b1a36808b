"""resque-scheduler's client API on ``Resque`` against a real Redis (the byte-level parity with
Ruby is in the recorded ``fixtures/keyspace/delayed_*.json``, replayed by test_keyspace_replay)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from resque_compat import Resque
from resque_compat.errors import NoQueueError
from resque_compat.protocol.delayed import TimestampError, decode_delayed_item, epoch_seconds

LATER = 4102444800  # 2100-01-01T00:00:00Z


class Archive:
    queue = "file_serve"


class Scheduled:
    """A job class with resque-scheduler's hooks, recording each call."""

    resque_class = "Hooks::Job"
    queue = "hooks"
    calls: ClassVar[list[str]] = []
    veto = False

    @classmethod
    def before_schedule_a(cls, *args: Any) -> Any:
        cls.calls.append("before_schedule_a")
        return False if cls.veto else None

    @classmethod
    def after_schedule(cls, *args: Any) -> None:
        cls.calls.append("after_schedule")

    @classmethod
    def before_delayed_enqueue(cls, *args: Any) -> None:
        cls.calls.append("before_delayed_enqueue")


def test_enqueue_at_writes_ruby_bytes_to_the_list_the_timestamps_set_and_the_schedule(resque: Resque) -> None:
    resque.enqueue_at(LATER, Archive, 44, "masterbrew")
    item = b'{"class":"Archive","args":[44,"masterbrew"],"queue":"file_serve"}'
    r, k = resque.redis, resque.keys
    assert r.lrange(k.delayed(LATER), 0, -1) == [item]
    assert r.smembers(k.timestamps(item)) == {f"delayed:{LATER}".encode()}
    assert r.zrange(k.delayed_queue_schedule(), 0, -1, withscores=True) == [(str(LATER).encode(), LATER)]
    assert resque.scheduled_at(Archive, 44, "masterbrew") == [LATER]
    assert resque.is_delayed(Archive, 44, "masterbrew")
    assert resque.delayed_timestamp_peek(LATER, 0, 1) == [
        {"class": "Archive", "args": [44, "masterbrew"], "queue": "file_serve"}
    ]


def test_a_string_class_is_delayed_with_a_null_queue_only_when_no_queue_is_given(resque: Resque) -> None:
    with pytest.raises(NoQueueError):
        resque.enqueue_at(LATER, "Nameless", 1)
    resque.enqueue_at_with_queue(None, LATER, "Nameless", 1)
    assert resque.redis.lrange(resque.keys.delayed(LATER), 0, -1) == [
        b'{"class":"Nameless","args":[1],"queue":null}'
    ]


def test_timestamps_are_epoch_seconds_or_aware_datetimes_and_naive_ones_are_refused(resque: Resque) -> None:
    aware = datetime(2100, 1, 1, 1, 0, 0, 999_000, tzinfo=timezone(timedelta(hours=1)))
    assert epoch_seconds(aware) == LATER
    assert epoch_seconds(LATER + 0.9) == LATER
    with pytest.raises(TimestampError, match="naive datetime"):
        resque.enqueue_at(datetime(2100, 1, 1), Archive, 1)
    with pytest.raises(TimestampError):
        resque.enqueue_at("2100-01-01", Archive, 1)
    with pytest.raises(TypeError, match="numeric number of seconds"):
        resque.enqueue_in("60", Archive, 1)  # type: ignore[arg-type]
    assert resque.delayed_queue_schedule_size() == 0


def test_a_due_timestamp_enqueues_at_once_and_a_later_one_waits(resque: Resque) -> None:
    resque.enqueue_at(time.time() - 1, Archive, "due")
    resque.enqueue_in(3600, Archive, "later")
    assert resque.peek("file_serve") == {"class": "Archive", "args": ["due"]}
    assert resque.count_all_scheduled_jobs() == 1
    ts = resque.delayed_queue_peek(0, 10)
    assert len(ts) == 1 and abs(ts[0] - (time.time() + 3600)) < 5
    assert resque.next_delayed_timestamp() is None
    assert resque.next_delayed_timestamp(ts[0]) == ts[0]


def test_schedule_hooks_run_around_scheduling_and_a_false_before_hook_vetoes(resque: Resque) -> None:
    Scheduled.calls = []
    Scheduled.veto = False
    assert resque.enqueue_at(LATER, Scheduled, 1) is True
    assert Scheduled.calls == ["before_schedule_a", "after_schedule"]
    Scheduled.veto = True
    assert resque.enqueue_at(LATER, Scheduled, 2) is None
    assert resque.delayed_timestamp_size(LATER) == 1


def test_remove_delayed_removes_every_copy_by_exact_bytes_and_leaves_the_rest(resque: Resque) -> None:
    resque.enqueue_at(LATER, Archive, 1)
    resque.enqueue_at(LATER + 5, Archive, 1)
    resque.enqueue_at(LATER + 5, Archive, 2)
    resque.enqueue_at_with_queue("elsewhere", LATER, Archive, 1)
    assert resque.remove_delayed(Archive, 1) == 2
    assert resque.scheduled_at(Archive, 1) == []
    assert resque.count_all_scheduled_jobs() == 2
    assert resque.remove_delayed_in_queue(Archive, "elsewhere", 1) == 1
    assert resque.remove_delayed_job_from_timestamp(LATER + 5, Archive, 2) == 1
    # the emptied LATER+5 list is cleaned up with its zset member; LATER stays for the scheduler
    assert resque.delayed_queue_peek(0, 10) == [LATER]
    assert resque.delayed_timestamp_size(LATER) == 0


def test_enqueue_delayed_moves_matching_jobs_to_their_queue_now(resque: Resque) -> None:
    resque.enqueue_at(LATER, Archive, 7)
    resque.enqueue_at(LATER + 1, Archive, 7)
    assert resque.enqueue_delayed(Archive, 7) == 2
    assert resque.size("file_serve") == 2
    assert resque.count_all_scheduled_jobs() == 0


def test_selections_find_remove_and_enqueue_by_a_predicate_on_the_arguments(resque: Resque) -> None:
    for n in range(5):
        resque.enqueue_at(LATER + n, Archive, n, "tag")
    resque.enqueue_at_with_queue("other", LATER, "Other", 3)
    found = resque.find_delayed_selection(Archive, where=lambda a: a[0] % 2 == 1)
    assert [decode_delayed_item(f).args for f in found] == [[1, "tag"], [3, "tag"]]
    assert len(resque.find_delayed_selection(where=lambda a: a[0] == 3)) == 2
    assert resque.remove_delayed_selection(Archive, where=lambda a: a[0] == 1) == 1
    assert resque.enqueue_delayed_selection(where=lambda a: a[0] == 3) == 2
    assert resque.size("file_serve") == 1 and resque.size("other") == 1
    assert resque.count_all_scheduled_jobs() == 3


def test_reset_delayed_queue_removes_lists_timestamps_sets_and_the_schedule(resque: Resque) -> None:
    resque.enqueue_at(LATER, Archive, 1)
    resque.enqueue_at(LATER + 1, Archive, 2)
    resque.reset_delayed_queue()
    assert resque.keys_in_namespace() == []


def test_delayed_push_keeps_the_callers_key_order_and_a_node_resque_item_reads_alike(resque: Resque) -> None:
    resque.delayed_push(LATER, {"class": "Node", "queue": "q", "args": [1]})
    [raw] = resque.redis.lrange(resque.keys.delayed(LATER), 0, -1)
    assert raw == b'{"class":"Node","queue":"q","args":[1]}'
    item = decode_delayed_item(raw)
    assert (item.class_name, item.queue, item.args) == ("Node", "q", [1])


def test_inline_mode_removes_nothing_as_ruby_does(redis_client: Any, namespace: str) -> None:
    inline = Resque(redis_client, namespace=namespace, inline=True)
    plain = Resque(redis_client, namespace=namespace)
    plain.enqueue_at(LATER, Archive, 1)
    assert inline.remove_delayed(Archive, 1) == 0
    assert plain.count_all_scheduled_jobs() == 1


def test_schedules_persist_in_redis_or_live_in_memory_and_are_marked_changed(resque: Resque) -> None:
    resque.set_schedule("nightly", {"cron": "0 3 * * *", "class": "Archive", "persist": True})
    resque.set_schedule("hourly", {"every": "1h", "class": "Archive"})
    assert resque.redis.hgetall(resque.keys.persistent_schedules()) == {
        b"nightly": b'{"cron":"0 3 * * *","class":"Archive"}'
    }
    assert resque.all_schedules() == {
        "hourly": {"every": "1h", "class": "Archive"},
        "nightly": {"cron": "0 3 * * *", "class": "Archive"},
    }
    assert resque.fetch_schedule("nightly") == {"cron": "0 3 * * *", "class": "Archive"}
    resque.remove_schedule("nightly")
    assert resque.fetch_schedule("nightly") is None
    assert resque.redis.smembers(resque.keys.schedules_changed()) == {b"nightly", b"hourly"}
    resque.schedule = {"MakeTea": {"every": "1m"}}
    assert resque.schedule == {"MakeTea": {"every": "1m", "class": "MakeTea"}}
