"""Windows of the deployment for pages whose cost must not grow with it: ``Resque.info`` and
the overview from one counting script, queues and workers a page at a time, the overview's
worker languages from the latest History sample (the sampler does that walk off the request)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import ResqueError
from ..protocol.times import parse_time
from ..store import Counts, CountsAccess
from .history import Sampler
from .views import Page, WorkerView, worker_name
from .workers import language
from .wrong_type import WrongType, guard

if TYPE_CHECKING:
    from . import Admin

OVERVIEW_QUEUES = 20
"""Queues the overview lists (the first by name; the Queues tab pages through all)."""
PER_PAGE = 25
"""Workers a page lists."""
QUEUES_PER_PAGE = 50
WORKING_IDS = 100_000
"""At most this many working worker ids are read for the Working tab's pages."""


@dataclass(frozen=True, slots=True)
class Census:
    """Every registered worker counted by language and state, without a view per worker."""

    by: Counter[tuple[str, str]]  # (language, state) -> workers
    stale: int
    stalest: list[tuple[str, int]]  # (worker id, heartbeat age in seconds), oldest beat first


@dataclass(frozen=True, slots=True)
class Overview:
    """The overview page: a window of queues, failed lists, who works on what, the totals.
    A part read from a key of the wrong type is that key's ``WrongType`` instead (the totals
    of a counting script that could not run are 0, its ``WrongType`` in ``notices``)."""

    queues: list[tuple[str, int | WrongType]] | WrongType
    failed: list[tuple[str, int]] | WrongType
    working: list[WorkerView] | WrongType
    workers: int
    processed: int | WrongType = 0
    pending: int = 0
    queues_total: int = 0
    working_total: int = 0
    languages: dict[str, int] | None = field(default=None)  # from the latest History sample
    stale: int | None = None
    counted_ago: float = 0.0  # age of pending, queues_total, workers and working_total (seconds)
    notices: list[WrongType] = field(default_factory=list)
    """Keys of the wrong type the totals leave out (or the one that kept them from being counted)."""


