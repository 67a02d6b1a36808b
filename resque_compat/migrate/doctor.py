"""``resque-compat doctor``: find what breaks Ruby's tools, and say what a repair would do.

This module is pure: it judges a ``Snapshot`` of the worker registry and the queue keys, and
windows of list entries, and returns ``Finding`` objects. ``doctor_run`` reads Redis and
applies the repairs. Severity says what breaks in Ruby:

* ``error``: a Ruby process or page raises (a heartbeat ``Time.parse`` cannot read crashes
  every starting Ruby worker; a job payload that is not JSON kills the Ruby worker that pops
  it; a failure record that is not JSON, or whose ``failed_at`` ``DateTime.parse`` cannot read,
  breaks resque-web's failed page; a queue key that is not a list breaks every reader).
* ``warning``: wrong or misleading but nothing raises (ghost workers, ``NaN`` ages, jobs in a
  list missing from ``queues`` that ``*`` workers and resque-web never see, stale stats).
* ``info``: normal Resque states worth knowing (a drained queue has no list).

A repair exists only where it cannot lose or hide anything and cannot race a live worker;
everything a repair removes is first copied (see ``doctor_run``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import ResqueError
from ..protocol import is_safe_for_ruby, parse_worker_id
from ..protocol.keys import HEARTBEATS, QUEUES, WORKERS, key_type, queue_key, worker_key, worker_started_key
from ..protocol.records import read_failure, read_job, read_working_on
from ..protocol.times import parse_time

PRUNE_INTERVAL = 300  # Resque.prune_interval: heartbeats older than this are pruned by Ruby

# What --repair does for each check that has a repair.
FAIL_ENTRY = "fail-entry"  # queue entry -> failed list, as the worker records unreadable payloads
COPY_OUT = "copy-out"  # failure record -> the doctor's copy list
REGISTER_QUEUE = "register-queue"  # SADD queues <name>
REMOVE_HEARTBEAT = "remove-heartbeat"  # HDEL, only if the value is unchanged
REMOVE_WORKER = "remove-worker"  # SREM workers + the worker's keys
REMOVE_STALE = "remove-stale"  # DEL leftover keys of an unregistered worker id

KEY_TYPE = "key-type"  # a key of another type than Resque keeps there: reported, never repaired
WRONG_TYPE_CHECKS = (KEY_TYPE, "queue-type")
LEFT_AS_IT_IS = "a key of the wrong type is reported, never changed: fix or remove it by hand"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which check, how bad, where, what, and what ``--repair`` would do (if any).

    ``worker``/``field``/``index``/``raw`` say exactly what a repair acts on.
    """

    check: str
    severity: str
    key: str
    detail: str
    repair: str | None = None
    worker: str | None = None
    field: bytes | None = None
    index: int | None = None
    raw: bytes | None = None


@dataclass(frozen=True)
class Snapshot:
    """The registry and queue keys as read at one moment (``doctor_run.snapshot``)."""

    now: datetime
    queues: frozenset[str]
    queue_keys: Mapping[str, str]  # queue name -> Redis type of queue:<name>
    workers: Sequence[bytes]
    heartbeats: Mapping[bytes, bytes]
    started: Mapping[str, bytes | None]  # registered worker id -> worker:<id>:started
    payloads: Mapping[str, bytes | None]  # registered worker id -> worker:<id>
    leftovers: Mapping[str, list[str]] = field(default_factory=dict)  # unregistered id -> its keys
    unreadable: Mapping[str, str] = field(default_factory=dict)  # wrong-typed logical key -> its type


def examine(snapshot: Snapshot) -> list[Finding]:
    """Every finding about the registry and the queue keys."""
    return [
        *examine_types(snapshot.unreadable),
        *_queues(snapshot),
        *_workers(snapshot),
        *_heartbeats(snapshot),
        *_leftovers(snapshot),
    ]


