"""``resque-compat move --from-delayed``: re-target delayed jobs of chosen classes to another queue.

Each matching item of ``delayed:<ts>`` is rewritten in place with the new ``queue`` (the bytes
``delayed_push`` would write for it, key order kept) and its ``timestamps:`` entry moves from the
old bytes' set to the new one, in one script per item: an item that changed meanwhile (the
scheduler moved it, someone removed it) is left alone and counted as skipped. When the scheduler
moves it later, it goes to the new queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import DecodeError
from ..protocol import Profile, encode
from ..protocol.delayed import decode_delayed_item, parse_timestamp_member
from ..store.delayed import DelayedQueueAccess


@dataclass
class DelayedMoveReport:
    moved: int = 0
    skipped: int = 0
    matched: int = 0
    by_class: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "skipped": self.skipped,
            "matched": self.matched,
            "by_class": self.by_class,
        }


def retarget(item: dict[str, Any], queue: str) -> dict[str, Any]:
    """The item with ``queue`` set (its place kept; appended when it had none)."""
    out = dict(item)
    out["queue"] = queue
    return out


def move_delayed(
    store: DelayedQueueAccess,
    classes: frozenset[str],
    to_queue: str,
    *,
    args: list[Any] | None = None,
    profile: Profile = Profile.JSON_GEM,
    dry_run: bool = False,
    advance: Callable[[int], None] | None = None,
) -> DelayedMoveReport:
    """Re-target every delayed item of ``classes`` (and ``args``, if given) to ``to_queue``."""
    report = DelayedMoveReport()
    start = 0
    while members := store.schedule_window(start, 100):
        for member, items in zip(members, store.lists_of(members), strict=True):
            ts = parse_timestamp_member(member)
            if ts is None:
                continue
            for index, raw in enumerate(items):
                try:
                    item = decode_delayed_item(raw)
                except DecodeError:
                    continue
                if item.class_name not in classes or (args is not None and item.args != args):
                    continue
                if item.queue == to_queue:
                    continue
                report.matched += 1
                if dry_run:
                    continue
                new = encode(retarget(item.payload, to_queue), profile, "item")
                if store.replace_item(ts, index, raw, new):
                    report.moved += 1
                    report.by_class[item.class_name] = report.by_class.get(item.class_name, 0) + 1
                else:
                    report.skipped += 1
            if advance is not None:
                advance(len(items))
        start += len(members)
    return report
