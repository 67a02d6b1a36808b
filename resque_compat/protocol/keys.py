"""Every Redis key Resque and resque-compat use, built in one place (spec section 2).

Resque writes through ``Redis::Namespace``: the namespace prefixes keys only, never values
(members of ``queues`` and ``workers``, heartbeat fields stay un-prefixed).

Two levels: the module's functions and constants give *logical* names (``queue:default``,
``failed``, ``workers:heartbeat``), as Ruby's code spells them and as reports show them;
``Keys`` adds one namespace and gives the *physical* names Redis sees. Nothing else in the
package spells a key: ``tests/test_architecture.py`` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "resque"
DEFAULT_GLOBAL_PAUSE_KEY = "pause:all"
"""``ResquePauseHelper::DEFAULT_GLOBAL_PAUSE_KEY``."""

# Resque's own keys (logical names).
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

_QUEUE = "queue:"
_WORKER = "worker:"
_STARTED = ":started"
_STAT = "stat:"
_FAILED_SUFFIX = "_failed"

# resque-scheduler's keys (``delaying_extensions.rb``, ``scheduling_extensions.rb``, ``locking.rb``).
DELAYED_QUEUE_SCHEDULE = "delayed_queue_schedule"
"""The zset of every timestamp holding delayed jobs (score and member both the epoch)."""
DELAYED_LAST_ENQUEUED_AT = "delayed:last_enqueued_at"
"""Schedule name -> the time its last run was enqueued (``Resque.last_enqueued_at``)."""
PERSISTENT_SCHEDULES = "persistent_schedules"
SCHEDULES = "schedules"
"""The hash resque-scheduler before 5.0 kept every schedule in (read by migration tools only)."""
SCHEDULES_CHANGED = "schedules_changed"
MASTER_LOCK = "resque_scheduler_master_lock"
NODE_LEADER_LOCK = "resque_scheduler_leader_lock"
_DELAYED = "delayed:"
_TIMESTAMPS = "timestamps:"


def delayed_key(timestamp: int) -> str:
    """``delayed:<epoch>``: the list of items due at one second. Also the (un-prefixed) member
    Ruby writes into ``timestamps:`` sets: ``Redis::Namespace`` prefixes keys only."""
    return f"{_DELAYED}{int(timestamp)}"


def delayed_glob() -> str:
    """The logical glob of the delayed lists (``delayed:*``; ``delayed:last_enqueued_at`` and
    ``delayed:unmovable`` match it too)."""
    return _DELAYED + "*"


def timestamps_glob() -> str:
    return _TIMESTAMPS + "*"


def timestamps_item(logical: bytes) -> bytes | None:
    """The item bytes of a logical ``timestamps:<item>`` key, ``None`` for any other key."""
    prefix = _TIMESTAMPS.encode()
    return logical[len(prefix) :] if logical.startswith(prefix) else None


def delayed_timestamp_of_key(logical: str) -> str | None:
    """The text after ``delayed:`` of a delayed list's logical key, ``None`` for other keys."""
    return logical[len(_DELAYED) :] if logical.startswith(_DELAYED) else None


# resque-compat's own keys and names, all under ``resque-compat:``.
PROJECT_PREFIX = "resque-compat:"
ROUTES = PROJECT_PREFIX + "routes"
"""The routing table of a gradual rollout (a hash: class -> ``{"from","to"}``)."""
REMOVED = PROJECT_PREFIX + "removed"
"""Where ``doctor`` keeps a copy of everything it removes (a list of JSON records)."""
UNMOVABLE = PROJECT_PREFIX + "delayed:unmovable"
"""The delayed items the scheduler could not enqueue, kept raw (Ruby's scheduler logs and drops
them): not JSON, no class, no queue."""
HISTORY_PREFIX = PROJECT_PREFIX + "history:"


def history_key(step: int) -> str:
    """``resque-compat:history:<seconds>``: the dashboard's sampled counters at one resolution
    (a sorted set: score = bucket number, member = one JSON sample; see ``protocol.history``)."""
    return f"{HISTORY_PREFIX}{step}"


# The plugins' keys (logical names, as each plugin's Ruby code spells them).
_LONERS = "loners:queue:"
_LOCK = "lock"
_LONER_LOCK = "loner:"
LOCK_GLOBS = ("lock:*", "loner:lock:*")
"""resque-lock's and resque-lock-timeout's keys (``doctor`` looks at them)."""
LONER_GLOB = _LONERS + "*"
STATUSES = "_statuses"
"""resque-status's sorted set of status ids (score: creation time; ``Status::Hash.set_key``)."""
KILL = "_kill"
"""resque-status's set of ids asked to stop (``Status::Hash.kill_key``)."""
_STATUS = "status:"


