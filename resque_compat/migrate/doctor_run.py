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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..protocol import FailureRecord, Profile, encode, failure_queue_name
from ..protocol.failure import DECODE_EXCEPTION, INVALID_PAYLOAD, unreadable_payload
from ..protocol.keys import FAILED, HEARTBEATS, REMOVED, WORKERS, queue_key, queue_of_key, sentinel
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
    """Read the registry and the queue keys (small: one entry per worker and per queue)."""
    now = from_redis_time(*store.server_time())
    queue_keys = store.queue_key_types()
    workers = store.worker_members()
    ids = [w.decode("utf-8", "replace") for w in workers]
    started = store.worker_started_values(ids)
    payloads = store.worker_payloads(ids)
    return Snapshot(
        now=now,
        queues=frozenset(store.queue_names()),
        queue_keys=queue_keys,
        workers=workers,
        heartbeats=dict(store.heartbeat_items()),
        started=dict(zip(ids, started, strict=True)),
        payloads=dict(zip(ids, payloads, strict=True)),
        leftovers=store.worker_leftover_keys(set(ids)),
    )


def scan_lists(
    store: MigrationAccess, snap: Snapshot, advance: Callable[[int], None] | None = None
) -> list[Finding]:
    """Read every queue list and failed list in windows; findings for entries Ruby cannot use."""
    out: list[Finding] = []
    queues = sorted(q for q, kind in snap.queue_keys.items() if kind == "list")
    failed = [FAILED, *store.failed_queue_names()]
    lists = [(queue_key(q), q, False) for q in queues] + [(f, f, True) for f in dict.fromkeys(failed)]
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
    failed = [FAILED, *store.failed_queue_names()]
    return sum(store.list_lengths([*queues, *dict.fromkeys(failed)]))


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
) -> RepairReport:
    """Apply the repair of every finding that has one (see the module docstring)."""
    report = RepairReport()
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
