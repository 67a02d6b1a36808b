"""``Resque::DataStore``: one object holding one accessor per key family of one deployment.

``Resque`` (the enqueue API), the worker, ``Admin`` and the migration tools all work on a
``DataStore``; each accessor mirrors one of Ruby's (``QueueAccess``, ``FailedQueueAccess``,
``Workers``, ``StatsAccess``) or one family Ruby's plugins add (the delayed queue and schedules
of resque-scheduler, resque-pause's keys, the locks of resque-loner and resque-lock).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import redis

from ..protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, Keys
from .delayed import DelayedQueueAccess
from .failures import FailedQueueAccess
from .history import HistoryAccess
from .inspect import KeyInspector
from .migration import MigrationAccess
from .pause import PauseAccess
from .queues import QueueAccess
from .reserve import JobSource
from .retry import RetryAccess
from .schedules import ScheduleAccess
from .stats import StatsAccess
from .status import StatusAccess
from .unique import UniqueAccess
from .workers import WorkerRegistry


class DataStore:
    """Every key family of one namespace on one Redis client (``Resque::DataStore``)."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        global_pause_key: str = DEFAULT_GLOBAL_PAUSE_KEY,
        status_expire_in: int | None = None,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.queues = QueueAccess(client, keys)
        self.failed = FailedQueueAccess(client, keys)
        self.stats = StatsAccess(client, keys)
        self.workers = WorkerRegistry(client, keys)
        self.pauses = PauseAccess(client, keys, global_pause_key)
        self.unique = UniqueAccess(client, keys)
        self.statuses = StatusAccess(client, keys, status_expire_in)
        self.retries = RetryAccess(client, keys)
        self.delayed = DelayedQueueAccess(client, keys)
        self.schedules = ScheduleAccess(client, keys)

    # families only some processes use are built on first use
    @cached_property
    def inspector(self) -> KeyInspector:
        """Any key's type, size and contents, for the dashboard's stats pages."""
        return KeyInspector(self.redis, self.keys)

    @cached_property
    def migration(self) -> MigrationAccess:
        """Windows, atomic moves and guarded deletes for inventory, move, doctor and routing."""
        return MigrationAccess(self.redis, self.keys)

    @cached_property
    def history(self) -> HistoryAccess:
        """The dashboard's samples (``resque-compat:history:*``)."""
        return HistoryAccess(self.redis, self.keys)

    def job_source(self, worker_id: str) -> JobSource:
        """The worker's hot path: reserve, mark and settle for ``worker_id``."""
        return JobSource(self.redis, self.keys, worker_id, self.pauses.global_key)

    def redis_id(self) -> str:
        """Where this talks to (``Resque.redis_id``): ``redis://host:port/db`` or a socket path."""
        kw: dict[str, Any] = self.redis.connection_pool.connection_kwargs
        if "path" in kw:
            return f"unix://{kw['path']}"
        return f"redis://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"