class Windows:
    """Bounded reads over one ``Admin``."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.store = CountsAccess(admin.store.redis, admin.store.keys)
        self.sampler = Sampler(admin)

    def info(self) -> dict[str, Any]:
        """``Resque.info``, the same keys, counted server-side in one script. A value read from
        a key of the wrong type is that key's ``WrongType``; ``left_out`` (only when there are
        some) names the queue and worker keys of the wrong type the counts leave out."""
        admin, keys = self.admin, self.admin.store.keys
        counted = guard(self.counts, keys)
        info: dict[str, Any] = {}
        if isinstance(counted, WrongType):
            info.update(pending=counted, queues=counted, workers=counted, working=counted)
            ago, left_out = 0.0, []
        else:
            c, ago = counted
            info.update(pending=c.pending, queues=c.queues, workers=c.workers, working=c.working)
            left_out = [WrongType.at(k, t, keys) for k, t in c.skipped]
        info["processed"] = guard(admin.processed, keys)
        info["failed"] = guard(admin.store.failed.num_failed, keys)
        info.update(servers=[admin.redis_id()], environment=admin.environment)
        info["counted_seconds_ago"] = round(ago, 1)  # pending, queues, workers, working
        if left_out:
            info["left_out"] = left_out
        return info

    def counts(self) -> tuple[Counts, float]:
        """The counting script's totals (and the first working ids), kept ``admin.recent.ttl``
        seconds, with their age."""
        return self.admin.recent.get("counts", lambda: self.store.counts(OVERVIEW_QUEUES))

    def queues(self, start: int = 0, per_page: int = QUEUES_PER_PAGE) -> Page[tuple[str, int | WrongType]]:
        """Queues sorted by name, ``per_page`` from ``start``, each with its size."""
        return self.queues_listed(start, per_page)[0]

    def queues_listed(
        self, start: int = 0, per_page: int = QUEUES_PER_PAGE
    ) -> tuple[Page[tuple[str, int | WrongType]], float]:
        """``queues``, and the age of the list of names (``Resque.queues`` sorted, kept
        ``admin.recent.ttl`` seconds); the sizes are read now, a queue of the wrong type's as
        its ``WrongType``."""
        names, ago = self.admin.recent.get("queue names", self.admin.queues)
        start = max(0, min(start, len(names)))
        window = names[start : start + per_page]
        keys = self.admin.store.keys
        sizes = [
            WrongType.at(*n, keys) if isinstance(n, tuple) else n
            for n in self.admin.store.queues.queue_sizes_or_types(window)
        ]
        return Page(list(zip(window, sizes, strict=True)), start, len(names), per_page), ago

    def workers(
        self, start: int = 0, per_page: int = PER_PAGE, ids: list[str] | None = None
    ) -> Page[WorkerView]:
        """Workers sorted by id (``ids``, or every registered one), ``per_page`` from ``start``."""
        ids = self.store.worker_ids() if ids is None else ids
        start = max(0, min(start, len(ids)))
        return Page(self.views(ids[start : start + per_page]), start, len(ids), per_page)

    def views(self, ids: list[str]) -> list[WorkerView]:
        registry = self.admin.store.workers
        payloads = registry.workers_map(ids)
        beats = self.store.heartbeats(ids)
        fleet = self.admin.fleet()
        return [self.admin.view(w, payloads.get(w), beats.get(w), fleet) for w in ids]

    def largest_queues(self, limit: int) -> tuple[int, int, list[tuple[str, int]]]:
        """Pending jobs, queues, and the ``limit`` longest queues (longest first), measured
        server-side."""
        return self.store.largest_queues(limit)

    def largest_queues_kept(self, limit: int) -> tuple[tuple[int, int, list[tuple[str, int]]], float]:
        """``largest_queues``, kept ``admin.recent.ttl`` seconds, and its age."""
        return self.admin.recent.get(f"largest {limit}", lambda: self.largest_queues(limit))

    def census_kept(self, stalest: int) -> tuple[Census, float]:
        """``census``, kept ``admin.recent.ttl`` seconds, and its age."""
        return self.admin.recent.get(f"census {stalest}", lambda: self.census(stalest))

    def census(self, stalest: int) -> Census:
        """Workers by language and state, how many are stale, and the ``stalest`` oldest
        heartbeats: a few lookups per worker (no payload is read or decoded)."""
        working = self.store.working_ids()
        ids = self.store.worker_ids()
        beats = self.store.all_heartbeats()
        fleet = self.admin.fleet()
        by: Counter[tuple[str, str]] = Counter()
        ages: list[tuple[int, str]] = []
        stale = 0
        now, stale_after = fleet.server_now, self.admin.stale_after
        for wid in ids:
            lang, _ = language(worker_name(wid), fleet)
            by[(lang, "working" if wid in working else "idle")] += 1
            age = _age(beats.get(wid), now)
            if age is not None:
                stale += age > stale_after  # heartbeat_state's rule
                ages.append((age, wid))
        ages.sort(key=lambda a: (-a[0], a[1]))
        return Census(by, stale, [(wid, age) for age, wid in ages[:stalest]])

    def working(self, start: int = 0, per_page: int = PER_PAGE) -> tuple[Page[WorkerView], int, float]:
        """Working workers by id, ``per_page`` from ``start`` (shown oldest job first), how many
        workers there are, and the age of the counts (kept ``admin.recent.ttl`` seconds)."""
        c, ago = self.admin.recent.get("working", lambda: self.store.counts(WORKING_IDS))
        start = max(0, min(start, len(c.working_ids)))
        views = _by_run_at(self.views(c.working_ids[start : start + per_page]))
        return Page(views, start, c.working, per_page), c.workers, ago

    def overview(self) -> Overview:
        """Every part read on its own: a key of the wrong type costs only the part reading it."""
        keys = self.admin.store.keys
        counted = guard(self.counts, keys)
        c, ago = (Counts(0, 0, 0, 0, []), 0.0) if isinstance(counted, WrongType) else counted
        working = guard(lambda: _by_run_at(self.views(c.working_ids)), keys)
        latest = guard(self.sampler.latest, keys)
        latest = None if isinstance(latest, WrongType) else latest
        listed = guard(lambda: self.queues_listed(0, OVERVIEW_QUEUES), keys)
        queues, names_ago = (listed, 0.0) if isinstance(listed, WrongType) else (listed[0].items, listed[1])
        notices = (
            [counted] if isinstance(counted, WrongType) else [WrongType.at(k, t, keys) for k, t in c.skipped]
        )
        return Overview(
            queues,
            guard(self.admin.failed_sizes, keys),
            working,
            c.workers,
            guard(self.admin.processed, keys),
            c.pending,
            c.queues,
            c.working,
            latest.languages if latest else None,
            latest.stale if latest else None,
            max(ago, names_ago),
            notices,
        )


def _by_run_at(views: list[WorkerView]) -> list[WorkerView]:
    """Working workers oldest job first, as the working page shows them."""
    return sorted(
        views, key=lambda w: w.processing.run_at.raw if w.processing and w.processing.run_at else ""
    )


def _age(beat: bytes | None, now: datetime) -> int | None:
    """Whole seconds since a stored heartbeat (``heartbeat_state``'s age), ``None`` when there is
    none or it is unreadable."""
    at = None if beat is None else _beat_at(beat)
    return None if at is None else int((now - at).total_seconds())


@lru_cache(maxsize=8192)
def _beat_at(beat: bytes) -> datetime | None:
    """A heartbeat's time, remembered: a worker writes a new one each beat, and a scrape in
    between finds the same bytes again."""
    try:
        return parse_time(beat)
    except ResqueError:
        return None
