"""The job ledger: every job a scenario enqueues, and where each one ended.

A good job is ``Chaos::Ledger`` with a unique id; its runs are counted on the ledger Redis.
A garbage payload carries its id in its bytes. At the end each id is exactly one of: performed
once, failed with a record (its raw bytes, for garbage), still queued; anything else is lost
(no trace at all) or duplicated (run twice, or run and still queued, or recorded twice).
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

from resque_compat import Resque
from resque_compat.runtime.registry import remove_worker

from .cluster import NAMESPACE

CLASS = "Chaos::Ledger"


def good(job_id: str, millis: int) -> bytes:
    return b'{"class":"Chaos::Ledger","args":["%s",%d]}' % (job_id.encode(), millis)


GARBAGE_SHAPES = (
    lambda i: b"{not json G%d" % i,
    lambda i: b'["G%d"]' % i,
    lambda i: b'{"x":"G%d"}' % i,
    lambda i: b'{"class":42,"args":["G%d"]}' % i,
    lambda i: b'{"class":"Chaos::Ledger","args":"G%d"}' % i,
    lambda i: b"\xff\xfeG%d" % i,
    lambda i: b'{"class":"C","args":[' + b"[" * 600 + b'"G%d"' % i + b"]" * 600 + b"]}",
    lambda i: b"G%d" % i + b"\x00" * 3,
    lambda i: b'"G%d"' % i,
    lambda i: b'{"class":"","args":["G%d"]}' % i,
)


@dataclass
class Row:
    scenario: str
    trials: int = 0
    jobs: int = 0
    performed: int = 0
    failed: int = 0
    queued: int = 0
    lost: int = 0
    duplicated: int = 0
    leftover: int = 0
    garbage: int = 0
    garbage_recorded: int = 0
    crashed: int = 0
    """Readers (CLI commands, dashboard pages) that crashed on the scenario's keys."""
    prune_errors: int | None = None
    """Live workers a pruner removed, and dead ones it left past their heartbeat's expiry
    (``None``: the scenario does not prune)."""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.leftover == 0
            and self.garbage == self.garbage_recorded
            and self.crashed == 0
            and not self.prune_errors
        )


class Ledger:
    """Enqueues through a plain client and reckons at the end."""

    def __init__(self, client: redis.Redis, ledger: redis.Redis, seed: int) -> None:
        self.client = client
        self.ledger = ledger
        self.resque = Resque(client, namespace=NAMESPACE)
        self.random = random.Random(seed)
        self.ids: list[str] = []
        self.garbage: dict[bytes, str] = {}
        self.queues: set[str] = set()
        self.lost: list[str] = []
        self.duplicated: list[str] = []
        self._next = 0

    def enqueue(self, queues: list[str], count: int, max_millis: int = 20, garbage_every: int = 0) -> None:
        """``count`` jobs spread over ``queues``; with ``garbage_every`` one garbage payload
        after every that many good ones. Pushed in one pipeline per call."""
        pipe = self.client.pipeline(transaction=False)
        self.queues.update(queues)
        for q in queues:
            pipe.sadd(self.resque.keys.queues(), q)
        for n in range(count):
            self._next += 1
            q = self.random.choice(queues)
            if garbage_every and n % garbage_every == garbage_every - 1:
                raw = GARBAGE_SHAPES[self._next % len(GARBAGE_SHAPES)](self._next)
                self.garbage[raw] = f"G{self._next}"
            else:
                job_id = f"J{self._next}"
                self.ids.append(job_id)
                raw = good(job_id, self.random.randrange(max_millis + 1))
            pipe.rpush(self.resque.keys.queue(q), raw)
        pipe.execute()

    def reckon(self, row: Row) -> Row:
        """Record dead workers' jobs (as their pruner would), then place every id."""
        for worker_id in self.resque.worker_registry.worker_ids():
            remove_worker(self.resque.worker_registry, self.resque.failure, {}, worker_id, lambda _m: None)
        performed = {k.decode(): int(v) for k, v in self.ledger.hgetall("performed").items()}  # type: ignore[union-attr]
        garbage_seen: Counter[str] = Counter()
        records = self._records(garbage_seen)
        queued = self._queued(garbage_seen, row)
        for job_id in self.ids:
            p, r, q = performed.get(job_id, 0), records[job_id], queued[job_id]
            row.jobs += 1
            if p == 0 and r == 0 and q == 0:
                row.lost += 1
                self.lost.append(job_id)
            elif p >= 2 or r >= 2 or q >= 2 or (q and (p or r)):
                row.duplicated += 1
                self.duplicated.append(job_id)
                row.notes.append(f"{job_id}: performed {p}, failure records {r}, still queued {q}")
            elif r:
                row.failed += 1
            elif q:
                row.queued += 1
            else:
                row.performed += 1
        row.garbage = len(self.garbage)
        row.garbage_recorded = sum(1 for g in self.garbage.values() if garbage_seen[g] == 1)
        return row

    def _records(self, garbage_seen: Counter[str]) -> Counter[str]:
        """Failure records per good job id; garbage found with its exact bytes is counted apart."""
        records: Counter[str] = Counter()
        for raw in self.client.lrange(self.resque.keys.failed(), 0, -1):  # type: ignore[union-attr]
            try:
                payload = json.loads(raw).get("payload") or {}
            except (ValueError, AttributeError):
                continue  # garbage a scenario put in the failed list itself
            args = payload.get("args") if isinstance(payload, dict) else None
            first: Any = args[0] if isinstance(args, list) and args else None
            if payload.get("class") == CLASS and isinstance(first, str):
                records[first] += 1
            elif isinstance(first, (str, dict)):
                kept = first.encode() if isinstance(first, str) else base64.b64decode(first["base64"])
                if kept in self.garbage:
                    garbage_seen[self.garbage[kept]] += 1
        return records

    def _queued(self, garbage_seen: Counter[str], row: Row) -> Counter[str]:
        queued: Counter[str] = Counter()
        for q in sorted(self.queues):
            for raw in self.client.lrange(self.resque.keys.queue(q), 0, -1):  # type: ignore[union-attr]
                if raw in self.garbage:
                    garbage_seen[self.garbage[raw]] += 1
                    continue
                try:
                    queued[json.loads(raw)["args"][0]] += 1
                except (ValueError, KeyError, IndexError, TypeError):
                    row.notes.append(f"unknown queued value {raw[:40]!r}")
        return queued


def table(rows: list[Row]) -> str:
    head = (
        "scenario",
        "trials",
        "jobs",
        "once",
        "failed+rec",
        "queued",
        "lost",
        "dup",
        "garbage",
        "left procs",
        "crashed",
        "prune err",
    )
    lines = [head]
    for r in rows:
        garbage = f"{r.garbage_recorded}/{r.garbage}" if r.garbage else "-"
        lines.append(
            (r.scenario, str(r.trials), str(r.jobs), str(r.performed), str(r.failed), str(r.queued),
             str(r.lost), str(r.duplicated), garbage, str(r.leftover), str(r.crashed),
             "-" if r.prune_errors is None else str(r.prune_errors))
        )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)
