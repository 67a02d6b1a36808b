"""Moving due delayed items to their queues: ``handle_delayed_items``,
``enqueue_delayed_items_for_timestamp`` and ``enqueue_items_in_batch_for_timestamp``.

Each batch is one ``WATCH``/``MULTI`` transaction (``DelayedQueueAccess.move_batch``): an item
leaves its ``delayed:<ts>`` list exactly when its job is pushed, so a lost connection or a
killed process loses and duplicates nothing. The job is the item decoded and re-encoded as
``Job.create`` writes it (``{"class","args"}`` in this profile's bytes), as Ruby does. What
cannot become a job (not JSON, no class, no queue) goes, raw, to ``delayed:unmovable`` and is
logged; Ruby logs and drops it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import jobs
from ..delaying import run_hooks
from ..errors import DecodeError, EncodeError
from ..protocol.delayed import decode_delayed_item, parse_timestamp_member
from ..protocol.keys import DELAYED_QUEUE_SCHEDULE, UNMOVABLE, delayed_key
from ..protocol.payloads import encode_job
from ..protocol.rubyjson import Profile
from ..store import DelayedQueueAccess, Enqueue, Unmovable
from ..store.delayed import Plan


@dataclass
class MoveStats:
    moved: int = 0
    unmovable: int = 0
    vetoed: int = 0
    batches: int = 0
    conflicts: int = 0
    after: list[Callable[[], Any]] = field(default_factory=list)


class DelayedMover:
    """Moves every due item, timestamp by timestamp, in batches of ``batch_size``."""

    def __init__(
        self,
        store: DelayedQueueAccess,
        profile: Profile,
        performers: Mapping[str, Any],
        log: logging.Logger,
        batch_size: int = 100,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.store = store
        self.profile = profile
        self.performers = performers
        self.log = log
        self.batch_size = batch_size
        self.keep_going = keep_going

    def handle_delayed_items(self, at_time: int | None = None) -> MoveStats:
        """``handle_delayed_items``: every timestamp due by ``at_time`` (default: now, re-read
        each round as Ruby does), until none is due or ``keep_going`` says stop."""
        stats = MoveStats()
        while self.keep_going():
            member = self.store.next_due_timestamp(int(time.time()) if at_time is None else at_time)
            if member is None:
                break
            ts = parse_timestamp_member(member)
            if ts is None:
                self._bad_member(member, stats)
                continue
            self.enqueue_delayed_items_for_timestamp(ts, stats)
        return stats

    def enqueue_delayed_items_for_timestamp(self, timestamp: int, stats: MoveStats) -> None:
        """Batches until one comes back short; a conflicting write ends the round (retried by
        the caller's loop, as Ruby's ``-1``)."""
        while self.keep_going():
            stats.after = []
            batch = self.store.move_batch(
                timestamp, self.batch_size, lambda raw: self._plan(raw, timestamp, stats)
            )
            stats.batches += 1
            if not batch.committed:
                stats.conflicts += 1
                self.log.debug("%s changed during a batch; retrying", delayed_key(timestamp))
                return
            self._after_commit(stats.after)
            if len(batch.items) < self.batch_size:
                self.store.clean_up_timestamp(timestamp)
                return

    def _after_commit(self, callbacks: list[Callable[[], Any]]) -> None:
        """The committed batch's ``scheduled`` calls and after hooks, each on its own: one that
        raises is logged and the others still run (a raising ``scheduled`` used to skip the
        ``scheduled`` of every later item of its batch, whose items had left their list)."""
        for callback in callbacks:
            try:
                callback()
            except Exception:
                self.log.exception("a delayed item's scheduled method or after hook raised")

    def _plan(self, raw: bytes, timestamp: int, stats: MoveStats) -> Plan:
        try:
            item = decode_delayed_item(raw)
        except DecodeError as exc:
            return self._unmovable(raw, timestamp, exc.reason, stats)
        performer = self.performers.get(item.class_name)
        queue = item.queue or jobs.queue_from_class(performer)
        if not queue:
            return self._unmovable(
                raw, timestamp, "no queue: the item names none and no class gives one", stats
            )
        params = item.args
        if performer is not None and _has_hooks(performer):
            return self._with_hooks(performer, item.class_name, queue, params, stats)
        try:
            payload = encode_job(item.class_name, params, self.profile)
        except EncodeError as exc:
            return self._unmovable(raw, timestamp, str(exc), stats)
        stats.moved += 1
        self.log.debug("queuing %s [delayed]", item.class_name)
        return Enqueue(queue, payload)

    def _with_hooks(self, performer: Any, name: str, queue: str, params: list[Any], stats: MoveStats) -> Plan:
        """``enqueue_from_config`` for a registered class: schedule hooks, ``before_delayed_enqueue``,
        ``scheduled`` or the enqueue hooks; the after hooks run once the batch is committed."""
        if not run_hooks(performer, "before_schedule", params):
            stats.vetoed += 1
            return None
        run_hooks(performer, "before_delayed_enqueue", params)
        scheduled = getattr(performer, "scheduled", None)
        if callable(scheduled):

            def call_scheduled() -> None:
                try:
                    scheduled(queue, name, *params)
                except Exception as exc:
                    raise RuntimeError(
                        f"{name}.scheduled({queue!r}, {params!r}) raised; not enqueued"
                    ) from exc

            stats.after.append(call_scheduled)
            stats.after.append(lambda: run_hooks(performer, "after_schedule", params))
            stats.moved += 1
            return None
        if not run_hooks(performer, "before_enqueue", params):
            stats.vetoed += 1
            return None
        stats.after.append(lambda: run_hooks(performer, "after_enqueue", params))
        stats.after.append(lambda: run_hooks(performer, "after_schedule", params))
        stats.moved += 1
        return Enqueue(queue, encode_job(name, params, self.profile))

    def _unmovable(self, raw: bytes, timestamp: int, reason: str, stats: MoveStats) -> Plan:
        stats.unmovable += 1
        self.log.error(
            "cannot enqueue a delayed item of %s (%s); kept raw on %s: %r",
            delayed_key(timestamp),
            reason,
            UNMOVABLE,
            raw[:200],
        )
        return Unmovable(raw)

    def _bad_member(self, member: bytes, stats: MoveStats) -> None:
        moved = self.store.quarantine_member(member)
        stats.unmovable += moved
        self.log.error(
            "%s member %r is not an integer timestamp; its %d item(s) moved raw to %s and the member removed",
            DELAYED_QUEUE_SCHEDULE,
            member,
            moved,
            UNMOVABLE,
        )


def _has_hooks(performer: Any) -> bool:
    names = jobs.job_methods(performer)
    prefixes = (
        "before_schedule",
        "after_schedule",
        "before_delayed_enqueue",
        "before_enqueue",
        "after_enqueue",
    )
    return "scheduled" in names or any(n.startswith(prefixes) for n in names)
