"""Failures for the dashboard: pages, filters, per-class counts and the actions of resque-web's
failed pages (``Resque::Failure.each/count/requeue/remove/clear/requeue_all/requeue_queue`` and
``Server#failed_class_counts``), done through the configured failure backend.

Lists are read a window at a time (``LRANGE`` of ``CHUNK`` records), never whole. Actions on one
record name it by index *and* by a digest of the bytes the page showed: if the list shifted
since (another process removed a record), the action is refused instead of hitting a neighbour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import ResqueError
from ..failure import FailureBackend, RedisMultiQueueFailure, read_entry
from ..protocol import failure_queue_name, job_queue_name
from ..protocol.records import WRAPPER_CLASS
from ..store import FAILED, FailedQueueAccess
from .search import BUDGET, Needle, Window, search
from .views import FailureView, Page, digest, failure_view, job_view

CHUNK = 1000


class StaleRecordError(ResqueError, LookupError):
    """The record at an index is no longer the one the page showed."""


@dataclass(frozen=True, slots=True)
class FailureFilter(Needle):
    """Which records a view or bulk action covers: by job class, job queue and/or search text."""

    def matches(self, view: FailureView) -> bool:
        return self.matches_failure(view, _payload_class(view))


class FailureAdmin:
    """The failed lists behind one backend."""

    def __init__(self, backend: FailureBackend, store: FailedQueueAccess) -> None:
        self.backend = backend
        self.store = store

    # reading
    def multiple_queues(self) -> bool:
        """``failed_multiple_queues?``: more than one failed list, or the multi-queue backend."""
        return isinstance(self.backend, RedisMultiQueueFailure) or len(self.backend.queues()) > 1

    def queues(self) -> list[str]:
        """The failed lists: ``["failed"]`` or ``SMEMBERS failed_queues``, sorted."""
        return sorted(self.backend.queues())

    def exists(self, failed_queue: str) -> bool:
        """Whether the failed pages have a page for ``failed_queue``: a known failed list, or the
        single backend's ``failed`` (which exists even when empty)."""
        return failed_queue in self.queues() or (failed_queue == FAILED and not self.multiple_queues())

    def count(self, failed_queue: str | None = None) -> int:
        """``Failure.count(queue)``: one list's length, or every list's."""
        if failed_queue is None:
            return sum(self.store.num_failed(q) for q in self.queues())
        return self.store.num_failed(failed_queue)

    def page(
        self, failed_queue: str = FAILED, start: int = 0, per_page: int = 20, newest_first: bool = True
    ) -> Page[FailureView]:
        """One page of a failed list, newest first by default.

        Unlike resque-web (whose "desc" reverses only within a page, so page 1 shows the oldest
        records) the order runs across pages. Indexes stay the list's true indexes.
        """
        total = self.store.num_failed(failed_queue)
        start = max(0, min(start, total))
        if newest_first:
            hi = total - 1 - start
            lo = max(0, hi - per_page + 1)
            indexes = list(range(hi, lo - 1, -1)) if hi >= 0 else []
        else:
            lo = start
            indexes = list(range(lo, min(total, lo + per_page)))
        raws = self.store.items(lo, per_page, failed_queue) if indexes else []
        by_index = {lo + i: raw for i, raw in enumerate(raws)}
        items = [self._view(failed_queue, i, by_index[i]) for i in indexes if i in by_index]
        return Page(items, start, total, per_page)

    def search(
        self,
        failed_queue: str,
        where: FailureFilter,
        position: int = 0,
        per_page: int = 20,
        newest_first: bool = True,
        budget: int = BUDGET,
    ) -> Window[FailureView]:
        """Matching records from ``position`` of a newest- or oldest-first walk, reading at most
        ``budget`` records (see ``admin.search``)."""

        def check(index: int, raw: bytes) -> FailureView | None:
            view = self._view(failed_queue, index, raw)
            return view if where.matches(view) else None

        def read(start: int, count: int) -> list[bytes]:
            return self.store.items(start, count, failed_queue)

        total = self.store.num_failed(failed_queue)
        return search(read, total, position, per_page, newest_first, check, where.screen(), budget)

    def scan(self, failed_queue: str = FAILED) -> Iterator[FailureView]:
        """Every record of a failed list, oldest first, read ``CHUNK`` at a time."""
        offset = 0
        while True:
            raws = self.store.items(offset, CHUNK, failed_queue)
            for i, raw in enumerate(raws):
                yield self._view(failed_queue, offset + i, raw)
            if len(raws) < CHUNK:
                return
            offset += CHUNK

    def record(self, failed_queue: str, index: int) -> FailureView | None:
        """One record by index (``Failure.all(index)``), ``None`` past the end."""
        raw = self.store.item(index, failed_queue)
        return None if raw is None else self._view(failed_queue, index, raw)

    def class_counts(self, failed_queue: str = FAILED, limit: int = BUDGET) -> dict[str, int]:
        """``failed_class_counts``: payload class -> records (``nil`` when there is none), over
        the newest ``limit`` records at most."""

        def check(index: int, raw: bytes) -> str:
            return _payload_class(self._view(failed_queue, index, raw)) or "nil"

        def read(start: int, count: int) -> list[bytes]:
            return self.store.items(start, count, failed_queue)

        found = search(read, self.count(failed_queue), 0, limit, True, check, lambda _r: True, limit)
        counts: dict[str, int] = {}
        for name in found.items:
            counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    @staticmethod
    def view(failed_queue: str, index: int, raw: bytes) -> FailureView:
        """One record's view from its raw bytes, as the pages show it."""
        entry = read_entry(index, raw)
        return failure_view(failed_queue, index, raw, entry.record)

    _view = view

    # acting
    def _check(self, failed_queue: str, index: int, expected: str | None) -> bytes:
        raw = self.store.item(index, failed_queue)
        if raw is None:
            raise StaleRecordError(f"there is no failure {index} in {failed_queue} any more")
        if expected is not None and digest(raw) != expected:
            raise StaleRecordError(
                f"failure {index} in {failed_queue} changed since the page was shown; nothing was done"
            )
        return raw

    def _queue_arg(self, failed_queue: str) -> str | None:
        # Failure::Redis refuses any queue argument but "failed"; pass one only where it means something.
        return None if failed_queue == FAILED and not self.multiple_queues() else failed_queue

    def retry(self, failed_queue: str, index: int, expected: str | None = None) -> str | None:
        """``Failure.requeue(index, queue)``; returns the record's new ``retried_at``."""
        self._check(failed_queue, index, expected)
        self.backend.requeue(index, self._queue_arg(failed_queue))
        view = self.record(failed_queue, index)
        return view.retried_at.raw if view is not None and view.retried_at is not None else None

    def remove(self, failed_queue: str, index: int, expected: str | None = None) -> None:
        """``Failure.remove(index, queue)``."""
        self._check(failed_queue, index, expected)
        self.backend.remove(index, self._queue_arg(failed_queue))

    def clear(self, failed_queue: str | None = None) -> int:
        """``Failure.clear(queue)``: one failed list, or (no queue) what the backend clears;
        returns how many records there were just before."""
        before = self.count(failed_queue)
        self.backend.clear(None if failed_queue is None else self._queue_arg(failed_queue))
        return before

    def clear_retried(self) -> int:
        """``Failure.clear_retried``: remove every record that has a ``retried_at``; returns how many."""
        done = 0
        for failed_queue in self.queues():
            for pair in reversed(self._matching(failed_queue, None, retried_only=True)):
                done += self._remove_if_same(failed_queue, pair)
        return done

    def retry_all(self, failed_queue: str | None = None) -> int:
        """``Failure.requeue_all``, or ``requeue_queue(job_queue_name(q))`` for one failed list;
        returns how many records the list(s) held."""
        before = self.count(failed_queue)
        if failed_queue is None:
            self.backend.requeue_all()
        else:
            self.backend.requeue_queue(job_queue_name(failed_queue))
        return before

    def bulk(self, action: str, failed_queue: str, where: FailureFilter) -> int:
        """Retry or remove every record of ``failed_queue`` that ``where`` selects; returns how many.

        Removal walks from the newest record down, so earlier indexes stay put; a record that
        changed under the walk is skipped, not mistaken for another.
        """
        chosen = self._matching(failed_queue, where)
        if action == "retry":
            done = 0
            for index, raw in chosen:
                if self.store.item(index, failed_queue) == raw:
                    self.backend.requeue(index, self._queue_arg(failed_queue))
                    done += 1
            return done
        if action == "remove":
            return sum(self._remove_if_same(failed_queue, pair) for pair in reversed(chosen))
        raise ValueError(f"unknown bulk action {action!r}; use retry or remove")

    def chosen(self, action: str, failed_queue: str, picks: list[tuple[int, str]]) -> tuple[int, int]:
        """Retry or remove the records a page's checkboxes chose, each named by index and the
        digest of the bytes shown; returns ``(done, skipped)`` where skipped records had changed
        (or gone) since. Removal goes from the highest index down so the others stay put."""
        if action not in ("retry", "remove"):
            raise ValueError(f"unknown action {action!r}; use retry or remove")
        done = skipped = 0
        for index, expected in sorted(set(picks), reverse=action == "remove"):
            raw = self.store.item(index, failed_queue)
            if raw is None or digest(raw) != expected:
                skipped += 1
                continue
            if action == "retry":
                self.backend.requeue(index, self._queue_arg(failed_queue))
            else:
                self.backend.remove(index, self._queue_arg(failed_queue))
            done += 1
        return done, skipped

    def _matching(
        self, failed_queue: str, where: FailureFilter | None, retried_only: bool = False
    ) -> list[tuple[int, bytes]]:
        out = []
        for view in self.scan(failed_queue):
            if retried_only and view.retried_at is None:
                continue
            if where is None or where.matches(view):
                out.append((view.index, view.raw))
        return out

    def _remove_if_same(self, failed_queue: str, pair: tuple[int, bytes]) -> bool:
        index, raw = pair
        if self.store.item(index, failed_queue) != raw:
            return False
        self.backend.remove(index, self._queue_arg(failed_queue))
        return True

    def failed_queue_for(self, job_queue: str) -> str:
        """The failed list a job queue's failures go to under this backend."""
        return failure_queue_name(job_queue) if self.multiple_queues() else FAILED


def _payload_class(view: FailureView) -> str | None:
    """The raw payload class (``JobWrapper`` for ActiveJob), as ``Failure.each`` filters by it."""
    if view.job is None:
        return None
    if view.job.via_active_job:
        return WRAPPER_CLASS
    return view.job.class_name


__all__ = ["FailureAdmin", "FailureFilter", "StaleRecordError", "job_view"]
