"""The delayed-queue half of the dashboard bench (``python -m bench.dashboard``): the Delayed
and Schedule tabs on 1,000,000 delayed jobs over 100,000 timestamps beside 1,000 over 100.

Each side's first timestamp holds a tenth of its jobs (100,000 on the big side), the others
share the rest; every item has its ``timestamps:<item>`` set, as ``delayed_push`` writes. Both
sides have the same 20 dynamic schedules. ``{delayed_last}`` in a path is the side's last page
of timestamps, ``{delayed_first}`` its first timestamp, ``{delayed_first_last}`` the last page
of that timestamp's jobs.
"""

from __future__ import annotations

import redis

T0 = 4102444800
"""2100-01-01 00:00:00 UTC: the first timestamp (never due, so no scheduler would move them)."""
BATCH = 10_000
SCHEDULES = 20

PATHS = [
    "/delayed?start={delayed_last}",
    "/delayed?class=Nope",
    "/delayed/{delayed_first}",
    "/delayed/{delayed_first}?start={delayed_first_last}",
    "/delayed/{delayed_second}",
    "/api/delayed",
    "/api/delayed?start={delayed_last}",
    "/api/delayed/{delayed_first}?start={delayed_first_last}",
    "/api/schedule",
]
"""Beside the general table's ``/delayed`` and ``/schedule``."""


def item(i: int) -> bytes:
    return b'{"class":"Reminder","args":[%d,"abcdefghijklmnopqrstuvwxy"],"queue":"mail"}' % i


def populate(client: redis.Redis, ns: str, jobs: int, timestamps: int) -> None:
    """``jobs`` delayed items over ``timestamps`` seconds from ``T0``: a tenth at the first,
    the rest spread evenly, written straight into Redis in pipelined batches."""
    first = jobs - (jobs - jobs // 10) // (timestamps - 1) * (timestamps - 1)
    per = (jobs - first) // (timestamps - 1)
    plan = [(T0, 0, first)] + [(T0 + t, first + (t - 1) * per, per) for t in range(1, timestamps)]
    pipe = client.pipeline(transaction=False)
    pending = 0
    for ts, lo, count in plan:
        member = f"delayed:{ts}"
        for start in range(lo, lo + count, BATCH):
            items = [item(i) for i in range(start, min(lo + count, start + BATCH))]
            pipe.rpush(f"{ns}:{member}", *items)
            for raw in items:
                pipe.sadd(f"{ns}:timestamps:".encode() + raw, member)
            pending += len(items)
        if pending >= BATCH:
            pipe.execute()
            pending = 0
    pipe.execute()
    for lo in range(0, timestamps, BATCH):
        stamps = range(T0 + lo, T0 + min(timestamps, lo + BATCH))
        client.zadd(f"{ns}:delayed_queue_schedule", {str(ts): ts for ts in stamps})
    for n in range(SCHEDULES):
        config = b'{"cron":"%d 3 * * * UTC","class":"Report","queue":"reports","args":[%d]}' % (n, n)
        client.hset(f"{ns}:persistent_schedules", f"report-{n:02d}", config)
        client.hset(f"{ns}:delayed:last_enqueued_at", f"report-{n:02d}", "2026-11-27 03:00:00 +0000")


def last_pages(client: redis.Redis, ns: str) -> dict[str, int]:
    """The placeholders of ``PATHS`` for one side."""
    return {
        "delayed_last": max(0, int(client.zcard(f"{ns}:delayed_queue_schedule")) - 50),
        "delayed_first": T0,
        "delayed_second": T0 + 1,
        "delayed_first_last": max(0, int(client.llen(f"{ns}:delayed:{T0}")) - 50),
    }
