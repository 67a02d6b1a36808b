"""The dashboard's history: samples of Resque's running totals, and the series drawn from them.

Resque keeps only running totals (``stat:processed``, ``stat:failed``, which Ruby and Python
workers both increment). To chart throughput, resque-compat samples them, with the queue and
worker counts, into its own keys, one sorted set per resolution (``history_key(step)``):

=========  ========  =================  ============================
step       kept      covers             charts
=========  ========  =================  ============================
60 s       120       the last 2 hours   the last hour
600 s      150       the last 25 hours  the last day
3600 s     192       the last 8 days    the last week
=========  ========  =================  ============================

A member is one JSON sample (a few hundred bytes: under 200 KB for all three at most), scored
by its bucket (server time // step). Any number of samplers (each dashboard, each Python worker
at its heartbeat) may run: a bucket takes the first sample written for it and no other, and a
sample holds *totals*, never increments, so nothing is counted twice. What happened in an
interval is the difference between a bucket's totals and the previous one's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import DecodeError


@dataclass(frozen=True, slots=True)
class Resolution:
    step: int  # seconds per bucket
    keep: int  # buckets kept


RESOLUTIONS = (Resolution(60, 120), Resolution(600, 150), Resolution(3600, 192))
RANGES = {"hour": (60, 60), "day": (600, 144), "week": (3600, 168)}
"""A chart's range -> (step, buckets shown)."""
TOP_QUEUES = 8
"""Queues whose sizes a sample keeps by name (the largest); the rest count in ``pending``."""


@dataclass(frozen=True, slots=True)
class Sample:
    """The totals at one moment (``at``: server time, seconds)."""

    bucket: int
    at: int
    processed: int
    failed: int
    pending: int = 0
    workers: int = 0
    working: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    queues: dict[str, int] = field(default_factory=dict)
    stale: int = 0

    def encode(self) -> bytes:
        return json.dumps(
            {
                "b": self.bucket,
                "t": self.at,
                "processed": self.processed,
                "failed": self.failed,
                "pending": self.pending,
                "workers": self.workers,
                "working": self.working,
                "lang": self.languages,
                "queues": self.queues,
                "stale": self.stale,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Sample:
        try:
            v = json.loads(raw)
            return cls(
                int(v["b"]),
                int(v["t"]),
                int(v["processed"]),
                int(v["failed"]),
                int(v.get("pending", 0)),
                int(v.get("workers", 0)),
                int(v.get("working", 0)),
                {str(k): int(n) for k, n in dict(v.get("lang", {})).items()},
                {str(k): int(n) for k, n in dict(v.get("queues", {})).items()},
                int(v.get("stale", 0)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DecodeError(raw, f"not a history sample: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Point:
    """One interval of a chart: what happened in it (``processed``, ``failed``) and the levels
    at its end (``pending``, workers by language)."""

    bucket: int
    at: int
    processed: int | None  # None: no earlier sample to compare with
    failed: int | None
    pending: int
    languages: dict[str, int]
    queues: dict[str, int]


def series(samples: list[Sample], last_bucket: int, count: int) -> list[Point | None]:
    """The ``count`` intervals ending at ``last_bucket``, oldest first; ``None`` where no
    sample was taken. A counter that went down (``resque-compat stats clear``, a reset) counts
    from zero again rather than negative."""
    by_bucket = {s.bucket: s for s in samples}
    ordered = sorted(by_bucket.values(), key=lambda s: s.bucket)
    previous: dict[int, Sample] = {}
    last: Sample | None = None
    for s in ordered:
        if last is not None:
            previous[s.bucket] = last
        last = s
    out: list[Point | None] = []
    for b in range(last_bucket - count + 1, last_bucket + 1):
        at = by_bucket.get(b)
        if at is None:
            out.append(None)
            continue
        before = previous.get(b)
        out.append(
            Point(
                b,
                at.at,
                None if before is None else _delta(before.processed, at.processed),
                None if before is None else _delta(before.failed, at.failed),
                at.pending,
                at.languages,
                at.queues,
            )
        )
    return out


def _delta(before: int, now: int) -> int:
    return now - before if now >= before else now


def decode_all(raws: list[bytes]) -> list[Sample]:
    """Every readable sample (anything else another tool wrote there is skipped)."""
    out = []
    for raw in raws:
        try:
            out.append(Sample.decode(raw))
        except DecodeError:
            continue
    return out


def top_queues(sizes: dict[str, int]) -> dict[str, int]:
    """The ``TOP_QUEUES`` largest queues by size."""
    return dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_QUEUES])


def as_json(point: Point | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "bucket": point.bucket,
        "at": point.at,
        "processed": point.processed,
        "failed": point.failed,
        "pending": point.pending,
        "languages": point.languages,
        "queues": point.queues,
    }
