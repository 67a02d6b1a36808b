"""Workers on many hosts sharing one Redis, as separate machines or pods are: each host a UTS
namespace with its own name and a pid namespace of its own, so every worker is pid 1 and pids
collide across hosts. Pruning (a worker's start-up and ``resque-compat workers prune``) removes
a dead worker of its own host by its pid and one of another host only by its expired heartbeat,
never a live worker of another host, whatever its pid; the dead worker's job is one failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from host_namespaces import (
    heartbeat_age,
    kill_pod,
    needs_namespaces,
    on_host,
    pod_pid_1,
    prune_on_host,
    run_on_host,
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
    w: Workers, client: redis.Redis, namespace: str, host: str, queue: str, gate: str = ""
) -> subprocess.Popen[bytes]:
    """A pod on ``host`` working on a ``Held`` job of ``queue`` (gate ``gate-<queue>``)."""
    pod = start_pod(w, host, queue, **FAST)
    job = b'{"class":"Held","args":["%s"]}' % (gate or f"gate-{queue}").encode()
    push_raw(client, namespace, queue, job)
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


# --------------------------------------------------------------------------
# One keyspace of many hosts, pruned by Python and by Ruby from the same host
# --------------------------------------------------------------------------

RUBY_PRUNER = r"""
require "resque"
Resque.redis = ENV.fetch("RESQUE_REDIS")
Resque.redis.namespace = ENV.fetch("RESQUE_NS")
Resque.heartbeat_interval = Integer(ENV.fetch("RESQUE_HEARTBEAT_INTERVAL"))
Resque.prune_interval = Integer(ENV.fetch("RESQUE_PRUNE_INTERVAL"))
Resque::Worker.new(*ENV.fetch("QUEUES").split(",")).prune_dead_workers
"""

ONCE = {"RESQUE_HEARTBEAT_INTERVAL": "60", "RESQUE_PRUNE_INTERVAL": str(PRUNE_INTERVAL)}
"""The one pruner's settings: its lock (``EX`` one heartbeat interval) is still there to read."""
KEPT = {"host-b:1:qa", "host-d:1:qa", "host-a:1:qz"}
EXPIRED = "Worker host-c:1:qc did not gracefully exit while processing Held"
PRUNED = [
    ("host-c:1:qc", "Resque::PruneDeadWorkerDirtyExit", EXPIRED),
    ("host-a:1:qa", "Resque::DirtyExit", "Job still being processed"),
]


def many_hosts(w: Workers, client: redis.Redis, namespace: str) -> subprocess.Popen[bytes]:
    """Five workers of four hosts, all pid 1, as a pruner on host-a for ``qa`` finds them:

    - ``host-c:1:qc`` killed holding a job, its heartbeat expired: pruned (any host);
    - ``host-a:1:qa`` killed holding a job: pruned by pid (pid 1 on host-a is the pruner);
    - ``host-a:1:qz`` killed idle: kept (another queue set, heartbeat fresh);
    - ``host-b:1:qa`` alive, holding a job: kept (another host, fresh);
    - ``host-d:1:qa`` killed holding a job just now: kept until its heartbeat expires.

    Returns host-b's pod (its job waits on ``gate-b``)."""
    kill_pod(busy_pod(w, client, namespace, "host-c", "qc", gate="gate-c"))
    doomed = [busy_pod(w, client, namespace, "host-a", "qa", gate="gate-a")]
    doomed.append(start_pod(w, "host-a", "qz", **FAST))
    doomed.append(busy_pod(w, client, namespace, "host-d", "qa", gate="gate-d"))
    live = busy_pod(w, client, namespace, "host-b", "qa", gate="gate-b")
    wait_heartbeat_older(client, namespace, "host-c:1:qc", PRUNE_INTERVAL)
    for pod in doomed:  # together, so all three heartbeats are fresh when the pruners run
        kill_pod(pod)
    assert registered(client, namespace) == KEPT | {wid for wid, _, _ in PRUNED}
    wait_lock_free(client, namespace)
    return live


def outcome(client: redis.Redis, namespace: str) -> dict[str, object]:
    """What a prune left: the registry, every worker key, the failure records (their
    ``failed_at`` aside, keys in order) and the pruner's lock value."""
    keys = sorted(
        k.decode().removeprefix(f"{namespace}:")
        for k in client.scan_iter(match=f"{namespace}:*")
        if not k.decode().removeprefix(f"{namespace}:").startswith(("test:", "ruby:"))
    )
    records = [
        [(k, "*" if k == "failed_at" else v) for k, v in json.loads(raw).items()]
        for raw in client.lrange(f"{namespace}:failed", 0, -1)  # type: ignore[union-attr]
    ]
    return {
        "workers": sorted(m.decode() for m in client.smembers(f"{namespace}:workers")),  # type: ignore[union-attr]
        "keys": [k for k in keys if k != "pruning_dead_workers_in_progress"],
        "failed": records,
        "lock": client.get(f"{namespace}:pruning_dead_workers_in_progress"),
    }


