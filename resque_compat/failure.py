"""Failure backends: ``Resque::Failure::Redis``, ``RedisMultiQueue`` and ``Multiple``.

Records are written in Ruby's key order and re-encoded exactly as Ruby would when changed
(requeue adds ``retried_at`` and keeps every other key in place). Entries read back keep their
raw bytes; an entry that is not valid JSON is reported with its bytes, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import DecodeError, FailureQueueError
from .protocol import Profile, decode, encode, failure_queue_name, failure_record, job_queue_name
from .protocol.times import format_failed_at, format_multi_queue_retried_at
from .store import FAILED, FailedQueueAccess

Create = Callable[[str, str, list[Any]], None]
"""``Job.create(queue, class, *args)``: how a requeue pushes the job again."""


@dataclass(frozen=True, slots=True)
class FailureEntry:
    """One failure record as read: its index, raw bytes and decoded value (``None`` if unreadable)."""

    index: int
    raw: bytes
    record: dict[str, Any] | None
    error: str | None = None

    @property
    def class_name(self) -> str | None:
        payload = self.record.get("payload") if self.record else None
        cls = payload.get("class") if isinstance(payload, dict) else None
        return cls if isinstance(cls, str) else None

    @property
    def queue(self) -> str | None:
        q = self.record.get("queue") if self.record else None
        return q if isinstance(q, str) else None


def read_entry(index: int, raw: bytes) -> FailureEntry:
    """Decode one record, keeping the raw bytes and a reason when it is not a JSON object."""
    try:
        value = decode(raw)
    except DecodeError as exc:
        return FailureEntry(index, raw, None, exc.reason)
    if not isinstance(value, dict):
        return FailureEntry(index, raw, None, "not a JSON object")
    return FailureEntry(index, raw, value)


class FailureBackend(Protocol):
    """What a failure backend offers (``Resque::Failure::Base``)."""

    def save(
        self,
        *,
        payload: Any,
        exception: str,
        error: str,
        backtrace: Sequence[str],
        worker: str,
        queue: str,
    ) -> None: ...

    def count(self, queue: str | None = None, class_name: str | None = None) -> int: ...

    def queues(self) -> list[str]: ...

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureEntry]: ...

    def clear(self, queue: str | None = None) -> None: ...

    def requeue(self, index: int, queue: str | None = None) -> None: ...

    def remove(self, index: int, queue: str | None = None) -> None: ...

    def requeue_all(self) -> None: ...

    def requeue_queue(self, queue: str) -> None: ...

    def remove_queue(self, queue: str) -> None: ...


class RedisFailure:
    """``Resque::Failure::Redis``: one ``failed`` list; ids are list indexes, 0 the oldest."""

    def __init__(self, store: FailedQueueAccess, create: Create, profile: Profile = Profile.JSON_GEM) -> None:
        self.store = store
        self.create = create
        self.profile = profile

    def save(
        self,
        *,
        payload: Any,
        exception: str,
        error: str,
        backtrace: Sequence[str],
        worker: str,
        queue: str,
    ) -> None:
        """``Failure::Redis#save``: ``RPUSH failed <record>`` (multi-queue: ``<queue>_failed``)."""
        record = self._record(payload, exception, error, backtrace, worker, queue)
        self.store.push_to_failed_queue(record, self._list_for(queue))

    def _list_for(self, queue: str) -> str:
        """The failure list a job of ``queue`` goes to."""
        return FAILED

    def _record(
        self,
        payload: Any,
        exception: str,
        error: str,
        backtrace: Sequence[str],
        worker: str,
        queue: str,
    ) -> bytes:
        record = failure_record(
            failed_at=format_failed_at(),
            payload=payload,
            exception=exception,
            error=error,
            backtrace=backtrace,
            worker=worker,
            queue=queue,
        )
        return encode(record, self.profile, path="failure")

    @staticmethod
    def check_queue(queue: str | None) -> None:
        """``Failure::Redis.check_queue``: only ``failed`` (or none) is accepted."""
        if queue is not None and queue != FAILED:
            raise FailureQueueError(f"invalid queue: {queue}")

    def count(self, queue: str | None = None, class_name: str | None = None) -> int:
        """``LLEN failed``; with ``class_name``, the records whose payload class matches."""
        self.check_queue(queue)
        total = self.store.num_failed()
        if class_name is None:
            return total
        return sum(1 for e in self.each(0, total) if e.class_name == class_name)

    def queues(self) -> list[str]:
        return [FAILED]

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureEntry]:
        """Records ``offset .. offset+limit-1`` (``Failure::Redis.all``; always a list here)."""
        self.check_queue(queue)
        name = queue or FAILED
        return [read_entry(offset + i, raw) for i, raw in enumerate(self.store.items(offset, limit, name))]

    def each(
        self,
        offset: int = 0,
        limit: int | None = None,
        queue: str | None = None,
        class_name: str | None = None,
        order: str = "desc",
    ) -> Iterator[FailureEntry]:
        """``Failure::Redis.each``: one window, reversed *within the window* for ``desc``."""
        window = self.all(offset, self.store.num_failed(queue or FAILED) if limit is None else limit, queue)
        if order == "desc":
            window.reverse()
        for entry in window:
            if class_name is None or entry.class_name == class_name:
                yield entry

    def clear(self, queue: str | None = None) -> None:
        """``DEL failed``."""
        self.check_queue(queue)
        self.store.clear_failed_queue()

    def requeue(self, index: int, queue: str | None = None) -> None:
        """Add ``retried_at``, ``LSET`` the re-encoded record, then ``Job.create`` it again."""
        self.check_queue(queue)
        self._requeue(index, FAILED, format_failed_at())

    def _requeue(self, index: int, failed_queue: str, retried_at: str) -> None:
        raw = self.store.item(index, failed_queue)
        if raw is None:
            raise IndexError(f"no failure at index {index} in {failed_queue}")
        record = decode(raw, self.store.keys.failed_list(failed_queue))
        if not isinstance(record, dict) or not isinstance(record.get("payload"), dict):
            raise DecodeError(raw, "failure record has no payload object", failed_queue)
        record["retried_at"] = retried_at
        self.store.update_item_in_failed_queue(index, encode(record, self.profile, "failure"), failed_queue)
        payload = record["payload"]
        args = payload.get("args")
        self.create(
            str(record.get("queue")),
            str(payload.get("class")),
            list(args) if isinstance(args, list) else [],
        )

    def remove(self, index: int, queue: str | None = None) -> None:
        """``LSET failed i ""`` then ``LREM failed 1 ""``."""
        self.check_queue(queue)
        self.store.remove_from_failed_queue(index, queue or FAILED)

    def requeue_all(self) -> None:
        """``count.times { |i| requeue(i) }`` (already retried records are requeued again)."""
        for i in range(self.store.num_failed()):
            self.requeue(i)

    def requeue_queue(self, queue: str) -> None:
        """Requeue every record whose ``queue`` is ``queue``, walking by ``LINDEX``."""
        i = 0
        while (raw := self.store.item(i)) is not None:
            if read_entry(i, raw).queue == queue:
                self.requeue(i)
            i += 1

    def remove_queue(self, queue: str) -> None:
        """Remove every record whose ``queue`` is ``queue`` (index not advanced after a removal)."""
        i = 0
        while (raw := self.store.item(i)) is not None:
            if read_entry(i, raw).queue == queue:
                self.remove(i)
            else:
                i += 1

    def clear_retried(self) -> None:
        """resque-web's "Clear Retried": remove every record that has ``retried_at``, newest first."""
        for entry in list(self.each(0, None)):
            if entry.record is not None and "retried_at" in entry.record:
                self.remove(entry.index)


