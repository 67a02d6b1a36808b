"""Reading Redis for ``doctor`` and applying its repairs.

Every repair keeps what it takes away. A queue entry no worker can run goes to the failed list
as the worker records it (``ResqueCompat::UnreadablePayload`` with the raw text, exception
``Resque::Helpers::DecodeException`` or ``ResqueCompat::InvalidPayload``), moved by the same
atomic script ``move`` uses. Everything else removed (unreadable failure records, bad
heartbeats, a malformed worker's keys, stale per-worker keys) is first copied, with where it
was and why it went, to the list ``resque-compat:removed`` of the namespace.

Repairs are guarded against a live deployment: a heartbeat is removed only if it still holds
the value judged; leftover keys of a worker id are deleted only while that id is unregistered.
"""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..protocol import FailureRecord, Profile, encode, failure_queue_name
from ..protocol.failure import DECODE_EXCEPTION, INVALID_PAYLOAD, unreadable_payload
from ..protocol.keys import (
    FAILED,
    FAILED_QUEUES,
    HEARTBEATS,
    QUEUES,
    REMOVED,
    WORKERS,
    queue_key,
    queue_of_key,
    sentinel,
    stat_key,
    typed_keys,
    worker_key,
    worker_started_key,
)
from ..protocol.records import read_job
from ..protocol.times import format_run_at, from_redis_time
from ..store.delayed import DelayedQueueAccess
from ..store.migration import MigrationAccess, Transfer
from . import doctor, doctor_delayed
from .doctor import Finding, Snapshot

COPY_LIST = REMOVED
"""Where the doctor keeps a copy of everything it removes (a list of JSON records)."""

WINDOW = 1000


def snapshot(store: MigrationAccess) -> Snapshot:
    """Read the registry and the queue keys (small: one entry per worker and per queue), after
    one pipelined ``TYPE`` of each fixed key: a family whose key has the wrong type is skipped
    (an empty reading) and named in ``unreadable``."""
    now = from_redis_time(*store.server_time())
    fixed = [*typed_keys(), stat_key("processed"), stat_key("failed"), *store.history_keys()]
    bad = doctor.wrong_types(zip(fixed, store.key_types(fixed), strict=True))
    queue_keys = store.queue_key_types()
    workers = [] if WORKERS in bad else store.worker_members()
    ids = [w.decode("utf-8", "replace") for w in workers]
    per_worker = [k for w in ids for k in (worker_key(w), worker_started_key(w))]
    bad |= doctor.wrong_types(zip(per_worker, store.key_types(per_worker), strict=True))
    started = store.worker_started_values(ids)
    payloads = store.worker_payloads(ids)
    registry_bad = WORKERS in bad or HEARTBEATS in bad
    return Snapshot(
        now=now,
        queues=frozenset() if QUEUES in bad else frozenset(store.queue_names()),
        queue_keys=queue_keys,
        workers=workers,
        heartbeats={} if registry_bad else dict(store.heartbeat_items()),
        started=dict(zip(ids, started, strict=True)),
        payloads=dict(zip(ids, payloads, strict=True)),
        leftovers={} if WORKERS in bad else _leftovers(store, set(ids), bad),
        unreadable=bad,
    )


def _leftovers(store: MigrationAccess, registered: set[str], bad: dict[str, str]) -> dict[str, list[str]]:
    """Leftover keys of unregistered ids; an id with a key of the wrong type is left out (and
    that key added to ``bad``), so no repair deletes it."""
    found = store.worker_leftover_keys(registered)
    names = [k for keys in found.values() for k in keys]
    wrong = doctor.wrong_types(zip(names, store.key_types(names), strict=True))
    bad |= wrong
    return {wid: keys for wid, keys in found.items() if not wrong.keys() & set(keys)}


