"""The read/admin API the dashboard (and any script) sits on: queues, workers, working,
failures, stats and keys of one Resque deployment, as resque-web's helpers read them.

It never talks to Redis itself: it reads and acts through the deployment's ``DataStore`` and
its failure backend (whose requeue goes through the client's ``Job.create``). Everything
returned is a plain view (``admin.views``) that keeps the raw value it came from and says
``unreadable`` where another tool wrote something Resque would not.

    >>> admin = Admin.from_client(Resque.from_url("redis://localhost:6379/0"))
    >>> admin.queue_sizes()
    [('critical', 2), ('low', 100000)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config.environment import environment_name
from ..errors import ResqueError
from ..failure import FailureBackend
from ..protocol.times import from_redis_time
from ..store import FAILED, DataStore
from .classes import ClassReport, class_report
from .failures import FailureAdmin, FailureFilter, StaleRecordError
from .recent import Recent
from .search import Needle, queue_check, search
from .search import Window as SearchWindow
from .sweep import Place, Sweep, sweep
from .views import (
    FailureView,
    JobView,
    KeyContents,
    KeyView,
    Page,
    Processing,
    TimeValue,
    WorkerName,
    WorkerView,
    job_from_raw,
    processing_view,
    worker_name,
)
from .windows import Overview, Windows
from .workers import STALE_AFTER, Fleet, heartbeat_state, language, worker_hosts
from .wrong_type import WrongType, guard

if TYPE_CHECKING:
    from ..client import Resque

KEY_PAGE = 20
KEYS_SHOWN = 50


class WorkerRefusedError(ResqueError):
    """A worker the dashboard will not remove (unknown, or alive)."""


class Admin:
    """Read and administer one Resque deployment: its ``store`` and its ``failure`` backend.

    ``environment`` is what ``Resque.info`` reports (``RAILS_ENV``/``RACK_ENV``... by default);
    ``stale_after`` is the heartbeat age (seconds) beyond which a worker shows as stale;
    ``hostname`` is this machine's name as worker ids spell it (for local process checks);
    ``totals_ttl`` the seconds the totals over every queue and worker are kept (``admin.recent``;
    0, the default, counts them on every call). ``Admin.from_client(resque)`` is the common case.
    """

    def __init__(
        self,
        store: DataStore,
        failure: FailureBackend,
        *,
        environment: str | None = None,
        stale_after: int = STALE_AFTER,
        hostname: str | None = None,
        totals_ttl: float = 0.0,
    ) -> None:
        self.store = store
        self.failure = failure
        self.environment = environment or environment_name()
        self.stale_after = stale_after
        self.hostname = hostname
        self.failures = FailureAdmin(failure, store.failed)
        self.inspector = store.inspector
        self.recent = Recent(totals_ttl)

    @classmethod
    def from_client(
        cls,
        resque: Resque,
        *,
        stale_after: int = STALE_AFTER,
        hostname: str | None = None,
        totals_ttl: float = 0.0,
    ) -> Admin:
        """An ``Admin`` over ``resque``'s DataStore, failure backend and environment."""
        return cls(
            resque.store,
            resque.failure,
            environment=resque.environment,
            stale_after=stale_after,
            hostname=hostname,
            totals_ttl=totals_ttl,
        )

    @property
    def namespace(self) -> str:
        return self.store.keys.namespace

    def redis_id(self) -> str:
        """``Resque.redis_id``: where the data lives."""
        return self.store.redis_id()

    # queues
    def queues(self) -> list[str]:
        """``Resque.queues``: ``SMEMBERS queues``, sorted."""
        return sorted(self.store.queues.queue_names())

    def queue_sizes(self) -> list[tuple[str, int]]:
        """``Resque.queues`` sorted, each with ``Resque.size`` (one pipeline)."""
        names = self.queues()
        return list(zip(names, self.store.queues.queue_sizes(names), strict=True))

    def processed(self) -> int:
        """``Resque::Stat[:processed]``."""
        return self.store.stats.stat("processed")

    def queue_page(self, queue: str, start: int = 0, per_page: int = 20) -> Page[JobView]:
        """``Resque.peek(queue, start, 20)`` with ``Resque.size``: one window, never the whole list."""
        size = self.store.queues.queue_size(queue)
        start = max(0, min(start, size))  # past the end: an empty page, not an out-of-range LRANGE
        key = self.store.keys.queue(queue)
        raws = self.store.queues.list_range(key, start, per_page) if start < size else []
        return Page([job_from_raw(raw) for raw in raws], start, size, per_page)

    def queue_search(
        self, queue: str, needle: Needle, position: int = 0, per_page: int = 20
    ) -> SearchWindow[tuple[int, JobView]]:
        """Jobs of ``queue`` matching ``needle`` (class, arguments), from the head, reading at
        most ``admin.search.BUDGET`` jobs from ``position`` (see ``admin.search``)."""
        key = self.store.keys.queue(queue)

        def read(start: int, count: int) -> list[bytes]:
            return self.store.queues.list_range(key, start, count)

        size = self.store.queues.queue_size(queue)
        return search(read, size, position, per_page, False, queue_check(needle), needle.screen())

    def search_everywhere(self, text: str, start: Place | None = None, per_page: int = 50) -> Sweep:
        """Jobs and failures whose class, arguments or error contain ``text``, across every
        failed list and queue, a bounded stretch a request from ``start`` (see ``admin.sweep``)."""
        return sweep(self, self.store.queues, Needle(None, None, text), start, per_page)

    def queued_job(self, queue: str, index: int) -> JobView | None:
        """``Resque.peek(queue, index)`` as a view; ``None`` past the end."""
        raw = self.store.queues.list_item(self.store.keys.queue(queue), index)
        return None if raw is None else job_from_raw(raw)

    def remove_queue(self, queue: str) -> int:
        """``Resque.remove_queue``: ``SREM queues`` and ``DEL queue:<name>`` (and resque-loner's
        keys of the queue); returns how many jobs it held just before."""
        size = self.store.queues.queue_size(queue)
        self.store.queues.remove_queue(queue)
        self.store.unique.cleanup_loners(queue)  # resque-loner's remove_queue override
        return size

    def failed_sizes(self) -> list[tuple[str, int]]:
        """Each failed list with its length (``Failure.queues`` / ``Failure.count(queue)``)."""
        return [(q, self.failures.count(q)) for q in self.failures.queues()]

    def overview(self) -> Overview:
        """Everything the overview page shows, read once, in bounded windows."""
        return Windows(self).overview()

    # workers
    def fleet(self) -> Fleet:
        """Server time and connection names, read once for a page of workers."""
        registry = self.store.workers
        return Fleet.build(
            self.inspector.client_names(), from_redis_time(*registry.server_time()), self.hostname
        )

    def workers(self) -> list[WorkerView]:
        """``Resque.workers`` with state, job, heartbeat and language, sorted by id."""
        registry = self.store.workers
        ids = registry.worker_ids()
        payloads = registry.workers_map(ids)
        beats = registry.all_heartbeats()
        fleet = self.fleet()
        return [self.view(wid, payloads.get(wid), beats.get(wid), fleet) for wid in ids]

    def working(self) -> list[WorkerView]:
        """``Resque.working`` sorted by ``run_at`` as the working page does."""
        return _working(self.workers())

    def worker(self, worker_id: str) -> WorkerView | None:
        """``Worker.find``: one registered worker with started, processed and failed; ``None``
        when ``worker_id`` is not registered."""
        registry = self.store.workers
        if not registry.worker_exists(worker_id):
            return None
        view = self.view(
            worker_id, registry.get_worker_payload(worker_id), registry.heartbeat(worker_id), self.fleet()
        )
        processed, failed = registry.worker_stats(worker_id)
        return _with_details(
            view,
            TimeValue.of(registry.worker_start_time(worker_id)),
            _to_i(processed),
            _to_i(failed),
        )

    def remove_worker(self, worker_id: str) -> WorkerView:
        """``resque-compat workers remove`` for a worker that is gone: unregister it (a job in
        flight becomes a ``DirtyExit`` failure, as ``Resque.remove_worker`` does). Refused for an
        unregistered id and for a worker whose heartbeat is fresh (it is alive: stop its process
        instead). Returns the worker as it was."""
        from ..runtime.registry import remove_worker

        view = self.worker(worker_id)
        if view is None:
            raise WorkerRefusedError(f"no worker {worker_id!r} is registered")
        if view.heartbeat_state == "fresh":
            raise WorkerRefusedError(
                f"{worker_id} beat {view.heartbeat_age}s ago, so it is alive: stop its process instead "
                f"(it unregisters itself), or remove it once its heartbeat is stale"
            )
        if not remove_worker(self.store.workers, self.failure, {}, worker_id, lambda _m: None):
            raise WorkerRefusedError(f"no worker {worker_id!r} is registered")
        return view

    def worker_hosts(self) -> dict[str, list[str]]:
        """``worker_hosts``: host -> worker ids."""
        return worker_hosts(self.store.workers.worker_ids())

    def view(self, worker_id: str, payload: bytes | None, beat: bytes | None, fleet: Fleet) -> WorkerView:
        name = worker_name(worker_id)
        heartbeat = TimeValue.of(beat)
        state, age = heartbeat_state(heartbeat, fleet.server_now, self.stale_after)
        lang, source = language(name, fleet)
        processing: Processing | None = processing_view(payload) if payload else None
        return WorkerView(
            name, "working" if payload else "idle", processing, heartbeat, state, age, lang, source
        )

    # stats
    def info(self) -> dict[str, Any]:
        """``Resque.info`` (counted server-side: one reply whatever the number of queues)."""
        return Windows(self).info()

    def stats_txt(self) -> str:
        """``/stats.txt``: ``resque.*`` lines then ``queues.<name>=<size>``. A value read from a
        key of the wrong type has no line; a ``#`` line at the end names each such key."""
        info = self.info()
        wrong: list[WrongType] = list(info.get("left_out", []))
        lines = []
        for name, sign in (
            ("pending", ""),
            ("processed", "+"),
            ("failed", "+"),
            ("workers", ""),
            ("working", ""),
        ):
            value = info[name]
            if isinstance(value, WrongType):
                wrong.append(value)
            else:
                lines.append(f"resque.{name}{sign}={value}")
        names = guard(self.queues, self.store.keys)
        if isinstance(names, WrongType):
            wrong.append(names)
            names = []
        sizes = self.store.queues.queue_sizes_or_types(names)
        for name, size in zip(names, sizes, strict=True):
            if isinstance(size, tuple):
                wrong.append(WrongType.at(*size, self.store.keys))
            else:
                lines.append(f"queues.{name}={size}")
        seen = {w.key: w for w in wrong}
        lines += [f"# {w.key}: {w.text}" for w in seen.values()]
        return "\n".join(lines)

    def redis_info(self) -> dict[str, Any]:
        """``redis.info``: the server's ``INFO``."""
        return self.inspector.info()

    def namespace_keys(self, cursor: int = 0, want: int = KEYS_SHOWN) -> tuple[list[KeyView], int]:
        """``Resque.keys`` with each key's ``TYPE`` and size (``redis_get_size``), a page at a
        time: about ``want`` keys a ``SCAN`` from ``cursor`` finds, sorted, and the cursor of the
        next page (0 after the last)."""
        names, after = self.inspector.key_names_page(max(0, cursor), want)
        sized = self.inspector.types_and_sizes(names)
        return [KeyView(n, t, s) for n, (t, s) in zip(names, sized, strict=True)], after

    def key(self, name: str, at: str = "0", per_page: int = KEY_PAGE) -> KeyContents:
        """One key's type, size and a window of its contents as text (``/stats/keys/:key``),
        from ``at`` (see ``KeyContents``); the work is one window's whatever the key's size."""
        ((kind, size),) = self.inspector.types_and_sizes([name])
        window = self.inspector.key_window(name, kind, at, per_page, size)
        return KeyContents(name, kind, size, at, [_row(v) for v in window.items], window.after)

    # migration
    def job_classes(self, limit: int = 50) -> ClassReport:
        """How many jobs of each class wait in each queue and sit in each failed list, and which
        languages listen on each queue: where a migration stands."""
        return class_report(self, limit)


