"""Dead-worker pruning with Ruby's rules and lock (``Worker#prune_dead_workers``, spec 8).

Once at startup, only in the worker that wins ``SET pruning_dead_workers_in_progress <id> EX
<heartbeat interval> NX`` (never released):

1. every heartbeat older than the prune interval (judged against Redis ``TIME``, strictly
   greater) is a dead worker, on any host: its job becomes a ``PruneDeadWorkerDirtyExit``
   failure and its keys go;
2. every other registered worker on this host whose queue set equals ours (or we listen on
   ``*``) and whose pid is not a ``resque``-titled process is unregistered (its job becomes a
   ``DirtyExit``). Heartbeat freshness is not considered here, as in Ruby.

``prune`` runs the same pruning on demand, as ``Resque::Worker.new(*queues).prune_dead_workers``
does from a Ruby console; ``resque-compat workers prune`` calls it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..client import Resque
from ..errors import PruneDeadWorkerDirtyExit, TimeFormatError
from ..protocol.records import payload_class, record_payload
from ..protocol.times import from_redis_time, parse_time
from ..protocol.worker_id import format_worker_id, ruby_split
from ..store.workers import WorkerRegistry
from .failures import FailureReporter
from .registry import in_flight, unregister_worker

_WORKER_TITLE = re.compile(r"resque:work|resque:\sStarting|resque-[0-9]")


def worker_pids() -> set[str] | None:
    """``Worker#linux_worker_pids``: pids whose ``ps`` command matches a Resque worker title.

    Without a working ``ps`` (a slim container) the titles are read from ``/proc``; when
    neither answers, ``None``: nobody can tell a live worker from a dead one, so the caller
    must not prune by pid (Ruby would crash or prune every same-host worker). ``None`` too when
    ``/proc`` shows another pid namespace than this process's (``unshare --pid`` without
    ``--mount-proc``, ``nsenter --pid`` without ``--mount``): ``ps`` reads ``/proc``, so its
    pids are not the ones this host's workers registered under, and Ruby would prune live ones.
    """
    if not _proc_is_own_namespace():
        return None
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid,command"], capture_output=True, text=True, check=False)
    except OSError:
        out = None
    if out is not None and out.returncode == 0 and out.stdout.strip():
        lines = out.stdout.splitlines()
    else:
        found = _proc_lines()
        if found is None:
            return None
        lines = found
    return {line.split()[0] for line in lines if _WORKER_TITLE.search(line) and "resque-web" not in line}


def _proc_is_own_namespace() -> bool:
    """Whether ``/proc/self`` names this process's pid (``True`` without a ``/proc``: then
    ``ps`` answers from elsewhere, or not at all)."""
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return True


def _proc_lines() -> list[str] | None:
    """``pid command`` lines from ``/proc/<pid>/cmdline``, or ``None`` without ``/proc``."""
    proc = Path("/proc")
    if not (proc / "self" / "cmdline").exists():
        return None
    lines = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            lines.append(f"{entry.name} {cmd.strip()}")
    return lines


def heartbeat_ages(workers: WorkerRegistry) -> dict[str, int]:
    """Whole seconds since each worker's heartbeat, by Redis' clock (as Ruby counts them).

    A heartbeat Ruby's ``Time.parse`` could not read crashes a Ruby pruner; here it is skipped.
    """
    beats = workers.all_heartbeats()
    now = from_redis_time(*workers.server_time())
    ages = {}
    for worker_id, value in beats.items():
        try:
            ages[worker_id] = int((now - parse_time(value)).total_seconds())
        except TimeFormatError:
            continue
    return ages


def expired_heartbeats(workers: WorkerRegistry, prune_interval: float) -> list[str]:
    """``Worker.all_workers_with_expired_heartbeats``: ids whose heartbeat is too old."""
    return [worker_id for worker_id, age in heartbeat_ages(workers).items() if age > prune_interval]


def prune_dead_workers(
    workers: WorkerRegistry,
    reporter: FailureReporter,
    performers: Mapping[str, Any],
    *,
    worker_id: str,
    hostname: str,
    queue_entries: tuple[str, ...],
    heartbeat_interval: float,
    prune_interval: float,
    log: Callable[[str], None],
) -> list[str] | None:
    """Prune as Ruby does; returns the ids pruned, ``None`` if another pruner holds the lock."""
    if not workers.acquire_pruning_lock(worker_id, max(1, int(heartbeat_interval))):
        return None
    all_workers = workers.worker_ids()
    known = worker_pids()
    if known is None:
        log(
            "Cannot list this host's processes (no ps, no /proc, or a /proc of another pid "
            "namespace): not pruning same-host workers by pid"
        )
    expired = expired_heartbeats(workers, prune_interval)
    pruned = []
    for dead in expired:
        log(f"Pruning dead worker: {dead}")
        working = in_flight(workers, dead)
        exc = PruneDeadWorkerDirtyExit(dead, payload_class(record_payload(working)))
        if unregister_worker(workers, reporter, performers, dead, exc, log):
            pruned.append(dead)
    own_queues = [q for q in queue_entries if not q.startswith("!")]
    for other in all_workers:
        if other in expired:
            continue
        if other.count(":") < 2:
            continue
        host, pid, queues_raw = ruby_split(other)
        if "*" not in own_queues and set(queues_raw.split(",")) != set(own_queues):
            continue
        if host != hostname or known is None or pid in known:
            continue
        log(f"Pruning dead worker: {other}")
        if unregister_worker(workers, reporter, performers, other, None, log):
            pruned.append(other)
    return pruned


def prune(
    resque: Resque,
    queues: Sequence[str] = ("*",),
    *,
    performers: Mapping[str, Any] | None = None,
    heartbeat_interval: float = 60.0,  # Resque.heartbeat_interval
    prune_interval: float = 300.0,  # Resque.prune_interval
    hostname: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> list[str] | None:
    """Prune dead workers now: ``Resque::Worker.new(*queues).prune_dead_workers`` in a console.

    With Ruby's rules: only when this call wins the ``pruning_dead_workers_in_progress`` lock
    (``SET NX EX heartbeat_interval``, held under this process's worker id and never released,
    so within ``heartbeat_interval`` seconds of any worker's start-up or another prune it returns
    ``None`` and touches nothing); then every worker whose heartbeat is older than
    ``prune_interval`` seconds by the Redis clock, on any host, is unregistered, its job in
    flight recorded as a ``Resque::PruneDeadWorkerDirtyExit`` failure; then every other worker
    registered on this host (``hostname``, default this machine's) on the same queue set as
    ``queues`` (any, with ``*``) whose pid is not a live Resque-titled process is unregistered,
    its job a ``Resque::DirtyExit`` failure. ``performers`` (Ruby class name -> performer) get
    their ``on_failure`` hooks for those jobs, in this process only if it claims the job first
    (``unregister_worker``). Returns the ids pruned: not those left to another process failing
    their job at the same time, nor those whose record Redis refused (their keys stay).
    """
    host = hostname or socket.gethostname()
    entries = tuple(queues)
    pruner = format_worker_id(host, os.getpid(), list(entries))
    return prune_dead_workers(
        resque.worker_registry,
        FailureReporter(resque.failure, pruner, log),
        performers or {},
        worker_id=pruner,
        hostname=host,
        queue_entries=entries,
        heartbeat_interval=heartbeat_interval,
        prune_interval=prune_interval,
        log=log,
    )
