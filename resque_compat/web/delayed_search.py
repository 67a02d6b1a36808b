"""The Delayed tab's class search, in bounded slices: each request reads at most
``SEARCH_BUDGET`` delayed items whatever the delayed queue holds, in three round trips
(``ZRANGEBYSCORE ... LIMIT`` for a window of timestamps, one pipelined ``LLEN`` per timestamp
of it, then one pipelined ``LRANGE`` per timestamp read, their lengths summing to the budget at
most), and says how far it got so the page can offer to continue.

A position is a timestamp and an item offset in its list. It names the timestamp itself, not
its rank in ``delayed_queue_schedule``, so a scheduler moving due timestamps away between two
requests makes the search neither skip nor repeat the timestamps after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..store.delayed import DelayedQueueAccess

SEARCH_BUDGET = 500
"""Delayed items one search request reads at most."""
SEARCH_TIMESTAMPS = 200
"""Timestamps one search request looks at most: their ``LLEN``s are the fixed cost of a request
even when the first few timestamps already fill the budget."""
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_:.]+")


@dataclass(slots=True)
class DelayedSearch:
    """What one bounded request found, and where the next one starts (``next_from``, the
    timestamp, and ``next_at``, the item offset in its list; ``next_from`` is ``None`` once
    the search reached the end of the delayed queue)."""

    found: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0
    timestamps: int = 0
    reached: int | None = None
    started: bool = False
    next_from: int | None = None
    next_at: int = 0


def _plan(
    rows: list[tuple[bytes, int]], sizes: list[int], at: int, out: DelayedSearch
) -> list[tuple[bytes, int, int, int]]:
    """The ``(member, timestamp, start, stop)`` slices to read from ``at`` in the first
    timestamp on, within the budget; sets where the next request starts."""
    plan, left = [], SEARCH_BUDGET
    for i, ((member, ts), size) in enumerate(zip(rows, sizes, strict=True)):
        if i == SEARCH_TIMESTAMPS or left == 0:
            out.next_from, out.next_at = ts, 0
            break
        first = max(0, at) if i == 0 else 0
        n = min(max(0, size - first), left)
        if n:
            plan.append((member, ts, first, first + n - 1))
        left -= n
        out.timestamps, out.reached = i + 1, ts
        if first + n < size:
            out.next_from, out.next_at = ts, first + n
            break
    return plan


def search_delayed(
    store: DelayedQueueAccess,
    class_name: str,
    start: int | None,
    at: int,
    row: Callable[[bytes], dict[str, Any]],
) -> DelayedSearch:
    """The delayed items of class ``class_name`` among the next ``SEARCH_BUDGET`` from
    timestamp ``start`` (the first when ``None``), item ``at`` of it; ``row`` decodes one."""
    out = DelayedSearch(started=start is not None)
    rows, sizes = store.schedule_from(start, SEARCH_TIMESTAMPS + 1)
    plan = _plan(rows, sizes, at, out)
    # A name JSON never escapes appears as its own bytes in every item naming it: only
    # those items are decoded. Any other name is looked for in every item, decoded.
    needle = class_name.encode() if _PLAIN_NAME.fullmatch(class_name) else b""
    slices = store.slices_of([(member, lo, hi) for member, _, lo, hi in plan])
    for (_, ts, _, _), items in zip(plan, slices, strict=True):
        out.read += len(items)
        for raw in items:
            if needle not in raw:
                continue
            found = row(raw)
            if found.get("class") == class_name:
                out.found.append({**found, "timestamp": ts})
    return out
