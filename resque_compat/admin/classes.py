"""The job-class view (not in resque-web): for each job class, how many jobs wait in each queue
and how many failures sit in each failed list, and which languages' workers listen on each
queue. It tells a team moving classes between Ruby and Python where things stand.

At most ``limit`` entries of any one list are counted (the report says which lists were cut
short), and at most ``MAX_QUEUES`` queues and ``MAX_FAILED`` failed lists, so the report's cost
does not grow with the data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from ..protocol.records import json_object, record_payload
from ..store import FailedQueueAccess
from .views import JobView, job_from_raw, job_view
from .workers import queue_watchers

if TYPE_CHECKING:
    from . import Admin

CHUNK = 1000
MAX_QUEUES = 20
MAX_FAILED = 10
MAX_WORKERS = 200
"""At most this many queues (the first by name), failed lists and workers are read, so the
report's cost stays bounded however many there are; it says how many it left out."""
UNREADABLE = "(unreadable)"
Key = tuple[str, bool]  # class name, whether it came through ActiveJob's JobWrapper


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One job class: waiting jobs per queue and failures per failed list."""

    name: str
    via_active_job: bool
    queued: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total_queued(self) -> int:
        return sum(self.queued.values())

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())


@dataclass(frozen=True, slots=True)
class ClassReport:
    """The whole view: columns (queues, failed lists), rows (classes), and what was cut short."""

    queues: list[str]
    failed_queues: list[str]
    rows: list[ClassRow]
    truncated: dict[str, int]  # list name -> entries counted, for lists longer than the limit
    listeners: dict[str, Counter[str]]  # queue -> languages of the workers that take from it
    lists_left: int = 0  # queues and failed lists past MAX_QUEUES / MAX_FAILED, not counted
    workers_seen: int = 0  # workers the listeners were counted over (the first MAX_WORKERS)


def class_report(admin: Admin, limit: int) -> ClassReport:
    """Count classes in every queue and failed list (see the module docstring)."""
    store = admin.store
    queued: dict[str, Counter[Key]] = {}
    truncated: dict[str, int] = {}
    from .windows import Windows

    windows = Windows(admin)
    queue_page = windows.queues(0, MAX_QUEUES)
    failed_sizes = admin.failed_sizes()
    left = queue_page.total - len(queue_page.items) + max(0, len(failed_sizes) - MAX_FAILED)
    for queue, size in queue_page.items:
        key = store.keys.queue(queue)
        queued[queue] = _count(partial(store.queues.list_range, key), limit)
        if size > limit:
            truncated[queue] = limit
    failed: dict[str, Counter[Key]] = {}
    for name, size in failed_sizes[:MAX_FAILED]:
        failed[name] = _count(partial(_failed_items, store.failed, name), limit, failures=True)
        if size > limit:
            truncated[name] = limit
    names = sorted({c for counts in (*queued.values(), *failed.values()) for c in counts})
    rows = [
        ClassRow(
            cls,
            via,
            {q: c[(cls, via)] for q, c in queued.items() if c[(cls, via)]},
            {q: c[(cls, via)] for q, c in failed.items() if c[(cls, via)]},
        )
        for cls, via in names
    ]
    workers = windows.workers(0, MAX_WORKERS).items
    specs = {w.id: w.name.queues for w in workers}
    langs = {w.id: w.language for w in workers}
    listeners = {q: Counter(langs[w] for w in queue_watchers(q, specs)) for q in queued}
    return ClassReport(list(queued), list(failed), rows, truncated, listeners, left, len(workers))


def _count(read: Callable[[int, int], list[bytes]], limit: int, failures: bool = False) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    offset = 0
    while offset < limit:
        raws = read(offset, min(CHUNK, limit - offset))
        for raw in raws:
            counts[_failure_class(raw) if failures else _job_class(job_from_raw(raw))] += 1
        if len(raws) < CHUNK:
            break
        offset += CHUNK
    return counts


def _failed_items(store: FailedQueueAccess, name: str, offset: int, count: int) -> list[bytes]:
    return store.items(offset, count, name)


def _job_class(view: JobView) -> Key:
    if view.unreadable is not None or view.class_name is None:
        return (UNREADABLE, False)
    return (view.class_name, view.via_active_job)


def _failure_class(raw: bytes) -> Key:
    payload = record_payload(json_object(raw))
    return _job_class(job_view(payload)) if payload is not None else (UNREADABLE, False)