def python_prune(w: Workers, client: redis.Redis, namespace: str) -> dict[str, object]:
    done = prune_on_host(w, "host-a", "qa", **ONCE)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == sorted(f"** pruned {wid}" for wid, _, _ in PRUNED)
    return outcome(client, namespace)


def check_expected(found: dict[str, object], client: redis.Redis, namespace: str) -> None:
    assert found["workers"] == sorted(KEPT)
    assert [(r[5][1], r[2][1], r[3][1]) for r in found["failed"]] == PRUNED  # type: ignore[attr-defined]
    assert found["lock"] == b"host-a:1:qa"  # the pruner's id: host-a, pid 1, its queues
    assert heartbeat_age(client, namespace, "host-d:1:qa") <= PRUNE_INTERVAL  # it was fresh


def test_a_python_pruner_on_a_keyspace_of_many_pid_1_hosts_removes_exactly_the_dead_it_can_tell(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    live = many_hosts(workers, redis_client, namespace)
    found = python_prune(workers, redis_client, namespace)
    check_expected(found, redis_client, namespace)
    redis_client.rpush(workers.key("gate-b"), "go")
    assert workers.next("finished") == "gate-b"
    assert stop_pod(live) == 0
    assert len(failures(redis_client, namespace)) == 2


def test_ruby_and_python_pruners_remove_and_keep_the_same_workers_of_many_pid_1_hosts(
    workers: Workers, redis_client: redis.Redis, namespace: str, redis_url: str, tmp_path: Path
) -> None:
    lib, ruby = os.environ.get("RESQUE_REF_LIB"), shutil.which(os.environ.get("RESQUE_REF_RUBY", "ruby"))
    if not lib or not ruby:
        pytest.skip("no Ruby Resque reference: set RESQUE_REF_LIB to a Resque 3.0 lib/ directory")
    live = many_hosts(workers, redis_client, namespace)
    # The same keyspace, byte for byte, under a second namespace for Ruby's pruner.
    for key in redis_client.scan_iter(match=f"{namespace}:*"):
        name = key.decode().removeprefix(f"{namespace}:")
        if not name.startswith("test:"):
            redis_client.restore(f"{namespace}:ruby:{name}", 0, redis_client.dump(key))  # type: ignore[arg-type]
    script = tmp_path / "prune.rb"
    script.write_text(RUBY_PRUNER)
    # Resque's lib/ through RUBYLIB, not -I: a path like resque-3.0.0/lib in the command line
    # would make the pruner's own process look like a worker to its ps.
    env = {**ONCE, "RUBYLIB": lib, "QUEUES": "qa", "RESQUE_NS": f"{namespace}:ruby"}
    env["RESQUE_REDIS"] = redis_url.removeprefix("redis://").split("/")[0]
    done = run_on_host(workers, "host-a", [ruby, str(script)], **env)
    assert done.returncode == 0, done.stderr[-2000:]
    by_ruby = outcome(redis_client, f"{namespace}:ruby")
    by_python = python_prune(workers, redis_client, namespace)
    assert by_ruby == by_python
    check_expected(by_python, redis_client, namespace)
    redis_client.rpush(workers.key("gate-b"), "go")
    assert workers.next("finished") == "gate-b"
    assert stop_pod(live) == 0


def test_a_pruner_whose_proc_shows_another_pid_namespace_does_not_prune_its_hosts_workers_by_pid(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    # A pod whose pid namespace has no /proc of its own (``unshare --pid`` without
    # ``--mount-proc``), entered without its mount namespace (``nsenter --pid``, not ``--mount``):
    # ps there lists this machine's pids, where pid 1 is no worker, so host-e:1:q looks dead.
    argv = on_host("host-e", [sys.executable, "-m", "resque_compat.cli", "work", "--app", "jobs_for_tests"])
    argv.remove("--mount-proc")
    pod = subprocess.Popen(argv, env=workers.env(QUEUE="q", **FAST), start_new_session=True)
    workers.procs.append(pod)
    assert workers.next("ready") == "1"
    assert registered(redis_client, namespace, 1) == {"host-e:1:q"}
    wait_lock_free(redis_client, namespace)
    cli = [sys.executable, "-m", "resque_compat.cli", "workers", "prune", "-q", "q"]
    enter = ["nsenter", "--target", str(pod_pid_1(pod)), "--uts", "--pid", *cli]
    done = subprocess.run(enter, env=workers.env(**PRUNER), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "** no dead workers\n"), done.stderr
    assert "not pruning same-host workers by pid" in done.stderr
    assert registered(redis_client, namespace) == {"host-e:1:q"}
    assert stop_pod(pod) == 0
