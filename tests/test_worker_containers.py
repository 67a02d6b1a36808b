"""Pruning in containers: workers that are each pid 1 under their own host name (UTS and pid
namespaces made with ``unshare``, as a container runtime makes them) share one Redis; no worker
prunes another pod's live worker by pid, and a killed pod is pruned once its heartbeat expires."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from worker_harness import Workers, failures, push_raw, registered, workers

from resque_compat.protocol.times import from_redis_time, parse_time

__all__ = ["workers"]


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--uts", "--pid", "--fork", "--mount-proc", "sh", "-c", "hostname probe && echo $$"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "1"


pytestmark = pytest.mark.skipif(
    not _namespaces_work(),
    reason="unshare cannot make UTS and pid namespaces here (needs root or user namespaces)",
)


def start_pod(w: Workers, host: str, queue: str, **env: str) -> subprocess.Popen[bytes]:
    """A worker as pid 1 of its own pid namespace, under host name ``host``."""
    worker = f"{sys.executable} -m resque_compat.cli work --app jobs_for_tests"
    cmd = [
        "unshare",
        "--uts",
        "--pid",
        "--fork",
        "--mount-proc",
        "sh",
        "-c",
        f"hostname {host} && exec {worker}",
    ]
    proc = subprocess.Popen(cmd, env=w.env(QUEUE=queue, **env), start_new_session=True)
    w.procs.append(proc)
    assert w.next("ready") == "1", f"the worker in {host} is not pid 1 or did not start"
    return proc


def stop_pod(pod: subprocess.Popen[bytes]) -> int:
    """QUIT to the pod's pid 1 (the worker), as a runtime's stop does; the pod's exit status."""
    (pid_1,) = Path(f"/proc/{pod.pid}/task/{pod.pid}/children").read_text().split()
    os.kill(int(pid_1), signal.SIGQUIT)
    return pod.wait(timeout=15)


def test_pods_that_are_all_pid_1_keep_distinct_ids_and_never_prune_each_other(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    a = start_pod(workers, "pod-a", "q")
    b = start_pod(workers, "pod-b", "q")  # its startup pruning sees pod-a:1:q: another host, fresh heartbeat
    c = start_pod(workers, "pod-c", "q")
    assert registered(redis_client, namespace, 3) == {"pod-a:1:q", "pod-b:1:q", "pod-c:1:q"}
    push_raw(redis_client, namespace, "q", *[b'{"class":"Echo","args":[%d]}' % i for i in range(6)])
    assert sorted(workers.next("echo") or "" for _ in range(6)) == [f"[{i}]" for i in range(6)]
    assert failures(redis_client, namespace) == []
    for pod in (a, b, c):
        assert stop_pod(pod) == 0
    assert registered(redis_client, namespace, 0) == set()


def test_a_killed_pod_is_pruned_by_the_next_worker_once_its_heartbeat_expires(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    fast = {"RESQUE_HEARTBEAT_INTERVAL": "1", "RESQUE_PRUNE_INTERVAL": "1"}
    a = start_pod(workers, "pod-a", "q", **fast)
    push_raw(redis_client, namespace, "q", b'{"class":"Slow","args":[30]}')
    assert workers.next("started")
    os.killpg(a.pid, signal.SIGKILL)  # the pod is gone: no unregistering, no failure record
    a.wait(timeout=15)
    assert "pod-a:1:q" in registered(redis_client, namespace)
    beat = redis_client.hget(f"{namespace}:workers:heartbeat", "pod-a:1:q")
    assert beat is not None
    # Until Redis' clock says pod-a's last heartbeat is older than the prune interval (whole
    # seconds, strictly greater, as Ruby counts): a clock is waited on, not a process.
    deadline = time.monotonic() + 15
    while (from_redis_time(*redis_client.time()) - parse_time(beat.decode())).total_seconds() < 2:  # type: ignore[misc]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    b = start_pod(workers, "pod-b", "q", **fast)
    assert registered(redis_client, namespace, 1) == {"pod-b:1:q"}
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "Resque::PruneDeadWorkerDirtyExit",
        "Worker pod-a:1:q did not gracefully exit while processing Slow",
    )
    assert stop_pod(b) == 0