_RETRY = "resque-retry"
_RETRY_FAILURE = "failure-"
RETRY_GLOB = _RETRY + ":*"
RETRY_FAILURE_GLOB = _RETRY_FAILURE + _RETRY + ":*"


def retry_key(class_name: str, identifier: str | None) -> str:
    """resque-retry's ``['resque-retry', name, retry_identifier].compact.join(':')`` without
    whitespace (``Retry#redis_retry_key``)."""
    return "".join(":".join(p for p in (_RETRY, class_name, identifier) if p is not None).split())


def retry_failure_key(retry: str) -> str:
    """``failure-<retry key>``: ``MultipleWithRetrySuppression.failure_key``."""
    return _RETRY_FAILURE + retry


def status_key(uuid: str) -> str:
    """resque-status's ``status:<uuid>`` (``Status::Hash.status_key``)."""
    return _STATUS + uuid


def loner_key(queue: str, digest: str) -> str:
    """resque-loner's ``loners:queue:<q>:job:<digest>`` (``Helpers.unique_job_queue_key``)."""
    return f"{_LONERS}{queue}:job:{digest}"


def loner_of_key(logical: str) -> tuple[str, str] | None:
    """(queue, digest) of a loner key, ``None`` for any other key."""
    if not logical.startswith(_LONERS) or ":job:" not in logical:
        return None
    queue, _, digest = logical[len(_LONERS) :].rpartition(":job:")
    return queue, digest


def lock_key(class_name: str, args_inspect: str) -> str:
    """resque-lock's ``lock:<Class>-<args.to_s>`` (``Lock#lock``)."""
    return f"{_LOCK}:{class_name}-{args_inspect}"


def lock_timeout_key(class_name: str, identifier: str | None) -> str:
    """resque-lock-timeout's ``['lock', name, identifier].compact.join(':')`` (``redis_lock_key``)."""
    return ":".join(p for p in (_LOCK, class_name, identifier) if p is not None)


def lock_prefixes(class_name: str) -> tuple[str, str]:
    """How resque-lock-timeout's (``lock:<Class>:``) and resque-lock's (``lock:<Class>-``) keys
    of a class begin."""
    return f"{_LOCK}:{class_name}:", f"{_LOCK}:{class_name}-"


def lock_of_loner_lock(name: str) -> str | None:
    """The lock key inside ``loner:<lock key>``, ``None`` for any other key."""
    return name[len(_LONER_LOCK) :] if name.startswith(_LONER_LOCK + _LOCK + ":") else None


def loner_lock_key(lock: str) -> str:
    """resque-lock-timeout's ``loner:<redis_lock_key>`` (``redis_loner_lock_key``)."""
    return _LONER_LOCK + lock


def queue_key(queue: str) -> str:
    """``queue:<name>``: a queue's list."""
    return _QUEUE + queue


def queue_of_key(logical: str) -> str | None:
    """The queue name of ``queue:<name>``, ``None`` for any other key."""
    return logical[len(_QUEUE) :] if logical.startswith(_QUEUE) else None


def queue_glob() -> str:
    """The logical glob of every queue list (``queue:*``)."""
    return _QUEUE + "*"


def failure_queue_name(queue: str) -> str:
    """``Resque::Failure.failure_queue_name``: the multi-queue failure list of a job queue."""
    return queue + _FAILED_SUFFIX


def job_queue_name(failure_queue: str) -> str:
    """``Resque::Failure.job_queue_name``: the job queue of a multi-queue failure list."""
    return failure_queue[: -len(_FAILED_SUFFIX)] if failure_queue.endswith(_FAILED_SUFFIX) else failure_queue


def worker_key(worker_id: str) -> str:
    """``worker:<id>``: what the worker is working on."""
    return _WORKER + worker_id


def worker_started_key(worker_id: str) -> str:
    """``worker:<id>:started``."""
    return _WORKER + worker_id + _STARTED


def stat_key(name: str) -> str:
    """``stat:<name>`` (``processed``, ``failed``)."""
    return _STAT + name


def worker_stat_key(name: str, worker_id: str) -> str:
    """``stat:<name>:<id>``."""
    return f"{_STAT}{name}:{worker_id}"


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
    return [_WORKER + "*", *(f"{_STAT}{s}:*" for s in WORKER_STATS)]


def worker_of_key(logical: str) -> str | None:
    """The worker id a key of ``worker_keys`` belongs to, ``None`` for any other key."""
    if logical.startswith(_WORKER):
        wid = logical[len(_WORKER) :]
        return wid[: -len(_STARTED)] if wid.endswith(_STARTED) else wid
    for s in WORKER_STATS:
        prefix = f"{_STAT}{s}:"
        if logical.startswith(prefix):
            return logical[len(prefix) :]
    return None


