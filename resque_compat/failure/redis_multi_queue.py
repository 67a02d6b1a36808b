"""``Resque::Failure::RedisMultiQueue``: one ``<queue>_failed`` list per job queue, named in
``failed_queues``. Shares the Redis backend's reads, requeue and removal."""

from __future__ import annotations

from ..protocol.keys import FAILED, failure_queue_name, job_queue_name
from ..protocol.times import format_multi_queue_retried_at
from .redis import RedisFailure


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
