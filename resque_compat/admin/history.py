"""Taking and reading the dashboard's history (``protocol.history`` says what is kept, where).

``Sampler.sample()`` is cheap when every current bucket already has its sample (one ``ZCOUNT``
per resolution); otherwise it reads the totals, queue sizes and workers once and offers the
sample to each resolution, where only the first sampler of a bucket is kept.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..protocol.history import RANGES, RESOLUTIONS, Point, Sample, decode_all, series, top_queues
from ..store.stats import _to_i

if TYPE_CHECKING:
    from . import Admin


class Sampler:
    """Samples one deployment's counters into its history."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.store = admin.store.history

    def due(self, now: int) -> list[tuple[int, int, int]]:
        """``(step, bucket, keep)`` for each resolution whose current bucket has no sample."""
        return [
            (r.step, now // r.step, r.keep) for r in RESOLUTIONS if not self.store.has(r.step, now // r.step)
        ]

    def sample(self) -> int:
        """Take a sample where one is due; returns how many buckets it filled."""
        now = self.store.server_seconds()
        due = self.due(now)
        if not due:
            return 0
        processed, failed, names = self.store.totals()
        sizes = dict(zip(names, self.admin.store.queues.queue_sizes(names), strict=True))
        workers = self.admin.workers()
        languages = Counter(w.language for w in workers)
        stored = 0
        for step, bucket, keep in due:
            sample = Sample(
                bucket,
                now,
                _to_i(processed),
                _to_i(failed),
                sum(sizes.values()),
                len(workers),
                sum(1 for w in workers if w.state == "working"),
                dict(languages),
                top_queues(sizes),
                sum(1 for w in workers if w.heartbeat_state == "stale"),
            )
            stored += self.store.add_once(step, bucket, sample.encode(), keep)
        return stored

    def latest(self) -> Sample | None:
        """The newest minute sample, if one was taken in the last two minutes."""
        last = self.store.server_seconds() // 60
        found = decode_all(self.store.window(60, last - 2, last))
        return max(found, key=lambda s: s.bucket) if found else None

    def points(self, range_name: str) -> tuple[int, list[Point | None]]:
        """``(step, intervals)`` of one chart range (``hour``, ``day``, ``week``), oldest first."""
        step, count = RANGES.get(range_name, RANGES["hour"])
        last = self.store.server_seconds() // step
        raws = self.store.window(step, last - count, last)  # one more: the first interval's base
        return step, series(decode_all(raws), last, count)
