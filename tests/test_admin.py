"""The read/admin API the dashboard sits on, against a real Redis."""

from __future__ import annotations

import os
import socket
import time

import pytest

from resque_compat import Resque
from resque_compat.admin import Admin, FailureFilter, StaleRecordError
from resque_compat.admin.views import WorkerName
from resque_compat.admin.workers import Fleet, language
from resque_compat.protocol import FailureRecord
from resque_compat.protocol.times import format_heartbeat, from_redis_time

RUN_AT = "2026-11-27T16:56:53Z"


def fail(
    resque: Resque, cls: str, args: list[object], queue: str = "high", worker: str = "vm:1:high"
) -> None:
    resque.failure.save(
        FailureRecord(
            payload={"class": cls, "args": args},
            exception="RuntimeError",
            error=f"{cls} broke",
            backtrace=["jobs.rb:5:in `perform'"],
            worker=worker,
            queue=queue,
        )
    )


def now_beat(resque: Resque, seconds_ago: int = 0) -> str:
    s, us = resque.worker_registry.server_time()
    return format_heartbeat(from_redis_time(s - seconds_ago, us))


def test_a_queue_page_is_one_window_and_keeps_unreadable_entries_with_their_bytes(resque: Resque) -> None:
    for i in range(25):
        resque.enqueue_to("high", "Archive", i)
    resque.queue_store.push_to_queue("high", b"{not json")
    page = Admin.from_client(resque).queue_page("high", start=20)
    assert page.total == 26
    assert [j.args for j in page.items[:5]] == [[20], [21], [22], [23], [24]]
    bad = page.items[5]
    assert bad.unreadable and bad.raw == b"{not json" and bad.class_name is None


def test_an_active_job_payload_shows_the_active_job_class(resque: Resque) -> None:
    wrapper = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
    resque.push("default", {"class": wrapper, "args": [{"job_class": "HelloJob", "arguments": [1]}]})
    (job,) = Admin.from_client(resque).queue_page("default").items
    assert job.class_name == "HelloJob" and job.via_active_job


def test_failures_page_newest_first_across_pages_with_true_indexes(resque: Resque) -> None:
    for i in range(25):
        fail(resque, "Job", [i])
    admin = Admin.from_client(resque)
    first = admin.failures.page(start=0)
    second = admin.failures.page(start=20)
    assert [f.index for f in first.items] == list(range(24, 4, -1))
    assert [f.index for f in second.items] == [4, 3, 2, 1, 0]
    assert [f.job.args for f in second.items if f.job] == [[4], [3], [2], [1], [0]]
    oldest = admin.failures.page(start=0, newest_first=False)
    assert [f.index for f in oldest.items] == list(range(20))


def test_failures_filter_by_class_and_queue_and_count_only_matches(resque: Resque) -> None:
    for i in range(30):
        fail(resque, "Even" if i % 2 == 0 else "Odd", [i], queue="low" if i % 3 == 0 else "high")
    admin = Admin.from_client(resque)
    evens = admin.failures.search("failed", FailureFilter(class_name="Even"), per_page=100)
    assert len(evens.items) == 15 and all(f.job and f.job.class_name == "Even" for f in evens.items)
    assert [f.index for f in evens.items][:3] == [28, 26, 24] and evens.complete
    even_low = admin.failures.search("failed", FailureFilter("Even", "low"), per_page=100)
    assert len(even_low.items) == 5 and {f.queue for f in even_low.items} == {"low"}


def test_a_malformed_failure_is_unreadable_with_its_raw_bytes(resque: Resque) -> None:
    resque.failed_store.push_to_failed_queue(b"definitely not json")
    resque.failed_store.push_to_failed_queue(
        b'{"failed_at":"yesterday","payload":{"class":"X","args":[]},"worker":"no-colons","queue":"q"}'
    )
    newest, oldest = Admin.from_client(resque).failures.page().items
    assert oldest.unreadable and oldest.raw == b"definitely not json"
    assert newest.unreadable is None
    assert (
        newest.failed_at is not None and newest.failed_at.unreadable and newest.failed_at.raw == "yesterday"
    )
    assert newest.worker is not None and newest.worker.unreadable


