"""Keys, worker ids and Resque's four time formats (spec sections 2, 4, 14.3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from resque_compat.errors import TimeFormatError, WorkerIdError
from resque_compat.protocol import Keys, format_worker_id, is_safe_for_ruby, parse_worker_id
from resque_compat.protocol.keys import failure_queue_name, job_queue_name
from resque_compat.protocol.times import (
    format_failed_at,
    format_heartbeat,
    format_multi_queue_retried_at,
    format_run_at,
    format_started,
    parse_time,
)

MOMENT = datetime(2026, 11, 27, 16, 56, 53, tzinfo=timezone.utc)


def test_every_key_is_prefixed_by_the_namespace_and_values_are_not() -> None:
    k = Keys()
    assert k.queue("file_serve") == "resque:queue:file_serve"
    assert k.queues() == "resque:queues"
    assert k.worker("vm:1:a,b") == "resque:worker:vm:1:a,b"
    assert k.worker_started("vm:1:a") == "resque:worker:vm:1:a:started"
    assert k.heartbeats() == "resque:workers:heartbeat"
    assert k.stat("processed") == "resque:stat:processed"
    assert k.worker_stat("failed", "vm:1:a") == "resque:stat:failed:vm:1:a"
    assert k.failed() == "resque:failed"
    assert k.failed_list(failure_queue_name("low")) == "resque:low_failed"
    assert k.pruning_lock() == "resque:pruning_dead_workers_in_progress"
    assert k.pause_all() == "resque:pause-all-workers"


def test_a_nested_namespace_works_like_redis_namespace() -> None:
    k = Keys("resque:GitHub")
    assert k.queue("x") == "resque:GitHub:queue:x"
    physical = "resque:GitHub:queue:x"
    assert k.strip(physical) == "queue:x"
    assert k.all_pattern() == "resque:GitHub:*"


def test_glob_characters_in_a_namespace_are_escaped_in_scan_patterns() -> None:
    assert Keys("a*b").all_pattern() == "a\\*b:*"


def test_failure_queue_names_map_both_ways() -> None:
    assert failure_queue_name("low") == "low_failed"
    assert job_queue_name("low_failed") == "low"
    assert job_queue_name("failed") == "failed"


def test_worker_ids_drop_skip_entries_and_keep_order_and_duplicates() -> None:
    assert format_worker_id("vm", 6420, ["*", "!low"]) == "vm:6420:*"
    assert format_worker_id("vm", 1, ["low", "high", "low"]) == "vm:1:low,high,low"


def test_worker_ids_are_split_with_a_limit_of_three_as_worker_find_does() -> None:
    wid = parse_worker_id("vm:27253:high,hooks,low")
    assert (wid.hostname, wid.pid, wid.queues) == ("vm", 27253, ("high", "hooks", "low"))
    assert str(wid) == "vm:27253:high,hooks,low"
    assert parse_worker_id("vm:1:a:b").queues == ("a:b",)


@pytest.mark.parametrize("bad", ["vm", "vm:12", "vm:abc:q", ""])
def test_a_worker_id_without_three_parts_is_refused(bad: str) -> None:
    with pytest.raises(WorkerIdError):
        parse_worker_id(bad)


def test_ids_that_ruby_readers_would_split_wrongly_are_flagged() -> None:
    assert is_safe_for_ruby("vm:1:q")
    assert not is_safe_for_ruby("vm:1:a:b")


def test_run_at_is_utc_iso8601_with_z() -> None:
    assert format_run_at(MOMENT) == "2026-11-27T16:56:53Z"


def test_times_are_written_in_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert format_started(MOMENT) == "2026-11-27 11:56:53 -0500"
        assert format_heartbeat(MOMENT) == "2026-11-27T11:56:53-05:00"
        assert format_failed_at(MOMENT) == "2026/11/27 11:56:53 EST"
        assert format_multi_queue_retried_at(MOMENT) == "2026/11/27 11:56:53"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize(
    ("text", "offset_hours"),
    [
        ("2026/11/27 16:56:53 UTC", 0),
        ("2026/11/27 11:56:53 EST", -5),
        ("2026/11/27 16:56:53", 0),
        ("2026-11-27 11:56:53 -0500", -5),
        ("2026-11-27T11:56:53-05:00", -5),
        ("2026-11-27T22:26:53+05:30", 5.5),
        ("2026-11-27T16:56:53Z", 0),
        ("2026-11-27T16:56:53.123456789Z", 0),
    ],
)
def test_every_resque_time_format_parses_to_the_same_instant(text: str, offset_hours: int) -> None:
    parsed = parse_time(text)
    assert parsed.utcoffset() == timedelta(hours=offset_hours)
    assert parsed.replace(microsecond=0) == MOMENT


@pytest.mark.parametrize(
    "bad",
    [
        "not a time",
        "1700000000",
        "2026/13/45 10:00:00 UTC",
        "2026-11-27 10:00 XYZT",
        "2026-13-27T16:56:53+00:00",
    ],
)
def test_unparseable_times_raise_a_clear_error(bad: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_time(bad)
