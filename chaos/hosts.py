"""Many hosts on one Redis: two workers on ``host-a`` (a UTS namespace: a host name of its own) and
two pods (``pod-1``, ``pod-2``, ...: each its own host name, pid namespace and /proc, so both
workers are pid 1), the pods' workers and job children killed with ``kill -9`` at random moments
while ``resque-compat workers prune`` runs on host-a; each killed pod is replaced by a new one
under a new name. host-a's pruner sees its own workers' processes and none of the pods': it must
keep every live worker (its own by their pids, the pods' whatever their pid) and remove a dead
pod's worker only once its heartbeat expired (``RESQUE_PRUNE_INTERVAL``, 3 s here), its job one
``PruneDeadWorkerDirtyExit`` record."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .cluster import POD, namespaces_unavailable, on_host
from .ledger import Row

if TYPE_CHECKING:
    from .scenarios import Run, Scale

QUEUES = "q1,q2"
PRUNER = "host-a"
PER_HOST = 2
HEARTBEAT, EXPIRES = 1, 3
"""``Fleet.env``'s ``RESQUE_HEARTBEAT_INTERVAL`` and ``RESQUE_PRUNE_INTERVAL``."""
SAID = "** pruned "
"""How ``workers prune`` names each worker it pruned."""


def many_hosts(scale: Scale, seed: int) -> Row:
    """kill -9 in pods at random moments while host-a prunes; dead workers pruned once expired."""
    from .scenarios import run

    unavailable = namespaces_unavailable(POD)
    if unavailable is not None:
        return Row("many hosts", notes=[f"skipped: {unavailable}"])
    with run(f"many hosts: kill -9 in pid-1 pods while {PRUNER} prunes", seed) as (r, row):
        names = (f"pod-{n}" for n in itertools.count(1))
        own = [r.fleet.start(QUEUES, host=PRUNER) for _ in range(PER_HOST)]
        pods = [r.fleet.start(QUEUES, host=next(names), pod=True) for _ in range(PER_HOST)]
        registered(r, own + pods)
        killed: dict[str, float] = {}
        """Each killed worker's id and the moment of its kill."""
        errors: list[str] = []
        for _ in range(scale.host_kills):
            r.ledger.enqueue(["q1", "q2"], 8, max_millis=120)
            r.wait_until(r.busy, timeout=5)
            with pruning(r) as pruned:
                time.sleep(r.random.uniform(0, 0.3))  # a random moment of the prune
                killed.update(dict.fromkeys(kill_one(r, pods), time.monotonic()))
            errors += judge(r, pruned, own + pods, killed)
            row.trials += 1
            pods = [p for p in pods if p.poll() is None]
            while len(pods) < PER_HOST:
                pods.append(r.fleet.start(QUEUES, host=next(names), pod=True))
            registered(r, own + pods)
        errors += prune_expired(r, own + pods, killed)
        row.prune_errors = len(errors)
        row.notes += errors
    return row


def judge(
    r: Run, pruned: list[str], procs: list[subprocess.Popen[bytes]], killed: dict[str, float]
) -> list[str]:
    """What a prune that just ended did wrong: a live worker pruned, or a dead one pruned before
    its heartbeat can have expired (it beat at most 1 s before its kill, expires after 3 s)."""
    live = {r.fleet.ids[p.pid] for p in procs if p.poll() is None}
    now = time.monotonic()
    wrong = [f"live worker {w} pruned from {PRUNER}" for w in pruned if w in live]
    return wrong + [
        f"dead worker {w} pruned from {PRUNER} {now - killed[w]:.1f} s after its kill (heartbeat fresh)"
        for w in pruned
        if w in killed and now - killed[w] < EXPIRES - HEARTBEAT
    ]


def registered(r: Run, procs: list[subprocess.Popen[bytes]]) -> bool:
    """Wait until every one of ``procs`` is registered (dead ones may still be, too)."""
    ids = {r.fleet.ids[p.pid] for p in procs}
    return r.wait_until(lambda: ids <= set(r.ledger.resque.worker_registry.worker_ids()))


def kill_one(r: Run, pods: list[subprocess.Popen[bytes]]) -> set[str]:
    """kill -9 a job child (60 %) or the worker (pid 1: its pod ends) of a random pod; the id
    of a killed worker."""
    alive = [(p, pid) for p in pods if p.poll() is None and (pid := r.fleet.worker_pid(p)) is not None]
    if not alive:
        return set()
    victim, worker = r.random.choice(alive)
    children = r.fleet.children(victim)
    target = r.random.choice(children) if children and r.random.random() < 0.6 else worker
    with contextlib.suppress(ProcessLookupError):
        os.kill(target, signal.SIGKILL)
    if target != worker:
        return set()
    victim.wait(timeout=30)  # the pod ends with its pid 1
    return {r.fleet.ids[victim.pid]}


def prune_command(r: Run) -> subprocess.Popen[str]:
    """``resque-compat workers prune`` (any queue) started on host-a, its output piped."""
    cli = [sys.executable, "-m", "resque_compat.cli", "workers", "prune"]
    return subprocess.Popen(
        on_host(PRUNER, cli), env=r.fleet.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )


@contextlib.contextmanager
def pruning(r: Run) -> Iterator[list[str]]:
    """``resque-compat workers prune`` on host-a around the block, run again while the lock
    (one heartbeat interval after any worker's start or prune) keeps it from pruning; the list
    yielded holds the ids it pruned once the block is done."""
    pruned: list[str] = []
    proc = prune_command(r)
    try:
        yield pruned
        deadline = time.monotonic() + 30
        while True:
            out, _ = proc.communicate(timeout=60)
            pruned += [line.removeprefix(SAID) for line in out.splitlines() if line.startswith(SAID)]
            if proc.returncode == 0 or time.monotonic() > deadline:
                break
            proc = prune_command(r)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def prune_expired(
    r: Run, procs: list[subprocess.Popen[bytes]], killed: dict[str, float], timeout: float = 30.0
) -> list[str]:
    """Prune from host-a until every killed worker is gone (its heartbeat expires 3 s after its
    death); what went wrong: a worker still registered at ``timeout``, or a wrong prune."""
    deadline = time.monotonic() + timeout
    errors: list[str] = []
    while True:
        left = sorted(set(killed) & set(r.ledger.resque.worker_registry.worker_ids()))
        if not left:
            return errors
        if time.monotonic() > deadline:
            return errors + [
                f"dead worker {w} not pruned from {PRUNER} after its heartbeat expired" for w in left
            ]
        with pruning(r) as pruned:
            pass
        errors += judge(r, pruned, procs, killed)
        time.sleep(0.2)  # not a rendezvous: the heartbeats are a clock, polled with a deadline
