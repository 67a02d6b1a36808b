"""Real worker processes: fork per job, every signal, kill -9 of child and parent, pausing,
process titles, COUNT, the blocking wait. Rendezvous through Redis lists with BLPOP timeouts."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import redis
from worker_harness import Workers, failures, process_title, push_raw, rss_kib, workers

__all__ = ["workers"]


def slow(seconds: float) -> bytes:
    return b'{"class":"Slow","args":[%s]}' % str(seconds).encode()


def test_a_forked_job_shows_ruby_what_a_ruby_worker_shows(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", slow(30))
    child_pid = int(workers.next("started") or 0)
    wid = workers.worker_id(proc)
    # The parent and the child carry Resque's titles, which Ruby's pruner and monit look for.
    assert process_title(proc.pid).startswith(f"resque-3.0.0: Forked {child_pid} at ")
    assert process_title(child_pid).startswith("resque-3.0.0: Processing slow since ")
    assert process_title(child_pid).endswith(" [Slow]")
    working = json.loads(redis_client.get(f"{namespace}:worker:{wid}") or b"null")
    assert working["queue"] == "slow" and working["payload"] == {"class": "Slow", "args": [30]}
    assert redis_client.hexists(f"{namespace}:workers:heartbeat", wid)
    # TERM: shutdown hooks, the child is killed, its job is a DirtyExit failure, the worker goes.
    assert workers.stop(proc, signal.SIGTERM) == 0
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "Resque::DirtyExit",
        f"Child process received unhandled signal pid {child_pid} SIGKILL (signal 9)",
    )
    assert redis_client.get(f"{namespace}:stat:failed") is None
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"
    assert redis_client.smembers(f"{namespace}:workers") == set()
    assert workers.all("hooks") == [
        "before_first_fork",
        "before_fork Slow",
        f"after_fork Slow {child_pid}",
        "shutdown",
        "worker_exit",
    ]


def test_what_a_before_fork_hook_leaves_in_stdouts_buffer_is_written_once_not_again_by_each_child(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    # As Ruby's Process.fork, the worker flushes stdout and stderr before it forks, so a child
    # does not inherit and write again what the parent had buffered.
    out = tmp_path / "stdout"
    with out.open("wb") as sink:
        proc = workers.start(QUEUE="echo", stdout=sink, BEFORE_FORK_PRINTS="1", PYTHONUNBUFFERED="")
        push_raw(redis_client, namespace, "echo", *[b'{"class":"Echo","args":[%d]}' % i for i in range(3)])
        assert [workers.next("echo") for _ in range(3)] == ["[0]", "[1]", "[2]"]
        assert workers.stop(proc) == 0
    assert out.read_text().count("before-fork-mark") == 3, out.read_text()


def test_quit_lets_the_job_finish_then_the_worker_exits(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", slow(0.5), slow(0.1))
    child_pid = workers.next("started")
    proc.send_signal(signal.SIGQUIT)
    assert workers.stop(proc) == 0
    assert workers.all("finished") == [child_pid]
    assert redis_client.llen(f"{namespace}:queue:slow") == 1
    assert failures(redis_client, namespace) == []


def test_usr1_kills_the_child_and_the_worker_takes_the_next_job(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", slow(30), b'{"class":"Echo","args":["next"]}')
    workers.next("started")
    proc.send_signal(signal.SIGUSR1)
    assert workers.next("echo") == '["next"]'
    assert proc.poll() is None
    assert [f["exception"] for f in failures(redis_client, namespace)] == ["Resque::DirtyExit"]
    assert workers.stop(proc) == 0


def test_term_child_lets_the_job_see_term_and_record_its_own_failure(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="slow", TERM_CHILD="1", RESQUE_TERM_TIMEOUT="10")
    push_raw(redis_client, namespace, "slow", slow(30))
    workers.next("started")
    assert workers.stop(proc, signal.SIGTERM) == 0
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == ("Resque::TermException", "SIGTERM")
    assert any("in `slow'" in frame for frame in record["backtrace"])
    assert redis_client.get(f"{namespace}:stat:failed") == b"1"


def test_without_term_child_a_child_ignores_the_worker_signals_sent_straight_to_it(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="held")
    push_raw(redis_client, namespace, "held", b'{"class":"Held","args":["gate"]}')
    child_pid = int(workers.next("started") or 0)
    for sig in (
        signal.SIGQUIT,
        signal.SIGINT,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGCONT,
        signal.SIGTERM,
    ):
        os.kill(child_pid, sig)
    redis_client.rpush(workers.key("gate"), "go")
    assert workers.next("finished") == "gate"
    assert workers.stop(proc) == 0
    assert failures(redis_client, namespace) == []
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"
    assert workers.all("hooks")[-2:] == ["shutdown", "worker_exit"]  # the worker itself heard none


def test_with_term_child_quit_sent_to_a_child_ends_it_by_its_default_action(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="held", TERM_CHILD="1")
    push_raw(redis_client, namespace, "held", b'{"class":"Held","args":["gate"]}')
    child_pid = int(workers.next("started") or 0)
    os.kill(child_pid, signal.SIGQUIT)
    failed = f"{namespace}:failed"
    assert redis_client.blmove(failed, failed, 15, "LEFT", "LEFT") is not None  # the record is in
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "Resque::DirtyExit",
        f"Child process received unhandled signal pid {child_pid} SIGQUIT (signal 3)",
    )
    assert proc.poll() is None
    assert workers.stop(proc) == 0


def test_graceful_term_behaves_like_quit(workers: Workers, redis_client: redis.Redis, namespace: str) -> None:
    proc = workers.start(QUEUE="slow", GRACEFUL_TERM="1")
    push_raw(redis_client, namespace, "slow", slow(0.3))
    child_pid = workers.next("started")
    proc.send_signal(signal.SIGTERM)
    assert workers.stop(proc) == 0
    assert workers.all("finished") == [child_pid]
    assert failures(redis_client, namespace) == []


def test_usr2_pauses_and_cont_resumes(workers: Workers, redis_client: redis.Redis, namespace: str) -> None:
    proc = workers.start(QUEUE="q")
    proc.send_signal(signal.SIGUSR2)
    assert workers.next("hooks") == "before_first_fork"
    assert workers.next("hooks") == "before_pause"
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":["after pause"]}')
    # Paused: the job stays queued across several polling intervals.
    assert workers.next("echo", timeout=0.6) is None
    assert redis_client.llen(f"{namespace}:queue:q") == 1
    assert process_title(proc.pid) == "resque-3.0.0: Paused"
    proc.send_signal(signal.SIGCONT)
    assert workers.next("echo") == '["after pause"]'
    assert workers.next("hooks") == "after_pause"
    assert workers.stop(proc) == 0


def test_a_child_that_dies_by_kill_9_or_segfault_is_a_dirty_exit_and_exit_codes_are_not(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(
        redis_client,
        namespace,
        "q",
        b'{"class":"KillSelf","args":[]}',
        b'{"class":"Segfault","args":[]}',
        b'{"class":"ExitCode","args":[3]}',
        b'{"class":"Echo","args":["done"]}',
    )
    proc = workers.start(QUEUE="q")
    assert workers.next("echo") == '["done"]'
    errors = [f["error"] for f in failures(redis_client, namespace)]
    assert len(errors) == 2
    assert errors[0].endswith("SIGKILL (signal 9)") and errors[1].endswith("SIGSEGV (signal 11)")
    assert workers.stop(proc) == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"4"


def test_a_parent_killed_with_kill_9_is_pruned_by_the_next_worker(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    first = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", slow(30))
    child_pid = int(workers.next("started") or 0)
    dead_id = workers.worker_id(first)
    first.kill()
    first.wait()
    os.kill(child_pid, signal.SIGKILL)  # the orphaned child of the killed worker
    # Given the first worker's pruning lock has expired (it lives one heartbeat interval)
    redis_client.delete(f"{namespace}:pruning_dead_workers_in_progress")
    second = workers.start(QUEUE="slow")
    assert dead_id.encode() not in redis_client.smembers(f"{namespace}:workers")  # type: ignore[operator]
    (record,) = failures(redis_client, namespace)
    assert (record["worker"], record["exception"], record["error"]) == (
        dead_id,
        "Resque::DirtyExit",
        "Job still being processed",
    )
    assert workers.stop(second) == 0


def test_a_job_that_leaks_memory_does_not_grow_the_forking_parent(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="q")
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":[]}')
    workers.next("echo")
    before = rss_kib(proc.pid)
    push_raw(redis_client, namespace, "q", *[b'{"class":"Leak","args":[40]}'] * 5)
    for _ in range(5):
        assert workers.next("leaked") is not None
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":[]}')
    workers.next("echo")
    assert rss_kib(proc.pid) - before < 10 * 1024
    assert workers.stop(proc) == 0


def test_count_runs_several_workers_that_ctrl_c_stops_together(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(wait_ready=False, QUEUE="q", COUNT="2")
    push_raw(redis_client, namespace, "q", slow(30), slow(30))
    # Each worker is busy with one job, so both are registered and working.
    started = {workers.next("started"), workers.next("started")}
    assert len(started) == 2
    ids = {w.decode() for w in redis_client.smembers(f"{namespace}:workers")}  # type: ignore[union-attr]
    assert len(ids) == 2 and str(proc.pid) not in {i.split(":")[1] for i in ids}
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0
    assert redis_client.smembers(f"{namespace}:workers") == set()
    assert len(failures(redis_client, namespace)) == 2


def test_the_blocking_wait_starts_a_job_long_before_the_polling_interval(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="low,high", INTERVAL="30", RESQUE_BLOCKING_WAIT="1", FORK_PER_JOB="false")
    assert workers.next("hooks") == "before_first_fork"
    push_raw(redis_client, namespace, "high", b'{"class":"Echo","args":["high"]}')
    assert workers.next("echo", timeout=5) == '["high"]'
    wid = workers.worker_id(proc)
    assert redis_client.get(f"{namespace}:stat:processed:{wid}") in (b"1", None)
    assert workers.stop(proc) == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"


def test_on_one_queue_the_blocking_wait_leaves_jobs_in_redis_until_the_atomic_reserve_takes_them(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    # Given a worker blocked on a single queue (BLMOVE from the head to the head: nothing taken)
    proc = workers.start(QUEUE="q", INTERVAL="30", RESQUE_BLOCKING_WAIT="1", FORK_PER_JOB="false")
    assert workers.next("hooks") == "before_first_fork"
    # When jobs arrive long before the polling interval would end
    push_raw(redis_client, namespace, "q", *(f'{{"class":"Echo","args":[{i}]}}'.encode() for i in range(3)))
    # Then they run at once, in order, and the queue is left empty with nothing lost
    assert [workers.next("echo", timeout=5) for _ in range(3)] == ["[0]", "[1]", "[2]"]
    assert redis_client.llen(f"{namespace}:queue:q") == 0
    assert workers.stop(proc) == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"3"


def test_pidfile_holds_the_pid_the_worker_registers_under(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Any
) -> None:
    pidfile = tmp_path / "worker.pid"
    proc = workers.start(QUEUE="q", PIDFILE=str(pidfile))
    assert pidfile.read_text() == str(proc.pid)
    assert workers.stop(proc) == 0


def test_a_blocking_worker_on_a_wildcard_serves_a_queue_created_while_it_waits(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    # Given a blocking worker on QUEUE=* idle on the one queue that exists
    push_raw(redis_client, namespace, "first", b'{"class":"Echo","args":["first"]}')
    proc = workers.start(QUEUE="*", INTERVAL="30", RESQUE_BLOCKING_WAIT="1", FORK_PER_JOB="false")
    assert workers.next("echo", timeout=5) == '["first"]'
    # (blocked in its wait: polling Redis's count of blocked clients, there is no event for it)
    deadline = time.monotonic() + 10
    while int(redis_client.info("clients")["blocked_clients"]) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert int(redis_client.info("clients")["blocked_clients"]) >= 1
    # When a job arrives on a queue created after it started waiting
    push_raw(redis_client, namespace, "later", b'{"class":"Echo","args":["later"]}')
    # Then it runs within a wait's slice or two, long before the polling interval
    assert workers.next("echo", timeout=5) == '["later"]'
    assert workers.stop(proc) == 0