def wrong_types(actual: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The keys among ``(logical key, TYPE reply)`` holding another type than Resque keeps
    there (``key_type``); a missing key (``none``) or one of no known family is fine."""
    return {k: t for k, t in actual if t != "none" and key_type(k) not in (None, t)}


def examine_types(unreadable: Mapping[str, str]) -> list[Finding]:
    """One finding per key of the wrong type: every reader of it fails, so the checks that
    read it were skipped, and no repair touches it."""
    return [
        Finding(
            KEY_TYPE,
            "error",
            key,
            f"holds a {kind} where Resque keeps a {key_type(key)}: every reader fails; the checks "
            "reading it were skipped and --repair leaves it as it is",
        )
        for key, kind in sorted(unreadable.items())
    ]


def _queues(s: Snapshot) -> list[Finding]:
    out = []
    for name in sorted(s.queues):
        kind = s.queue_keys.get(name, "none")
        if kind == "none":
            out.append(
                Finding(
                    "empty-queue",
                    "info",
                    queue_key(name),
                    "in `queues` with no list: drained (normal: LPOP deletes an emptied list)",
                )
            )
        elif kind != "list":
            out.append(
                Finding("queue-type", "error", queue_key(name), f"a {kind}, not a list: every reader fails")
            )
    for name, kind in sorted(s.queue_keys.items()):
        if QUEUES in s.unreadable:
            break
        if name not in s.queues and kind == "list":
            detail = "a list missing from `queues`: `*` workers and resque-web never see its jobs"
            out.append(Finding("unlisted-queue", "warning", queue_key(name), detail, REGISTER_QUEUE))
    return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _workers(s: Snapshot) -> list[Finding]:
    out = []
    for member in s.workers:
        wid = _text(member)
        try:
            parse_worker_id(wid)
        except ResqueError:
            out.append(
                Finding(
                    "worker-id",
                    "error",
                    WORKERS,
                    f"{wid!r} is not host:pid:queues",
                    REMOVE_WORKER,
                    worker=wid,
                )
            )
            continue
        if not is_safe_for_ruby(wid):
            out.append(
                Finding(
                    "worker-id-colons",
                    "warning",
                    WORKERS,
                    f"{wid!r}: resque-web splits ids on every ':' and shows it wrongly",
                    worker=wid,
                )
            )
        if member not in s.heartbeats and HEARTBEATS not in s.unreadable:
            out.append(
                Finding(
                    "no-heartbeat",
                    "warning",
                    HEARTBEATS,
                    f"{wid} never heartbeats: Ruby cannot tell whether it is alive",
                    worker=wid,
                )
            )
        out += _worker_times(wid, s)
    return out


def _worker_times(wid: str, s: Snapshot) -> list[Finding]:
    out = []
    started = s.started.get(wid)
    if started is not None and not _parses(started):
        out.append(
            Finding(
                "started-time",
                "warning",
                worker_started_key(wid),
                f"{_text(started)!r} is not a time: resque-web shows NaN",
            )
        )
    payload = s.payloads.get(wid)
    if payload is None:
        return out
    working = read_working_on(payload)
    if working.problem is not None:
        out.append(
            Finding(
                "working-payload",
                "error",
                worker_key(wid),
                "not a JSON object: resque-web's working page fails",
            )
        )
    elif not isinstance(working.run_at, str) or not _parses(working.run_at.encode()):
        out.append(
            Finding(
                "run-at-time",
                "warning",
                worker_key(wid),
                f"run_at {working.run_at!r} is not a time: resque-web shows NaN",
            )
        )
    return out


def _parses(raw: bytes) -> bool:
    try:
        parse_time(raw)
    except ResqueError:
        return False
    return True


def _heartbeats(s: Snapshot) -> list[Finding]:
    out = []
    registered = set(s.workers)
    for member, value in sorted(s.heartbeats.items()):
        wid = _text(member)
        try:
            age = (s.now - parse_time(value)).total_seconds()
        except ResqueError:
            detail = f"{wid}: {_text(value)!r} is not a time: every starting Ruby worker crashes on it"
            out.append(
                Finding(
                    "heartbeat-time",
                    "error",
                    HEARTBEATS,
                    detail,
                    REMOVE_HEARTBEAT,
                    worker=wid,
                    field=member,
                    raw=value,
                )
            )
            continue
        if member in registered:
            if age > PRUNE_INTERVAL:
                out.append(
                    Finding(
                        "heartbeat-expired",
                        "info",
                        HEARTBEATS,
                        f"{wid}: last heartbeat {int(age)}s ago; a starting Ruby worker prunes it",
                        worker=wid,
                    )
                )
        elif age > PRUNE_INTERVAL:
            out.append(
                Finding(
                    "orphan-heartbeat",
                    "warning",
                    HEARTBEATS,
                    f"{wid}: not registered, last heartbeat {int(age)}s ago",
                    REMOVE_HEARTBEAT,
                    worker=wid,
                    field=member,
                    raw=value,
                )
            )
    return out


def _leftovers(s: Snapshot) -> list[Finding]:
    return [
        Finding(
            "stale-worker-keys",
            "warning",
            ", ".join(keys),
            f"{wid} is not registered but its keys remain (stats, payload or start time)",
            REMOVE_STALE,
            worker=wid,
        )
        for wid, keys in sorted(s.leftovers.items())
    ]


def examine_queue_window(queue: str, start: int, raws: Sequence[bytes]) -> list[Finding]:
    """Entries of ``queue:<queue>`` a Ruby worker would die on (not a ``{class, args}`` object)."""
    out = []
    for offset, raw in enumerate(raws):
        entry = read_job(raw)
        if entry.problem is not None:
            out.append(
                Finding(
                    "bad-payload",
                    "error",
                    queue_key(queue),
                    f"#{start + offset}: {entry.problem}: a Ruby worker that pops it dies",
                    FAIL_ENTRY,
                    index=start + offset,
                    raw=raw,
                )
            )
    return out


def examine_failed_window(name: str, start: int, raws: Sequence[bytes]) -> list[Finding]:
    """Failure records resque-web's failed page cannot render."""
    out = []
    for offset, raw in enumerate(raws):
        entry = read_failure(raw)
        where = f"#{start + offset}"
        if entry.class_name is None:
            out.append(
                Finding(
                    "bad-failure",
                    "error",
                    name,
                    f"{where}: {entry.problem}: the failed page breaks",
                    COPY_OUT,
                    index=start + offset,
                    raw=raw,
                )
            )
        elif entry.time is None or not _parses(entry.time.encode()):
            out.append(
                Finding(
                    "failed-at-time",
                    "error",
                    name,
                    f"{where}: failed_at {entry.time!r} is not a time: the failed page breaks "
                    "(requeue it with `move --from-failed` or remove it)",
                )
            )
    return out