class RedisMultiQueueFailure(RedisFailure):
    """``Resque::Failure::RedisMultiQueue``: one ``<queue>_failed`` list per job queue."""

    def _list_for(self, queue: str) -> str:
        """``Failure.failure_queue_name``: ``<queue>_failed``, added to ``failed_queues`` first."""
        name = failure_queue_name(queue)
        self.store.add_failed_queue(name)
        return name

    @staticmethod
    def check_queue(queue: str | None) -> None:
        return None

    def queues(self) -> list[str]:
        """``SMEMBERS failed_queues``."""
        return self.store.failed_queue_names(from_set=True)

    def count(self, queue: str | None = None, class_name: str | None = None) -> int:
        if queue is None:
            return sum(self.count(q, class_name) for q in self.queues())
        total = self.store.num_failed(queue)
        if class_name is None:
            return total
        return sum(1 for e in self.each(0, total, queue) if e.class_name == class_name)

    def clear(self, queue: str | None = None) -> None:
        """Delete one failed queue, or every one named in ``failed_queues``."""
        for name in [queue] if queue else self.queues():
            self.store.clear_failed_queue(name)

    def requeue(self, index: int, queue: str | None = None) -> None:
        """As the Redis backend, with a zone-less ``retried_at``."""
        self._requeue(index, queue or FAILED, format_multi_queue_retried_at())

    def requeue_all(self) -> None:
        for name in self.queues():
            self.requeue_queue(job_queue_name(name))

    def requeue_queue(self, queue: str) -> None:
        """Requeue every record of ``<queue>_failed`` (``queue`` is the job queue)."""
        name = failure_queue_name(queue)
        self.store.add_failed_queue(name)
        for entry in list(self.each(0, None, name)):
            self.requeue(entry.index, name)

    def remove_queue(self, queue: str) -> None:
        """``DEL <queue>_failed``; Ruby re-adds the name to ``failed_queues`` on the way."""
        name = failure_queue_name(queue)
        self.store.add_failed_queue(name)
        self.store.remove_failed_queue(name)

    def clear_retried(self) -> None:
        for name in self.queues():
            for entry in list(self.each(0, None, name)):
                if entry.record is not None and "retried_at" in entry.record:
                    self.remove(entry.index, name)


class MultipleFailure:
    """``Resque::Failure::Multiple``: ``save`` and ``remove`` go to every backend; reads,
    requeues and clears to the first."""

    def __init__(self, backends: Sequence[FailureBackend]) -> None:
        if not backends:
            raise ValueError("Multiple needs at least one failure backend")
        self.backends = list(backends)
        self.first = self.backends[0]

    def save(
        self,
        *,
        payload: Any,
        exception: str,
        error: str,
        backtrace: Sequence[str],
        worker: str,
        queue: str,
    ) -> None:
        for b in self.backends:
            b.save(
                payload=payload,
                exception=exception,
                error=error,
                backtrace=backtrace,
                worker=worker,
                queue=queue,
            )

    def count(self, queue: str | None = None, class_name: str | None = None) -> int:
        return self.first.count(queue, class_name)

    def queues(self) -> list[str]:
        return self.first.queues()

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureEntry]:
        return self.first.all(offset, limit, queue)

    def clear(self, queue: str | None = None) -> None:
        self.first.clear(queue)

    def requeue(self, index: int, queue: str | None = None) -> None:
        self.first.requeue(index, queue)

    def remove(self, index: int, queue: str | None = None) -> None:
        for b in self.backends:
            b.remove(index, queue)

    def requeue_all(self) -> None:
        self.first.requeue_all()

    def requeue_queue(self, queue: str) -> None:
        self.first.requeue_queue(queue)

    def remove_queue(self, queue: str) -> None:
        self.first.remove_queue(queue)
