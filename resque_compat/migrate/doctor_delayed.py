"""``doctor`` for resque-scheduler's state: the delayed queue's zset, lists and ``timestamps:`` sets.

============================  ========  ===================================================
check                         severity  what breaks, and the repair
============================  ========  ===================================================
``delayed-timestamp-bad``     error     a ``delayed_queue_schedule`` member that is not an
                                        integer: Ruby's scheduler reads it as second 0 and
                                        loops on it forever. Repair: its list's items go raw
                                        to ``resque-compat:delayed:unmovable``, the member
                                        is removed
``delayed-item-unreadable``   error     an item that is not JSON (or names no class): Ruby's
                                        scheduler raises out of its loop on it. Repair: the
                                        item moves raw to ``resque-compat:delayed:unmovable``
``delayed-timestamp-empty``   info      a member whose list is gone: harmless, the scheduler
                                        removes it when due. Repair: removed now (guarded)
``delayed-timestamps-stale``  warning   a ``timestamps:`` set naming a list that no longer
                                        holds the item: ``scheduled_at``/``delayed?`` report
                                        a time the job is not at. Repair: the member removed
                                        (guarded: only while the list still lacks the item)
============================  ========  ===================================================
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from ..errors import DecodeError
from ..protocol.delayed import decode_delayed_item, parse_timestamp_member
from ..protocol.keys import DELAYED_PREFIX, DELAYED_QUEUE_SCHEDULE, delayed_key
from ..store.delayed import DelayedQueueAccess
from .doctor import Finding, examine_types

QUARANTINE = "quarantine-timestamp"
SET_ASIDE = "set-aside-item"
CLEAN_TIMESTAMP = "clean-timestamp"
DROP_STALE = "drop-stale-timestamp"
REPAIRS = (QUARANTINE, SET_ASIDE, CLEAN_TIMESTAMP, DROP_STALE)


def scan_delayed(
    store: DelayedQueueAccess,
    advance: Callable[[int], None] | None = None,
    unreadable: Collection[str] = (),
) -> list[Finding]:
    """Every finding about the delayed queue, read 100 timestamps at a time (none of the zset's
    when ``delayed_queue_schedule`` is in ``unreadable``). A ``delayed:<ts>`` list of the wrong
    type is a ``key-type`` finding and is not read."""
    out: list[Finding] = []
    start = 0
    skipped: list[bytes] = []
    while DELAYED_QUEUE_SCHEDULE not in unreadable and (members := store.schedule_window(start, 100)):
        start += len(members)
        types = dict(zip(members, store.list_types(members), strict=True))
        wrong = {m: t for m, t in types.items() if t not in ("list", "none")}
        out += examine_types({DELAYED_PREFIX + m.decode("utf-8", "replace"): t for m, t in wrong.items()})
        skipped += [DELAYED_PREFIX.encode() + m for m in wrong]
        members = [m for m in members if m not in wrong]
        for member, items in zip(members, store.lists_of(members), strict=True):
            ts = parse_timestamp_member(member)
            out += _list_findings(member, ts, items)
            if ts is not None and advance is not None:
                advance(len(items))
    out += [_stale_finding(item, member) for item, member in store.stale_timestamps(skipped)]
    return out


def _list_findings(member: bytes, ts: int | None, items: list[bytes]) -> list[Finding]:
    """The findings about one schedule member (``ts``, its second, ``None`` when it names none)
    and the items of its ``delayed:<ts>`` list."""
    if ts is None:
        text = member.decode("utf-8", "replace")
        detail = f"member {text!r} is not an integer timestamp ({len(items)} item(s) in its list)"
        return [
            Finding("delayed-timestamp-bad", "error", DELAYED_QUEUE_SCHEDULE, detail, QUARANTINE, raw=member)
        ]
    out: list[Finding] = []
    if not items:
        detail = f"{delayed_key(ts)} is empty or gone"
        out.append(
            Finding(
                "delayed-timestamp-empty", "info", DELAYED_QUEUE_SCHEDULE, detail, CLEAN_TIMESTAMP, index=ts
            )
        )
    for raw in items:
        try:
            decode_delayed_item(raw)
        except DecodeError as exc:
            key = delayed_key(ts)
            out.append(
                Finding("delayed-item-unreadable", "error", key, exc.reason, SET_ASIDE, index=ts, raw=raw)
            )
    return out


def _stale_finding(item: bytes, member: bytes) -> Finding:
    """A ``timestamps:<item>`` member naming a ``delayed:<ts>`` list that lacks the item."""
    name = member.decode("utf-8", "replace")
    detail = f"timestamps: set of an item names {name}, which does not hold it"
    return Finding("delayed-timestamps-stale", "warning", name, detail, DROP_STALE, field=member, raw=item)


def repair_delayed(store: DelayedQueueAccess, f: Finding) -> bool:
    """Apply one finding's repair; False when the state changed meanwhile (left alone)."""
    if f.repair == QUARANTINE and f.raw is not None:
        store.quarantine_member(f.raw)
        return True
    if f.repair == SET_ASIDE and f.raw is not None and f.index is not None:
        return store.set_aside_item(f.index, f.raw)
    if f.repair == CLEAN_TIMESTAMP and f.index is not None:
        return store.clean_up_timestamp(f.index)
    if f.repair == DROP_STALE and f.raw is not None and f.field is not None:
        return store.drop_stale_timestamp(f.raw, f.field)
    return False
