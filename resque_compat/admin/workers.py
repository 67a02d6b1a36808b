"""Workers for the dashboard: registry entries, heartbeats, what each is doing and whether it
is a Ruby or a Python process (``Resque::Worker.all``, ``.working``, ``#state``, ``#heartbeat``).

Which language a worker runs is not in Resque's keys, so it is inferred, and the view says from
what:

* a Redis connection named ``resque-compat:<pid>`` (every resque-compat process names its
  connections so) or one naming the worker id: a Python worker;
* on this host, ``/proc/<pid>/exe``: the interpreter itself (``ruby`` or ``python``);
* on this host, the process title (``resque-3.0.0: ...``) without such a connection: Ruby;
* otherwise, when ``CLIENT LIST`` answered and no resque-compat connection has that pid: Ruby,
  marked as inferred; when Redis refuses ``CLIENT LIST``: unknown.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..protocol.keys import client_name_matches, worker_client_name
from .views import TimeValue, WorkerName

STALE_AFTER = 300
"""Seconds after which a heartbeat is stale: Ruby's ``Resque.prune_interval`` (spec 8)."""


@dataclass(frozen=True, slots=True)
class Fleet:
    """What is known about the processes behind the registry at one moment."""

    client_names: frozenset[str]
    client_list_ok: bool
    server_now: datetime
    hostname: str
    proc_root: Path = Path("/proc")
    by_pid: Mapping[int, str] = field(default_factory=dict)
    """Connection names that end in ``:<pid>``, by that pid: one lookup per worker instead of a
    walk of every connection."""

    @classmethod
    def build(
        cls, client_names: Iterable[str] | None, server_now: datetime, hostname: str | None = None
    ) -> Fleet:
        names = frozenset(client_names or ())
        by_pid: dict[int, str] = {}
        for client in sorted(names):
            head, _, tail = client.rpartition(":")
            if head and tail.isdigit() and client_name_matches(client, int(tail), ""):
                by_pid.setdefault(int(tail), client)
        return cls(
            names, client_names is not None, server_now, hostname or socket.gethostname(), by_pid=by_pid
        )


def heartbeat_state(
    beat: TimeValue | None, now: datetime, stale_after: int = STALE_AFTER
) -> tuple[str, int | None]:
    """``fresh``/``stale`` (older than ``stale_after``, Ruby's prune rule: strictly greater),
    ``missing`` or ``unreadable``, with the age in whole seconds where known."""
    if beat is None:
        return "missing", None
    if beat.at is None:
        return "unreadable", None
    age = int((now - beat.at).total_seconds())
    return ("stale" if age > stale_after else "fresh"), age


def language(name: WorkerName, fleet: Fleet) -> tuple[str, str]:
    """``(language, how it was told)`` for one worker; see the module docstring."""
    if name.pid is None:
        return "unknown", "the worker id has no pid"
    named = _named_connection(name, fleet)
    if named:
        return "python", f"Redis connection {named}"
    if name.host == fleet.hostname:
        local = _local_process(name.pid, fleet.proc_root)
        if local is not None:
            return local
    if fleet.client_list_ok:
        return "ruby", "no resque-compat connection from this pid (inferred)"
    return "unknown", "Redis refused CLIENT LIST"


def _named_connection(name: WorkerName, fleet: Fleet) -> str | None:
    if name.pid is None:
        return None
    by_worker = worker_client_name(name.id)
    if by_worker in fleet.client_names:
        return by_worker
    return fleet.by_pid.get(name.pid)


def _local_process(pid: int, proc_root: Path) -> tuple[str, str] | None:
    base = proc_root / str(pid)
    try:
        exe = Path(base / "exe").resolve(strict=True).name
    except OSError:
        exe = ""
    try:
        title = (base / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return None  # no such process here: leave it to the other clues
    if "python" in exe:
        return "python", f"process {pid} runs {exe}"
    if "ruby" in exe:
        return "ruby", f"process {pid} runs {exe}"
    if title.startswith("resque-") or title.startswith("resque:"):
        return "ruby", f"process title {title[:60]!r} and no resque-compat connection"
    return None


def worker_hosts(worker_ids: Iterable[str]) -> dict[str, list[str]]:
    """``worker_hosts``: host name -> worker ids (the host is everything before the first ``:``)."""
    hosts: dict[str, list[str]] = {}
    for wid in sorted(worker_ids):
        hosts.setdefault(wid.split(":", 1)[0], []).append(wid)
    return hosts


def queue_watchers(queue: str, workers: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Ids of the workers whose queue list would take jobs from ``queue`` (``*`` and globs too)."""
    from fnmatch import fnmatchcase

    out = []
    for wid, queues in workers.items():
        skips = [q[1:] for q in queues if q.startswith("!")]
        if any(fnmatchcase(queue, s) for s in skips):
            continue
        if any(q == queue or fnmatchcase(queue, q) for q in queues if not q.startswith("!")):
            out.append(wid)
    return out
