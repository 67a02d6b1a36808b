"""``doctor`` on the unique-job plugins' keys: a lock left behind blocks a job forever.

* ``stale-loner`` (warning): ``loners:queue:<q>:job:<digest>`` without a TTL while no job on
  ``queue:<q>`` has that digest (resque-loner's default ``redis_key``; a class that overrides it
  is not recognised): Ruby refuses every enqueue of that job until the key goes.
* ``expired-lock`` (info): a resque-lock / resque-lock-timeout key whose expiry time has passed;
  the plugins take it over at the next attempt.
* ``stale-lock`` (warning): a lock without expiry (``true``) while no worker is working on a job
  of its class (``lock:<Class>...``) or, for ``loner:lock:<Class>:...``, no job of the class waits.

``--repair`` deletes each (only while it still holds the value seen), a copy kept in
``resque-compat:removed`` as for every doctor repair.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..plugins.loner import loner_digest
from ..protocol import Profile
from ..protocol.keys import (
    LOCK_GLOBS,
    LONER_GLOB,
    QUEUES,
    WORKERS,
    lock_of_loner_lock,
    lock_prefixes,
    loner_of_key,
    queue_key,
)
from ..protocol.records import decode_or_error, json_object, payload_class, record_payload
from .doctor import Finding
from .doctor_run import RepairReport, _keep

if TYPE_CHECKING:
    from ..store import DataStore
    from ..store.migration import MigrationAccess
    from ..store.unique import UniqueAccess

REMOVE_LOCK = "remove-lock"
Entry = tuple[str, bytes | None, int]  # logical name, value, ttl


def examine(
    now: int,
    loners: Iterable[Entry],
    locks: Iterable[Entry],
    queued: Mapping[str, set[str]],
    queued_classes: set[str],
    working_classes: set[str],
) -> list[Finding]:
    """Pure: the findings for the keys seen (``queued``: the digests of each queue's jobs)."""
    out: list[Finding] = []
    for name, value, ttl in loners:
        found = loner_of_key(name)
        if found is None or ttl >= 0 or value is None:
            continue
        queue, digest = found
        if digest not in queued.get(queue, set()):
            detail = f"no job on the queue {queue!r} has this digest: Ruby refuses every enqueue of that job"
            out.append(Finding("stale-loner", "warning", name, detail, REMOVE_LOCK, raw=value))
    for name, value, _ttl in locks:
        if value is None:
            continue
        text = value.decode("utf-8", "replace")
        if text.lstrip("-").isdigit():
            if int(text) < now:
                detail = f"expired {now - int(text)} s ago (the plugins take it over at the next attempt)"
                out.append(Finding("expired-lock", "info", name, detail, REMOVE_LOCK, raw=value))
            continue
        inner = lock_of_loner_lock(name)
        loner = inner is not None
        held_by = queued_classes if loner else working_classes
        base = inner if inner is not None else name
        if not any(base.startswith(lock_prefixes(c)) for c in held_by):
            what = "no job of its class waits" if loner else "no worker is working on a job of its class"
            detail = f"held without expiry while {what}: the plugin refuses that job until it goes"
            out.append(Finding("stale-lock", "warning", name, detail, REMOVE_LOCK, raw=value))
    return out


def findings(store: DataStore, profile: Profile, unreadable: Collection[str] = ()) -> list[Finding]:
    """Read the plugins' keys, the queues that hold loner keys and the jobs in flight (the
    queues' jobs digested as ``profile`` encodes them). Skipped when ``queues`` or ``workers``
    has the wrong type (``unreadable``): what holds a lock cannot be told; a queue list of the
    wrong type counts as holding no job."""
    if QUEUES in unreadable or WORKERS in unreadable:
        return []
    loners = list(store.unique.scan(LONER_GLOB))
    locks = [e for glob in LOCK_GLOBS for e in store.unique.scan(glob)]
    if not loners and not locks:
        return []
    queued: dict[str, set[str]] = {}
    classes: set[str] = set()
    wanted = {q for q, _ in filter(None, (loner_of_key(n) for n, _, _ in loners))}
    if any(lock_of_loner_lock(n) is not None for n, _, _ in locks):
        wanted |= set(store.queues.queue_names())
    for queue in wanted - {q for q in wanted if queue_key(q) in unreadable}:
        queued[queue] = _digests(store.queues.everything_in_queue(queue), profile, classes)
    return examine(int(time.time()), loners, locks, queued, classes, _working_classes(store))


def _working_classes(store: DataStore) -> set[str]:
    """The classes of the jobs registered workers are working on (``Resque.working``)."""
    out = set()
    for raw in store.workers.workers_map(store.workers.worker_ids()).values():
        data = decode_or_error(raw) if raw else None
        if isinstance(data, dict) and data and (cls := payload_class(record_payload(data))):
            out.add(cls)
    return out


def _digests(raws: Sequence[bytes], profile: Profile, classes: set[str]) -> set[str]:
    out = set()
    for raw in raws:
        job = json_object(raw)
        name = payload_class(job)
        if job is not None and name is not None and isinstance(job.get("args"), list):
            classes.add(name)
            out.add(loner_digest(name, job["args"], profile))
    return out


def repair(
    unique: UniqueAccess, store: MigrationAccess, found: Sequence[Finding], report: RepairReport
) -> None:
    """Delete each lock finding's key while it still holds the value seen; keep a copy first."""
    for f in found:
        if f.repair != REMOVE_LOCK or f.raw is None:
            continue
        _keep(store, report, f, f.key, f.raw)
        if unique.delete_if_equal(f.key, f.raw):
            report.repaired[f.check] += 1
        else:
            report.missed.append((f, "the key changed meanwhile: left alone"))
