"""The resque-scheduler keyspace scenarios ``make fixtures`` records (``fixtures/keyspace/``).

Every step is a driver command both sides answer (``sched`` calls resque-scheduler's client API
by name), so ``tests/test_keyspace_replay.py`` replays them with resque_compat and compares the
keyspace with the one Ruby left. Timestamps are in 2100, so no call enqueues at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
Step = Callable[..., Any]

T0 = 4102444800  # 2100-01-01T00:00:00Z


def _cls(name: str) -> Json:
    return {"__class__": name}


def _at(epoch: int) -> Json:
    return {"__time__": epoch}


SCENARIOS: dict[str, str] = {
    "delayed_enqueue": "resque-scheduler 5.0 client calls: enqueue_at (a Time) twice for one "
    "class, enqueue_at_with_queue for a defined and an undefined class (epoch seconds), "
    "enqueue_in_with_queue far ahead, delayed_push of a hash, the same job at two timestamps, "
    "last_enqueued_at, and set_schedule with persist.",
    "delayed_remove": "delayed_enqueue, then remove_delayed, remove_delayed_job_from_timestamp, "
    "enqueue_delayed (to its queue now), remove_delayed_selection and remove_schedule.",
}


def delayed_enqueue(sc: Step) -> None:
    sc("define_job", name="Archive", queue="file_serve", behaviour="noop")
    sc("define_job", name="Billing::Charge", queue="billing", behaviour="noop")
    sc("sched", method="enqueue_at", args=[_at(T0), _cls("Archive"), 44, "masterbrew"])
    sc("sched", method="enqueue_at", args=[_at(T0), _cls("Archive"), {"a": 1.5, "b": None, "c": "é<&>"}])
    sc("sched", method="enqueue_at_with_queue", args=["high", T0 + 1, _cls("Billing::Charge"), 2**70])
    sc("sched", method="enqueue_at_with_queue", args=["other", T0 + 2, _cls("Unknown::Job"), "x"])
    sc("sched", method="enqueue_at", args=[T0 + 3, _cls("Archive"), 44, "masterbrew"])
    sc(
        "sched",
        method="delayed_push",
        args=[T0 + 4, {"class": "Archive", "args": [9], "queue": "file_serve"}],
    )
    sc("sched", method="last_enqueued_at", args=["nightly", "2026-11-27 10:00:00 +0000"])
    sc(
        "sched",
        method="set_schedule",
        args=["nightly", {"cron": "0 3 * * *", "class": "Archive", "persist": True}],
    )
    sc("sched", method="set_schedule", args=["memory_only", {"every": "1h", "class": "Archive"}])


def delayed_remove(sc: Step) -> None:
    sc("sched", method="remove_delayed", args=[_cls("Archive"), 44, "masterbrew"])
    sc("sched", method="remove_delayed_job_from_timestamp", args=[T0 + 1, _cls("Billing::Charge"), 2**70])
    sc("sched", method="enqueue_delayed", args=[_cls("Archive"), 9])
    sc(
        "sched",
        method="remove_delayed_selection",
        args=[_cls("Unknown::Job")],
        where={"index": 0, "equals": "x"},
    )
    sc("sched", method="remove_schedule", args=["nightly"])


def record(fresh: Callable[[str], Any], snap: Callable[[str, Any], None]) -> None:
    """Run both scenarios on one Ruby driver (``fresh(namespace)``), snapshotting each."""
    with fresh("rec_ks_delayed") as sc:
        delayed_enqueue(sc)
        snap("delayed_enqueue", sc)
        delayed_remove(sc)
        snap("delayed_remove", sc)


MARCH = 1772886896  # 2026-03-07T12:34:56Z, the day before New York springs forward
NOVEMBER = 1793505600  # 2026-11-01T04:00:00Z, the night New York falls back

CRONS = [
    "0 3 * * *",
    "*/15 * * * *",
    "0 9 * * 1-5",
    "0 9 * * mon-fri",
    "30 2 * * 0",
    "0 0 * * 7",
    "0 0 1,15 * 5",
    "1-10/3 * * * *",
    "0 0 1 * *",
    "0 0 29 2 *",
    "0 0 31 * *",
    "0 0 L * *",
    "0 0 * * mon#2",
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "*/10 * * * * *",
    "0 */2 * * * *",
    "30 15 10 * * *",
    "0 3 * * * Europe/Paris",
    "0 12 * * * UTC",
    "0 12 * * * Asia/Kolkata",
    "15 10 * * * +05:30",
    "0 2 * * * America/New_York",
    "30 1 * * * America/New_York",
    "0 0 * * 1L",
    "* * * * * * *",
    "not a cron",
    "61 * * * *",
]

DURATIONS = [
    "1h30m",
    "1d",
    "2w",
    "1M",
    "1y",
    "500",
    "0",
    "1.5s",
    "1.5",
    "30s",
    "10m",
    "1h",
    "3d4h",
    "1w2d",
    "-1h",
    "1m30",
    "foo",
    "1ms",
    "100ms",
    "P1D",
    "PT1H",
    "P1Y2M",
    "PT1.5S",
    "1.5h",
    "0.5d",
    "1H",
    "1s500ms",
    "2h-30m",
    "1y2M3w4d5h6m7s",
    "1h 30m",
    "1 hour",
    "2 days",
    " 1h ",
    "15mins",
    "1 minute",
    "45 seconds",
    "",
    "h",
    "1x",
]


def record_parsing(drv: Any) -> Json:
    """How rufus-scheduler/fugit read each cron (next 4 times after two instants) and duration."""
    crons = [[c, at, 4] for c in CRONS for at in (MARCH, NOVEMBER)]
    return dict(drv.call("sched_parse", crons=crons, durations=DURATIONS))
