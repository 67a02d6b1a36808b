"""Workers on many hosts sharing one Redis, as separate machines or pods are: each host a UTS
namespace with its own name and a pid namespace of its own, so every worker is pid 1 and pids
collide across hosts. Pruning (a worker's start-up and ``resque-compat workers prune``) removes
a dead worker of its own host by its pid and one of another host only by its expired heartbeat,
never a live worker of another host, whatever its pid; the dead worker's job is one failure."""

from __future__ import annotations

import subprocess

import redis
from host_namespaces import (
    heartbeat_age,
    kill_pod,
    needs_namespaces,
    prune_on_host,
    start_pod,
    stop_pod,
    wait_heartbeat_older,
    wait_lock_free,
)
from worker_harness import Workers, failures, push_raw, registered, workers

__all__ = ["workers"]

pytestmark = needs_namespaces

FAST = {"RESQUE_HEARTBEAT_INTERVAL": "1"}
PRUNE_INTERVAL = 8
"""The pruners' ``RESQUE_PRUNE_INTERVAL``: long enough that a heartbeat a second or two old is
plainly fresh while a pruner starts on a busy machine, short enough to wait out."""
PRUNER = {**FAST, "RESQUE_PRUNE_INTERVAL": str(PRUNE_INTERVAL)}


def busy_pod(
    w: Workers, client: redis.Redis, namespace: str, host: str, queue: str
) -> subprocess.Popen[bytes]:
    """A pod on ``host`` working on a ``Held`` job of ``queue`` (gate ``gate-<queue>``)."""
    pod = start_pod(w, host, queue, **FAST)
    push_raw(client, namespace, queue, b'{"class":"Held","args":["gate-%s"]}' % queue.encode())
    assert w.next("started"), f"the job on {host} did not start"
    return pod


def job_of(client: redis.Redis, namespace: str, worker_id: str) -> bytes | None:
    return client.get(f"{namespace}:worker:{worker_id}")  # type: ignore[return-value]


def test_a_pruner_removes_its_own_hosts_dead_worker_and_keeps_another_hosts_live_one_of_the_same_pid(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    dead = busy_pod(workers, redis_client, namespace, "host-a", "qa")
    kill_pod(dead)  # host-a:1:qa is left registered, holding its job, its heartbeat fresh
    live = busy_pod(workers, redis_client, namespace, "host-b", "qb")  # host-b:1:qb: pid 1 too
    assert registered(redis_client, namespace, 2) == {"host-a:1:qa", "host-b:1:qb"}
    # On host-a pid 1 is now the pruner itself, no worker: host-a:1 is dead there, and host-b's
    # pid 1 means nothing on host-a.
    wait_lock_free(redis_client, namespace)
    done = prune_on_host(workers, "host-a", "*", **PRUNER)
    assert (done.returncode, done.stdout) == (0, "** pruned host-a:1:qa\n"), done.stderr
    assert registered(redis_client, namespace) == {"host-b:1:qb"}
    assert job_of(redis_client, namespace, "host-b:1:qb") is not None  # still working on its job
    (record,) = failures(redis_client, namespace)
    assert (record["worker"], record["exception"], record["error"], record["queue"]) == (
        "host-a:1:qa",
        "Resque::DirtyExit",
        "Job still being processed",
        "qa",
    )
    assert record["payload"] == {"class": "Held", "args": ["gate-qa"]}
    # A worker starting on a third host prunes at start-up: nothing more to remove.
    wait_lock_free(redis_client, namespace)
    third = start_pod(workers, "host-c", "qb", **PRUNER)
    assert registered(redis_client, namespace, 2) == {"host-b:1:qb", "host-c:1:qb"}
    redis_client.rpush(workers.key("gate-qb"), "go")
    assert workers.next("finished") == "gate-qb"
    assert stop_pod(live) == 0 and stop_pod(third) == 0
    assert registered(redis_client, namespace, 0) == set()
    assert len(failures(redis_client, namespace)) == 1


def test_a_dead_worker_of_another_host_goes_only_once_its_heartbeat_expires_and_its_job_is_one_record(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    live = busy_pod(workers, redis_client, namespace, "host-c", "qc")
    dead = busy_pod(workers, redis_client, namespace, "host-b", "qb")  # pid 1, as the live one
    kill_pod(dead)
    # Pruned from host-a while host-b's heartbeat is fresh: nobody on host-a can tell it is dead.
    wait_lock_free(redis_client, namespace)
    early = prune_on_host(workers, "host-a", "*", **PRUNER)
    assert (early.returncode, early.stdout) == (0, "** no dead workers\n"), early.stderr
    assert heartbeat_age(redis_client, namespace, "host-b:1:qb") <= PRUNE_INTERVAL  # it was fresh
    assert registered(redis_client, namespace) == {"host-b:1:qb", "host-c:1:qc"}
    assert failures(redis_client, namespace) == []
    wait_heartbeat_older(redis_client, namespace, "host-b:1:qb", PRUNE_INTERVAL)
    wait_lock_free(redis_client, namespace)
    late = prune_on_host(workers, "host-a", "*", **PRUNER)
    assert (late.returncode, late.stdout) == (0, "** pruned host-b:1:qb\n"), late.stderr
    assert registered(redis_client, namespace) == {"host-c:1:qc"}
    assert redis_client.hkeys(f"{namespace}:workers:heartbeat") == [b"host-c:1:qc"]
    assert job_of(redis_client, namespace, "host-b:1:qb") is None
    assert job_of(redis_client, namespace, "host-c:1:qc") is not None
    (record,) = failures(redis_client, namespace)
    assert (record["worker"], record["exception"], record["error"]) == (
        "host-b:1:qb",
        "Resque::PruneDeadWorkerDirtyExit",
        "Worker host-b:1:qb did not gracefully exit while processing Held",
    )
    assert (record["queue"], record["payload"]) == ("qb", {"class": "Held", "args": ["gate-qb"]})
    # Another pruner, from yet another host: the job stays one record.
    wait_lock_free(redis_client, namespace)
    again = prune_on_host(workers, "host-d", "*", **PRUNER)
    assert (again.returncode, again.stdout) == (0, "** no dead workers\n"), again.stderr
    redis_client.rpush(workers.key("gate-qc"), "go")
    assert workers.next("finished") == "gate-qc"
    assert stop_pod(live) == 0
    assert len(failures(redis_client, namespace)) == 1


def test_a_pod_restarted_on_its_host_records_its_predecessors_job_once_and_spares_other_pid_1s(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    first = busy_pod(workers, redis_client, namespace, "host-a", "qa")
    other = busy_pod(workers, redis_client, namespace, "host-b", "qb")
    kill_pod(first)
    # The same host name and pid 1 again: the same worker id as the one that died.
    second = start_pod(workers, "host-a", "qa", **PRUNER)
    assert registered(redis_client, namespace, 2) == {"host-a:1:qa", "host-b:1:qb"}
    assert job_of(redis_client, namespace, "host-a:1:qa") is None
    (record,) = failures(redis_client, namespace)
    assert (record["worker"], record["exception"], record["payload"]["args"]) == (
        "host-a:1:qa",
        "Resque::DirtyExit",
        ["gate-qa"],
    )
    assert job_of(redis_client, namespace, "host-b:1:qb") is not None
    redis_client.rpush(workers.key("gate-qb"), "go")
    assert workers.next("finished") == "gate-qb"
    assert stop_pod(other) == 0 and stop_pod(second) == 0
    assert len(failures(redis_client, namespace)) == 1
