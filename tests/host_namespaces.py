"""Workers on other hosts, in tests: each "host" is a UTS namespace with a host name of its own
and a pid namespace of its own with its own ``/proc`` (``unshare --uts --pid --fork
--mount-proc``, as a container runtime makes a pod), so its first process is pid 1 and pids
collide across hosts as they do across machines. Needs root (or ``CAP_SYS_ADMIN``); without it
the tests that use these helpers skip, saying so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from worker_harness import WAIT, Workers

from chaos.cluster import POD, namespaces_unavailable
from chaos.cluster import on_host as chaos_on_host
from resque_compat.protocol.times import from_redis_time, parse_time

UNAVAILABLE = namespaces_unavailable(POD)
needs_namespaces = pytest.mark.skipif(UNAVAILABLE is not None, reason=UNAVAILABLE or "")


def on_host(host: str, argv: list[str]) -> list[str]:
    """``argv`` as pid 1 of a new host named ``host``."""
    return chaos_on_host(host, argv, POD)


def start_pod(w: Workers, host: str, queue: str, **env: str) -> subprocess.Popen[bytes]:
    """A worker as pid 1 of its own pid namespace, under host name ``host``; returns once its
    ``before_first_fork`` hook said it is ready (its start-up pruning is done then)."""
    worker = [sys.executable, "-m", "resque_compat.cli", "work", "--app", "jobs_for_tests"]
    proc = subprocess.Popen(on_host(host, worker), env=w.env(QUEUE=queue, **env), start_new_session=True)
    w.procs.append(proc)
    assert w.next("ready") == "1", f"the worker in {host} is not pid 1 or did not start"
    return proc


def pod_pid_1(pod: subprocess.Popen[bytes]) -> int:
    """This machine's pid of the pod's pid 1 (the worker)."""
    (pid_1,) = Path(f"/proc/{pod.pid}/task/{pod.pid}/children").read_text().split()
    return int(pid_1)


def stop_pod(pod: subprocess.Popen[bytes]) -> int:
    """QUIT to the pod's pid 1 (the worker), as a runtime's stop does; the pod's exit status."""
    os.kill(pod_pid_1(pod), signal.SIGQUIT)
    return pod.wait(timeout=WAIT)


def kill_pod(pod: subprocess.Popen[bytes]) -> None:
    """The pod is gone at once (a node lost, ``kill -9``): no unregistering, no failure record;
    the kernel ends everything in its pid namespace with its pid 1."""
    os.killpg(pod.pid, signal.SIGKILL)
    pod.wait(timeout=WAIT)


def run_on_host(w: Workers, host: str, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to its end as pid 1 of a new host named ``host``."""
    return subprocess.run(
        on_host(host, argv), env=w.env(**env), capture_output=True, text=True, timeout=60, check=False
    )


def prune_on_host(w: Workers, host: str, queue: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``resque-compat workers prune -q QUEUE`` run on ``host`` (as its pid 1)."""
    cli = [sys.executable, "-m", "resque_compat.cli", "workers", "prune", "-q", queue]
    return run_on_host(w, host, cli, **env)


def heartbeat_age(client: redis.Redis, namespace: str, worker_id: str) -> float:
    """Seconds since ``worker_id``'s heartbeat by Redis' clock."""
    beat = client.hget(f"{namespace}:workers:heartbeat", worker_id)
    assert beat is not None, f"{worker_id} has no heartbeat"
    return (from_redis_time(*client.time()) - parse_time(beat.decode())).total_seconds()  # type: ignore[misc, union-attr]


def wait_heartbeat_older(client: redis.Redis, namespace: str, worker_id: str, seconds: int) -> None:
    """Until Redis' clock says ``worker_id``'s heartbeat is more than ``seconds`` old in whole
    seconds (as Ruby counts an expired one): a clock is waited on, polled with a deadline."""
    deadline = time.monotonic() + seconds + WAIT
    while int(heartbeat_age(client, namespace, worker_id)) <= seconds:
        assert time.monotonic() < deadline, f"{worker_id}'s heartbeat did not age past {seconds} s"
        time.sleep(0.1)  # polling Redis' clock, with a deadline


def wait_lock_free(client: redis.Redis, namespace: str) -> None:
    """Until ``pruning_dead_workers_in_progress`` (taken by every worker's start-up and every
    prune, for one heartbeat interval, never released) has run out, polled with a deadline."""
    deadline = time.monotonic() + WAIT
    while client.exists(f"{namespace}:pruning_dead_workers_in_progress"):
        assert time.monotonic() < deadline, "the pruning lock did not run out"
        time.sleep(0.05)  # polling Redis for the lock's expiry, with a deadline
