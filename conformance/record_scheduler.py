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