def test_retry_requeues_the_job_and_marks_the_record(resque: Resque) -> None:
    fail(resque, "Archive", [44, "masterbrew"], queue="file_serve")
    admin = Admin.from_client(resque)
    (shown,) = admin.failures.page().items
    retried_at = admin.failures.retry("failed", shown.index, shown.digest)
    assert retried_at
    assert resque.queue_store.everything_in_queue("file_serve") == [
        b'{"class":"Archive","args":[44,"masterbrew"]}'
    ]
    assert admin.failures.count() == 1


def test_an_action_on_a_record_that_changed_under_the_page_is_refused(resque: Resque) -> None:
    fail(resque, "First", [1])
    fail(resque, "Second", [2])
    admin = Admin.from_client(resque)
    shown = admin.failures.record("failed", 1)
    assert shown is not None
    resque.failure.remove(0)  # someone else removes the older record: "Second" moves to index 0
    with pytest.raises(StaleRecordError):
        admin.failures.remove("failed", 1, shown.digest)
    with pytest.raises(StaleRecordError):
        admin.failures.retry("failed", 0, shown.digest.replace(shown.digest[0], "x"))
    assert admin.failures.count() == 1


def test_bulk_remove_takes_only_the_filtered_records(resque: Resque) -> None:
    for i in range(12):
        fail(resque, "Noisy" if i % 3 else "Keep", [i])
    admin = Admin.from_client(resque)
    removed = admin.failures.bulk("remove", "failed", FailureFilter(class_name="Noisy"))
    assert removed == 8
    kept = admin.failures.page().items
    assert [f.job.args for f in kept if f.job] == [[9], [6], [3], [0]]


def test_bulk_retry_requeues_each_filtered_record_once(resque: Resque) -> None:
    for i in range(5):
        fail(resque, "Py::Job" if i < 3 else "Other", [i], queue="py")
    admin = Admin.from_client(resque)
    assert admin.failures.bulk("retry", "failed", FailureFilter(class_name="Py::Job")) == 3
    assert resque.size("py") == 3
    assert sum(1 for f in admin.failures.scan() if f.retried_at) == 3


def test_clear_retried_leaves_the_records_not_yet_retried(resque: Resque) -> None:
    for i in range(4):
        fail(resque, "J", [i])
    admin = Admin.from_client(resque)
    admin.failures.retry("failed", 1)
    admin.failures.retry("failed", 3)
    admin.failures.clear_retried()
    assert [f.job.args for f in admin.failures.scan() if f.job] == [[0], [2]]


def test_failure_class_counts_name_records_without_a_payload_nil(resque: Resque) -> None:
    fail(resque, "A", [1])
    fail(resque, "A", [2])
    fail(resque, "B", [3])
    resque.failed_store.push_to_failed_queue(b'{"failed_at":"2026/11/27 16:56:53 UTC","exception":"X"}')
    assert Admin.from_client(resque).failures.class_counts() == {"A": 2, "B": 1, "nil": 1}


def test_the_multi_queue_backend_lists_each_failed_queue(redis_client: object, namespace: str) -> None:
    resque = Resque(redis_client, namespace=namespace, failure_backend="redis_multi_queue")  # type: ignore[arg-type]
    fail(resque, "A", [1], queue="low")
    fail(resque, "B", [2], queue="high")
    fail(resque, "B", [3], queue="high")
    admin = Admin.from_client(resque)
    assert admin.failures.multiple_queues()
    assert admin.failed_sizes() == [("high_failed", 2), ("low_failed", 1)]
    (newest, _) = admin.failures.page("high_failed").items
    admin.failures.retry("high_failed", newest.index, newest.digest)
    assert resque.size("high") == 1
    admin.failures.clear("low_failed")
    assert admin.failures.count() == 2


