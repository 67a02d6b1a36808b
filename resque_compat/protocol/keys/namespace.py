"""``Keys``: the physical names Redis sees for one namespace, built from the logical names of
the family modules beside it; and ``key_type``, the Redis type kept at each known key.

Resque writes through ``Redis::Namespace``: the namespace prefixes keys only, never values
(members of ``queues`` and ``workers``, heartbeat fields stay un-prefixed)."""

from __future__ import annotations

from dataclasses import dataclass

from .plugins import DEFAULT_GLOBAL_PAUSE_KEY, KILL, STATUSES, loner_key, pause_queue_key, status_key
from .project import (
    HISTORY_PREFIX,
    REMOVED,
    ROUTES,
    UNMOVABLE,
    UNREGISTERING_PREFIX,
    history_key,
    unregistering_key,
)
from .resque import (
    DEFAULT_NAMESPACE,
    FAILED,
    FAILED_QUEUES,
    FAILED_SUFFIX,
    HEARTBEATS,
    PAUSE_ALL,
    PRUNING_LOCK,
    QUEUE_PREFIX,
    QUEUES,
    STAT_PREFIX,
    WORKER_PREFIX,
    WORKERS,
    queue_glob,
    queue_key,
    stat_key,
    worker_key,
    worker_started_key,
    worker_stat_key,
)
from .scheduler import (
    DELAYED_LAST_ENQUEUED_AT,
    DELAYED_PREFIX,
    DELAYED_QUEUE_SCHEDULE,
    MASTER_LOCK,
    NODE_LEADER_LOCK,
    PERSISTENT_SCHEDULES,
    SCHEDULES,
    SCHEDULES_CHANGED,
    TIMESTAMPS_PREFIX,
    delayed_glob,
    delayed_key,
    timestamps_glob,
)

_TYPES = {
    QUEUES: "set", FAILED_QUEUES: "set", WORKERS: "set", HEARTBEATS: "hash", FAILED: "list",
    DELAYED_QUEUE_SCHEDULE: "zset", DELAYED_LAST_ENQUEUED_AT: "hash", SCHEDULES: "hash",
    PERSISTENT_SCHEDULES: "hash", SCHEDULES_CHANGED: "set", ROUTES: "hash", REMOVED: "list",
    UNMOVABLE: "list", STATUSES: "zset",
}  # fmt: skip
_TYPED_PREFIXES = (
    (QUEUE_PREFIX, "list"), (WORKER_PREFIX, "string"), (STAT_PREFIX, "string"), (DELAYED_PREFIX, "list"),
    (TIMESTAMPS_PREFIX, "set"), (HISTORY_PREFIX, "zset"), (UNREGISTERING_PREFIX, "string"),
)  # fmt: skip


def key_type(logical: str) -> str | None:
    """The Redis type Resque (or the plugin owning it) keeps at a logical key, ``None`` when
    the key is not one of the known families."""
    found = _TYPES.get(logical)
    if found is not None:
        return found
    if logical.endswith(FAILED_SUFFIX):
        return "list"
    return next((t for prefix, t in _TYPED_PREFIXES if logical.startswith(prefix)), None)


def typed_keys() -> tuple[str, ...]:
    """Every fixed-name key ``key_type`` knows the type of (``queues``, ``workers``, ``failed``...)."""
    return tuple(_TYPES)


