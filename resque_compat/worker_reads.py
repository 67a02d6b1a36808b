"""The read side of the worker registry on ``Resque`` (``Resque.workers``, ``Resque.working``,
``Worker#job``, ``#state``, ``Worker.all_heartbeats``, ``#started``, ``Worker.exists?``), mixed
into the client; the registry's keys are reached through ``worker_registry`` (``store.workers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .protocol import parse_worker_id
from .protocol.records import decode_or_error
from .store.workers import WorkerRegistry


@dataclass(frozen=True, slots=True)
class Working:
    """A worker that is working: its id and the decoded ``worker:<id>`` value (raw kept)."""

    worker_id: str
    raw: bytes
    data: dict[str, Any] | None


class WorkerReads:
    """Mixed into ``Resque``; the state lives in ``self.worker_registry`` (``store.workers``)."""

    worker_registry: WorkerRegistry

    def workers(self) -> list[str]:
        """``Resque.workers``: registered worker ids."""
        return self.worker_registry.worker_ids()

    def working(self) -> list[Working]:
        """``Resque.working``: workers whose ``worker:<id>`` is set, with their job."""
        ids = self.workers()
        out = []
        for wid, raw in self.worker_registry.workers_map(ids).items():
            if raw:
                data = decode_or_error(raw)
                out.append(Working(wid, raw, data if isinstance(data, dict) else None))
        return out

    def worker_job(self, worker_id: str) -> dict[str, Any] | None:
        """``Worker#job``: the decoded ``worker:<id>``, ``{}``-like ``None`` when idle."""
        raw = self.worker_registry.get_worker_payload(worker_id)
        value = None if raw is None else decode_or_error(raw)
        return value if isinstance(value, dict) else None

    def worker_state(self, worker_id: str) -> str:
        """``Worker#state``: ``working`` iff ``worker:<id>`` exists, else ``idle``."""
        return "working" if self.worker_registry.get_worker_payload(worker_id) else "idle"

    def heartbeats(self) -> dict[str, str]:
        """``Worker.all_heartbeats``: worker id -> heartbeat text."""
        return {k: v.decode("utf-8", "replace") for k, v in self.worker_registry.all_heartbeats().items()}

    def worker_started(self, worker_id: str) -> str | None:
        """``Worker#started``: the raw ``worker:<id>:started`` text."""
        raw = self.worker_registry.worker_start_time(worker_id)
        return None if raw is None else raw.decode("utf-8", "replace")

    def worker_exists(self, worker_id: str) -> bool:
        """``Worker.exists?``."""
        return self.worker_registry.worker_exists(worker_id)

    def worker_host_pid(self, worker_id: str) -> tuple[str, int] | None:
        """Host and pid of a worker id, or ``None`` when the id is not ``host:pid:queues``."""
        try:
            wid = parse_worker_id(worker_id)
        except ValueError:
            return None
        return wid.hostname, wid.pid
