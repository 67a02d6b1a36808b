"""Search across every failed list and every queue at once, bounded as the per-list searches are
(``admin.search``): one request reads at most ``BUDGET`` records over at most ``LISTS`` lists,
whatever the deployment's size, and says where to continue.

The walk visits the failed lists first (by name, each newest first: failures are what an
operator looks for most), then the queues (by name, each from its head). A place in the walk is
a list, named by kind and name (``failed:<name>`` or ``queue:<name>``), and a position in that
list's own walk, so a continuation survives lists being added or removed: it resumes at the
first list at or after the named one. One request costs four round trips: the list names, one
pipelined ``LLEN`` per list it may visit, one pipelined ``LRANGE`` per stretch it reads, and the
total count for "searched N of M".
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .failures import FailureAdmin, FailureFilter
from .search import BUDGET, Needle, queue_check
from .views import FailureView, JobView

if TYPE_CHECKING:
    from ..store import QueueAccess
    from . import Admin

LISTS = 100
"""Lists one request visits at most (each costs an ``LLEN`` and maybe an ``LRANGE``)."""
KINDS = ("failed", "queue")


@dataclass(frozen=True, slots=True, order=True)
class Place:
    """A place in the walk: the ``position``-th record of a list's own walk."""

    kind: str  # "failed" or "queue"
    name: str
    position: int = 0

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def parse(cls, ref: str | None, position: int = 0) -> Place | None:
        """``failed:<name>`` / ``queue:<name>`` as a place; ``None`` for anything else."""
        kind, sep, name = (ref or "").partition(":")
        if not sep or kind not in KINDS or not name:
            return None
        return cls(kind, name, max(0, position))


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching record: a failure (``failure``) or a waiting job (``job``)."""

    kind: str
    list: str
    index: int
    failure: FailureView | None = None
    job: JobView | None = None


@dataclass(frozen=True, slots=True)
class Stretch:
    """Records ``start``..``stop`` (excluded) of one list's walk, read by this request."""

    kind: str
    list: str
    start: int
    stop: int
    size: int


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one request found and how far it got.

    ``read`` records were read (``stretches`` says where) of ``records`` over ``lists`` lists;
    ``next`` is where to continue (``None``: the walk reached its end)."""

    hits: list[Hit]
    stretches: list[Stretch]
    lists: int
    records: int
    next: Place | None
    started: Place | None

    @property
    def read(self) -> int:
        return sum(s.stop - s.start for s in self.stretches)

    @property
    def complete(self) -> bool:
        """Whether this one request searched every record."""
        return self.started is None and self.next is None


def sweep(admin: Admin, lists: QueueAccess, needle: Needle, start: Place | None, per_page: int = 50) -> Sweep:
    """Matches of ``needle`` from ``start`` (the beginning of the walk when ``None``); ``lists``
    reads the queues' and failed lists' entries."""
    failed_lists = admin.failures.queues()
    walk = [("failed", f) for f in failed_lists] + [("queue", q) for q in admin.queues()]
    at = bisect_left([_order(p) for p in walk], _order((start.kind, start.name))) if start else 0
    first = walk[at : at + LISTS]
    keys = [_key(admin, kind, name) for kind, name in first]
    sizes = lists.list_lengths(keys)
    plan = _plan(first, sizes, start)
    raws = lists.list_slices([(keys[i], lo, hi) for i, (_, lo, hi) in enumerate(plan)])
    hits, stretches = _scan(admin.failures, needle, [p[0] for p in plan], raws, per_page)
    pending = _pending(admin)
    failed_total = sum(admin.failures.count(f) for f in failed_lists)
    return Sweep(hits, stretches, len(walk), pending + failed_total, _next(walk, at, stretches), start)


def _order(place: tuple[str, str]) -> tuple[int, str]:
    return KINDS.index(place[0]), place[1]


def _pending(admin: Admin) -> int:
    from .windows import Windows

    return Windows(admin).largest_queues(0)[0]


def _key(admin: Admin, kind: str, name: str) -> str:
    keys = admin.store.keys
    return keys.failed_list(name) if kind == "failed" else keys.queue(name)


def _plan(
    lists: list[tuple[str, str]], sizes: list[int], start: Place | None
) -> list[tuple[Stretch, int, int]]:
    """The stretch of each list to read, within ``BUDGET``, with its ``LRANGE`` bounds."""
    budget, out = BUDGET, []
    for i, ((kind, name), size) in enumerate(zip(lists, sizes, strict=True)):
        same = start is not None and i == 0 and (kind, name) == (start.kind, start.name)
        pos = min(size, start.position) if start is not None and same else 0
        n = max(0, min(size - pos, budget))
        if kind == "failed":  # newest first: position p is index size - 1 - p
            lo, hi = size - pos - n, size - pos - 1
        else:
            lo, hi = pos, pos + n - 1
        out.append((Stretch(kind, name, pos, pos + n, size), lo, hi))
        budget -= n
        if budget <= 0:
            break
    return out


def _scan(
    failures: FailureAdmin, needle: Needle, plan: list[Stretch], raws: list[list[bytes]], per_page: int
) -> tuple[list[Hit], list[Stretch]]:
    """Screen then check each record in walk order until ``per_page`` hits; the stretches
    actually searched (the last one cut short where the page filled)."""
    screen = needle.screen()
    jobs = queue_check(needle)
    where = FailureFilter(None, None, needle.text)
    hits: list[Hit] = []
    done: list[Stretch] = []
    for stretch, got in zip(plan, raws, strict=True):
        failed = stretch.kind == "failed"
        for offset, raw in enumerate(reversed(got) if failed else got):
            position = stretch.start + offset
            index = stretch.size - 1 - position if failed else position
            if not screen(raw):
                continue
            if failed:
                view = failures.view(stretch.list, index, raw)
                hit = Hit("failed", stretch.list, index, failure=view) if where.matches(view) else None
            else:
                found = jobs(index, raw)
                hit = Hit("queue", stretch.list, index, job=found[1]) if found else None
            if hit is not None:
                hits.append(hit)
                if len(hits) >= per_page:
                    done.append(
                        Stretch(stretch.kind, stretch.list, stretch.start, position + 1, stretch.size)
                    )
                    return hits, done
        done.append(stretch)
    return hits, done


def _next(walk: list[tuple[str, str]], at: int, done: list[Stretch]) -> Place | None:
    """Where the walk goes on after the stretches searched (``None``: at its end)."""
    if done and done[-1].stop < done[-1].size:
        return Place(done[-1].kind, done[-1].list, done[-1].stop)
    following = at + len(done)
    if following < len(walk):
        return Place(*walk[following])
    return None
