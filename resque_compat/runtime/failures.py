"""Failures wired to the worker (``Resque::Failure.create``, ``Job#fail``, ``Worker#failed!``;
spec 7). The record itself is ``protocol.FailureRecord``; backends are ``resque_compat.failure``.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, TypeVar

from ..errors import DecodeError
from ..failure import FailureBackend
from ..jobs import FunctionJob, perform_callable
from ..protocol import FailureRecord, Job
from ..protocol.records import payload_args, payload_class
from ..reporting import ErrorReporter, JobFailure
from ..store.reserve import REDIS_UNAVAILABLE

RECORD_RETRY_SECONDS = 30.0
"""How long a failure record Redis refuses (gone, ``maxmemory``) is tried again."""
RECORD_RETRY_PAUSE = 0.5
SETTLED_COUNTED: Final = "counted"
"""``FailureReporter.settle``: the record, the failure's counts and the job's ``done_working``
went in together."""
Saved = bool | Literal["counted"]
"""What a save came to: written, not written, or written with the failure counted."""
T = TypeVar("T")

# Ruby's Failure backends cut the backtrace at the first frame of lib/resque/job.rb
# (``filter_backtrace``): what the job and the code it called raised stays, frames of any gem it
# called included. Here the cut is at the worker's machinery (runtime/ and jobs/perform.py), and the
# one-line adapter that calls a registered function is left out; frames of the rest of the
# package (the client a job enqueues with, the store) are kept like any library's.
_MACHINERY_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_PERFORM_FILE = perform_callable.__code__.co_filename  # the hook runner, shared with inline mode
_ADAPTERS = frozenset({FunctionJob.perform.__code__})


def _machinery(filename: str) -> bool:
    return filename.startswith(_MACHINERY_DIR) or filename == _PERFORM_FILE


def ruby_backtrace(exc: BaseException) -> list[str]:
    """Frames innermost first as ``path:line:in `name'``, cut where the worker's own frames
    begin (``Failure::Redis#filter_backtrace`` cuts at ``lib/resque/job.rb``)."""
    frames = list(traceback.walk_tb(exc.__traceback__))  # outermost first
    ours = [_machinery(frame.f_code.co_filename) for frame, _line in frames]
    # The cut: after the innermost worker frame that called into the job. Worker frames further
    # in (a signal handler raising TermException inside the job) are left out too.
    start = 0
    for i in range(len(frames) - 1):
        if ours[i] and not ours[i + 1]:
            start = i + 1
    return [
        f"{frame.f_code.co_filename}:{line}:in `{frame.f_code.co_name}'"
        for (frame, line), own in reversed(list(zip(frames, ours, strict=True))[start:])
        if not own and frame.f_code not in _ADAPTERS
    ]


