"""``Resque::Failure::Multiple``."""

from __future__ import annotations

from collections.abc import Sequence

from ..protocol import FailureRecord
from .base import FailureBackend, FailureEntry


class MultipleFailure:
    """``Resque::Failure::Multiple``: ``save`` and ``remove`` go to every backend; reads,
    requeues and clears to the first."""

    def __init__(self, backends: Sequence[FailureBackend]) -> None:
        if not backends:
            raise ValueError("Multiple needs at least one failure backend")
        self.backends = list(backends)
        self.first = self.backends[0]

    def save(self, record: FailureRecord) -> None:
        for b in self.backends:
            b.save(record)

    def save_releasing(self, record: FailureRecord, worker_id: str, held: bytes) -> bool | None:
        """The first backend's ``save_releasing`` (when it has one), then the others' ``save``
        when it recorded; ``None`` when the first cannot release (every backend saved)."""
        first = getattr(self.first, "save_releasing", None)
        if first is None:
            self.save(record)
            return None
        if not first(record, worker_id, held):
            return False
        for b in self.backends[1:]:
            b.save(record)
        return True

    def save_settling(
        self, record: FailureRecord, worker_id: str, mark: str, *, count: bool, anyway: bool
    ) -> int | None:
        """The first backend's ``save_settling`` (when it has one), then the others' ``save``
        when it wrote the record; ``None`` when the first cannot settle (every backend saved,
        nothing settled or counted)."""
        first = getattr(self.first, "save_settling", None)
        if first is None:
            self.save(record)
            return None
        outcome = int(first(record, worker_id, mark, count=count, anyway=anyway))
        if outcome:
            for b in self.backends[1:]:
                b.save(record)
        return outcome

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
