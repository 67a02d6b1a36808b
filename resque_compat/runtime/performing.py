"""Running one reserved job (``Worker#process``, ``#perform``, ``#perform_with_fork``), mixed
into ``Worker``: decode it (an unreadable one becomes a failure with its bytes), find its
performer (an unknown class is pushed back or failed with Ruby's ``NameError``), run it in a
forked child or in this process, and record what failed. The parent's wait for a child reaps,
acts on signals (``act_on_intents``: shutdown hooks, killing the child, pause and resume),
heartbeats and ends a child past its job's timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from .. import tracing
from ..config.worker import WorkerSettings
from ..errors import DecodeError, DirtyExit, JobTimeout, UnknownJobClass
from ..jobs import perform_hookless, run_failure_hooks
from ..plugins import loner
from ..protocol import Job, decode_job
from ..protocol.failure import UNREADABLE_CLASS
from ..store.reserve import REDIS_UNAVAILABLE, JobSource, Popped
from . import child, signals
from .aio import JobLoop
from .app import find_performer
from .failures import FailureReporter
from .hooks import WorkerHooks
from .jobrun import PerformPlan, run_perform, timeout_on_term
from .logs import JobContext
from .procline import Procline, processing
from .registry import Heartbeat

if TYPE_CHECKING:
    from ..client import Resque
    from ..store import DataStore


class JobProcessing:
    """The one-job half of ``Worker``; its state is the worker's (see ``Worker.__init__``)."""

    resque: Resque
    store: DataStore
    performers: Mapping[str, Any]
    settings: WorkerSettings
    hooks: WorkerHooks
    log: logging.Logger
    log_context: JobContext
    reporter: FailureReporter
    source: JobSource
    procline: Procline
    intents: signals.Intents
    waker: signals.Waker | None
    heartbeat: Heartbeat
    aio: JobLoop
    current: Popped | None
    child_pid: int | None
    last_state: str
    pending_done: bool
    _pushed_back: set[bytes]
    _untimed: set[str]
    _plans: dict[Any, PerformPlan]

    paused: bool

    if TYPE_CHECKING:  # provided by Worker

        def run_hook(self, name: str, *args: Any) -> None: ...
        def maybe_heartbeat(self) -> None: ...
        def redis_lost(self, exc: BaseException) -> None: ...

    # signals
    def act_on_intents(self) -> child.ChildExit | None:
        """Do what signals asked for; returns the child's exit if killing it reaped it."""
        i = self.intents
        exited = None
        if i.run_shutdown_hooks:
            i.run_shutdown_hooks = False
            self.log.info("Exiting...")
            self.run_hook("shutdown")
        if i.kill_child:
            i.kill_child = False
            if self.child_pid is not None:
                exited = self.kill_child(self.child_pid)
        if i.pause:
            i.pause = False
            self.log.info("USR2 received; pausing job processing")
            self.run_hook("before_pause", self)
            self.paused = True
        if i.unpause:
            i.unpause = False
            self.log.info("CONT received; resuming job processing")
            self.paused = False
            self.run_hook("after_pause", self)
        return exited

    def kill_child(self, pid: int) -> child.ChildExit | None:
        """``kill_child`` (KILL now), or ``new_kill_child`` with ``TERM_CHILD``."""
        if not self.settings.term_child:
            child.kill(pid)
            return None
        assert self.waker is not None
        s = self.settings
        return child.terminate(
            pid, self.waker, pre_shutdown_timeout=s.pre_shutdown_timeout, term_timeout=s.term_timeout
        )

    def process(self, popped: Popped) -> bool:
        """Run one popped job; ``False`` when it was pushed back instead (unknown class)."""
        self.current = popped
        try:
            job = decode_job(popped.raw, popped.queue)
        except DecodeError as exc:
            self.last_state = "working"
            self.reporter.unreadable(popped.raw, popped.queue, exc, popped.mark)
            self.pending_done = True
            return True
        name = job.class_name
        performer = find_performer(self.performers, name)
        if performer is None:
            return self.unknown_class(job)
        self.last_state = "working"
        self._pushed_back.clear()
        plan = self.plan(performer)
        if plan.loner:
            loner.taken(self.resque, self.store, job.queue, performer, job.payload)
        title = processing(job.queue, int(time.time()), name)
        if self.settings.fork_per_job:
            self.procline.set_now(title)
        else:
            self.procline.set(title)
        self.log_context.start(job.queue, name, job.payload)
        info = self.log.isEnabledFor(logging.INFO)
        if info:
            self.log.info(f"got: (Job{{{job.queue}}} | {job.class_name} | {job.args!r})")
        try:
            if self.settings.fork_per_job:
                self.perform_with_fork(job, performer, plan, info)
            else:
                self.intents.in_process_job = True
                try:
                    self.perform(job, performer, plan, False, False, tracing.active(), info)
                finally:
                    self.intents.in_process_job = False
        finally:
            self.log_context.clear()
        self.pending_done = True
        return True

    def mark(self) -> str:
        """The SHA-1 of the ``worker:<id>`` value holding the job being run: its failure record
        goes in with its ``done_working`` (``FailureReporter.settle``)."""
        return self.current.mark if self.current is not None else ""

    def plan(self, performer: Any) -> PerformPlan:
        """The performer's ``PerformPlan``, worked out on its first job."""
        try:
            found = self._plans.get(performer)
            if found is None:
                found = self._plans[performer] = PerformPlan.of(performer, self.settings.job_timeout)
            return found
        except TypeError:  # an unhashable performer: every time
            return PerformPlan.of(performer, self.settings.job_timeout)

    def unknown_class(self, job: Job) -> bool:
        """No performer: push the job back (``RESQUE_UNKNOWN_CLASS=requeue``) or fail it with
        Ruby's ``NameError "uninitialized constant <Class>"``.

        A pushed-back job goes to the tail and the worker moves on; meeting the same bytes again
        before running anything means only foreign jobs are left, which counts as an empty poll.
        """
        if self.settings.unknown_class == "requeue" and job.class_name != UNREADABLE_CLASS:
            try:
                if self.source.push_back(job.queue, job.raw, self.mark()):
                    self.log.info(f"no performer for {job.class_name}; pushed back to {job.queue}")
            except REDIS_UNAVAILABLE as exc:
                # Pushed back, or still held in worker:<id>, where the next reserve finds it.
                self.redis_lost(exc)
                return False
            seen_before = job.raw in self._pushed_back
            self._pushed_back.add(job.raw)
            return not seen_before
        self.last_state = "working"
        self.reporter.job_failed(job, UnknownJobClass(job.class_name), backtrace=[], mark=self.mark())
        self.pending_done = True
        return True

    def perform(
        self,
        job: Job,
        performer: Any,
        plan: PerformPlan,
        in_child: bool,
        after_fork: bool,
        traced: tracing.Tracing | None,
        info: bool,
    ) -> None:
        """``Worker#perform``: ``after_fork`` hooks in a child (``after_fork``: it has some), the
        job with its hooks, and the failure record when anything raised (``on_failure`` hooks run
        once); ``done`` is logged when ``info``. A forked child is handed these, ``traced`` and
        ``plan`` worked out before the fork: it touches as few of the worker's objects as it
        can, since it copies every page it writes."""
        hooks_ran = False
        started = time.monotonic()
        try:
            if after_fork:
                self.run_hook("after_fork", job)
            hooks_ran = True  # from here on jobs.perform runs the failure hooks itself
            timeout = None if in_child else self.in_process_timeout(performer, job, plan)
            if traced is None:
                if plan.hookless:  # what run_perform would do, one call less
                    perform_hookless(performer, job.args, self.aio.run)
                else:
                    run_perform(performer, job, self.aio, timeout, plan)
            else:
                with traced.process(job.queue, job.payload, in_child):
                    run_perform(performer, job, self.aio, timeout, plan)
        except BaseException as exc:
            reported: BaseException = exc
            if not hooks_ran:
                try:
                    run_failure_hooks(performer, exc, job.args, self.aio.run)
                except Exception as hook_exc:
                    reported = hook_exc
            self.log_context.finish(time.monotonic() - started, "failed")
            self.reporter.job_failed(job, reported, mark=self.mark())
        else:
            if info:
                self.log_context.finish(time.monotonic() - started, "done")
                self.log.info(f"done: (Job{{{job.queue}}} | {job.class_name} | {job.args!r})")

    def perform_with_fork(self, job: Job, performer: Any, plan: PerformPlan, info: bool = False) -> None:
        """``Worker#perform_with_fork``: ``before_fork``, fork, wait (heartbeating), and a
        ``DirtyExit`` failure when a signal ended the child."""
        self.run_hook("before_fork", job)
        limit = plan.timeout
        deadline = None if limit is None else time.monotonic() + limit
        # A USR1 (or TERM/INT) handled before this fork found no child to kill, as in Ruby: it
        # must not kill this one.
        self.intents.kill_child = False
        # "Forked <pid> at <second>" and the first wait are worked out before the fork: until
        # the child exits, every page this process writes is copied (child.fork).
        first_wait = self.heartbeat.seconds_left()
        if limit is not None:
            first_wait = min(first_wait, limit)
        after_fork = self.hooks.has("after_fork")
        body = partial(self.perform, job, performer, plan, True, after_fork, tracing.active(), info)
        pid = child.fork(
            body,
            intents=self.intents,
            run_at_exit_hooks=self.settings.run_at_exit_hooks,
            on_term=None if limit is None else timeout_on_term(self.aio, job, limit, deadline or 0.0),
            title=self.procline.forked_parts(int(time.time())),
            waker=self.waker,
            first_wait=first_wait,
        )
        self.child_pid = pid
        try:
            exited, timed_out = self.wait_for_child(pid, deadline)
        finally:
            self.child_pid = None
            if self.waker is not None:
                self.waker.unwatch()
        if exited.signaled:
            exc: BaseException = DirtyExit(f"Child process received unhandled signal {exited.describe()}")
            if timed_out and limit is not None:
                exc = JobTimeout(job.class_name, limit, f"; the child was ended: {exited.describe()}")
            try:
                run_failure_hooks(performer, exc, job.args, self.aio.run)
            except Exception as hook_exc:
                self.log.error(str(hook_exc))
            self.reporter.save(job.payload, job.queue, exc, backtrace=[], mark=self.mark())

    def wait_for_child(self, pid: int, deadline: float | None = None) -> tuple[child.ChildExit, bool]:
        """The parent's wait loop: reap, act on signals, heartbeat; no threads. Past
        ``deadline`` (the job's timeout) the child is ended as ``TERM_CHILD`` ends it: TERM,
        then KILL after ``RESQUE_TERM_TIMEOUT``. Returns the exit and whether it timed out."""
        assert self.waker is not None
        timed_out = False
        while True:
            done = child.reap(pid)
            if done is None:
                done = self.act_on_intents()
            if done is not None:
                return done, timed_out
            wait = self.heartbeat.seconds_left()
            if deadline is not None and not timed_out:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    self.log.error(f"child {pid} ran past its job's timeout: TERM, then KILL")
                    done = child.terminate(
                        pid, self.waker, pre_shutdown_timeout=0.0, term_timeout=self.settings.term_timeout
                    )
                    if done is not None:
                        return done, timed_out
                    continue
                wait = min(wait, left)
            self.maybe_heartbeat()
            self.waker.wait(wait)

    def in_process_timeout(self, performer: Any, job: Job, plan: PerformPlan) -> float | None:
        """The timeout of a job run in this process: coroutines are cancelled at it; a plain
        function cannot be interrupted without a fork (said once per class)."""
        limit = plan.timeout
        if limit is not None and not plan.coroutine and job.class_name not in self._untimed:
            self._untimed.add(job.class_name)
            self.log.error(
                f"{job.class_name}: its {limit:g} s timeout is not enforced in this process "
                "(FORK_PER_JOB=false): a blocking plain function cannot be interrupted without a "
                "fork; only async def jobs are cancelled at their timeout"
            )
        return limit