class FailureReporter:
    """Saves failures for one worker id (``Job#fail`` + ``Worker#failed!``)."""

    def __init__(
        self,
        backend: FailureBackend,
        worker_id: str,
        on_error: Callable[[str], None],
        increment_failed: Callable[[], None] | None = None,
        reporters: Sequence[ErrorReporter] = (),
    ) -> None:
        self.backend = backend
        self.reporters = list(reporters)
        self.worker_id = worker_id
        self.on_error = on_error
        self.increment_failed = increment_failed

    def job_failed(
        self, job: Job, exc: BaseException, backtrace: list[str] | None = None, mark: str = ""
    ) -> bool:
        """``Worker#report_failed_job``: the record, then ``stat:failed`` (global and own).

        ``mark``: the SHA-1 of the ``worker:<id>`` value holding the job (``Popped.mark``). With
        a backend that can (``save_settling``), the record, the counts and the job's
        ``done_working`` are one script: see ``settle``."""
        self.on_error(f"(Job{{{job.queue}}} | {job.class_name} | {job.args!r}) failed: {exc!r}")
        saved = self.save(job.payload, job.queue, exc, backtrace=backtrace, mark=mark, count=True)
        if saved != SETTLED_COUNTED:
            self.count_failed()
        return saved is not False

    def unreadable(self, raw: bytes, queue: str, exc: DecodeError, mark: str = "") -> bool:
        """Ruby pops such a value and dies; here it becomes a failure with the raw text kept."""
        self.on_error(f"unreadable payload on {queue}: {exc.reason}")
        record = FailureRecord.unreadable(raw, queue, exc, self.worker_id)
        saved: Saved | None = self.settle(record, mark, count=True) if mark else self.record(record)
        if saved != SETTLED_COUNTED:
            self.count_failed()
        return saved is not False

    def count_failed(self) -> None:
        if self.increment_failed is None:
            return
        try:
            self.increment_failed()
        except Exception as err:
            self.on_error(f"Received exception when increasing failed jobs counter: {err!r}")

    def save(
        self,
        payload: Any,
        queue: str,
        exc: BaseException,
        *,
        worker_id: str | None = None,
        backtrace: list[str] | None = None,
        held: bytes | None = None,
        mark: str = "",
        count: bool = False,
    ) -> Saved:
        """``Failure.create``: one record with Ruby's fields; never raises (Ruby logs and goes on).

        ``held``: the ``worker:<id>`` value the job was read from (``worker_id``'s). The record is
        then written together with deleting that key, only while it still holds ``held``, when
        the backend can (``save_releasing``): a job found there by two pruners, or by a pruner
        after one killed between its record and its clean-up, is recorded once. ``True`` also
        when another process had recorded it already.

        ``mark``: this worker's own job, held in ``worker:<id>`` by the value whose SHA-1 it
        is: recorded as ``settle`` does (``count`` counts the failure there too);
        ``SETTLED_COUNTED`` when the failure was counted with it."""
        worker = self.worker_id if worker_id is None else worker_id
        try:
            frames = ruby_backtrace(exc) if backtrace is None else backtrace
            record = FailureRecord.of_exception(payload, queue, exc, worker, frames)
        except Exception as err:
            self.on_error(f"Received exception when reporting failure: {err!r}")
            return False
        saved: Saved | None
        if mark and worker == self.worker_id:
            saved = self.settle(record, mark, count=count)
        else:
            saved = self.record(record, None if held is None else (worker, held))
        if saved is not None:
            self.tell_reporters(payload, queue, exc, worker)
        return True if saved is None else saved

    def tell_reporters(self, payload: Any, queue: str, exc: BaseException, worker: str) -> None:
        """Hand the failure to every error reporter (``Failure::Multiple``'s other backends); a
        reporter that raises is logged, the worker goes on."""
        if not self.reporters:
            return
        failure = JobFailure(exc, payload_class(payload) or "", queue, payload_args(payload), worker, payload)
        for reporter in self.reporters:
            try:
                reporter.report(failure)
            except Exception as err:
                self.on_error(f"error reporter {reporter!r} failed: {err!r}")

    def settle(self, record: FailureRecord, mark: str, *, count: bool) -> Saved:
        """A failed job of this worker's own, recorded with its ``done_working`` in one script
        when the backend can (``save_settling``: the Redis backends, and ``Multiple`` over one
        first): the record goes in, the failure is counted (``count``), and ``worker:<id>`` goes
        with ``stat:processed`` counted, only while it still holds the value whose SHA-1 is
        ``mark``. A worker killed right after leaves nothing for a pruner to record again, and
        the next reserve's ``done_working`` finds the mark gone and counts nothing twice.

        A key found holding something else on the first try (an operator removed the worker,
        Redis restarted empty) still gets the record, as Ruby would write it; after a try whose
        reply was lost, a missing mark is that try's own settle, and nothing is written again.
        ``SETTLED_COUNTED`` when the failure was counted here, ``True`` when written without
        counting, ``False`` when it could not be written. Other backends: ``record``."""
        settling = getattr(self.backend, "save_settling", None)
        if settling is None:
            return self.record(record) is not False

        def attempt(first: bool) -> Saved:
            outcome = settling(record, self.worker_id, mark, count=count, anyway=first)
            return SETTLED_COUNTED if count and outcome else True

        return self._retried(attempt)

    def record(self, record: FailureRecord, held: tuple[str, bytes] | None = None) -> bool | None:
        """Save a record built elsewhere; ``False`` when it could not be written. While Redis is
        away or full the write is tried again for up to ``RECORD_RETRY_SECONDS``: the job's only
        trace is this record. With ``held`` (worker id, ``worker:<id>`` value) and a backend
        that has ``save_releasing``: ``None`` when the key no longer held that value (another
        process recorded the job), nothing written."""
        releasing = getattr(self.backend, "save_releasing", None) if held is not None else None

        def attempt(first: bool) -> bool | None:
            if releasing is not None and held is not None:
                return True if releasing(record, *held) is not False else None
            self.backend.save(record)
            return True

        return self._retried(attempt)

    def _retried(self, attempt: Callable[[bool], T]) -> T | Literal[False]:
        """``attempt(first)`` until it returns; while Redis is away or full it is tried again
        (``first`` false) for up to ``RECORD_RETRY_SECONDS``. ``False`` when it could not be
        done, said through ``on_error``; any other error is said and not retried."""
        deadline = time.monotonic() + RECORD_RETRY_SECONDS
        first = True
        while True:
            try:
                return attempt(first)
            except REDIS_UNAVAILABLE as err:
                first = False
                if time.monotonic() >= deadline:
                    self.on_error(f"Received exception when reporting failure: {err!r}")
                    return False
                time.sleep(RECORD_RETRY_PAUSE)
            except Exception as err:
                self.on_error(f"Received exception when reporting failure: {err!r}")
                return False
