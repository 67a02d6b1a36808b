"""Bounded filters and search: a failed list or a queue read ``budget`` records per request at
most, whatever its length, reporting how far the scan got so a page can offer to continue.

A scan walks a list in one direction (newest first or oldest first) from a *position* (how many
records of that walk came before). Each request reads up to ``budget`` records from there in
``LRANGE`` slices of ``SLICE`` and stops early once a page is full; the window says where the
next request should start. Records are first screened on their raw bytes (cheap), and only the
ones that could match are decoded and checked for real.

Search text matches, case-insensitively, as a substring of the job's class, its arguments (as
JSON), and for failures the exception class and error message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .views import FailureView, JobView, job_from_raw

BUDGET = 500
"""Records one request reads at most (one ``SLICE``): a filter's cost is one window whatever
the list's length, and the page links to the next stretch."""
SLICE = 500
"""Records one ``LRANGE`` reads."""
SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.- ")
"""Characters every JSON encoder writes as themselves: needles made only of these screen raw
bytes; others are checked on decoded records only."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Needle:
    """What a search looks for: exact class and/or job queue (as resque-web's filters), and/or
    a text found anywhere in class, arguments, exception or error."""

    class_name: str | None = None
    queue: str | None = None
    text: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.class_name or self.queue or self.text)

    def screen(self) -> Callable[[bytes], bool]:
        """A cheap test on raw bytes that never rejects a record that could match."""
        wanted = [w for w in (self.class_name, self.queue) if w and set(w) <= SAFE]
        text = self.text.lower().encode() if self.text and set(self.text) <= SAFE else None

        def could_match(raw: bytes) -> bool:
            if any(w.encode() not in raw for w in wanted):
                return False
            return text is None or text in raw.lower()

        return could_match

    def matches_text(self, *fields: Any) -> bool:
        if not self.text:
            return True
        needle = self.text.lower()
        for value in fields:
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
            if needle in text.lower():
                return True
        return False

    def matches_job(self, job: JobView) -> bool:
        if self.class_name and self.class_name != job.class_name:
            return False
        return self.matches_text(job.class_name, job.args)

    def matches_failure(self, view: FailureView, payload_class: str | None) -> bool:
        if self.queue and view.queue != self.queue:
            return False
        job = view.job
        if self.class_name and self.class_name not in {job.class_name if job else None, payload_class}:
            return False
        if job is None:
            return self.matches_text(view.exception, view.error, view.raw.decode("utf-8", "replace"))
        return self.matches_text(job.class_name, job.args, view.exception, view.error)


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """What one bounded request found: matches, and how far the walk got.

    ``scanned_from``/``scanned_to`` are positions in the walk (``scanned_to`` excluded);
    ``next_position`` is where to continue, ``None`` when the walk reached the end of the list.
    """

    items: list[T]
    total: int
    scanned_from: int
    scanned_to: int
    newest_first: bool

    @property
    def next_position(self) -> int | None:
        return self.scanned_to if self.scanned_to < self.total else None

    @property
    def complete(self) -> bool:
        """Whether this one window covered the whole list."""
        return self.scanned_from == 0 and self.next_position is None


def walk(
    read: Callable[[int, int], list[bytes]],
    total: int,
    position: int,
    newest_first: bool,
    budget: int = BUDGET,
) -> Iterator[tuple[int, int, bytes]]:
    """``(position, index, raw)`` for up to ``budget`` records from ``position`` on; ``read``
    is ``(start, count) -> records`` on the list by index."""
    end = min(total, position + budget)
    pos = max(0, position)
    while pos < end:
        n = min(SLICE, end - pos)
        if newest_first:
            hi = total - 1 - pos
            lo = max(0, hi - n + 1)
            raws = read(lo, hi - lo + 1)
            for i in range(len(raws) - 1, -1, -1):
                yield pos, lo + i, raws[i]
                pos += 1
        else:
            raws = read(pos, n)
            for raw in raws:
                yield pos, pos, raw
                pos += 1
        if not raws:
            return


def search(
    read: Callable[[int, int], list[bytes]],
    total: int,
    position: int,
    per_page: int,
    newest_first: bool,
    check: Callable[[int, bytes], T | None],
    screen: Callable[[bytes], bool],
    budget: int = BUDGET,
) -> Window[T]:
    """Walk from ``position`` until ``per_page`` records pass ``screen`` then ``check`` (which
    returns the view to show, or ``None``) or ``budget`` records were read."""
    position = max(0, min(position, total))
    found: list[T] = []
    reached = position
    for pos, index, raw in walk(read, total, position, newest_first, budget):
        reached = pos + 1
        if screen(raw):
            view = check(index, raw)
            if view is not None:
                found.append(view)
                if len(found) >= per_page:
                    break
    return Window(found, total, position, reached, newest_first)


def queue_check(needle: Needle) -> Callable[[int, bytes], tuple[int, JobView] | None]:
    """The check of ``search`` for a queue: ``(index, job)`` when the job matches."""

    def check(index: int, raw: bytes) -> tuple[int, JobView] | None:
        job = job_from_raw(raw)
        return (index, job) if needle.matches_job(job) else None

    return check