@dataclass(frozen=True, slots=True)
class Keys:
    """Physical key names for one namespace (``Redis::Namespace`` with ``namespace``)."""

    namespace: str = DEFAULT_NAMESPACE

    @property
    def prefix(self) -> str:
        return f"{self.namespace}:" if self.namespace else ""

    def physical(self, logical: str) -> str:
        """The physical key of a logical name built by this module or read back by ``SCAN``
        (``Redis::Namespace#add_namespace``). Only ``store/`` turns names into keys."""
        return self.prefix + logical

    def strip(self, physical: str) -> str:
        """The logical key for a physical key of this namespace (``Resque.keys``)."""
        p = self.prefix
        return physical[len(p) :] if p and physical.startswith(p) else physical

    def all_pattern(self) -> str:
        """The ``KEYS``/``SCAN`` pattern for every key of this namespace."""
        return glob_escape(self.prefix) + "*"

    def pattern(self, logical_glob: str) -> str:
        """The ``SCAN`` pattern of a logical glob of this module (the namespace escaped)."""
        return glob_escape(self.prefix) + logical_glob

    # queues
    def queues(self) -> str:
        return self.physical(QUEUES)

    def queue(self, name: str) -> str:
        return self.physical(queue_key(name))

    def queue_pattern(self) -> str:
        return self.pattern(queue_glob())

    # failures
    def failed(self) -> str:
        return self.physical(FAILED)

    def failed_queues(self) -> str:
        return self.physical(FAILED_QUEUES)

    def failed_list(self, failed_queue_name: str) -> str:
        """A failure list by its name: ``failed`` or ``<queue>_failed`` (no ``queue:`` prefix)."""
        return self.physical(failed_queue_name)

    # workers
    def workers(self) -> str:
        return self.physical(WORKERS)

    def worker(self, worker_id: str) -> str:
        return self.physical(worker_key(worker_id))

    def worker_started(self, worker_id: str) -> str:
        return self.physical(worker_started_key(worker_id))

    def heartbeats(self) -> str:
        return self.physical(HEARTBEATS)

    def pruning_lock(self) -> str:
        return self.physical(PRUNING_LOCK)

    def pause_all(self) -> str:
        return self.physical(PAUSE_ALL)

    # resque-pause (ResquePauseHelper): any value pauses, existence is what counts
    def pause_queue(self, queue: str) -> str:
        """``pause:queue:<queue>`` (``ResquePauseHelper.pause``)."""
        return self.physical(pause_queue_key(queue))

    def pause_global(self, name: str = DEFAULT_GLOBAL_PAUSE_KEY) -> str:
        """The global pause key, ``pause:all`` unless the app set ``global_pause_key=``."""
        return self.physical(name)

    # resque-loner (Resque::Plugins::Loner::Helpers)
    def loner(self, queue: str, digest: str) -> str:
        """``loners:queue:<q>:job:<digest>`` (``unique_job_queue_key``)."""
        return self.physical(loner_key(queue, digest))

    def loner_pattern(self, queue: str) -> str:
        """Every loner key of ``queue`` (``cleanup_loners``)."""
        return self.pattern(glob_escape(loner_key(queue, "")) + "*")

    # resque-status (Resque::Plugins::Status::Hash)
    def status(self, uuid: str) -> str:
        return self.physical(status_key(uuid))

    def statuses(self) -> str:
        return self.physical(STATUSES)

    def kill(self) -> str:
        return self.physical(KILL)

    # stats
    def stat(self, name: str) -> str:
        return self.physical(stat_key(name))

    def worker_stat(self, name: str, worker_id: str) -> str:
        return self.physical(worker_stat_key(name, worker_id))

    # resque-compat's own
    def routes(self) -> str:
        return self.physical(ROUTES)

    def history(self, step: int) -> str:
        return self.physical(history_key(step))

    def removed(self) -> str:
        return self.physical(REMOVED)

    def unregistering(self, worker_id: str) -> str:
        return self.physical(unregistering_key(worker_id))

    def scheduler_unmovable(self) -> str:
        return self.physical(UNMOVABLE)

    # resque-scheduler
    def delayed_queue_schedule(self) -> str:
        return self.physical(DELAYED_QUEUE_SCHEDULE)

    def delayed(self, timestamp: int) -> str:
        return self.physical(delayed_key(timestamp))

    def delayed_member(self, member: bytes) -> bytes:
        """``delayed:<member>`` for a raw ``delayed_queue_schedule`` member (kept as bytes)."""
        return self.prefix.encode() + DELAYED_PREFIX.encode() + member

    def physical_bytes(self, logical: bytes) -> bytes:
        """A raw logical key (a ``timestamps:`` set member such as ``delayed:<ts>``), prefixed."""
        return self.prefix.encode() + logical

    def delayed_pattern(self) -> str:
        return self.pattern(delayed_glob())

    def timestamps(self, item: bytes) -> bytes:
        """``timestamps:<exact item bytes>``: the set of ``delayed:<ts>`` an item is listed under."""
        return self.prefix.encode() + TIMESTAMPS_PREFIX.encode() + item

    def timestamps_pattern(self) -> str:
        return self.pattern(timestamps_glob())

    def delayed_last_enqueued_at(self) -> str:
        return self.physical(DELAYED_LAST_ENQUEUED_AT)

    def persistent_schedules(self) -> str:
        return self.physical(PERSISTENT_SCHEDULES)

    def schedules(self) -> str:
        return self.physical(SCHEDULES)

    def schedules_changed(self) -> str:
        return self.physical(SCHEDULES_CHANGED)

    def scheduler_master_lock(self, lock_prefix: str = "") -> str:
        """The master lock, prefixed twice as ``Locking#master_lock_key`` builds it:
        ``"#{Resque.redis.namespace}:#{prefix:}resque_scheduler_master_lock"`` written through
        the namespaced client (``resque:resque:resque_scheduler_master_lock``)."""
        middle = f"{lock_prefix}:" if lock_prefix else ""
        return self.physical(f"{self.namespace}:{middle}{MASTER_LOCK}")

    def node_resque_scheduler_lock(self) -> str:
        """node-resque's own master lock key before 7.0 (one prefix):
        ``resque:resque_scheduler_master_lock``."""
        return self.physical(MASTER_LOCK)

    def node_resque_leader_lock(self) -> str:
        """node-resque's leader lock from 7.0 on (``Queue#leaderKey``, one prefix):
        ``resque:resque_scheduler_leader_lock``."""
        return self.physical(NODE_LEADER_LOCK)

    def node_resque_locks(self) -> tuple[str, str]:
        """Both keys a node-resque scheduler may hold (7.0 and later, then older)."""
        return (self.node_resque_leader_lock(), self.node_resque_scheduler_lock())


def glob_escape(text: str) -> str:
    """``text`` with the glob characters of a ``SCAN`` pattern escaped."""
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "*?[]\\" else ch)
    return "".join(out)
