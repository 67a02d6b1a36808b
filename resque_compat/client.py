"""The enqueue side of Resque: ``Resque.enqueue``, ``enqueue_to``, ``Job.create``, ``push``,
``pop``, ``peek``, ``size``, ``queues``, ``remove_queue``, ``Job.destroy``/``dequeue``, ``info``,
stats and failures (the read side of the worker registry is ``worker_reads.py``).

    >>> r = Resque.from_url("redis://localhost:6379/0")
    >>> r.enqueue_to("file_serve", "Archive", 44, "masterbrew")   # a Ruby class by name
    True
    >>> r.enqueue(ArchiveJob, 44, "masterbrew")                  # a class with queue/resque_class

Every method names the Ruby method it mirrors; return values follow Ruby's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import jobs, tracing
from .config.environment import default_redis_url, environment_name
from .delaying import DelayingExtensions
from .errors import DecodeError, NoClassError, NoQueueError
from .failure import BACKENDS, FailureBackend, MultipleFailure, backend_named
from .plugins import context as plugin_context
from .plugins import loner
from .protocol import Job, JobEncoder, Keys, Profile, decode, decode_job, encode, encode_job
from .protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, DEFAULT_NAMESPACE
from .protocol.records import decode_or_error, json_object, payload_class
from .protocol.rubyjson import encode_prepared, prepare
from .scheduling import SchedulingExtensions
from .store import DataStore, connect, refuse_cluster
from .worker_reads import WorkerReads

if TYPE_CHECKING:
    import redis

    from .config import Settings

FAILURE_BACKENDS = BACKENDS


class Resque(DelayingExtensions, SchedulingExtensions, WorkerReads):
    """A connection to one Resque deployment: a Redis client plus a namespace, whose keys are
    reached through one ``DataStore`` (``store``; pass one to share it).

    Without a client it connects to ``REDIS_URL`` if set, else ``redis://localhost:6379/0``, as
    Ruby's ``Redis.new`` does; every other default is Resque's own. ``Resque.from_env()`` reads
    all of the settings (``REDIS_URL``, ``RESQUE_NAMESPACE``, ``RESQUE_JSON_PROFILE``,
    ``FAILURE_BACKEND``) and ``Resque.from_settings(settings)`` takes them from ``config.Settings``.

    ``json_profile`` chooses whose bytes to match (``json_gem``, ``oj`` or ``rails``: spec 3.2);
    ``failure_backend`` is ``"redis"``, ``"redis_multi_queue"`` or a backend object;
    ``inline`` performs jobs at enqueue time (``Resque.inline``), looking names up in ``registry``;
    ``global_pause_key`` is resque-pause's ``ResquePauseHelper.global_pause_key`` (``pause:all``),
    ``status_expire_in`` resque-status's ``Status::Hash.expire_in`` (seconds; ``None``: never).
    The delayed-queue and schedule methods of resque-scheduler come from ``DelayingExtensions``
    and ``SchedulingExtensions``, the worker registry's read side from ``WorkerReads``.
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        json_profile: Profile | str = Profile.JSON_GEM,
        failure_backend: str | FailureBackend = "redis",
        inline: bool = False,
        registry: Mapping[str, Any] | None = None,
        environment: str | None = None,
        global_pause_key: str = DEFAULT_GLOBAL_PAUSE_KEY,
        status_expire_in: int | None = None,
        store: DataStore | None = None,
    ) -> None:
        if client is not None and type(client).__name__ == "RedisCluster":
            refuse_cluster(client)
        if store is None:
            redis_client = client if client is not None else connect(default_redis_url())
            store = DataStore(redis_client, Keys(namespace), global_pause_key, status_expire_in)
        self.store = store
        self.redis = store.redis
        self.namespace = store.keys.namespace
        self.keys = store.keys
        self.profile = Profile(json_profile)
        self.inline = inline
        self.registry: Mapping[str, Any] = registry if registry is not None else {}
        self.environment = environment or environment_name()
        # The store's accessors under the names the client's methods use.
        self.queue_store = store.queues
        self.failed_store = store.failed
        self.stats = store.stats
        self.worker_registry = store.workers
        self.pauses = store.pauses
        self.unique = store.unique
        self.statuses = store.statuses
        self.retries = store.retries
        self.delayed_store = store.delayed
        self.schedule_store = store.schedules
        self._non_persistent: dict[str, Any] = {}
        self._schedule: dict[str, Any] | None = None
        self.failure = (
            self.failure_backend(failure_backend) if isinstance(failure_backend, str) else failure_backend
        )

    @classmethod
    def from_url(cls, url: str, *, check_cluster: bool = True, **settings: Any) -> Resque:
        """Connect to ``url`` (redis://, rediss://, unix://, redis+sentinel://); refuse a cluster."""
        client = connect(url)
        if check_cluster:
            refuse_cluster(client)
        return cls(client, **settings)

    @classmethod
    def from_settings(cls, settings: Settings, **extra: Any) -> Resque:
        """A client for ``config.Settings`` (where Redis is, namespace, JSON profile, failure
        backend); ``extra`` are further constructor arguments (``registry``, ``inline``...)."""
        return cls.from_url(
            settings.redis_url,
            namespace=settings.namespace,
            json_profile=settings.json_profile,
            failure_backend=settings.failure_backend,
            global_pause_key=settings.global_pause_key,
            status_expire_in=settings.status_expire_in,
            **extra,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **extra: Any) -> Resque:
        """A client for the settings in the environment (``os.environ`` by default):
        ``REDIS_URL``, ``RESQUE_NAMESPACE``, ``RESQUE_JSON_PROFILE``, ``FAILURE_BACKEND``."""
        from .config import Settings

        return cls.from_settings(Settings.from_env(env), **extra)

    def failure_backend(self, name: str) -> FailureBackend:
        """A failure backend of this deployment by name (``redis``, ``redis_multi_queue``)."""
        return backend_named(name, self.failed_store, self._create_raw, self.profile)

    def multiple_failure(self, *names: str) -> MultipleFailure:
        """A ``Failure::Multiple`` over backends named as ``failure_backend`` accepts."""
        return MultipleFailure([self.failure_backend(n) for n in names])

    def __repr__(self) -> str:
        return f"<Resque namespace={self.namespace!r} redis={self.redis_id()}>"

    def redis_id(self) -> str:
        """Where this talks to (``Resque.redis_id``): ``redis://host:port/db`` or a socket path."""
        return self.store.redis_id()

    # enqueue
    def enqueue(self, job_class: Any, *args: Any) -> bool | None:
        """``Resque.enqueue``: to the class's own queue; ``None`` if a before hook said no."""
        return self.enqueue_to(self.queue_from_class(job_class), job_class, *args)

    def enqueue_to(self, queue: str | None, job_class: Any, *args: Any) -> bool | None:
        """``Resque.enqueue_to``: every ``before_enqueue*`` hook runs; if any returned exactly
        ``False`` nothing is pushed and ``None`` is returned. Then ``Job.create`` and the
        ``after_enqueue*`` hooks; returns ``True``. A class without enqueue hooks is pushed
        without binding this client for plugin hooks (no hook runs to reach it)."""
        before = jobs.hooks(job_class, "before_enqueue")
        after = jobs.hooks(job_class, "after_enqueue")
        if not before and not after:
            self.create(queue, job_class, *args)
            return True
        with plugin_context.bound(self, self.store):
            results = [hook(*args) for hook in before]
            if any(r is False for r in results):
                return None
            self.create(queue, job_class, *args)
            for hook in after:
                hook(*args)
        return True

    def create(self, queue: str | None, job_class: Any, *args: Any) -> None:
        """``Job.create``: validate, then ``SADD queues`` + ``RPUSH queue:<q>``; no hooks.

        Like Ruby, a ``None`` queue validates against the class's queue but pushes to the
        empty-named queue ``queue:`` (spec 3.3 quirk). A resque-loner class is pushed only when
        its loner key is not set, and the key is set in the same step (``create_with_loner``).
        """
        self.validate(job_class, queue)
        name = jobs.class_name(job_class)
        if self.inline:
            self._perform_inline(job_class, name, list(args))
            return
        traced = tracing.active()
        if traced is None:
            self._push_job(queue or "", job_class, name, args, encode_job(name, args, self.profile))
            return
        item = {"class": name, "args": list(args)}
        with traced.publish(queue or "", item):  # Ruby's instrumentation patches Resque.push
            self._push_job(queue or "", job_class, name, args, encode(item, self.profile, "item"))

    def _push_job(self, queue: str, job_class: Any, name: str, args: Sequence[Any], encoded: bytes) -> None:
        if loner.is_loner(job_class):
            loner.create(self, self.store, queue, job_class, {"class": name, "args": list(args)}, encoded)
            return
        self.queue_store.push_to_queue(queue, encoded)

    def enqueued(self, job_class: Any, *args: Any) -> bool | None:
        """resque-loner's ``Resque.enqueued?``: ``None`` unless the class is a loner."""
        return loner.enqueued_in(
            self, self.store, self.queue_from_class(job_class) or "", job_class, list(args)
        )

    def enqueued_in(self, queue: str, job_class: Any, *args: Any) -> bool | None:
        """resque-loner's ``Resque.enqueued_in?``."""
        return loner.enqueued_in(self, self.store, queue, job_class, list(args))

    def _create_raw(self, queue: str, class_name: str, args: list[Any]) -> None:
        self.create(queue, class_name, *args)

    def enqueue_many(self, queue: str, job_class: Any, args_list: Iterable[Sequence[Any]]) -> int:
        """Bulk enqueue (not in Ruby): every job encoded first, then pushed in one round trip.

        No enqueue hooks run. Nothing is pushed if any argument list cannot be encoded.
        Returns the number of jobs pushed.
        """
        self.validate(job_class, queue)
        encode_one = JobEncoder(jobs.class_name(job_class), self.profile)
        encoded = [encode_one(args) for args in args_list]
        self.queue_store.push_many(queue, encoded)
        return len(encoded)

    def _perform_inline(self, job_class: Any, name: str, args: list[Any]) -> None:
        performer = job_class if not isinstance(job_class, str) else self.registry.get(name)
        if performer is None or not callable(getattr(performer, "perform", None)):
            raise NoClassError(f"inline mode cannot perform {name!r}: no performer registered")
        # Ruby round-trips the arguments through JSON before performing inline.
        jobs.perform_now(performer, decode(encode(args, self.profile, "args")))

    @staticmethod
    def queue_from_class(job_class: Any) -> str | None:
        """``Resque.queue_from_class``."""
        return jobs.queue_from_class(job_class)

    def validate(self, job_class: Any, queue: str | None = None) -> None:
        """``Resque.validate``: raises ``NoQueueError`` without a queue, ``NoClassError`` without a
        class name."""
        queue = queue or self.queue_from_class(job_class)
        if not queue:
            raise NoQueueError(
                "Jobs must be placed onto a queue. No queue could be inferred for class "
                f"{jobs.class_name(job_class) if job_class is not None else ''}"
            )
        if job_class is None or not jobs.class_name(job_class):
            raise NoClassError("Jobs must be given a class.")

    def push(self, queue: str, item: Mapping[str, Any]) -> None:
        """``Resque.push``: the encoded item, raw; no validation, no hooks."""
        traced = tracing.active()
        if traced is None:
            self.queue_store.push_to_queue(queue, encode(dict(item), self.profile, "item"))
            return
        payload = dict(item)
        with traced.publish(queue, payload):
            self.queue_store.push_to_queue(queue, encode(payload, self.profile, "item"))

    def pop(self, queue: str) -> Any:
        """``Resque.pop``: ``LPOP`` and decode; ``None`` when empty. ``DecodeError`` keeps the bytes."""
        raw = self.queue_store.pop_from_queue(queue)
        return None if raw is None else decode(raw, self.keys.queue(queue))

    def reserve(self, queue: str) -> Job | None:
        """``Job.reserve``: pop one job with its raw bytes; ``DecodeError``/``InvalidPayload``
        (carrying the popped bytes) when it is not a Resque payload."""
        raw = self.queue_store.pop_from_queue(queue)
        return None if raw is None else decode_job(raw, queue, self.keys.queue(queue))

    def size(self, queue: str) -> int:
        """``Resque.size``: ``LLEN``."""
        return self.queue_store.queue_size(queue)

    def peek(self, queue: str, start: int = 0, count: int = 1) -> Any:
        """``Resque.peek``: one decoded job (or ``None``) when ``count == 1``, else a list."""
        key = self.keys.queue(queue)
        if count == 1:
            found = self.queue_store.list_item(key, start)
            return None if found is None else decode(found, key)
        return [decode(raw, key) for raw in self.queue_store.list_range(key, start, count)]

    def peek_jobs(self, queue: str, start: int = 0, count: int = 20) -> list[Job | DecodeError]:
        """A page of a queue as ``Job`` objects with raw bytes; unreadable entries as their error."""
        out: list[Job | DecodeError] = []
        for raw in self.queue_store.list_range(self.keys.queue(queue), start, count):
            try:
                out.append(decode_job(raw, queue))
            except DecodeError as exc:
                out.append(exc)
        return out

    def queues(self) -> list[str]:
        """``Resque.queues``: ``SMEMBERS queues`` (sorted here for stable output)."""
        return sorted(self.queue_store.queue_names())

    def remove_queue(self, queue: str) -> None:
        """``Resque.remove_queue``, and resque-loner's ``cleanup_loners`` of the queue."""
        self.queue_store.remove_queue(queue)
        self.unique.cleanup_loners(queue)

    def watch_queue(self, queue: str) -> None:
        """``Resque.watch_queue``: ``SADD queues``."""
        self.queue_store.watch_queue(queue)

    # dequeue
    def destroy(self, queue: str, job_class: Any, *args: Any) -> int:
        """``Job.destroy``: without args, every job of the class (decoded match, then ``LREM`` of
        its exact bytes); with args, one ``LREM`` of Ruby's encoding of ``{class, args}``.
        Returns the number removed."""
        name = jobs.class_name(job_class)
        unique = job_class if loner.is_loner(job_class) else self.registry.get(name)
        if loner.is_loner(unique):
            loner.destroying(self, self.store, queue, unique, name, list(args))
        if args:
            return self.queue_store.remove_from_queue(queue, encode_job(name, args, self.profile))
        destroyed = 0
        for raw in self.queue_store.everything_in_queue(queue):
            if payload_class(json_object(raw)) == name:
                destroyed += self.queue_store.remove_from_queue(queue, raw)
        return destroyed

    def dequeue(self, job_class: Any, *args: Any) -> int | None:
        """``Resque.dequeue``: ``before_dequeue*`` hooks (any ``False`` -> ``None``), ``destroy``
        from the class's queue, ``after_dequeue*`` hooks; returns the count removed."""
        with plugin_context.bound(self, self.store):
            results = [hook(*args) for hook in jobs.hooks(job_class, "before_dequeue")]
            if any(r is False for r in results):
                return None
            queue = self.queue_from_class(job_class)
            if not queue:
                raise NoQueueError(f"No queue could be inferred for class {jobs.class_name(job_class)}")
            destroyed = self.destroy(queue, job_class, *args)
            for hook in jobs.hooks(job_class, "after_dequeue"):
                hook(*args)
        return destroyed

    # stats and info
    def queue_sizes(self) -> dict[str, int]:
        """``Resque.queue_sizes``: queue name -> length, in one pipeline."""
        names = self.queues()
        return dict(zip(names, self.queue_store.queue_sizes(names), strict=True))

    def sample_queues(self, sample_size: int = 1000) -> dict[str, dict[str, Any]]:
        """``Resque.sample_queues``: per queue its ``size`` and up to ``sample_size`` decoded jobs."""
        out: dict[str, dict[str, Any]] = {}
        for name, size in self.queue_sizes().items():
            samples = self.queue_store.list_range(self.keys.queue(name), 0, sample_size)
            decoded = [decode_or_error(raw) for raw in samples]
            out[name] = {"size": size, "samples": decoded}
        return out

    def info(self) -> dict[str, Any]:
        """``Resque.info``: pending, processed, queues, workers, working, failed (``LLEN failed``
        whatever the backend), servers, environment."""
        sizes = self.queue_sizes()
        return {
            "pending": sum(sizes.values()),
            "processed": self.stats.stat("processed"),
            "queues": len(sizes),
            "workers": len(self.workers()),
            "working": len(self.working()),
            "failed": self.failed_store.num_failed(),
            "servers": [self.redis_id()],
            "environment": self.environment,
        }

    def stat(self, name: str) -> int:
        """``Resque::Stat[name]``."""
        return self.stats.stat(name)

    def incr_stat(self, name: str, by: int = 1) -> int:
        """``Resque::Stat.incr``."""
        return self.stats.increment_stat(name, by)

    def decr_stat(self, name: str, by: int = 1) -> int:
        """``Resque::Stat.decr``."""
        return self.stats.decrement_stat(name, by)

    def clear_stat(self, name: str) -> None:
        """``Resque::Stat.clear``."""
        self.stats.clear_stat(name)

    def keys_in_namespace(self) -> list[str]:
        """``Resque.keys``: every key of the namespace, prefix stripped (``SCAN``, not ``KEYS``)."""
        found = self.redis.scan_iter(match=self.keys.all_pattern(), count=1000)
        return sorted(self.keys.strip(k.decode("utf-8", "replace")) for k in found)

    def encode(self, value: Any) -> bytes:
        """``Resque.encode`` under this deployment's JSON profile."""
        return encode_prepared(prepare(value, self.profile), self.profile)

    def decode(self, raw: bytes | str) -> Any:
        """``Resque.decode``."""
        return decode(raw)
