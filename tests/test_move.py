"""``resque-compat move``: atomic per job, resumable, and safe under ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
import redis
from click.testing import CliRunner, Result

from resque_compat import Resque
from resque_compat.activejob import enqueue as enqueue_active_job
from resque_compat.cli import main
from resque_compat.migrate import access
from resque_compat.migrate.move import Selector, Source, plan_window, run_move
from resque_compat.protocol import FailureRecord, decode, encode_job
from resque_compat.store.migration import Transfer


def cli(redis_url: str, namespace: str, *args: str) -> Result:
    """The real command, run in this process (the kill test below runs it as its own process)."""
    return CliRunner().invoke(main, ["-r", redis_url, "-N", namespace, *args])


def fill(resque: Resque, queue: str, n: int) -> None:
    """``n`` jobs alternating Mover/Stayer, each with a unique id as its argument."""
    resque.enqueue_many(queue, "Mover", ([i] for i in range(0, n, 2)))
    jobs = [encode_job("Mover" if i % 2 == 0 else "Stayer", [i]) for i in range(n)]
    resque.redis.delete(resque.keys.queue(queue))
    resque.queue_store.push_many(queue, jobs)


def contents(resque: Resque, queue: str) -> list[tuple[str, int]]:
    return [(j["class"], j["args"][0]) for j in map(decode, resque.queue_store.everything_in_queue(queue))]


def test_a_move_takes_only_the_chosen_class_and_keeps_both_queues_in_order(resque: Resque) -> None:
    fill(resque, "src", 40)
    report = run_move(access(resque), Source("src"), Selector(frozenset({"Mover"})), "dst", batch=7)
    assert report.total == 20 and report.moved == {("Mover", "dst"): 20}
    assert contents(resque, "dst") == [("Mover", i) for i in range(0, 40, 2)]
    assert contents(resque, "src") == [("Stayer", i) for i in range(1, 40, 2)]
    assert "dst" in resque.queues()


def test_a_dry_run_reports_what_would_move_and_moves_nothing(resque: Resque) -> None:
    fill(resque, "src", 10)
    before = resque.queue_store.everything_in_queue("src")
    report = run_move(access(resque), Source("src"), Selector(frozenset({"Mover"})), "dst", dry_run=True)
    assert (report.total, report.dry_run) == (5, True)
    assert [s.index for s in report.samples] == [0, 2, 4, 6, 8]
    assert resque.queue_store.everything_in_queue("src") == before and resque.size("dst") == 0


def test_active_job_jobs_are_chosen_by_their_inner_class_and_by_arguments(resque: Resque) -> None:
    enqueue_active_job(resque, "SendInvoiceJob", [1])
    enqueue_active_job(resque, "SendInvoiceJob", [2])
    enqueue_active_job(resque, "ReportJob", [1])
    store = access(resque)
    report = run_move(store, Source("default"), Selector(frozenset({"SendInvoiceJob"}), args=[2]), "python")
    assert report.moved == {("SendInvoiceJob", "python"): 1}
    moved = decode(resque.queue_store.everything_in_queue("python")[0])
    assert moved["args"][0]["arguments"] == [2]
    report = run_move(store, Source("default"), Selector(grep=b'"ReportJob"'), "python")
    assert report.moved == {("ReportJob", "python"): 1} and resque.size("default") == 1


def test_failures_go_back_to_their_own_queue_as_their_payload(resque: Resque) -> None:
    # Given failures of two classes from two queues, one payload with an extra key
    for cls, queue in (("Mover", "low"), ("Stayer", "low"), ("Mover", "high")):
        resque.failure.save(
            FailureRecord(
                payload={"class": cls, "args": [queue], "jid": "x1"},
                exception="RuntimeError",
                error="boom",
                backtrace=[],
                worker="h:1:low",
                queue=queue,
            )
        )
    # When the Mover failures move back
    report = run_move(access(resque), Source("failed", failed=True), Selector(frozenset({"Mover"})), None)
    # Then each is on the queue it failed on, whole, and its record is gone
    assert report.moved == {("Mover", "low"): 1, ("Mover", "high"): 1}
    assert decode(resque.queue_store.everything_in_queue("low")[0]) == {
        "class": "Mover",
        "args": ["low"],
        "jid": "x1",
    }
    assert resque.size("high") == 1
    assert [e.class_name for e in resque.failure.all(0, 10)] == ["Stayer"]


def test_failures_can_be_chosen_by_exception_and_sent_to_one_queue(resque: Resque) -> None:
    for exc in ("Net::ReadTimeout", "ArgumentError", "Net::ReadTimeout"):
        resque.failure.save(
            FailureRecord(
                payload={"class": "Fetch", "args": []},
                exception=exc,
                error="e",
                backtrace=[],
                worker="h:1:low",
                queue="low",
            )
        )
    selector = Selector(exceptions=frozenset({"Net::ReadTimeout"}))
    report = run_move(access(resque), Source("failed", failed=True), selector, "retry")
    assert report.total == 2 and resque.size("retry") == 2 and resque.failure.count() == 1


def test_an_unreadable_failure_is_reported_and_left_where_it_is(resque: Resque) -> None:
    resque.failed_store.push_to_failed_queue(b"{not json")
    report = run_move(access(resque), Source("failed", failed=True), Selector(), "q")
    assert report.total == 0 and report.skipped[0].reason == "not JSON"
    assert resque.failed_store.items(0, 5) == [b"{not json"]


def test_entries_shifted_by_workers_popping_the_head_are_still_found(resque: Resque) -> None:
    # Given a window planned at indexes 10.., and then a worker pops 3 jobs from the head
    fill(resque, "src", 20)
    store = access(resque)
    raws = store.window("queue:src", 10, 10)
    planned, _ = plan_window(Source("src"), 10, raws, Selector(frozenset({"Mover"})), "dst")
    for _ in range(3):
        resque.reserve("src")
    # When the batch is applied with the old indexes
    transfers = [Transfer(p.index, p.raw, p.out) for p in planned]
    flags = store.move_to_queue("queue:src", "dst", transfers, b"sentinel")
    # Then every job moved once, found at its new place
    assert flags == [True] * 5
    assert contents(resque, "dst") == [("Mover", i) for i in range(10, 20, 2)]
    assert [a for _, a in contents(resque, "src")] == [3, 4, 5, 6, 7, 8, 9, 11, 13, 15, 17, 19]


def test_a_job_a_worker_took_first_is_not_moved_twice(resque: Resque) -> None:
    fill(resque, "src", 4)
    store = access(resque)
    planned, _ = plan_window(
        Source("src"), 0, store.window("queue:src", 0, 4), Selector(frozenset({"Mover"})), "dst"
    )
    resque.reserve("src")  # a worker takes Mover 0
    transfers = [Transfer(p.index, p.raw, p.out) for p in planned]
    flags = store.move_to_queue("queue:src", "dst", transfers, b"s")
    assert flags == [False, True]
    assert contents(resque, "dst") == [("Mover", 2)] and contents(resque, "src") == [
        ("Stayer", 1),
        ("Stayer", 3),
    ]


def test_the_command_refuses_ambiguous_sources_and_moving_a_queue_onto_itself(
    redis_url: str, namespace: str
) -> None:
    assert cli(redis_url, namespace, "move", "--to", "x").exit_code == 2
    done = cli(redis_url, namespace, "move", "--from", "a", "--to", "a", "--class", "X")
    assert done.exit_code == 2 and "same queue" in done.stderr
    done = cli(redis_url, namespace, "move", "--from", "a", "--to", "b", "--args", "{}")
    assert done.exit_code == 2 and "JSON array" in done.stderr


def test_a_move_killed_halfway_loses_and_duplicates_nothing_and_finishes_when_run_again(
    redis_url: str, namespace: str, resque: Resque, redis_client: redis.Redis
) -> None:
    # Given 12,000 jobs, half of them to move, in small batches so the move takes a while
    total = 12_000
    fill(resque, "src", total)
    cmd = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace,
           "move", "--from", "src", "--to", "dst", "--class", "Mover", "--batch", "20"]  # fmt: skip
    mover = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # When the first batch lands (we take one job from it, as a worker would) ...
        taken = redis_client.blpop([resque.keys.queue("dst")], timeout=30)
        assert taken is not None, "the move never started"
        # ... the mover is killed with SIGKILL
        os.kill(mover.pid, signal.SIGKILL)
    finally:
        mover.wait(timeout=30)
    assert mover.returncode == -signal.SIGKILL
    # Then every job is in exactly one place, and the move really was halfway
    seen: list[Any] = [
        *contents(resque, "src"),
        *contents(resque, "dst"),
        tuple(json.loads(taken[1]).values()),
    ]
    seen = [(c, a[0] if isinstance(a, list) else a) for c, a in seen]
    assert sorted(a for _, a in seen) == list(range(total))
    still_to_move = sum(1 for c, _ in contents(resque, "src") if c == "Mover")
    assert 0 < still_to_move < total // 2
    # When the same command runs again, it finishes the job
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"moved {still_to_move} job(s)" in done.stdout
    # Then all movers are in dst (plus the one taken), stayers in src in their order, nothing twice
    dst = contents(resque, "dst")
    assert sorted(a for _, a in dst) == sorted(set(range(0, total, 2)) - {seen[-1][1]})
    assert {c for c, _ in dst} == {"Mover"}
    assert contents(resque, "src") == [("Stayer", i) for i in range(1, total, 2)]


@pytest.mark.parametrize("flag", ["--json", None])
def test_the_command_prints_what_it_moved(
    redis_url: str, namespace: str, resque: Resque, flag: str | None
) -> None:
    fill(resque, "src", 6)
    args = ["move", "--from", "src", "--to", "dst", "--class", "Mover", *([flag] if flag else [])]
    done = cli(redis_url, namespace, *args)
    assert done.exit_code == 0, done.output
    if flag:
        out = json.loads(done.stdout)
        assert out["moved"] == [{"class": "Mover", "to": "dst", "count": 3}] and out["total"] == 3
    else:
        assert "moved 3 job(s)" in done.stdout


def test_delayed_jobs_of_a_class_are_retargeted_to_another_queue_in_place(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    later = 4102444800
    for n in range(3):
        resque.enqueue_at_with_queue("old", later + n, "Archive", n, 1.5)
    resque.enqueue_at_with_queue("old", later, "Other", 9)
    base = ["move", "--from-delayed", "--class", "Archive", "--to", "new"]
    dry = cli(redis_url, namespace, *base, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert (
        json.loads(dry.stdout)["matched"] == 3
        and resque.remove_delayed_in_queue("Archive", "new", 0, 1.5) == 0
    )
    done = cli(redis_url, namespace, *base, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["moved"] == 3
    assert resque.delayed_timestamp_peek(later, 0, 5) == [
        {"class": "Archive", "args": [0, 1.5], "queue": "new"},
        {"class": "Other", "args": [9], "queue": "old"},
    ]
    assert resque.delayed_store.timestamps_of(b'{"class":"Archive","args":[0,1.5],"queue":"old"}') == []
    assert resque.remove_delayed_in_queue("Archive", "new", 2, 1.5) == 1
    assert resque.count_all_scheduled_jobs() == 3
