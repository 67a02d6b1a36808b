"""The job-class view (not in resque-web): for each job class, how many jobs wait in each queue
and how many failures sit in each failed list, and which languages' workers listen on each
queue. It tells a team moving classes between Ruby and Python where things stand.

At most ``limit`` entries of any one list are counted (the report says which lists were cut
short), and at most ``MAX_QUEUES`` queues and ``MAX_FAILED`` failed lists, so the report's cost
does not grow with the data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..protocol.records import json_object, record_payload
from .views import JobView, job_from_raw, job_view, worker_name
from .workers import language, queue_watchers
from .wrong_type import WrongType, guard

if TYPE_CHECKING:
    from . import Admin
    from .windows import Windows

T = TypeVar("T")

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
    wrong: list[WrongType] = field(default_factory=list)  # keys of the wrong type, left out


def class_report(admin: Admin, limit: int) -> ClassReport:
    """Count classes in every queue and failed list (see the module docstring)."""
    from .windows import Windows

    store = admin.store
    windows = Windows(admin)
    wrong: list[WrongType] = []
    queue_page = _readable(guard(lambda: windows.queues(0, MAX_QUEUES), store.keys), wrong)
    failed_sizes = _readable(guard(admin.failed_sizes, store.keys), wrong) or []
    sized = [(q, n) for q, n in queue_page.items if not isinstance(n, WrongType)] if queue_page else []
    wrong += [n for _, n in queue_page.items if isinstance(n, WrongType)] if queue_page else []
    left = (queue_page.total - len(queue_page.items) if queue_page else 0) + max(
        0, len(failed_sizes) - MAX_FAILED
    )
    lists = [(q, store.keys.queue(q), n, False) for q, n in sized]
    lists += [(f, store.keys.failed_list(f), n, True) for f, n in failed_sizes[:MAX_FAILED]]
    heads = store.queues.list_heads([key for _, key, _, _ in lists], limit)
    queued: dict[str, Counter[Key]] = {}
    failed: dict[str, Counter[Key]] = {}
    truncated: dict[str, int] = {}
    for (name, _, size, is_failure), raws in zip(lists, heads, strict=True):
        read = _failure_class if is_failure else _queued_class
        (failed if is_failure else queued)[name] = Counter(read(raw) for raw in raws)
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
    heard = _readable(guard(lambda: _listeners(windows, list(queued)), store.keys), wrong)
    seen, listeners = heard or (0, {q: Counter() for q in queued})
    return ClassReport(list(queued), list(failed), rows, truncated, listeners, left, seen, wrong)


def _readable(value: T | WrongType, wrong: list[WrongType]) -> T | None:
    """``value``, or ``None`` with its ``WrongType`` added to ``wrong``."""
    if isinstance(value, WrongType):
        wrong.append(value)
        return None
    return value


def _listeners(windows: Windows, queues: list[str]) -> tuple[int, dict[str, Counter[str]]]:
    """Languages of the workers listening on each queue, over the first ``MAX_WORKERS``
    workers; workers with the same queue list and language are matched once."""
    admin = windows.admin
    ids = windows.store.worker_ids()[:MAX_WORKERS]
    fleet = admin.fleet()
    kinds: Counter[tuple[tuple[str, ...], str]] = Counter()
    for wid in ids:
        name = worker_name(wid)
        kinds[(name.queues, language(name, fleet)[0])] += 1
    specs = {str(i): spec for i, (spec, _) in enumerate(kinds)}
    langs = {str(i): (lang, n) for i, ((_, lang), n) in enumerate(kinds.items())}
    out: dict[str, Counter[str]] = {}
    for q in queues:
        counts: Counter[str] = Counter()
        for i in queue_watchers(q, specs):
            counts[langs[i][0]] += langs[i][1]
        out[q] = counts
    return len(ids), out


def _queued_class(raw: bytes) -> Key:
    return _job_class(job_from_raw(raw))


def _job_class(view: JobView) -> Key:
    if view.unreadable is not None or view.class_name is None:
        return (UNREADABLE, False)
    return (view.class_name, view.via_active_job)


def _failure_class(raw: bytes) -> Key:
    payload = record_payload(json_object(raw))
    return _job_class(job_view(payload)) if payload is not None else (UNREADABLE, False)
