"""Every Redis key Resque uses, built in one place (spec section 2).

Resque writes through ``Redis::Namespace``: the namespace prefixes keys only, never values
(members of ``queues`` and ``workers``, heartbeat fields stay un-prefixed).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "resque"
DEFAULT_GLOBAL_PAUSE_KEY = "pause:all"
"""``ResquePauseHelper::DEFAULT_GLOBAL_PAUSE_KEY``."""


@dataclass(frozen=True, slots=True)
class Keys:
    """Physical key names for one namespace (``Redis::Namespace`` with ``namespace``)."""

    namespace: str = DEFAULT_NAMESPACE

    @property
    def prefix(self) -> str:
        return f"{self.namespace}:" if self.namespace else ""

    def key(self, logical: str) -> str:
        """The physical key for a logical key, as ``Redis::Namespace#add_namespace``."""
        return self.prefix + logical

    def strip(self, physical: str) -> str:
        """The logical key for a physical key of this namespace (``Resque.keys``)."""
        p = self.prefix
        return physical[len(p) :] if p and physical.startswith(p) else physical

    def all_pattern(self) -> str:
        """The ``KEYS``/``SCAN`` pattern for every key of this namespace."""
        return _glob_escape(self.prefix) + "*"

    # queues
    def queues(self) -> str:
        return self.key("queues")

    def queue(self, name: str) -> str:
        return self.key(f"queue:{name}")

    def queue_pattern(self) -> str:
        return _glob_escape(self.key("queue:")) + "*"

    # failures
    def failed(self) -> str:
        return self.key("failed")

    def failed_queues(self) -> str:
        return self.key("failed_queues")

    def failed_list(self, failed_queue_name: str) -> str:
        """A failure list by its name: ``failed`` or ``<queue>_failed`` (no ``queue:`` prefix)."""
        return self.key(failed_queue_name)

    # workers
    def workers(self) -> str:
        return self.key("workers")

    def worker(self, worker_id: str) -> str:
        return self.key(f"worker:{worker_id}")

    def worker_started(self, worker_id: str) -> str:
        return self.key(f"worker:{worker_id}:started")

    def heartbeats(self) -> str:
        return self.key("workers:heartbeat")

    def pruning_lock(self) -> str:
        return self.key("pruning_dead_workers_in_progress")

    def pause_all(self) -> str:
        return self.key("pause-all-workers")

    # resque-pause (ResquePauseHelper): any value pauses, existence is what counts
    def pause_queue(self, queue: str) -> str:
        """``pause:queue:<queue>`` (``ResquePauseHelper.pause``)."""
        return self.key(f"pause:queue:{queue}")

    def pause_global(self, name: str = DEFAULT_GLOBAL_PAUSE_KEY) -> str:
        """The global pause key, ``pause:all`` unless the app set ``global_pause_key=``."""
        return self.key(name)

    # stats
    def stat(self, name: str) -> str:
        return self.key(f"stat:{name}")

    def worker_stat(self, name: str, worker_id: str) -> str:
        return self.key(f"stat:{name}:{worker_id}")


def failure_queue_name(queue: str) -> str:
    """``Resque::Failure.failure_queue_name``: the multi-queue failure list of a job queue."""
    return f"{queue}_failed"


def job_queue_name(failure_queue: str) -> str:
    """``Resque::Failure.job_queue_name``: the job queue of a multi-queue failure list."""
    return failure_queue[: -len("_failed")] if failure_queue.endswith("_failed") else failure_queue


def _glob_escape(text: str) -> str:
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "*?[]\\" else ch)
    return "".join(out)
