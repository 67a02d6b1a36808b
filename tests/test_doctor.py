"""``resque-compat doctor``: what breaks Ruby's tools, and repairs that keep a copy of everything."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from resque_compat import Resque
from resque_compat.cli import main
from resque_compat.migrate import access, doctor_run
from resque_compat.migrate.doctor import Finding, examine
from resque_compat.protocol import FailureRecord, decode
from resque_compat.protocol.times import format_heartbeat, format_started

WORKER = "host1:100:default"


def findings(resque: Resque, payloads: bool = True) -> list[Finding]:
    store = access(resque)
    snap = doctor_run.snapshot(store)
    return [*examine(snap), *(doctor_run.scan_lists(store, snap) if payloads else [])]


def checks(found: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.check, f.severity, f.key) for f in found}


def copies(resque: Resque) -> list[dict[str, object]]:
    return [decode(r) for r in resque.redis.lrange(resque.keys.physical(doctor_run.COPY_LIST), 0, -1)]  # type: ignore[union-attr]


def register_worker(resque: Resque, worker_id: str = WORKER, beat: str | None = "now") -> None:
    resque.worker_registry.register_worker(worker_id, format_started())
    if beat == "now":
        resque.worker_registry.heartbeat_now(worker_id, format_heartbeat(datetime.now(timezone.utc)))
    elif beat is not None:
        resque.worker_registry.heartbeat_now(worker_id, beat)


def test_a_healthy_deployment_has_nothing_to_report(resque: Resque) -> None:
    resque.enqueue_to("default", "Archive", 1)
    register_worker(resque)
    assert findings(resque) == []


def test_jobs_a_ruby_worker_would_die_on_go_to_the_failed_list_with_their_raw_text(resque: Resque) -> None:
    # Given a queue with two entries Ruby cannot run between good jobs
    resque.enqueue_to("default", "Archive", 1)
    resque.queue_store.push_to_queue("default", b"{oops")
    resque.queue_store.push_to_queue("default", b'{"args":[1]}')
    resque.enqueue_to("default", "Archive", 2)
    found = findings(resque)
    assert checks(found) == {("bad-payload", "error", "queue:default")}
    assert [f.index for f in found] == [1, 2]
    # When the doctor repairs
    fixed = doctor_run.repair(access(resque), found, resque.profile)
    # Then the good jobs remain in order and the bad ones are failures keeping their text
    assert fixed.repaired == {"bad-payload": 2}
    assert [decode(r)["args"] for r in resque.queue_store.everything_in_queue("default")] == [[1], [2]]
    records = [e.record for e in resque.failure.all(0, 10)]
    assert [(r["exception"], r["payload"]["args"], r["queue"]) for r in records if r] == [
        ("Resque::Helpers::DecodeException", ["{oops"], "default"),
        ("ResqueCompat::InvalidPayload", ['{"args":[1]}'], "default"),
    ]
    assert findings(resque) == []


def test_failure_records_the_failed_page_cannot_render_are_copied_out(resque: Resque) -> None:
    resque.failed_store.push_to_failed_queue(b"not json")
    resque.failure.save(
        FailureRecord(
            payload={"class": "A", "args": []},
            exception="E",
            error="e",
            backtrace=[],
            worker=WORKER,
            queue="q",
        )
    )
    record = decode(resque.failed_store.item(1) or b"")
    record["failed_at"] = "yesterday-ish"
    resque.failed_store.push_to_failed_queue(resque.encode(record))
    found = findings(resque)
    assert checks(found) == {("bad-failure", "error", "failed"), ("failed-at-time", "error", "failed")}
    fixed = doctor_run.repair(access(resque), found)
    assert fixed.repaired == {"bad-failure": 1}
    assert resque.failure.count() == 2
    assert [(c["check"], c["key"], c["value"]) for c in copies(resque)] == [
        ("bad-failure", "failed", "not json")
    ]


def test_a_heartbeat_ruby_cannot_parse_is_removed_unless_it_changed_meanwhile(resque: Resque) -> None:
    register_worker(resque, beat="1700000000")
    found = findings(resque, payloads=False)
    assert checks(found) == {("heartbeat-time", "error", "workers:heartbeat")}
    # A worker that heartbeats between the check and the repair keeps its new heartbeat
    fresh = format_heartbeat(datetime.now(timezone.utc))
    resque.worker_registry.heartbeat_now(WORKER, fresh)
    fixed = doctor_run.repair(access(resque), found)
    assert fixed.repaired == {} and len(fixed.missed) == 1
    assert resque.heartbeats() == {WORKER: fresh}
    # Otherwise it goes, with a copy kept
    resque.worker_registry.heartbeat_now(WORKER, "1700000000")
    fixed = doctor_run.repair(access(resque), findings(resque, payloads=False))
    assert fixed.repaired == {"heartbeat-time": 1} and resque.heartbeats() == {}
    assert copies(resque)[-1]["value"] == "1700000000" and copies(resque)[-1]["field"] == WORKER


def test_heartbeats_are_judged_against_ruby_prune_interval(resque: Resque) -> None:
    old = format_heartbeat(datetime.now(timezone.utc) - timedelta(seconds=400))
    register_worker(resque, "host1:1:q", beat=old)  # registered, expired: Ruby prunes it
    register_worker(resque, "host1:2:q", beat=None)  # registered, never heartbeats
    resque.worker_registry.heartbeat_now("host2:3:q", old)  # orphan, expired
    resque.worker_registry.heartbeat_now(
        "host2:4:q", format_heartbeat(datetime.now(timezone.utc))
    )  # starting
    found = findings(resque, payloads=False)
    assert {(f.check, f.worker, f.repair) for f in found} == {
        ("heartbeat-expired", "host1:1:q", None),
        ("no-heartbeat", "host1:2:q", None),
        ("orphan-heartbeat", "host2:3:q", "remove-heartbeat"),
    }
    doctor_run.repair(access(resque), found)
    assert set(resque.heartbeats()) == {"host1:1:q", "host2:4:q"}


def test_a_worker_id_without_three_parts_is_removed_with_its_keys_copied(resque: Resque) -> None:
    resque.redis.sadd(resque.keys.workers(), "garbage")
    resque.redis.set(
        resque.keys.worker("garbage"), b'{"queue":"q","run_at":"2026-01-01T00:00:00Z","payload":{}}'
    )
    resque.redis.set(resque.keys.worker_stat("processed", "garbage"), 5)
    register_worker(resque, "host1:2:ns:q")  # parses (limit 3) but resque-web splits it wrongly
    found = findings(resque, payloads=False)
    assert {(f.check, f.severity, f.worker) for f in found} == {
        ("worker-id", "error", "garbage"),
        ("worker-id-colons", "warning", "host1:2:ns:q"),
    }
    fixed = doctor_run.repair(access(resque), found)
    assert fixed.repaired == {"worker-id": 1}
    assert resque.workers() == ["host1:2:ns:q"]
    assert resque.redis.exists(resque.keys.worker("garbage")) == 0
    assert {c["key"] for c in copies(resque)} == {"worker:garbage", "stat:processed:garbage", "workers"}


def test_stale_keys_of_unregistered_workers_go_and_registered_workers_keep_theirs(resque: Resque) -> None:
    register_worker(resque)
    resque.redis.set(resque.keys.worker_stat("processed", WORKER), 3)
    resque.redis.set(resque.keys.worker_stat("failed", "gone:1:q"), 2)
    resque.redis.set(resque.keys.worker_started("gone:1:q"), format_started())
    found = findings(resque, payloads=False)
    assert [(f.check, f.worker) for f in found] == [("stale-worker-keys", "gone:1:q")]
    doctor_run.repair(access(resque), found)
    assert resque.redis.exists(resque.keys.worker_stat("failed", "gone:1:q")) == 0
    assert resque.redis.get(resque.keys.worker_stat("processed", WORKER)) == b"3"
    assert {c["key"] for c in copies(resque)} == {"stat:failed:gone:1:q", "worker:gone:1:q:started"}


def test_times_resque_web_would_show_as_nan_are_reported(resque: Resque) -> None:
    register_worker(resque)
    resque.redis.set(resque.keys.worker_started(WORKER), "a while ago")
    resque.redis.set(resque.keys.worker(WORKER), b'{"queue":"q","run_at":1700000000,"payload":{"class":"A"}}')
    assert {(f.check, f.severity) for f in findings(resque, payloads=False)} == {
        ("started-time", "warning"),
        ("run-at-time", "warning"),
    }


def test_queues_and_their_lists_are_checked_against_each_other(resque: Resque) -> None:
    resque.watch_queue("drained")
    resque.redis.rpush(resque.keys.queue("hidden"), b'{"class":"A","args":[]}')
    resque.watch_queue("broken")
    resque.redis.set(resque.keys.queue("broken"), b"x")
    found = findings(resque)
    assert checks(found) == {
        ("empty-queue", "info", "queue:drained"),
        ("unlisted-queue", "warning", "queue:hidden"),
        ("queue-type", "error", "queue:broken"),
    }
    doctor_run.repair(access(resque), found)
    assert "hidden" in resque.queues()
    assert {f.check for f in findings(resque)} == {"empty-queue", "queue-type"}


def test_the_command_exits_1_while_errors_remain_and_repairs_on_request(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    resque.queue_store.push_to_queue("default", b"{oops")
    resque.redis.rpush(resque.keys.queue("hidden"), b'{"class":"A","args":[]}')
    base = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, "doctor"]
    first = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=60)
    assert first.returncode == 1, first.stderr
    assert {f["check"] for f in json.loads(first.stdout)["findings"]} == {"bad-payload", "unlisted-queue"}
    fixed = CliRunner().invoke(main, [*base[3:], "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert "repaired bad-payload: 1" in fixed.stdout and "repaired unlisted-queue: 1" in fixed.stdout
    again = CliRunner().invoke(main, [*base[3:], "--json"])
    # The emptied queue is left in `queues`, as Ruby leaves a drained one: information only.
    remaining = [(f["check"], f["severity"]) for f in json.loads(again.stdout)["findings"]]
    assert again.exit_code == 0 and remaining == [("empty-queue", "info")]


def test_with_the_multi_queue_backend_unreadable_jobs_go_to_their_queue_failed_list(resque: Resque) -> None:
    resque.queue_store.push_to_queue("low", b"{oops")
    fixed = doctor_run.repair(access(resque), findings(resque), resque.profile, multi_queue=True)
    assert fixed.repaired == {"bad-payload": 1}
    assert resque.failed_store.failed_queue_names(from_set=True) == ["low_failed"]
    (raw,) = resque.failed_store.items(0, 5, "low_failed")
    assert decode(raw)["payload"] == {"class": "ResqueCompat::UnreadablePayload", "args": ["{oops"]}


def test_broken_scheduler_state_is_found_and_repaired_keeping_every_item(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    later = 4102444800
    resque.enqueue_at_with_queue("q", later, "Good", 1)
    resque.redis.rpush(resque.keys.delayed(later), b"{oops")
    resque.redis.zadd(resque.keys.delayed_queue_schedule(), {"soon": 5, str(later + 9): later + 9})
    resque.redis.rpush(resque.keys.delayed_member(b"soon"), b'{"class":"Lost","args":[],"queue":"q"}')
    resque.enqueue_at_with_queue("q", later + 20, "Moved", 2)
    resque.redis.delete(resque.keys.delayed(later + 20))  # the list gone, its timestamps: set left
    resque.redis.zrem(resque.keys.delayed_queue_schedule(), str(later + 20))
    base = ["-r", redis_url, "-N", namespace, "doctor"]
    first = CliRunner().invoke(main, [*base, "--json"])
    assert first.exit_code == 1, first.output
    assert sorted((f["check"], f["severity"]) for f in json.loads(first.stdout)["findings"]) == [
        ("delayed-item-unreadable", "error"),
        ("delayed-timestamp-bad", "error"),
        ("delayed-timestamp-empty", "info"),
        ("delayed-timestamps-stale", "warning"),
    ]
    fixed = CliRunner().invoke(main, [*base, "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert sorted(resque.delayed_store.unmovable()) == [b'{"class":"Lost","args":[],"queue":"q"}', b"{oops"]
    assert resque.delayed_queue_peek(0, 10) == [later]
    good = b'{"class":"Good","args":[1],"queue":"q"}'
    moved = b'{"class":"Moved","args":[2],"queue":"q"}'
    assert resque.delayed_store.timestamps_of(good) == [f"delayed:{later}".encode()]
    assert resque.delayed_store.timestamps_of(moved) == []
    assert resque.delayed_timestamp_peek(later, 0, 5) == [{"class": "Good", "args": [1], "queue": "q"}]
    assert json.loads(CliRunner().invoke(main, [*base, "--json"]).stdout)["findings"] == []
