"""``resque-compat scheduler`` as a real process on a real Redis: moving due delayed jobs, bad
items kept raw, the master lock (key, value, expiry, hand-over), recurring and dynamic schedules.

Rendezvous: a moved job lands on its queue, so tests ``BLPOP`` the queue with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_compat import Resque
from resque_compat.runtime.scheduler_lock import lock_value

WAIT = 15.0
SIGNALS = 20_000
SIGNAL_SPACING = 50e-6


class Schedulers:
    def __init__(self, redis_url: str, namespace: str, tmp: Path) -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        full = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "RESQUE_NAMESPACE": self.namespace,
            "RESQUE_SCHEDULER_INTERVAL": "0.2",
            **env,
        }
        log = open(self.tmp / f"scheduler-{len(self.procs)}.log", "ab")  # noqa: SIM115 - the child's
        cmd = [sys.executable, "-m", "resque_compat.cli", "scheduler", "-v", *args]
        proc = subprocess.Popen(cmd, env=full, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        return (self.tmp / f"scheduler-{index}.log").read_text()

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(WAIT)


@pytest.fixture
def schedulers(redis_url: str, namespace: str, tmp_path: Path, redis_client: Any) -> Iterator[Schedulers]:
    s = Schedulers(redis_url, namespace, tmp_path)
    try:
        yield s
    finally:
        s.close()


def pop(resque: Resque, queue: str, timeout: float = WAIT) -> Any:
    got: Any = resque.redis.blpop([resque.keys.queue(queue)], timeout=timeout)  # type: ignore[arg-type]
    return None if got is None else resque.decode(got[1])


def until(resque: Resque, condition: Any, timeout: float = WAIT) -> bool:
    """Wait for a state of Redis the scheduler reaches after its last push (a bounded wait on
    Redis between checks, not a sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        resque.redis.blpop([resque.keys.queue("never")], timeout=0.05)
    return True


def test_due_jobs_are_moved_to_their_queues_in_ruby_bytes_and_later_ones_wait(
    resque: Resque, schedulers: Schedulers
) -> None:
    now = int(time.time())
    for n in range(250):  # three batches of 100 at one second
        resque.delayed_push(now - 5, {"class": "Archive", "args": [n, 1.5], "queue": "files"})
    resque.enqueue_at_with_queue("files", now + 3600, "Archive", "later")
    schedulers.start(DELAYED_REQUEUE_BATCH_SIZE="100")
    first = pop(resque, "files")
    assert first == {"class": "Archive", "args": [0, 1.5]}
    rest = [pop(resque, "files") for _ in range(249)]
    assert [job["args"][0] for job in rest] == list(range(1, 250))
    assert until(resque, lambda: resque.delayed_queue_schedule_size() == 1)
    assert resque.delayed_queue_peek(0, 10) == [now + 3600]
    assert resque.count_all_scheduled_jobs() == 1
    assert (
        resque.redis.exists(resque.keys.timestamps(b'{"class":"Archive","args":[0,1.5],"queue":"files"}'))
        == 0
    )


def test_items_that_cannot_become_jobs_are_kept_raw_and_reported_and_the_rest_move(
    resque: Resque, schedulers: Schedulers
) -> None:
    now = int(time.time())
    bad = [b"not json \xff", b'["an","array"]', b'{"args":[1]}', b'{"class":"NoQueue","args":[]}']
    for raw in bad:
        resque.redis.rpush(resque.keys.delayed(now - 1), raw)
    resque.redis.rpush(resque.keys.delayed(now - 1), b'{"class":"Good","args":[1],"queue":"q"}')
    resque.redis.zadd(resque.keys.delayed_queue_schedule(), {str(now - 1): now - 1, "not-a-number": 0})
    resque.redis.rpush(resque.keys.delayed_member(b"not-a-number"), b'{"class":"Lost","args":[],"queue":"q"}')
    schedulers.start()
    assert pop(resque, "q") == {"class": "Good", "args": [1]}
    assert until(
        resque,
        lambda: resque.delayed_store.unmovable_size() == 5 and not resque.delayed_queue_schedule_size(),
    )
    assert sorted(resque.delayed_store.unmovable(0, 10)) == sorted(
        [*bad, b'{"class":"Lost","args":[],"queue":"q"}']
    )
    assert resque.delayed_queue_schedule_size() == 0
    assert "not-a-number" in schedulers.log(0) and "not json" in schedulers.log(0)


def test_the_master_lock_has_ruby_s_key_value_and_expiry_and_is_handed_over(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis
) -> None:
    a = schedulers.start(LOCK_TIMEOUT="3")
    now = int(time.time())
    resque.enqueue_at_with_queue("q", now + 1, "Job", "first")
    assert pop(resque, "q") == {"class": "Job", "args": ["first"]}
    key = f"{resque.namespace}:{resque.namespace}:resque_scheduler_master_lock"
    assert redis_client.get(key) == lock_value(a.pid).encode()
    assert 0 < redis_client.ttl(key) <= 3
    b = schedulers.start(LOCK_TIMEOUT="3")
    # b is a child scheduler while a holds the lock; a killed master's lock expires, then b takes it
    os.killpg(a.pid, signal.SIGKILL)
    a.wait(WAIT)
    resque.enqueue_at_with_queue("q", int(time.time()), "Job", "second-now")  # due: enqueued at once
    resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": ["second"], "queue": "q"})
    assert pop(resque, "q") == {"class": "Job", "args": ["second-now"]}
    assert pop(resque, "q") == {"class": "Job", "args": ["second"]}
    assert redis_client.get(key) == lock_value(b.pid).encode()
    # TERM: b finishes, releases the lock at once (no expiry wait)
    b.send_signal(signal.SIGTERM)
    assert b.wait(WAIT) == 0
    assert redis_client.get(key) is None


def test_the_lock_prefix_setting_adds_a_segment_as_ruby_does(resque: Resque, schedulers: Schedulers) -> None:
    proc = schedulers.start(RESQUE_SCHEDULER_MASTER_LOCK_PREFIX="app1")
    resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": [], "queue": "q"})
    assert pop(resque, "q") is not None
    key = f"{resque.namespace}:{resque.namespace}:app1:resque_scheduler_master_lock"
    assert resque.redis.get(key) == lock_value(proc.pid).encode()


def test_a_recurring_schedule_from_a_file_fires_and_records_when(
    resque: Resque, schedulers: Schedulers, tmp_path: Path
) -> None:
    path = tmp_path / "schedule.yml"
    path.write_text(
        "tick:\n  every: ['1s', {first_in: 0.2}]\n  class: Tick\n  queue: ticks\n  args: [1, two]\n"
        "skipped:\n  every: 1s\n  class: Skip\n  queue: ticks\n  rails_env: production\n"
        "Nightly:\n  cron: '0 3 * * * Europe/Paris'\n  queue: ticks\n"
    )
    schedulers.start("--schedule", str(path), RAILS_ENV="staging")
    assert pop(resque, "ticks") == {"class": "Tick", "args": [1, "two"]}
    assert pop(resque, "ticks") == {"class": "Tick", "args": [1, "two"]}
    assert resque.get_last_enqueued_at("tick") is not None
    assert resque.get_last_enqueued_at("skipped") is None


def test_a_dynamic_schedule_set_while_running_is_picked_up_and_removed(
    resque: Resque, schedulers: Schedulers
) -> None:
    schedulers.start(DYNAMIC_SCHEDULE="true")
    resque.set_schedule(
        "dyn", {"every": ["1s", {"first_in": "0s"}], "class": "Dyn", "queue": "d", "persist": True}
    )
    assert pop(resque, "d") == {"class": "Dyn", "args": []}
    resque.remove_schedule("dyn")
    assert until(resque, lambda: not resque.redis.scard(resque.keys.schedules_changed()))
    resque.redis.delete(resque.keys.queue("d"))
    assert pop(resque, "d", timeout=2.5) is None


def test_connections_killed_mid_batch_lose_and_duplicate_no_job(redis_url: str, resque: Resque) -> None:
    import logging
    import threading

    from resque_compat.runtime.delayed_mover import DelayedMover
    from resque_compat.store import REDIS_UNAVAILABLE, connect

    mover_client = connect(redis_url, client_name="mover-under-test")
    mover_resque = Resque(mover_client, namespace=resque.namespace)
    now = int(time.time())
    total = 3000
    resque.delayed_store.delayed_push_many(
        (now - 1 - n % 3, f'{{"class":"J","args":[{n}],"queue":"q"}}'.encode()) for n in range(total)
    )
    mover = DelayedMover(mover_resque.delayed_store, mover_resque.profile, {}, logging.getLogger("test"), 50)
    stop = threading.Event()
    killed = 0

    def killer() -> None:
        nonlocal killed
        while not stop.is_set():
            for line in resque.redis.client_list():
                if line.get("name") == "mover-under-test":
                    with contextlib.suppress(redis.ResponseError):
                        resque.redis.client_kill_filter(_id=line["id"])
                        killed += 1
            stop.wait(0.002)

    thread = threading.Thread(target=killer)
    thread.start()
    errors = 0
    try:
        while resque.delayed_queue_schedule_size():
            try:
                mover.handle_delayed_items()
            except REDIS_UNAVAILABLE:
                errors += 1
    finally:
        stop.set()
        thread.join()
        mover_client.close()
    moved = [resque.decode(raw)["args"][0] for raw in resque.queue_store.everything_in_queue("q")]
    assert sorted(moved) == list(range(total)), f"{len(moved)} moved, {len(set(moved))} distinct"
    assert resque.keys_in_namespace() == ["queue:q", "queues"]
    assert killed > 0 and errors > 0


def test_a_node_resque_scheduler_s_lock_keeps_this_one_standing_by_and_its_items_move_after(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis
) -> None:
    node_key = f"{resque.namespace}:resque_scheduler_leader_lock"  # node-resque 7+: one prefix
    ours = f"{resque.namespace}:{resque.namespace}:resque_scheduler_master_lock"
    redis_client.set(node_key, "node-host:4242", ex=60)
    # node-resque's own layout: class, queue, args
    resque.delayed_push(int(time.time()) - 1, {"class": "Node", "queue": "q", "args": [1]})
    schedulers.start()
    assert until(resque, lambda: "node-host:4242" in schedulers.log(0))
    assert "standing by" in schedulers.log(0)
    assert redis_client.get(ours) is None
    assert resque.count_all_scheduled_jobs() == 1
    redis_client.delete(node_key)
    assert pop(resque, "q") == {"class": "Node", "args": [1]}
    assert redis_client.get(ours) is not None
    # a node-resque before 7.0 starting beside the master finds its lock (one prefix) held by it
    old_key = f"{resque.namespace}:resque_scheduler_master_lock"
    assert not redis_client.set(old_key, "old-node:7", ex=60, nx=True)
    assert redis_client.get(old_key) == redis_client.get(ours)


def test_pidfile_holds_the_scheduler_s_pid_while_it_runs_and_is_removed_on_term(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis, tmp_path: Path
) -> None:
    pidfile = tmp_path / "run" / "scheduler.pid"
    pidfile.parent.mkdir()
    proc = schedulers.start(PIDFILE=str(pidfile))
    resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": [1], "queue": "q"})
    assert pop(resque, "q") == {"class": "Job", "args": [1]}  # running: the pid file is written
    assert pidfile.read_text() == f"{proc.pid}\n"  # File.open(pidfile, 'w') { |f| f.puts pid }
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(WAIT) == 0
    assert not pidfile.exists()  # Env#cleanup_pid_file


def test_background_detaches_a_daemon_that_keeps_working_and_writes_its_own_pid(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis, tmp_path: Path
) -> None:
    pidfile, logfile = tmp_path / "scheduler.pid", tmp_path / "scheduler.log"
    key = f"{resque.namespace}:{resque.namespace}:resque_scheduler_master_lock"
    launcher = schedulers.start(BACKGROUND="1", PIDFILE=str(pidfile), LOGFILE=str(logfile))
    assert launcher.wait(WAIT) == 0  # the command returns at once; the daemon carries on
    daemon = 0
    try:
        assert until(resque, lambda: redis_client.get(key) is not None)
        daemon = int(pidfile.read_text())
        assert daemon != launcher.pid
        assert redis_client.get(key) == lock_value(daemon).encode()  # the daemon is the master
        assert os.getsid(daemon) != os.getsid(0)  # detached from the test's session
        resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": ["bg"], "queue": "q"})
        assert pop(resque, "q") == {"class": "Job", "args": ["bg"]}  # its Redis connection is its own
        assert "Starting" in logfile.read_text()
        assert schedulers.log(0) == ""  # nothing on the launcher's terminal
        os.kill(daemon, signal.SIGTERM)
        assert until(resque, lambda: redis_client.get(key) is None and not pidfile.exists())
    finally:
        if daemon:
            with contextlib.suppress(ProcessLookupError):
                os.kill(daemon, signal.SIGKILL)


def test_signals_landing_at_any_point_of_the_poll_loop_never_wedge_the_scheduler(
    resque: Resque, schedulers: Schedulers
) -> None:
    """A handler that took a lock (``threading.Event.set``) waited forever when its signal landed
    while the main thread held that lock in its sleep: the self-pipe takes none. Thousands of
    signals, a few microseconds apart (no two handlers nest), reach the loop at every point."""
    proc = schedulers.start(RESQUE_SCHEDULER_INTERVAL="0.001")
    resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": [1], "queue": "q"})
    assert pop(resque, "q") == {"class": "Job", "args": [1]}  # running, signal handlers installed
    for _ in range(SIGNALS):
        proc.send_signal(signal.SIGUSR1)  # print the schedule: a log line
        spaced = time.perf_counter() + SIGNAL_SPACING
        while time.perf_counter() < spaced:
            pass
    resque.delayed_push(int(time.time()) - 1, {"class": "Job", "args": [2], "queue": "q"})
    assert pop(resque, "q") == {"class": "Job", "args": [2]}  # still polling
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(WAIT) == 0