def test_workers_show_heartbeat_freshness_and_unreadable_values(resque: Resque) -> None:
    reg = resque.worker_registry
    for wid in ("vm:1:a", "vm:2:a", "vm:3:a", "vm:4:a", "no-colons-here"):
        reg.register_worker(wid, "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now("vm:1:a", now_beat(resque, 5))
    reg.heartbeat_now("vm:2:a", now_beat(resque, 301))
    reg.heartbeat_now("vm:3:a", "1700000000")
    reg.set_worker_payload(
        "vm:1:a", f'{{"queue":"a","run_at":"{RUN_AT}","payload":{{"class":"J","args":[1]}}}}'.encode()
    )
    reg.set_worker_payload("vm:4:a", b"garbage")
    views = {w.id: w for w in Admin.from_client(resque).workers()}
    assert views["vm:1:a"].heartbeat_state == "fresh" and views["vm:1:a"].state == "working"
    assert views["vm:2:a"].heartbeat_state == "stale"
    assert views["vm:3:a"].heartbeat_state == "unreadable"
    assert views["vm:4:a"].heartbeat_state == "missing"
    assert views["vm:4:a"].processing is not None and views["vm:4:a"].processing.unreadable
    assert views["no-colons-here"].name.unreadable and views["no-colons-here"].language == "unknown"
    working = Admin.from_client(resque).working()
    assert [w.id for w in working] == ["vm:1:a", "vm:4:a"] or [w.id for w in working] == ["vm:4:a", "vm:1:a"]


def test_one_worker_has_its_started_time_and_counts(resque: Resque) -> None:
    reg = resque.worker_registry
    reg.register_worker("vm:7:high,low", "2026-11-27 11:58:49 -0500")
    reg.done_working("vm:7:high,low")
    reg.done_working("vm:7:high,low")
    reg.increment_failed("vm:7:high,low")
    admin = Admin.from_client(resque)
    one = admin.worker("vm:7:high,low")
    assert one is not None and one.processed == 2 and one.failed == 1
    assert one.started is not None and one.started.at is not None and one.name.queues == ("high", "low")
    assert admin.worker("vm:8:high") is None


def test_a_python_worker_is_told_by_its_named_redis_connection(resque: Resque, redis_url: str) -> None:
    from resque_compat.store import connect

    fake_pid = 4_000_000 + os.getpid() % 1000  # no process has it here
    other = connect(redis_url, client_name=f"resque-compat:{fake_pid}")
    try:
        other.ping()
        resque.worker_registry.register_worker(f"elsewhere:{fake_pid}:q", "2026-11-27 16:56:53 +0000")
        resque.worker_registry.register_worker("elsewhere:4999999:q", "2026-11-27 16:56:53 +0000")
        views = {w.id: w for w in Admin.from_client(resque).workers()}
    finally:
        other.close()
    assert views[f"elsewhere:{fake_pid}:q"].language == "python"
    assert views["elsewhere:4999999:q"].language == "ruby"
    assert "inferred" in views["elsewhere:4999999:q"].language_source


def test_a_worker_is_told_python_by_a_connection_named_for_its_pid_or_its_id() -> None:
    now = from_redis_time(int(time.time()))
    names = [
        "resque-compat:4100",
        "resque-compat:worker:elsewhere:4200:q",
        "resque-compat:web:4300",
        "other:4400",
    ]
    fleet = Fleet.build(names, now, "this-host")
    told = {pid: language(WorkerName.of(f"elsewhere:{pid}:q"), fleet) for pid in (4100, 4200, 4300, 4400)}
    assert told[4100] == ("python", "Redis connection resque-compat:4100")
    assert told[4200] == ("python", "Redis connection resque-compat:worker:elsewhere:4200:q")
    assert told[4300] == ("python", "Redis connection resque-compat:web:4300")
    assert told[4400][0] == "ruby"  # a name outside resque-compat's prefix says nothing


def test_a_local_process_is_told_by_its_interpreter() -> None:
    fleet = Fleet.build([], from_redis_time(int(time.time())), socket.gethostname())
    name = WorkerName.of(f"{socket.gethostname()}:{os.getpid()}:q")
    lang, source = language(name, fleet)
    assert lang == "python" and "python" in source


def test_stats_txt_and_keys_match_resque_web(resque: Resque) -> None:
    resque.enqueue_to("high", "A", 1)
    resque.enqueue_to("low", "A", 2)
    resque.enqueue_to("low", "A", 3)
    fail(resque, "A", [4])
    resque.worker_registry.heartbeat_now("vm:1:high", "2026-11-27T16:56:53+00:00")
    admin = Admin.from_client(resque)
    assert admin.stats_txt().splitlines() == [
        "resque.pending=3",
        "resque.processed+=0",
        "resque.failed+=1",
        "resque.workers=0",
        "resque.working=0",
        "queues.high=1",
        "queues.low=2",
    ]
    keys = {k.name: (k.type, k.size) for k in admin.namespace_keys()[0]}
    assert keys["queue:low"] == ("list", 2)
    assert keys["queues"] == ("set", 2)
    assert keys["workers:heartbeat"] == ("hash", 1)
    assert keys["failed"] == ("list", 1)
    contents = admin.key("queue:low")
    assert contents.type == "list" and contents.rows == [
        ('{"class":"A","args":[2]}',),
        ('{"class":"A","args":[3]}',),
    ]
    assert admin.key("workers:heartbeat").rows == [("vm:1:high", "2026-11-27T16:56:53+00:00")]


def test_the_job_class_report_counts_classes_per_queue_and_failed_list(resque: Resque) -> None:
    resque.enqueue_many("high", "Billing::Charge", [[i] for i in range(3)])
    resque.enqueue_to("low", "Billing::Charge", 9)
    resque.enqueue_to("low", "Mailer", 1)
    resque.queue_store.push_to_queue("low", b"[broken")
    fail(resque, "Mailer", [1])
    resque.worker_registry.register_worker("elsewhere:4999999:high,*", "2026-11-27 16:56:53 +0000")
    report = Admin.from_client(resque).job_classes()
    rows = {r.name: r for r in report.rows}
    assert rows["Billing::Charge"].queued == {"high": 3, "low": 1}
    assert rows["Mailer"].queued == {"low": 1} and rows["Mailer"].failed == {"failed": 1}
    assert rows["(unreadable)"].queued == {"low": 1}
    assert report.listeners["low"]["ruby"] == 1


def test_pages_stay_fast_with_100000_jobs_and_10000_failures(resque: Resque) -> None:
    resque.enqueue_many("big", "Archive", ([i, "x" * 20] for i in range(100_000)))
    pipe = resque.redis.pipeline(transaction=False)
    record = (
        b'{"failed_at":"2026/11/27 16:56:53 UTC","payload":{"class":"Archive","args":[1]},'
        b'"exception":"E","error":"e","backtrace":[],"worker":"vm:1:big","queue":"big"}'
    )
    key = resque.keys.failed()
    for _ in range(10):
        pipe.rpush(key, *([record] * 1000))
    pipe.execute()
    admin = Admin.from_client(resque)
    started = time.perf_counter()
    page = admin.queue_page("big", start=99_980)
    failures = admin.failures.page(start=9_980)
    overview = admin.overview()
    elapsed = time.perf_counter() - started
    assert page.total == 100_000 and len(page.items) == 20
    assert failures.total == 10_000 and len(failures.items) == 20
    assert ("big", 100_000) in overview.queues
    assert elapsed < 0.5, f"unfiltered pages took {elapsed:.2f}s"
    filtered = admin.failures.search("failed", FailureFilter(class_name="Archive"), per_page=20)
    assert len(filtered.items) == 20 and filtered.scanned_to == 20 and filtered.next_position == 20
    missing = admin.failures.search("failed", FailureFilter(class_name="Nope"), budget=2_000)
    assert missing.items == [] and (missing.scanned_from, missing.scanned_to) == (0, 2_000)
    rest = admin.failures.search("failed", FailureFilter(class_name="Nope"), position=9_000, budget=2_000)
    assert rest.scanned_to == 10_000 and rest.next_position is None
