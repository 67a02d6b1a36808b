"""``Resque::Failure::Redis``: every failure in one ``failed`` list.

Records are written in Ruby's key order and re-encoded exactly as Ruby would when changed
(requeue adds ``retried_at`` and keeps every other key in place). Entries read back keep their
raw bytes; an entry that is not valid JSON is reported with its bytes, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import DecodeError, FailureQueueError
from ..protocol import FailureRecord, Profile, decode, encode
from ..protocol.keys import FAILED
from ..protocol.records import payload_args, record_payload
from ..protocol.times import format_failed_at
from ..store import FailedQueueAccess
from .base import Create, FailureEntry, read_entry


class RedisFailure:
    """``Resque::Failure::Redis``: one ``failed`` list; ids are list indexes, 0 the oldest."""

    def __init__(self, store: FailedQueueAccess, create: Create, profile: Profile = Profile.JSON_GEM) -> None:
        self.store = store
        self.create = create
        self.profile = profile

    def save(self, record: FailureRecord) -> None:
        """``Failure::Redis#save``: ``RPUSH failed <record>`` (multi-queue: ``<queue>_failed``)."""
        self.store.push_to_failed_queue(record.encode(self.profile), self._list_for(record.queue))

    def save_releasing(self, record: FailureRecord, worker_id: str, held: bytes) -> bool:
        """``save`` and ``DEL worker:<id>`` at once, only while ``worker:<id>`` still holds
        ``held`` (``FailedQueueAccess.push_releasing``); ``False`` when it holds something else."""
        data = record.encode(self.profile)
        return self.store.push_releasing(data, self._list_for(record.queue), worker_id, held)

    def save_settling(
        self, record: FailureRecord, worker_id: str, mark: str, *, count: bool, anyway: bool
    ) -> int:
        """A worker's own failed job: ``save``, the failure counted when ``count``, and the job's
        ``done_working``, in one script (``FailedQueueAccess.push_settling``): ``SETTLED``, or
        ``PUSHED`` / 0 when ``worker:<id>`` no longer held the value whose SHA-1 is ``mark``."""
        data = record.encode(self.profile)
        return self.store.push_settling(
            data, self._list_for(record.queue), worker_id, mark, count=count, anyway=anyway
        )

    def _list_for(self, queue: str) -> str:
        """The failure list a job of ``queue`` goes to."""
        return FAILED

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
        payload = record_payload(record)
        if not isinstance(record, dict) or not isinstance(payload, dict):
            raise DecodeError(raw, "failure record has no payload object", failed_queue)
        record["retried_at"] = retried_at
        self.store.update_item_in_failed_queue(index, encode(record, self.profile, "failure"), failed_queue)
        self.create(str(record.get("queue")), str(payload.get("class")), payload_args(payload))

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
