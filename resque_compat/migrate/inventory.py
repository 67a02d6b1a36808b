"""``resque-compat inventory``: per queue and failed list, how many jobs of each class (ActiveJob
jobs by their inner class), where the oldest and newest sit, and which classes have a Python
performer.

Lists are read ``batch`` entries at a time (``LRANGE`` windows) and tallied as they come, so
memory stays flat however long a queue is. Queues change while they are read (workers pop from
the head), so on a busy deployment the counts are a close estimate, not a snapshot.

"Oldest" and "newest" are positions (index 0 is the next job a worker takes) plus, where the
entry carries one, a time: ActiveJob's ``enqueued_at`` for queued jobs, ``failed_at`` for
failures. Plain Resque payloads carry no time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..activejob import active_job_classes
from ..errors import TimeFormatError
from ..protocol.keys import DELAYED_QUEUE_SCHEDULE, FAILED, queue_key
from ..protocol.records import UNREADABLE, classify_failure, classify_job
from ..protocol.times import parse_time
from ..store.migration import MigrationAccess

DEFAULT_BATCH = 1000
ClassKey = tuple[str, bool]  # (class or "(unreadable)", whether it came through ActiveJob)


@dataclass(frozen=True, slots=True)
class ListRef:
    """One list to read: its logical key, kind (``queue`` or ``failed``) and length when planned."""

    key: str
    kind: str
    name: str
    length: int
    registered: bool = True  # a queue list whose name is in `queues` (see doctor)


@dataclass(slots=True)
class ClassTally:
    """Counts and extremes of one class in one list."""

    count: int = 0
    first_index: int = -1
    last_index: int = -1
    oldest: str | None = None
    newest: str | None = None
    _oldest_key: Any = None
    _newest_key: Any = None

    def see(self, time: str, sort_key: Any) -> None:
        """Keep ``time`` if it is the oldest or newest seen (``sort_key`` orders them)."""
        if sort_key is None:
            return
        if self._oldest_key is None or sort_key < self._oldest_key:
            self.oldest, self._oldest_key = time, sort_key
        if self._newest_key is None or sort_key > self._newest_key:
            self.newest, self._newest_key = time, sort_key


@dataclass(slots=True)
class ListTally:
    """The tally of one list, fed window by window (pure)."""

    ref: ListRef
    scanned: int = 0
    classes: dict[ClassKey, ClassTally] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    _times: dict[str, Any] = field(default_factory=dict)

    def add_window(self, start: int, raws: Sequence[bytes]) -> None:
        # The hot loop of a million-job inventory: tuples and local names, no objects per entry.
        classify = classify_failure if self.ref.kind == "failed" else classify_job
        classes, problems = self.classes, self.problems
        index = start
        for raw in raws:
            name, active_job, time, problem = classify(raw)
            key = (UNREADABLE if name is None else name, active_job)
            tally = classes.get(key)
            if tally is None:
                tally = classes[key] = ClassTally(first_index=index)
            tally.count += 1
            tally.last_index = index
            if time is not None:
                tally.see(time, self._sort_key(time))
            if problem is not None:
                problems[problem] += 1
            index += 1
        self.scanned += len(raws)

    def _sort_key(self, text: str) -> Any:
        if self.ref.kind != "failed":
            return _iso_key(text)
        if text not in self._times:  # failed_at repeats a lot within a second: parse each once
            try:
                self._times[text] = parse_time(text)
            except TimeFormatError:
                self._times[text] = None
        return self._times[text]


def _iso_key(text: str) -> tuple[str, str]:
    """Order ``2026-11-27T18:38:01Z`` and ``...01.123456789Z`` (Rails 6.1 / 7.1) correctly."""
    frac = text[20:].rstrip("Z") if text[19:20] == "." else ""
    return text[:19], frac


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which Ruby classes the user's app has Python performers for (``None``: app not given)."""

    plain: frozenset[str] | None = None
    active_job: frozenset[str] | None = None

    @classmethod
    def of(cls, performers: Mapping[str, Any] | None) -> Coverage:
        if performers is None:
            return cls()
        return cls(frozenset(performers), frozenset(active_job_classes(performers)))

    def has_performer(self, name: str, via_active_job: bool) -> bool | None:
        known = self.active_job if via_active_job else self.plain
        return None if known is None else name in known


_COLUMN = {"failed": "failed", "delayed": "delayed"}


