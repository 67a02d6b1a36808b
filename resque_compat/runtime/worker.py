"""The worker: Resque's life cycle and loop (``Resque::Worker#work``, spec sections 4, 5, 8, 9).

Startup: ``resque: Starting`` title, signal handlers, heartbeat, pruning, ``before_first_fork``,
registration. Loop: reserve from the queues in priority order (pausing honoured), run the job
in a forked child (default) or in this process, record failures, ``done_working``; when the
queues are empty, back off between the minimum and maximum interval (``INTERVAL=0``: exit).
Teardown: unregister (a job still in flight becomes a failure), ``worker_exit`` hooks. Running
one reserved job (decode, perform, fork and wait) and acting on signals is
``performing.JobProcessing``, mixed in.

Round trips: the previous job's ``done_working`` rides in the same trip as the next reserve,
and the reserve marks ``worker:<id>`` server-side (see ``store.reserve``): one round trip per
job where Ruby spends five or six, with the same keys and values.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import tracing
from ..config.worker import WorkerSettings
from ..errors import RedisUnavailable
from ..failure import FailureBackend, build_backend
from ..plugins import context as plugin_context
from ..protocol import format_worker_id
from ..protocol.keys import worker_key
from ..reporting import build_reporters
from ..store import DataStore
from ..store.reserve import REDIS_UNAVAILABLE, Popped, Reserved, WorkingOnPrefixes
from . import aio, child, signals
from .failures import FailureReporter
from .hooks import WorkerHooks
from .jobrun import PerformPlan
from .logs import JobContext, worker_logger
from .performing import JobProcessing
from .procline import PAUSED as PAUSED_TITLE
from .procline import Procline, waiting
from .pruning import prune_dead_workers
from .queues import QueueSpec
from .registry import Heartbeat, history_sampler, register, unregister_worker

if TYPE_CHECKING:
    from ..client import Resque

BLOCKING_SLICE = 1.0
"""Longest single blocking wait: signals are acted on, and queues after the first are looked
at, between slices."""


class Worker(JobProcessing):
    """One Resque worker process on ``store`` (the deployment's DataStore: the worker's one way
    to its keys), recording failures in ``failure``. ``performers`` maps Ruby class names to
    performers; ``client`` is the ``Resque`` the jobs' hooks and plugins talk to (bound in
    ``plugins.context``: a retry enqueues through it) and whose JSON profile the working-on
    bytes follow. ``Worker.from_client(resque, ...)`` is the common case."""

    _saved_title: str | None = None
    """The process title before ``work``, put back after it (``teardown``)."""
    reserved_ahead: Reserved | None = None
    """What the reserve queued behind the blocking wait took, for the next ``work_one_job``."""

    def __init__(
        self,
        store: DataStore,
        failure: FailureBackend,
        performers: Mapping[str, Any],
        settings: WorkerSettings,
        hooks: WorkerHooks | None = None,
        *,
        client: Resque,
        hostname: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.store = store
        self.resque = client
        self.workers = store.workers
        self.queue_names = store.queues.queue_names
        self.performers = performers
        self.settings = settings
        self.hooks = hooks or WorkerHooks()
        self.spec = QueueSpec(settings.require_queues())
        self._static_queues = None if self.spec.dynamic else self.spec.resolve()
        self.hostname = hostname or socket.gethostname()
        self.pid = os.getpid()
        self.worker_id = format_worker_id(self.hostname, self.pid, list(self.spec.entries))
        self.log = logger or worker_logger(settings.verbose, settings.very_verbose, settings.log_format)
        self.log_context = JobContext(self.worker_id).attach(self.log)
        self.reporter = FailureReporter(
            failure,
            self.worker_id,
            self.log.error,
            lambda: self.workers.increment_failed(self.worker_id),
            build_reporters(settings.error_reporters),
        )
        self.source = store.job_source(self.worker_id)
        self.procline = Procline(settings.procline_prefix)
        self.intents = signals.Intents(term_child=settings.term_child, graceful_term=settings.graceful_term)
        self.waker: signals.Waker | None = None
        self._saved_signals: signals.Saved | None = None
        self.paused = False
        self.cached_pause = False
        self.held = False  # resque-pause held back a queue at the last reserve
        self.last_state = "idle"
        self.pending_done = False
        self.lost_redis = False
        self.current: Popped | None = None  # the job worker:<id> holds until its done_working
        self.child_pid: int | None = None
        self.queues: list[str] = []
        self.heartbeat = Heartbeat(
            self.workers,
            self.worker_id,
            settings.heartbeat_interval,
            self.log.error,
            history_sampler(store, failure),
        )
        self.prefixes = WorkingOnPrefixes(client.profile)
        self._pushed_back: set[bytes] = set()
        self._first_fork_hooks_ran = False  # Ruby's @before_first_fork_hook_ran
        self.aio = aio.JobLoop()  # coroutine jobs and hooks; made on first use
        self._untimed: set[str] = set()
        self._plans: dict[Any, PerformPlan] = {}

    @classmethod
    def from_client(
        cls,
        resque: Resque,
        performers: Mapping[str, Any],
        settings: WorkerSettings,
        hooks: WorkerHooks | None = None,
        *,
        hostname: str | None = None,
        failure_backend: FailureBackend | None = None,
        logger: logging.Logger | None = None,
    ) -> Worker:
        """A worker on ``resque``'s DataStore; failures go to ``failure_backend``, by default the
        one ``settings.failure_backends`` names (``RESQUE_FAILURE_BACKENDS``), else the client's."""
        failure = failure_backend or build_backend(resque, settings.failure_backends)
        return cls(
            resque.store,
            failure,
            performers,
            settings,
            hooks,
            client=resque,
            hostname=hostname,
            logger=logger,
        )

    def __repr__(self) -> str:
        return f"<Worker {self.worker_id}>"

    # life cycle
    def work(self) -> int:
        """``Worker#work``: run until shut down; returns 0, or 1 when the worker crashed."""
        interval, min_i, max_i, backoff = self.settings.intervals()
        try:
            self.startup()
            while not self.intents.shutdown:
                self.act_on_intents()
                if self.intents.shutdown:
                    break
                if self.work_one_job():
                    interval = min_i
                    continue
                if self.lost_redis:
                    # Not an empty poll: no queue_empty hooks, no INTERVAL=0 exit.
                    self.lost_redis = False
                    continue
                self.state_change()
                if interval == 0:
                    break
                interval = min(interval + backoff, max_i)
                self.procline.set(PAUSED_TITLE if self.cached_pause else waiting(self.queues))
                self.idle(interval)
            self.settle()
            self.return_held()
            self.unregister()
            self.run_hook("worker_exit")
            return 0
        except BaseException as exc:
            self.log.error(f"Failed to start worker : {exc!r}")
            self.crash(exc)
            return 1
        finally:
            self.teardown()

    def teardown(self) -> None:
        """What ``work`` leaves as it found it, for a worker run inside another program: the
        heartbeat thread, the job loop, the signal handlers and wakeup fd, the process title."""
        self.stop_background()
        self.aio.close()
        if self.waker is not None:
            if self._saved_signals is not None:
                signals.restore(self._saved_signals)
            self.waker.close()
            self.waker = None
        if self._saved_title is not None:
            self.procline.put_back(self._saved_title)
            self._saved_title = None

    def startup(self) -> None:
        """``Worker#startup``."""
        plugin_context.bind(self.resque, self.store)  # what hooks reach as Ruby's Resque
        if self.settings.tracing and tracing.active() is None:
            tracing.instrument()
        self._saved_title = self.procline.current()
        self.procline.starting()
        self.waker = signals.Waker()
        self._saved_signals = signals.install(self.intents, self.waker)
        while True:
            try:
                self.join_fleet()
                break
            except REDIS_UNAVAILABLE as exc:
                # Redis away, loading or full (a worker at maxmemory used to exit at once).
                if self.intents.shutdown:
                    raise
                self.redis_lost(exc)
        self.log.info(f"Starting worker {self.worker_id}")

    def join_fleet(self) -> None:
        """The Redis steps of ``startup``: heartbeat, pruning, ``before_first_fork``, registering."""
        if self.workers.get_worker_payload(self.worker_id):
            # A worker with our id (same host and pid: a container's pid 1) died holding a job.
            self.log.error(f"{self.worker_id} was left holding a job; it becomes a failure")
            if not self.unregister():
                # Another process is failing it, or Redis refused its record: wait, as for Redis.
                raise RedisUnavailable(f"{worker_key(self.worker_id)} still holds the job; waiting")
        self.heartbeat.start(threaded=not self.settings.fork_per_job)
        prune_dead_workers(
            self.workers,
            self.reporter,
            self.performers,
            worker_id=self.worker_id,
            hostname=self.hostname,
            queue_entries=self.spec.entries,
            heartbeat_interval=self.settings.heartbeat_interval,
            prune_interval=self.settings.prune_interval,
            log=self.log.info,
        )
        self.run_hook("before_first_fork")
        register(self.workers, self.worker_id)

    def maybe_heartbeat(self) -> None:
        self.heartbeat.beat_if_due(REDIS_UNAVAILABLE)

    def settle(self) -> None:
        """Write the last job's ``done_working`` if it still rides with the next reserve."""
        if self.pending_done and self.current is not None:
            self.source.done_working(self.current)
        self.pending_done = False

    def return_held(self) -> None:
        """At a clean exit ``worker:<id>`` holds nothing, or a job that never ran (a lost
        reply left it there, or the blocking wait reserved it as the worker was told to stop):
        that one goes back to the head of its queue."""
        ahead, self.reserved_ahead = self.reserved_ahead, None
        if self.source.return_held() and not (ahead and ahead.popped and not ahead.popped.recovered):
            self.log.error("a job reserved by a trip whose reply was lost went back to its queue")

    def unregister(self, exception: BaseException | None = None) -> bool:
        """``Worker#unregister_worker``; ``False`` when the keys stay (see ``unregister_worker``)."""
        self.stop_background()
        return unregister_worker(
            self.workers, self.reporter, self.performers, self.worker_id, exception, self.log.error
        )

    def crash(self, exc: BaseException) -> None:
        """The rescue of ``Worker#work``: unregister with the exception, ``worker_exit`` hooks."""
        try:
            if self.child_pid is not None:
                child.kill(self.child_pid)
            self.settle()
            self.unregister(exc)
        except Exception as err:
            self.log.error(f"could not unregister {self.worker_id}: {err!r}")
        try:
            self.run_hook("worker_exit")
        except Exception as err:
            self.log.error(f"worker_exit hook failed: {err!r}")

    def stop_background(self) -> None:
        self.heartbeat.stop()

    def run_hook(self, name: str, *args: Any) -> None:
        """``Worker#run_hook``: every hook of ``name`` in registration order."""
        found = self.hooks.get(name)
        if not found or (name == "before_first_fork" and self._first_fork_hooks_ran):
            return
        self.log.info(f"Running {name} hooks" + (f" with {list(args)!r}" if args else ""))
        for hook in found:
            result = hook(*args)
            if inspect.isawaitable(result):
                self.aio.run(result)
            self._first_fork_hooks_ran |= name == "before_first_fork"

    # reserving
    def resolve_queues(self) -> list[str]:
        """``Worker#queues``: re-read ``queues`` for a dynamic spec on every reserve; a fixed
        list is resolved once."""
        if self._static_queues is not None:
            self.queues = self._static_queues
        else:
            self.queues = self.spec.resolve(self.queue_names())
        return self.queues

    def work_one_job(self) -> bool:
        """``Worker#work_one_job``: reserve one job and run it; ``False`` when none was run.

        The previous job's ``done_working`` rides in the reserve script, keyed by the mark it
        left in ``worker:<id>``: after a lost reply the same trip is simply sent again, settles
        once, and a job the lost trip reserved is found in ``worker:<id>`` and run, never
        overwritten."""
        reserved, self.reserved_ahead = self.reserved_ahead, None  # the blocking wait's
        if self.paused and (reserved is None or reserved.popped is None):
            self.cached_pause = True
            self.settle_quietly()
            return False
        try:
            if reserved is None:
                queues = self.resolve_queues()
                settle = self.current if self.pending_done else None
                reserved = self.source.reserve(queues, self.prefixes(queues), check_pause=True, settle=settle)
                self.pending_done = False
            if not reserved.registered:
                self.register_again()
        except REDIS_UNAVAILABLE as exc:
            self.redis_lost(exc)
            return False
        self.cached_pause, self.held = reserved.paused, reserved.held
        if reserved.popped is None:
            return False
        if reserved.popped.recovered:
            self.log.error(f"{worker_key(self.worker_id)} still held a job (a reply was lost); running it")
        return self.process(reserved.popped)

    def settle_quietly(self) -> None:
        try:
            self.settle()
        except REDIS_UNAVAILABLE as exc:
            self.redis_lost(exc)

    def redis_lost(self, exc: BaseException) -> None:
        """Redis went away: say so, wait a moment, re-register once it answers again."""
        self.lost_redis = True
        self.log.error(f"Error reserving job: {exc!r}; retrying")
        assert self.waker is not None
        self.waker.wait(min(1.0, max(self.settings.interval, 0.1)))

    def register_again(self) -> None:
        """Our id left ``workers`` while we run (Redis restarted empty, or an operator removed
        us): register and heartbeat again so Ruby's tools keep seeing a live worker."""
        self.log.error(f"{self.worker_id} was no longer registered; registering again")
        register(self.workers, self.worker_id)
        self.heartbeat.beat()

    def idle(self, interval: float) -> None:
        """Sleep ``interval`` (heartbeating, woken by signals), or wait on the first queue and reserve."""
        assert self.waker is not None
        # Only jobs this worker pushed back wait in the queues, or a paused queue holds jobs the
        # reserve must not take: wake on a timer, not on them.
        blocking = self.settings.blocking and not self.cached_pause and not self.held
        if blocking and self.queues and not self._pushed_back:
            self.maybe_heartbeat()
            slice_ = min(interval, BLOCKING_SLICE)
            try:
                # Wake without taking: the reserve queued behind the wait (its queues read again, as
                # for every reserve) takes the job atomically, from the first queue at once, from the
                # others within a slice (a BLPOP would hold a popped job outside Redis: a kill loses it).
                if queues := self.resolve_queues():
                    self.reserved_ahead = self.source.wait_then_reserve(queues, slice_, self.prefixes)
            except REDIS_UNAVAILABLE as exc:
                self.redis_lost(exc)
            return
        deadline = time.monotonic() + interval
        while not self.intents.shutdown:
            self.maybe_heartbeat()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.waker.wait(min(left, self.heartbeat.seconds_left())):
                self.act_on_intents()

    def state_change(self) -> None:
        """``Worker#state_change`` at an empty poll: ``queue_empty`` when working turned idle.

        A hook that cannot reach Redis (a restart, a failover) is waited out as the reserve is:
        the worker holds no job here, and Redis away for a moment must not end it."""
        if self.last_state != "idle":
            self.last_state = "idle"
            try:
                self.run_hook("queue_empty")
            except REDIS_UNAVAILABLE as exc:
                self.redis_lost(exc)