def _working(workers: list[WorkerView]) -> list[WorkerView]:
    busy = [w for w in workers if w.state == "working"]
    return sorted(busy, key=lambda w: w.processing.run_at.raw if w.processing and w.processing.run_at else "")


def _with_details(view: WorkerView, started: TimeValue | None, processed: int, failed: int) -> WorkerView:
    from dataclasses import replace

    return replace(view, started=started, processed=processed, failed=failed)


def _to_i(raw: bytes | None) -> int:
    from ..store.stats import _to_i as ruby_to_i

    return ruby_to_i(raw)


def _row(value: Any) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return tuple(_text(v) for v in value)
    return (_text(value),)


def _fields(pairs: list[tuple[bytes, bytes]]) -> str:
    return ", ".join(f"{_text(k)}={_text(v)}" for k, v in pairs)


def _text(value: Any) -> str:
    if isinstance(value, list):  # a stream entry's fields
        return _fields(value)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


__all__ = [
    "FAILED",
    "Admin",
    "ClassReport",
    "FailureAdmin",
    "FailureFilter",
    "FailureView",
    "JobView",
    "KeyContents",
    "KeyView",
    "Overview",
    "Page",
    "Place",
    "StaleRecordError",
    "Sweep",
    "TimeValue",
    "WorkerName",
    "WorkerRefusedError",
    "WorkerView",
]
