"""What the dashboard's plugin tabs show: paused queues (resque-pause), retries in progress
(resque-retry's attempt counters, suppressed failures and scheduled retries) and statuses
(resque-status). Read-only views over the plugins' keys; the changes are ``pause``/``unpause``
and ``kill``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plugins import status
from ..protocol.keys import RETRY_FAILURE_GLOB, RETRY_GLOB, retry_failure_key
from ..protocol.records import json_object, payload_args, payload_class

if TYPE_CHECKING:
    from ..client import Resque


@dataclass(frozen=True, slots=True)
class PausedQueue:
    name: str
    size: int
    paused: bool


def paused_queues(resque: Resque) -> tuple[bool, str, list[PausedQueue]]:
    """(globally paused, the global key, every queue with its size and pause state)."""
    sizes = resque.queue_sizes()
    flags = resque.pauses.paused_queues(sorted(sizes))
    rows = [PausedQueue(q, sizes[q], flags[q]) for q in sorted(sizes)]
    return resque.pauses.global_paused(), resque.pauses.global_key, rows


@dataclass(frozen=True, slots=True)
class RetryRow:
    key: str
    job_class: str
    attempt: int
    expires_in: int | None
    failure: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ScheduledRetry:
    at: int
    job_class: str
    queue: str | None
    args: list[Any]


def retries(resque: Resque, limit: int = 200) -> tuple[list[RetryRow], list[ScheduledRetry]]:
    """Attempt counters (``resque-retry:<Class>[:<sha1>]``) with their suppressed failure,
    and the delayed items of those classes (the next retries), first ``limit`` of each."""
    failures = {name: value for name, value, _ in resque.retries.scan(RETRY_FAILURE_GLOB)}
    rows: list[RetryRow] = []
    for name, value, ttl in resque.retries.scan(RETRY_GLOB):
        parts = name.split(":")
        job_class = ":".join(parts[1:-1]) if len(parts) > 2 else parts[-1]
        try:
            attempt = int(value or 0)
        except ValueError:
            attempt = 0
        rows.append(
            RetryRow(
                name,
                job_class,
                attempt,
                ttl if ttl >= 0 else None,
                json_object(failures.get(retry_failure_key(name))),
            )
        )
        if len(rows) >= limit:
            break
    rows.sort(key=lambda r: r.key)
    classes = {r.job_class for r in rows}
    scheduled: list[ScheduledRetry] = []
    for at in resque.delayed_queue_peek(0, limit):
        for item in resque.delayed_timestamp_peek(at, 0, 50):
            retried = payload_class(item)
            if retried is not None and retried in classes:
                queue = item.get("queue")
                where = queue if isinstance(queue, str) else None
                scheduled.append(ScheduledRetry(int(at), retried, where, payload_args(item)))
    return rows, scheduled[:limit]


def statuses(resque: Resque, start: int = 0, count: int = 50) -> tuple[int, list[dict[str, Any]], set[str]]:
    """(how many, a page of statuses newest first with ``pct_complete``, ids asked to stop)."""
    page = [
        {**s, "pct_complete": status.pct_complete(s)}
        for s in status.statuses(resque, start, start + count - 1)
    ]
    return resque.statuses.count(), page, set(resque.statuses.kill_ids())
