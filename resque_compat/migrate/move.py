"""``resque-compat move``: jobs of chosen classes (or matching arguments) from one queue to another,
or failures back onto a queue, atomic per job and resumable.

The plan is pure: a window of raw entries in, the transfers it implies out. Applying a batch is
one Lua script (``store.migration``): each job is, at every instant, in exactly one list, so a
``kill -9`` halfway loses and duplicates nothing. Moved jobs are no longer in the source, so an
interrupted move is finished by running the same command again.

A queued job moves byte for byte. A failure moves as its ``payload`` (every key kept, encoded
under the deployment's JSON profile) to the given queue or, without one, back to the queue it
failed on; the failure record is removed. (Ruby's requeue keeps the record and adds
``retried_at``: that is ``resque-compat failures requeue``.)

Workers popping the source while a pass runs shift entries towards the head, so a pass can
step over a few; when the source's length shows that happened, passes repeat until one finds
nothing left to move.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..protocol import Profile, encode, keys
from ..protocol.records import (
    UNREADABLE,
    RecordHead,
    active_job_data,
    json_object,
    read_failure,
    read_job,
    record_payload,
)
from ..store.migration import MigrationAccess, Transfer

DEFAULT_BATCH = 1000
WINDOW = 1000  # entries read per LRANGE
MAX_PASSES = 5


@dataclass(frozen=True, slots=True)
class Selector:
    """Which jobs move. Every given criterion must hold; none given selects every readable job.

    ``classes``: Ruby class names (an ActiveJob job by its inner class); ``args``: the job's
    arguments equal this JSON array (an ActiveJob job's serialized ``arguments``); ``grep``: the
    raw entry contains these bytes; ``exceptions``: a failure's ``exception`` is one of these.
    """

    classes: frozenset[str] = frozenset()
    args: list[Any] | None = None
    grep: bytes | None = None
    exceptions: frozenset[str] = frozenset()

    def matches(self, raw: bytes, entry: RecordHead, payload: Any = None) -> bool:
        if entry.class_name is None:
            return False
        if self.classes and entry.class_name not in self.classes:
            return False
        if self.exceptions and entry.exception not in self.exceptions:
            return False
        if self.grep is not None and self.grep not in raw:
            return False
        if self.args is not None:
            return bool(_arguments(payload if payload is not None else json_object(raw)) == self.args)
        return True


def _arguments(payload: Any) -> Any:
    """A payload's ``args``; an ActiveJob job's serialized ``arguments``."""
    if not isinstance(payload, dict):
        return None
    data = active_job_data(payload)
    return data.get("arguments") if data is not None else payload.get("args")


@dataclass(frozen=True, slots=True)
class Source:
    """Where jobs come from: a queue (``queue:<name>``) or a failure list (``failed``,
    ``<queue>_failed``)."""

    name: str
    failed: bool = False

    @property
    def key(self) -> str:
        return self.name if self.failed else keys.queue_key(self.name)


@dataclass(frozen=True, slots=True)
class Planned:
    """One job to move: its index and bytes in the source, the bytes to push, and where."""

    index: int
    raw: bytes
    out: bytes
    queue: str
    label: str


@dataclass(frozen=True, slots=True)
class Skipped:
    index: int
    label: str
    reason: str


def plan_window(
    source: Source,
    start: int,
    raws: Sequence[bytes],
    selector: Selector,
    destination: str | None,
    profile: Profile = Profile.JSON_GEM,
) -> tuple[list[Planned], list[Skipped]]:
    """What a window of the source implies (pure): the jobs to move and the selected ones that
    cannot move (a failure whose payload is not a job, or with no queue to go back to)."""
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    for offset, raw in enumerate(raws):
        index = start + offset
        if not source.failed:
            entry = read_job(raw)
            if selector.matches(raw, entry):
                planned.append(Planned(index, raw, raw, str(destination), entry.label))
            continue
        entry = read_failure(raw)
        if entry.class_name is None and _selects_unreadable(selector):
            skipped.append(Skipped(index, UNREADABLE, entry.problem or "unreadable"))
            continue
        payload = record_payload(json_object(raw))
        if not selector.matches(raw, entry, payload):
            continue
        target = destination or entry.queue
        if target is None:
            skipped.append(Skipped(index, entry.label, "the record names no queue; give a destination"))
            continue
        planned.append(Planned(index, raw, encode(payload, profile, "payload"), target, entry.label))
    return planned, skipped


def _selects_unreadable(selector: Selector) -> bool:
    return not selector.classes and selector.args is None and not selector.exceptions


@dataclass
class MoveReport:
    """What a move did (or, for a dry run, would do)."""

    source: Source
    dry_run: bool
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)  # (class, destination queue)
    skipped: list[Skipped] = field(default_factory=list)
    vanished: int = 0  # selected, then taken by a worker before the move reached it
    scanned: int = 0
    passes: int = 0
    samples: list[Planned] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.moved.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.key,
            "dry_run": self.dry_run,
            "moved" if not self.dry_run else "would_move": [
                {"class": cls, "to": queue, "count": n} for (cls, queue), n in sorted(self.moved.items())
            ],
            "total": self.total,
            "skipped": [{"index": s.index, "class": s.label, "reason": s.reason} for s in self.skipped],
            "vanished": self.vanished,
            "scanned": self.scanned,
            "passes": self.passes,
        }


def run_move(
    store: MigrationAccess,
    source: Source,
    selector: Selector,
    destination: str | None,
    *,
    profile: Profile = Profile.JSON_GEM,
    batch: int = DEFAULT_BATCH,
    limit: int | None = None,
    dry_run: bool = False,
    advance: Callable[[int], None] | None = None,
) -> MoveReport:
    """Move the selected jobs in batches (see the module docstring); ``advance(n)`` per window.

    A dry run reads one pass and moves nothing. ``limit`` caps the number of jobs moved.
    Raises ``ValueError`` when a queue would be moved onto itself.
    """
    if destination is not None and not source.failed and destination == source.name:
        raise ValueError(f"source and destination are the same queue: {destination}")
    mover = _Mover(
        store, source, selector, destination, profile, batch, limit, advance, MoveReport(source, dry_run)
    )
    return mover.run()


@dataclass
class _Mover:
    """One run: read windows, gather planned moves, settle them ``batch`` at a time.

    Each settled batch costs Redis one scan of the source up to the batch's furthest entry (the
    ``LREM`` of the sentinels), so moves are gathered across windows into large batches.
    """

    store: MigrationAccess
    source: Source
    selector: Selector
    destination: str | None
    profile: Profile
    batch: int
    limit: int | None
    advance: Callable[[int], None] | None
    report: MoveReport
    sentinel: bytes = field(default_factory=lambda: keys.sentinel("move", uuid.uuid4().hex))

    def run(self) -> MoveReport:
        report = self.report
        while report.passes < (1 if report.dry_run else MAX_PASSES):
            report.passes += 1
            before, length = report.total, self.store.list_length(self.source.key)
            self._pass()
            moved = report.total - before
            # Another pass only if something else changed the list meanwhile (a worker's pop
            # shifts unread entries past the cursor), and the last pass still found work.
            undisturbed = self.store.list_length(self.source.key) == length - moved
            if report.dry_run or moved == 0 or undisturbed or self._room(0) == 0:
                break
        return report

    def _room(self, pending: int) -> int | None:
        """How many more jobs may be planned under ``limit`` (``None``: no limit)."""
        return None if self.limit is None else max(0, self.limit - self.report.total - pending)

    def _pass(self) -> None:
        report, cursor = self.report, 0
        pending: list[Planned] = []
        seen_skips = {s.index for s in report.skipped}
        while True:
            raws = self.store.window(self.source.key, cursor, WINDOW)
            planned, skipped = plan_window(
                self.source, cursor, raws, self.selector, self.destination, self.profile
            )
            if report.passes == 1:
                report.skipped += [s for s in skipped if s.index not in seen_skips]
            room = self._room(len(pending))
            pending += planned if room is None else planned[:room]
            report.scanned += len(raws)
            cursor += len(raws)
            if self.advance is not None and raws:
                self.advance(len(raws))
            last = len(raws) < WINDOW or self._room(len(pending)) == 0
            while pending and (len(pending) >= self.batch or last):
                chunk, pending = pending[: self.batch], pending[self.batch :]
                removed = self._settle(chunk)
                # What left the source before the rest shifts it towards the head.
                cursor -= len(removed)
                pending = _shifted(pending, removed)
            if last:
                return

    def _settle(self, chunk: list[Planned]) -> list[int]:
        """Move (or, dry, count) a batch; returns the planned indexes of the entries removed."""
        moved = chunk if self.report.dry_run else self._apply(chunk)
        for p in moved:
            self.report.moved[(p.label, p.queue)] += 1
        self.report.samples += moved[: max(0, 10 - len(self.report.samples))]
        return [] if self.report.dry_run else sorted(p.index for p in moved)

    def _apply(self, planned: list[Planned]) -> list[Planned]:
        moved: list[Planned] = []
        by_queue: dict[str, list[Planned]] = {}
        for p in planned:
            by_queue.setdefault(p.queue, []).append(p)
        for queue, group in by_queue.items():
            # Earlier groups of this batch (other destinations) already shifted these entries.
            current = _shifted(group, sorted(p.index for p in moved))
            transfers = [Transfer(p.index, p.raw, p.out) for p in current]
            flags = self.store.move_to_queue(self.source.key, queue, transfers, self.sentinel)
            moved += [p for p, ok in zip(group, flags, strict=True) if ok]
            self.report.vanished += flags.count(False)
        return moved


def _shifted(planned: list[Planned], removed: list[int]) -> list[Planned]:
    """``planned`` with indexes lowered by the number of ``removed`` (sorted) indexes before each."""
    if not removed:
        return planned
    return [replace(p, index=p.index - bisect_left(removed, p.index)) for p in planned]