@dataclass(frozen=True, slots=True)
class Inventory:
    """The result: one tally per list and the performer coverage to judge it by."""

    lists: list[ListTally]
    coverage: Coverage

    def classes(self) -> list[dict[str, Any]]:
        """One row per class across all lists: queued and failed totals, Python performer or not."""
        rows: dict[ClassKey, dict[str, Any]] = {}
        for tally in self.lists:
            for key, t in tally.classes.items():
                row = rows.setdefault(key, {"queued": 0, "failed": 0, "delayed": 0, "queues": []})
                row[_COLUMN.get(tally.ref.kind, "queued")] += t.count
                row["queues"].append(tally.ref.name)
        return [
            {
                "class": name,
                "active_job": aj,
                "queued": row["queued"],
                "failed": row["failed"],
                "delayed": row["delayed"],
                "lists": row["queues"],
                "python_performer": self.coverage.has_performer(name, aj) if name != UNREADABLE else None,
            }
            for (name, aj), row in sorted(rows.items(), key=lambda kv: (-kv[1]["queued"], kv[0]))
        ]

    def to_json(self) -> dict[str, Any]:
        """The machine-readable form ``resque-compat inventory --json`` prints."""
        return {
            "lists": [_list_json(t, self.coverage) for t in self.lists],
            "classes": self.classes(),
            "python_performers_known": self.coverage.plain is not None,
        }


def _list_json(tally: ListTally, coverage: Coverage) -> dict[str, Any]:
    return {
        "list": tally.ref.key,
        "kind": tally.ref.kind,
        "name": tally.ref.name,
        "length": tally.ref.length,
        "scanned": tally.scanned,
        "in_queues_set": tally.ref.registered,
        "unreadable_reasons": dict(tally.problems),
        "classes": [
            {
                "class": name,
                "active_job": aj,
                "count": t.count,
                "first_index": t.first_index,
                "last_index": t.last_index,
                "oldest": t.oldest,
                "newest": t.newest,
                "python_performer": coverage.has_performer(name, aj) if name != UNREADABLE else None,
            }
            for (name, aj), t in sorted(tally.classes.items(), key=lambda kv: (-kv[1].count, kv[0]))
        ],
    }


# --- apply: reading Redis ------------------------------------------------------------------------


def plan_lists(
    store: MigrationAccess, queues: Iterable[str] | None = None, failed: bool = True, delayed: bool = True
) -> list[ListRef]:
    """The lists an inventory reads, with their lengths: every queue in ``queues`` plus every
    ``queue:*`` list missing from it (or just the ``queues`` named), then ``failed`` and the
    multi-queue failure lists, then resque-scheduler's delayed jobs as one list."""
    registered = set(store.queue_names())
    if queues is None:
        found = {name for name, kind in store.queue_key_types().items() if kind == "list"}
        names = sorted(registered | found)
    else:
        names = list(queues)
    refs = [(queue_key(n), "queue", n, n in registered) for n in names]
    if failed:
        failed_names = [FAILED, *store.failed_queue_names()]
        refs += [(n, "failed", n, True) for n in dict.fromkeys(failed_names)]
    lengths = store.list_lengths([r[0] for r in refs])
    planned = [
        ListRef(key, kind, name, n, reg) for (key, kind, name, reg), n in zip(refs, lengths, strict=True)
    ]
    if delayed and (total := store.delayed_total()):
        planned.append(ListRef(DELAYED_QUEUE_SCHEDULE, "delayed", "delayed", total))
    return planned


def take_inventory(
    store: MigrationAccess,
    lists: Sequence[ListRef],
    *,
    performers: Mapping[str, Any] | None = None,
    batch: int = DEFAULT_BATCH,
    advance: Callable[[int], None] | None = None,
) -> Inventory:
    """Read every list in ``batch``-sized windows and tally it; ``advance(n)`` after each window."""
    tallies = []
    for ref in lists:
        tally = ListTally(ref)
        if ref.kind == "delayed":
            start = 0
            for raws in store.delayed_windows(batch):
                tally.add_window(start, raws)
                start += len(raws)
                if advance is not None:
                    advance(len(raws))
            tallies.append(tally)
            continue
        start = 0
        while raws := store.window(ref.key, start, batch):
            tally.add_window(start, raws)
            start += len(raws)
            if advance is not None:
                advance(len(raws))
            if len(raws) < batch:
                break
        tallies.append(tally)
    return Inventory(tallies, Coverage.of(performers))
