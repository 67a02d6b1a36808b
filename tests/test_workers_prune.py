"""Pruning on demand: ``resque-compat workers prune`` and ``runtime.pruning.prune`` do what Ruby's
``Resque::Worker.new(*queues).prune_dead_workers`` does from a console, against real worker
processes, some alive and some killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import redis
from worker_harness import Workers, failures, push_raw, registered, workers

from resque_compat import Resque
from resque_compat.protocol.times import format_heartbeat, from_redis_time
from resque_compat.runtime.pruning import prune

__all__ = ["workers"]  # the fixture

LOCK = "pruning_dead_workers_in_progress"


def killed_while_working(workers: Workers, client: redis.Redis, namespace: str, queue: str) -> str:
    """A real worker on ``queue`` that was SIGKILLed holding a Slow job (its child killed too);
    returns its id, still registered, with a fresh heartbeat."""
    proc = workers.start(QUEUE=queue)
    push_raw(client, namespace, queue, b'{"class":"Slow","args":[30]}')
    child = int(workers.next("started") or 0)
    dead = workers.worker_id(proc)
    proc.kill()
    proc.wait()
    os.kill(child, signal.SIGKILL)
    return dead


def test_a_killed_worker_on_this_host_is_pruned_and_a_live_one_is_kept(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    dead = killed_while_working(workers, redis_client, namespace, "slow")
    alive = workers.worker_id(workers.start(QUEUE="slow"))
    redis_client.delete(f"{namespace}:{LOCK}")  # the live worker's start-up lock has run out
    assert prune(resque, ["slow"]) == [dead]
    # the live one registers just after its before_first_fork hook said it was ready
    assert registered(redis_client, namespace, 1) == {alive}
    (record,) = failures(redis_client, namespace)
    assert (record["worker"], record["exception"], record["payload"]["class"]) == (
        dead,
        "Resque::DirtyExit",
        "Slow",
    )
    # The lock now holds this pruner's id for one heartbeat interval, as Ruby's SET NX EX does.
    assert redis_client.get(f"{namespace}:{LOCK}") == f"{socket.gethostname()}:{os.getpid()}:slow".encode()
    assert 0 < redis_client.ttl(f"{namespace}:{LOCK}") <= 60


def test_while_another_pruner_holds_the_lock_nothing_is_pruned(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    dead = killed_while_working(workers, redis_client, namespace, "slow")  # its start-up took the lock
    assert prune(resque, ["slow"]) is None
    assert dead in resque.workers() and failures(redis_client, namespace) == []


def test_only_the_same_queue_set_is_pruned_by_pid_unless_the_pruner_listens_on_star(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    dead = killed_while_working(workers, redis_client, namespace, "slow")
    redis_client.delete(f"{namespace}:{LOCK}")
    assert prune(resque, ["other"]) == []  # Ruby: a worker of other queues may be another language's
    assert dead in resque.workers()
    redis_client.delete(f"{namespace}:{LOCK}")
    assert prune(resque, ["*"]) == [dead]


def test_an_expired_heartbeat_is_pruned_on_any_host_and_a_fresh_one_elsewhere_is_kept(
    redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    reg = resque.worker_registry
    expired, fresh = "elsewhere:111:slow", "elsewhere:222:slow"
    seconds, _ = reg.server_time()
    for wid, age in ((expired, 301), (fresh, 299)):
        reg.register_worker(wid, "2026-11-27 16:56:53 +0000")
        reg.heartbeat_now(wid, format_heartbeat(from_redis_time(seconds - age)))
    reg.set_worker_payload(
        expired, b'{"queue":"slow","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Slow","args":[1]}}'
    )
    assert prune(resque) == [expired]  # strictly older than Resque.prune_interval (300 s)
    assert resque.workers() == [fresh]
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "Resque::PruneDeadWorkerDirtyExit",
        f"Worker {expired} did not gracefully exit while processing Slow",
    )


def test_the_command_prunes_prints_what_it_pruned_and_refuses_while_the_lock_is_held(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque, redis_url: str
) -> None:
    dead = killed_while_working(workers, redis_client, namespace, "slow")
    redis_client.delete(f"{namespace}:{LOCK}")
    cmd = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, "workers", "prune"]
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE", "QUEUES")}
    first = subprocess.run([*cmd, "-q", "slow"], capture_output=True, text=True, env=env, timeout=60)
    assert (first.returncode, first.stdout) == (0, f"** pruned {dead}\n"), first.stderr
    assert dead not in resque.workers()
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert second.returncode == 1 and LOCK in second.stderr and second.stdout == ""