def _failed_lists(store: MigrationAccess, snap: Snapshot) -> tuple[list[str], dict[str, str]]:
    """The failure lists to read, and those of the wrong type (``failed_queues`` unread if it is)."""
    named = [] if FAILED_QUEUES in snap.unreadable else store.failed_queue_names()
    lists = list(dict.fromkeys([FAILED, *named]))
    wrong = doctor.wrong_types(zip(lists, store.key_types(lists), strict=True))
    return [f for f in lists if f not in wrong], {k: t for k, t in wrong.items() if k not in snap.unreadable}


def scan_lists(
    store: MigrationAccess, snap: Snapshot, advance: Callable[[int], None] | None = None
) -> list[Finding]:
    """Read every queue list and failed list in windows; findings for entries Ruby cannot use."""
    out: list[Finding] = []
    queues = sorted(q for q, kind in snap.queue_keys.items() if kind == "list")
    failed, wrong = _failed_lists(store, snap)
    out += doctor.examine_types(wrong)
    lists = [(queue_key(q), q, False) for q in queues] + [(f, f, True) for f in failed]
    for key, name, is_failed in lists:
        start = 0
        while raws := store.window(key, start, WINDOW):
            if is_failed:
                out += doctor.examine_failed_window(name, start, raws)
            else:
                out += doctor.examine_queue_window(name, start, raws)
            start += len(raws)
            if advance is not None:
                advance(len(raws))
            if len(raws) < WINDOW:
                break
    return out


def list_total(store: MigrationAccess, snap: Snapshot) -> int:
    """How many entries ``scan_lists`` reads (for a progress bar)."""
    queues = [queue_key(q) for q, kind in snap.queue_keys.items() if kind == "list"]
    failed, _ = _failed_lists(store, snap)
    return sum(store.list_lengths([*queues, *failed]))


@dataclass
class RepairReport:
    """What ``repair`` did: per check, how many were repaired; and what it could not do."""

    repaired: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[Finding, str]] = field(default_factory=list)
    copied: int = 0


def repair(
    store: MigrationAccess,
    findings: Sequence[Finding],
    profile: Profile = Profile.JSON_GEM,
    multi_queue: bool = False,
    unreadable: Collection[str] = (),
) -> RepairReport:
    """Apply the repair of every finding that has one (see the module docstring). A key of the
    wrong type is never touched: its finding, and each repair that would write to one of the
    ``unreadable`` keys, is reported as not repaired."""
    report = RepairReport()
    findings = _untouchable(findings, unreadable, report)
    _fail_entries(store, [f for f in findings if f.repair == doctor.FAIL_ENTRY], profile, multi_queue, report)
    _copy_out(store, [f for f in findings if f.repair == doctor.COPY_OUT], report)
    for f in findings:
        if f.repair == doctor.REGISTER_QUEUE:
            store.register_queues([str(queue_of_key(f.key))])
            report.repaired[f.check] += 1
        elif f.repair == doctor.REMOVE_HEARTBEAT and f.field is not None and f.raw is not None:
            _keep(store, report, f, HEARTBEATS, f.raw)
            if store.hdel_heartbeat_if_equal(f.field, f.raw):
                report.repaired[f.check] += 1
            else:
                report.missed.append((f, "the heartbeat changed meanwhile: left alone"))
        elif f.repair in (doctor.REMOVE_WORKER, doctor.REMOVE_STALE) and f.worker is not None:
            _remove_worker_keys(store, f, report)
        elif f.repair in doctor_delayed.REPAIRS:
            if doctor_delayed.repair_delayed(DelayedQueueAccess(store.client, store.keys), f):
                report.repaired[f.check] += 1
            else:
                report.missed.append((f, "the delayed queue changed meanwhile: left alone"))
    return report


def _untouchable(
    findings: Sequence[Finding], unreadable: Collection[str], report: RepairReport
) -> list[Finding]:
    """The findings left to repair; the wrong-typed keys' own, and repairs writing to one of
    them (the failed list, ``queues``, ``workers``, ``workers:heartbeat``), go to ``missed``."""
    kept = []
    for f in findings:
        writes = {
            doctor.FAIL_ENTRY: {FAILED},
            doctor.REGISTER_QUEUE: {QUEUES},
            doctor.REMOVE_WORKER: {WORKERS, HEARTBEATS},
        }.get(f.repair or "", set()) | {REMOVED}
        if f.check in doctor.WRONG_TYPE_CHECKS:
            report.missed.append((f, doctor.LEFT_AS_IT_IS))
        elif f.repair is not None and (hit := sorted(writes & set(unreadable))):
            report.missed.append((f, f"{hit[0]} has the wrong type: left alone"))
        else:
            kept.append(f)
    return kept