_TYPES = {
    QUEUES: "set", FAILED_QUEUES: "set", WORKERS: "set", HEARTBEATS: "hash", FAILED: "list",
    DELAYED_QUEUE_SCHEDULE: "zset", DELAYED_LAST_ENQUEUED_AT: "hash", SCHEDULES: "hash",
    PERSISTENT_SCHEDULES: "hash", SCHEDULES_CHANGED: "set", ROUTES: "hash", REMOVED: "list",
    UNMOVABLE: "list", STATUSES: "zset",
}  # fmt: skip
_TYPED_PREFIXES = (
    (_QUEUE, "list"), (_WORKER, "string"), (_STAT, "string"), (_DELAYED, "list"),
    (_TIMESTAMPS, "set"), (HISTORY_PREFIX, "zset"),
)  # fmt: skip


def key_type(logical: str) -> str | None:
    """The Redis type Resque (or the plugin owning it) keeps at a logical key, ``None`` when
    the key is not one of the known families."""
    found = _TYPES.get(logical)
    if found is not None:
        return found
    if logical.endswith(_FAILED_SUFFIX):
        return "list"
    return next((t for prefix, t in _TYPED_PREFIXES if logical.startswith(prefix)), None)


def sentinel(tool: str, token: str) -> bytes:
    """A one-off value a tool ``LSET``s in place of an entry before one ``LREM`` of it."""
    return f"{PROJECT_PREFIX}{tool}:{token}".encode()


def client_name(pid: int) -> str:
    """The Redis ``CLIENT SETNAME`` of a resque-compat process (the dashboard tells Python
    workers from Ruby ones by it)."""
    return f"{PROJECT_PREFIX}{pid}"


def worker_client_name(worker_id: str) -> str:
    """A connection name naming the worker ``worker_id`` itself."""
    return f"{PROJECT_PREFIX}{_WORKER}{worker_id}"


def client_name_matches(name: str, pid: int, worker_id: str) -> bool:
    """Whether a connection name is one resque-compat gives to the process ``pid`` (or to the
    worker ``worker_id``)."""
    if name in (client_name(pid), worker_client_name(worker_id)):
        return True
    return name.startswith(PROJECT_PREFIX) and name.endswith(f":{pid}")


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
        return _glob_escape(self.prefix) + "*"

    def pattern(self, logical_glob: str) -> str:
        """The ``SCAN`` pattern of a logical glob of this module (the namespace escaped)."""
        return _glob_escape(self.prefix) + logical_glob

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
        return self.physical(f"pause:queue:{queue}")

    def pause_global(self, name: str = DEFAULT_GLOBAL_PAUSE_KEY) -> str:
        """The global pause key, ``pause:all`` unless the app set ``global_pause_key=``."""
        return self.physical(name)

    # resque-loner (Resque::Plugins::Loner::Helpers)
    def loner(self, queue: str, digest: str) -> str:
        """``loners:queue:<q>:job:<digest>`` (``unique_job_queue_key``)."""
        return self.physical(loner_key(queue, digest))

    def loner_pattern(self, queue: str) -> str:
        """Every loner key of ``queue`` (``cleanup_loners``)."""
        return self.pattern(_glob_escape(loner_key(queue, "")) + "*")

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

    def scheduler_unmovable(self) -> str:
        return self.physical(UNMOVABLE)

    # resque-scheduler
    def delayed_queue_schedule(self) -> str:
        return self.physical(DELAYED_QUEUE_SCHEDULE)

    def delayed(self, timestamp: int) -> str:
        return self.physical(delayed_key(timestamp))

    def delayed_member(self, member: bytes) -> bytes:
        """``delayed:<member>`` for a raw ``delayed_queue_schedule`` member (kept as bytes)."""
        return self.prefix.encode() + _DELAYED.encode() + member

    def physical_bytes(self, logical: bytes) -> bytes:
        """A raw logical key (a ``timestamps:`` set member such as ``delayed:<ts>``), prefixed."""
        return self.prefix.encode() + logical

    def delayed_pattern(self) -> str:
        return self.pattern(delayed_glob())

    def timestamps(self, item: bytes) -> bytes:
        """``timestamps:<exact item bytes>``: the set of ``delayed:<ts>`` an item is listed under."""
        return self.prefix.encode() + _TIMESTAMPS.encode() + item

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


def _glob_escape(text: str) -> str:
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "*?[]\\" else ch)
    return "".join(out)
