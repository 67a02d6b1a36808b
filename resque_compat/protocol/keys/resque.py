"""Resque 3.0's own keys (logical names, as ``lib/resque`` spells them): queues, failure lists,
workers, heartbeats and stats."""

from __future__ import annotations

DEFAULT_NAMESPACE = "resque"

QUEUES = "queues"
FAILED = "failed"
FAILED_QUEUES = "failed_queues"
WORKERS = "workers"
HEARTBEATS = "workers:heartbeat"
PRUNING_LOCK = "pruning_dead_workers_in_progress"
PAUSE_ALL = "pause-all-workers"
STAT_PROCESSED = "processed"
STAT_FAILED = "failed"
WORKER_STATS = (STAT_PROCESSED, STAT_FAILED)
"""The per-worker counters ``stat:<name>:<worker id>`` (``Worker#processed``, ``#failed``)."""

QUEUE_PREFIX = "queue:"
WORKER_PREFIX = "worker:"
STAT_PREFIX = "stat:"
FAILED_SUFFIX = "_failed"
_STARTED = ":started"


def queue_key(queue: str) -> str:
    """``queue:<name>``: a queue's list."""
    return QUEUE_PREFIX + queue


def queue_of_key(logical: str) -> str | None:
    """The queue name of ``queue:<name>``, ``None`` for any other key."""
    return logical[len(QUEUE_PREFIX) :] if logical.startswith(QUEUE_PREFIX) else None


def queue_glob() -> str:
    """The logical glob of every queue list (``queue:*``)."""
    return QUEUE_PREFIX + "*"


def failure_queue_name(queue: str) -> str:
    """``Resque::Failure.failure_queue_name``: the multi-queue failure list of a job queue."""
    return queue + FAILED_SUFFIX


def job_queue_name(failure_queue: str) -> str:
    """``Resque::Failure.job_queue_name``: the job queue of a multi-queue failure list."""
    return failure_queue[: -len(FAILED_SUFFIX)] if failure_queue.endswith(FAILED_SUFFIX) else failure_queue


def worker_key(worker_id: str) -> str:
    """``worker:<id>``: what the worker is working on."""
    return WORKER_PREFIX + worker_id


def worker_started_key(worker_id: str) -> str:
    """``worker:<id>:started``."""
    return WORKER_PREFIX + worker_id + _STARTED


def stat_key(name: str) -> str:
    """``stat:<name>`` (``processed``, ``failed``)."""
    return STAT_PREFIX + name


def worker_stat_key(name: str, worker_id: str) -> str:
    """``stat:<name>:<id>``."""
    return f"{STAT_PREFIX}{name}:{worker_id}"


def worker_keys(worker_id: str) -> list[str]:
    """The string keys one worker id owns: ``worker:<id>``, ``worker:<id>:started`` and its
    per-worker stats (what ``Worker#unregister_worker`` deletes besides set and hash members)."""
    return [
        worker_key(worker_id),
        worker_started_key(worker_id),
        *(worker_stat_key(s, worker_id) for s in WORKER_STATS),
    ]


def worker_key_globs() -> list[str]:
    """Logical globs matching every key of ``worker_keys`` for any id."""
    return [WORKER_PREFIX + "*", *(f"{STAT_PREFIX}{s}:*" for s in WORKER_STATS)]


def worker_of_key(logical: str) -> str | None:
    """The worker id a key of ``worker_keys`` belongs to, ``None`` for any other key."""
    if logical.startswith(WORKER_PREFIX):
        wid = logical[len(WORKER_PREFIX) :]
        return wid[: -len(_STARTED)] if wid.endswith(_STARTED) else wid
    for s in WORKER_STATS:
        prefix = f"{STAT_PREFIX}{s}:"
        if logical.startswith(prefix):
            return logical[len(prefix) :]
    return None
