"""What the dashboard's plugin tabs show: paused queues (resque-pause), retries in progress
(resque-retry's attempt counters, suppressed failures and scheduled retries) and statuses
(resque-status). Read-only views over the plugins' keys; the changes are ``pause``/``unpause``
and ``kill``. Each reads one deployment's ``DataStore``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plugins import status
from ..protocol.delayed import parse_timestamp_member
from ..protocol.keys import RETRY_FAILURE_GLOB, RETRY_GLOB, retry_failure_key
from ..protocol.records import json_object, payload_args, payload_class

if TYPE_CHECKING:
    from ..store import DataStore


@dataclass(frozen=True, slots=True)
class PausedQueue:
    name: str
    size: int
    paused: bool


def paused_queues(store: DataStore) -> tuple[bool, str, list[PausedQueue]]:
    """(globally paused, the global key, every queue with its size and pause state)."""
    names = sorted(store.queues.queue_names())
    sizes = store.queues.queue_sizes(names)
    flags = store.pauses.paused_queues(names)
    rows = [PausedQueue(q, size, flags[q]) for q, size in zip(names, sizes, strict=True)]
    return store.pauses.global_paused(), store.pauses.global_key, rows


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


def retries(store: DataStore, limit: int = 200) -> tuple[list[RetryRow], list[ScheduledRetry]]:
    """Attempt counters (``resque-retry:<Class>[:<sha1>]``) with their suppressed failure,
    and the delayed items of those classes (the next retries), first ``limit`` of each."""
    failures = {name: value for name, value, _ in store.retries.scan(RETRY_FAILURE_GLOB)}
    rows: list[RetryRow] = []
    for name, value, ttl in store.retries.scan(RETRY_GLOB):
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
    for member in store.delayed.schedule_window(0, limit):
        at = parse_timestamp_member(member) or 0  # delayed_queue_peek
        for raw in store.delayed.timestamp_items(at, 0, 50):
            item = json_object(raw)
            retried = payload_class(item)
            if item is not None and retried is not None and retried in classes:
                queue = item.get("queue")
                where = queue if isinstance(queue, str) else None
                scheduled.append(ScheduledRetry(int(at), retried, where, payload_args(item)))
    return rows, scheduled[:limit]


def statuses(store: DataStore, start: int = 0, count: int = 50) -> tuple[int, list[dict[str, Any]], set[str]]:
    """(how many, a page of statuses newest first with ``pct_complete``, ids asked to stop)."""
    page = [
        {**s, "pct_complete": status.pct_complete(s)}
        for s in status.statuses_in(store.statuses, start, start + count - 1)
    ]
    return store.statuses.count(), page, set(store.statuses.kill_ids())