def _fail_entries(
    store: MigrationAccess, findings: list[Finding], profile: Profile, multi_queue: bool, report: RepairReport
) -> None:
    by_queue: dict[str, list[Finding]] = {}
    for f in findings:
        by_queue.setdefault(str(queue_of_key(f.key)), []).append(f)
    once = sentinel("doctor", uuid.uuid4().hex)
    for queue, group in by_queue.items():
        target = failure_queue_name(queue) if multi_queue else FAILED
        transfers = [
            Transfer(f.index or 0, f.raw or b"", _failure(queue, f.raw or b"", profile)) for f in group
        ]
        flags = store.move_to_failed(queue_key(queue), target, transfers, once, register=multi_queue)
        for f, ok in zip(group, flags, strict=True):
            if ok:
                report.repaired[f.check] += 1
            else:
                report.missed.append((f, "gone from the queue before the repair (a worker took it)"))


def _failure(queue: str, raw: bytes, profile: Profile) -> bytes:
    problem = read_job(raw).problem or "unreadable"
    record = FailureRecord(
        payload=unreadable_payload(raw),
        exception=DECODE_EXCEPTION if problem == "not JSON" else INVALID_PAYLOAD,
        error=f"{problem} (moved out of {queue_key(queue)} by resque-compat doctor)",
        backtrace=[],
        worker="",
        queue=queue,
    )
    return record.encode(profile)


def _copy_out(store: MigrationAccess, findings: list[Finding], report: RepairReport) -> None:
    by_list: dict[str, list[Finding]] = {}
    for f in findings:
        by_list.setdefault(f.key, []).append(f)
    once = sentinel("doctor", uuid.uuid4().hex)
    for name, group in by_list.items():
        transfers = [Transfer(f.index or 0, f.raw or b"", _copy(f, name, f.raw or b"")) for f in group]
        flags = store.move_to_removed(name, transfers, once)
        for f, ok in zip(group, flags, strict=True):
            if ok:
                report.repaired[f.check] += 1
                report.copied += 1
            else:
                report.missed.append((f, "gone from the list before the repair"))


def _copy(f: Finding, key: str, value: bytes, field: str | None = None) -> bytes:
    record: dict[str, Any] = {"removed_at": format_run_at(), "check": f.check, "key": key}
    if field is not None:
        record["field"] = field
    try:
        record["value"] = value.decode("utf-8")
    except UnicodeDecodeError:
        record["value"] = {"base64": base64.b64encode(value).decode("ascii")}
    return encode(record, Profile.JSON_GEM, "copy")


def _keep(store: MigrationAccess, report: RepairReport, f: Finding, key: str, value: bytes) -> None:
    field = f.field.decode("utf-8", "replace") if f.field is not None else None
    store.keep_removed([_copy(f, key, value, field)])
    report.copied += 1


def _remove_worker_keys(store: MigrationAccess, f: Finding, report: RepairReport) -> None:
    wid = str(f.worker)
    for key, value in store.worker_key_values(wid):
        _keep(store, report, f, key, value)
    if f.repair == doctor.REMOVE_WORKER:
        _keep(store, report, f, WORKERS, wid.encode())
        store.remove_worker_member(wid)
        beat = dict(store.heartbeat_items()).get(wid.encode())
        if beat is not None:
            _keep(store, report, f, HEARTBEATS, beat)
            store.hdel_heartbeat_if_equal(wid.encode(), beat)
    if store.delete_worker_keys_if_unregistered(wid) < 0:
        report.missed.append((f, f"{wid} registered again meanwhile: its keys were left alone"))
    else:
        report.repaired[f.check] += 1
