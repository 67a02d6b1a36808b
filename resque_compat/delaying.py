"""Delayed jobs on ``Resque``: resque-scheduler 5.0's ``DelayingExtensions``, method by method.

    >>> r.enqueue_at(datetime(2030, 1, 1, tzinfo=timezone.utc), "Archive", 44)   # Ruby-named class
    >>> r.enqueue_in_with_queue("high", 90, ArchiveJob, 44)
    >>> r.scheduled_at("Archive", 44)
    [1893456000]
    >>> r.remove_delayed("Archive", 44)
    1

Every item is written with Ruby's bytes (``{"class":…,"args":[…],"queue":…}``), so Ruby's
``remove_delayed`` removes what Python scheduled and the reverse. Timestamps are epoch seconds or
aware datetimes; a naive datetime is refused. The scheduler hooks (``before_schedule*``,
``after_schedule*``, ``before_delayed_enqueue*``) run as ``Resque::Scheduler::Plugin`` runs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import jobs
from .errors import DecodeError
from .protocol.delayed import (
    decode_delayed_item,
    delayed_item,
    encode_delayed_item,
    epoch_seconds,
    job_params,
    parse_timestamp_member,
)
from .protocol.records import json_object, payload_class
from .protocol.rubyjson import decode, encode

if TYPE_CHECKING:
    from .protocol.rubyjson import Profile
    from .store import DelayedQueueAccess

Predicate = Callable[[list[Any]], bool]


def run_hooks(job_class: Any, prefix: str, args: Sequence[Any]) -> bool:
    """``Plugin.run_hooks``: every hook runs; True unless one returned exactly ``False``."""
    results = [hook(*args) for hook in jobs.hooks(job_class, prefix)]
    return all(r is not False for r in results)


class DelayingExtensions:
    """Mixed into ``Resque``; the state lives in ``self.delayed_store`` (``store.delayed``)."""

    delayed_store: DelayedQueueAccess
    profile: Profile
    inline: bool
    registry: Mapping[str, Any]

    if TYPE_CHECKING:  # provided by Resque

        def validate(self, job_class: Any, queue: str | None = None) -> None: ...
        def enqueue_to(self, queue: str | None, job_class: Any, *args: Any) -> bool | None: ...
        def create(self, queue: str | None, job_class: Any, *args: Any) -> None: ...
        @staticmethod
        def queue_from_class(job_class: Any) -> str | None: ...

    # scheduling
    def enqueue_at(self, timestamp: Any, job_class: Any, *args: Any) -> bool | None:
        """``enqueue_at``: ``validate`` then ``enqueue_at_with_queue`` on the class's queue."""
        self.validate(job_class)
        return self.enqueue_at_with_queue(self.queue_from_class(job_class), timestamp, job_class, *args)

    def enqueue_at_with_queue(
        self, queue: str | None, timestamp: Any, job_class: Any, *args: Any
    ) -> bool | None:
        """``enqueue_at_with_queue``: inside the schedule hooks, a due (or inline) job is enqueued
        now (``scheduled`` on a custom job class, else ``enqueue_to``); a later one is
        ``delayed_push``ed. ``None`` when a ``before_schedule`` hook returned ``False``."""
        ts = epoch_seconds(timestamp)
        if not run_hooks(job_class, "before_schedule", args):
            return None
        if self.inline or ts <= int(time.time()):
            scheduled = getattr(job_class, "scheduled", None)
            if not isinstance(job_class, str) and callable(scheduled):
                scheduled(queue, jobs.class_name(job_class), *args)
            else:
                self.enqueue_to(queue, job_class, *args)
        else:
            self.delayed_store.delayed_push(
                ts, encode_delayed_item(jobs.class_name(job_class), args, queue, self.profile)
            )
        return run_hooks(job_class, "after_schedule", args)

    def enqueue_in(self, seconds: float, job_class: Any, *args: Any) -> bool | None:
        """``enqueue_in``: ``enqueue_at(now + seconds)``; seconds must be a number."""
        return self.enqueue_at(time.time() + _seconds(seconds), job_class, *args)

    def enqueue_in_with_queue(
        self, queue: str | None, seconds: float, job_class: Any, *args: Any
    ) -> bool | None:
        """``enqueue_in_with_queue``."""
        return self.enqueue_at_with_queue(queue, time.time() + _seconds(seconds), job_class, *args)

    def delay_or_enqueue_at(self, timestamp: Any, job_class: Any, *args: Any) -> int:
        """``delay_or_enqueue_at``: move matching delayed jobs to ``timestamp`` (or schedule one)."""
        count = self.remove_delayed(job_class, *args) or 1
        for _ in range(count):
            self.enqueue_at(timestamp, job_class, *args)
        return count

    def delay_or_enqueue_in(self, seconds: float, job_class: Any, *args: Any) -> int:
        """``delay_or_enqueue_in``."""
        return self.delay_or_enqueue_at(time.time() + _seconds(seconds), job_class, *args)

    def delayed_push(self, timestamp: Any, item: Mapping[str, Any]) -> None:
        """``delayed_push``: ``item`` (``{"class", "args", "queue"}``, in the caller's key order)
        encoded once; its bytes go to ``delayed:<ts>`` and name its ``timestamps:`` set."""
        self.delayed_store.delayed_push(epoch_seconds(timestamp), encode(dict(item), self.profile, "item"))

    # reading
    def delayed_queue_peek(self, start: int, count: int) -> list[int]:
        """``delayed_queue_peek``: a window of the timestamps, oldest first."""
        return [_to_i(m) for m in self.delayed_store.schedule_window(start, count)]

    def delayed_queue_schedule_size(self) -> int:
        """``delayed_queue_schedule_size``: how many timestamps (not jobs)."""
        return self.delayed_store.schedule_size()

    def delayed_timestamp_size(self, timestamp: Any) -> int:
        """``delayed_timestamp_size``."""
        return self.delayed_store.timestamp_size(epoch_seconds(timestamp))

    def delayed_timestamp_peek(self, timestamp: Any, start: int, count: int) -> list[Any]:
        """``delayed_timestamp_peek``: decoded items of one timestamp (``DecodeError`` for bad)."""
        raws = self.delayed_store.timestamp_items(epoch_seconds(timestamp), start, count)
        return [_decode_or_error(raw) for raw in raws]

    def delayed_timestamp_items(self, timestamp: Any, start: int = 0, count: int = 50) -> list[Any]:
        """A window of one timestamp as ``DelayedItem`` (raw kept) or the ``DecodeError``."""
        out: list[Any] = []
        for raw in self.delayed_store.timestamp_items(epoch_seconds(timestamp), start, count):
            try:
                out.append(decode_delayed_item(raw))
            except DecodeError as exc:
                out.append(exc)
        return out

    def next_delayed_timestamp(self, at_time: Any = None) -> int | None:
        """``next_delayed_timestamp``: the oldest timestamp due by ``at_time`` (default now)."""
        at = int(time.time()) if at_time is None else epoch_seconds(at_time)
        member = self.delayed_store.next_due_timestamp(at)
        return None if member is None else _to_i(member)

    def count_all_scheduled_jobs(self) -> int:
        """``count_all_scheduled_jobs``."""
        return self.delayed_store.count_all()

    def scheduled_at(self, job_class: Any, *args: Any) -> list[int]:
        """``scheduled_at``: the timestamps holding exactly this job (``timestamps:<bytes>``)."""
        search = self._delayed_search(job_class, args, self.queue_from_class(job_class))
        return sorted(_to_i(m) for m in self.delayed_store.timestamps_of(search))

    def is_delayed(self, job_class: Any, *args: Any) -> bool:
        """``delayed?``."""
        return bool(self.scheduled_at(job_class, *args))

    def find_delayed_selection(self, job_class: Any = None, *, where: Predicate) -> list[bytes]:
        """``find_delayed_selection``: the raw items (of ``job_class``, if given) whose ``args``
        satisfy ``where``; items that are not JSON are passed over."""
        wanted = None if job_class is None else jobs.class_name(job_class)
        members = self.delayed_store.all_timestamps()
        found = []
        for items in self.delayed_store.lists_of(members):
            for raw in items:
                payload = json_object(raw)
                if payload is None:
                    continue
                if (wanted is None or payload_class(payload) == wanted) and where(
                    job_params(payload.get("args"))
                ):
                    found.append(raw)
        return found

    # removing
    def remove_delayed(self, job_class: Any, *args: Any) -> int:
        """``remove_delayed``: every delayed copy of exactly this job (class's queue)."""
        return self._remove_delayed_job(
            self._delayed_search(job_class, args, self.queue_from_class(job_class))
        )

    def remove_delayed_in_queue(self, job_class: Any, queue: str | None, *args: Any) -> int:
        """``remove_delayed_in_queue``."""
        return self._remove_delayed_job(self._delayed_search(job_class, args, queue))

    def remove_delayed_job_from_timestamp(self, timestamp: Any, job_class: Any, *args: Any) -> int:
        """``remove_delayed_job_from_timestamp``: from one timestamp, cleaning it up if emptied."""
        if self.inline:
            return 0
        search = self._delayed_search(job_class, args, self.queue_from_class(job_class))
        return self.delayed_store.remove_from_timestamp(epoch_seconds(timestamp), search)

    def remove_delayed_selection(self, job_class: Any = None, *, where: Predicate) -> int:
        """``remove_delayed_selection``."""
        return sum(
            self._remove_delayed_job(raw) for raw in self.find_delayed_selection(job_class, where=where)
        )

    def remove_delayed_item(self, raw: bytes) -> int:
        """Remove one delayed item by its exact bytes (``remove_delayed_job``, public here)."""
        return self._remove_delayed_job(raw)

    def reset_delayed_queue(self) -> None:
        """``reset_delayed_queue``: every delayed job and the schedule."""
        self.delayed_store.reset()

    # enqueueing now
    def enqueue_delayed(self, job_class: Any, *args: Any) -> int:
        """``enqueue_delayed``: remove this job's delayed copies and enqueue each now."""
        item = delayed_item(jobs.class_name(job_class), args, self.queue_from_class(job_class))
        count = self.remove_delayed(job_class, *args)
        for _ in range(count):
            self.enqueue_from_config(item)
        return count

    def enqueue_delayed_with_queue(self, job_class: Any, queue: str | None, *args: Any) -> int:
        """``enqueue_delayed_with_queue``."""
        item = delayed_item(jobs.class_name(job_class), args, queue)
        count = self.remove_delayed_in_queue(job_class, queue, *args)
        for _ in range(count):
            self.enqueue_from_config(item)
        return count

    def enqueue_delayed_selection(self, job_class: Any = None, *, where: Predicate) -> int:
        """``enqueue_delayed_selection``."""
        total = 0
        for raw in self.find_delayed_selection(job_class, where=where):
            found = decode_delayed_item(raw)
            cls = self._performer_or_name(found.class_name)
            if found.queue:
                total += self.enqueue_delayed_with_queue(cls, found.queue, *found.args)
            else:
                total += self.enqueue_delayed(cls, *found.args)
        return total

    def enqueue_delayed_item(self, raw: bytes) -> int:
        """Remove one delayed item by its bytes and enqueue it now ("Queue now" on the dashboard)."""
        found = decode_delayed_item(raw)
        count = self._remove_delayed_job(raw)
        for _ in range(count):
            self.enqueue_from_config(found.payload)
        return count

    def enqueue_from_config(self, config: Mapping[str, Any]) -> None:
        """``Scheduler.enqueue_from_config``: a delayed item or schedule config becomes a job.

        A class registered here (``registry``) runs the schedule hooks, the
        ``before_delayed_enqueue`` hooks and ``scheduled`` or ``enqueue_to``; a class known only
        by name is pushed with ``Job.create``, as Ruby does for a class it cannot constantize.
        ``custom_job_class`` (other than ``Resque::Job``) is what gets enqueued for a name-only
        class, as when Ruby cannot constantize it.
        """
        name = str(config.get("class") or "")
        params = job_params(config.get("args"))
        performer = self.registry.get(name)
        queue = config.get("queue") or self.queue_from_class(performer if performer is not None else name)
        custom = config.get("custom_job_class")
        if custom and custom != "Resque::Job":
            handler = self.registry.get(str(custom))
            scheduled = getattr(handler, "scheduled", None)
            if callable(scheduled):
                scheduled(queue, name, *params)
            else:
                self.create(queue, str(custom), *params)
            return
        if performer is None:
            self.create(queue, name, *params)
            return
        if not run_hooks(performer, "before_schedule", params):
            return
        run_hooks(performer, "before_delayed_enqueue", params)
        scheduled = getattr(performer, "scheduled", None)
        if callable(scheduled):
            scheduled(queue, name, *params)
        else:
            self.enqueue_to(queue, performer, *params)
        run_hooks(performer, "after_schedule", params)

    def last_enqueued_at(self, job_name: str, date: str) -> None:
        """``last_enqueued_at``: record when a schedule last enqueued."""
        self.delayed_store.set_last_enqueued_at(job_name, date)

    def get_last_enqueued_at(self, job_name: str) -> str | None:
        """``get_last_enqueued_at``."""
        raw = self.delayed_store.last_enqueued_at(job_name)
        return None if raw is None else raw.decode("utf-8", "replace")

    # helpers
    def _delayed_search(self, job_class: Any, args: Sequence[Any], queue: str | None) -> bytes:
        return encode_delayed_item(jobs.class_name(job_class), args, queue, self.profile)

    def _remove_delayed_job(self, raw: bytes) -> int:
        return 0 if self.inline else self.delayed_store.remove_item(raw)

    def _performer_or_name(self, name: str) -> Any:
        performer = self.registry.get(name)
        return performer if performer is not None else name


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("Please supply a numeric number of seconds")
    return float(value)


def _to_i(member: bytes) -> int:
    found = parse_timestamp_member(member)
    return 0 if found is None else found


def _decode_or_error(raw: bytes) -> Any:
    try:
        return decode(raw)
    except DecodeError as exc:
        return exc
