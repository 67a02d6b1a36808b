"""Failure backends wired to the worker (``Resque::Failure.create``, ``Job#fail``; spec 7).

Records keep Ruby's shape: the exception's class name, message, backtrace (innermost frame
first, ``path:line:in `name'``, cut where the worker's own frames begin, as Ruby cuts at
``lib/resque/job.rb``), the worker id and the queue.

A popped value that is not a Resque payload (not JSON, or JSON that is not an object with a
string ``class``) is never lost: Ruby's worker would pop it and die (spec 5.2). Its record's
payload is ``{"class":"ResqueCompat::UnreadablePayload","args":[<raw text>]}``: resque-web
renders it, and ``Failure.requeue`` pushes exactly that back, which a worker fails again with
the text intact. Raw bytes that are not UTF-8 are kept as ``[{"base64": "<bytes>"}]``.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import os
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from ..client import Resque
from ..errors import ConfigError, DecodeError
from ..failure import FailureBackend, MultipleFailure
from ..jobs import FunctionJob
from ..protocol import InvalidPayload, Job
from ..store.reserve import REDIS_UNAVAILABLE

RECORD_RETRY_SECONDS = 30.0
"""How long a failure record Redis refuses (gone, ``maxmemory``) is tried again."""
RECORD_RETRY_PAUSE = 0.5

UNREADABLE_CLASS = "ResqueCompat::UnreadablePayload"
DECODE_EXCEPTION = "Resque::Helpers::DecodeException"
INVALID_PAYLOAD = "ResqueCompat::InvalidPayload"

# Ruby's Failure backends cut the backtrace at the first frame of lib/resque/job.rb
# (``filter_backtrace``): what the job and the code it called raised stays, frames of any gem it
# called included. Here the cut is at the worker's machinery (this package's runtime/), and the
# one-line adapter that calls a registered function is left out; frames of the rest of the
# package (the client a job enqueues with, the store) are kept like any library's.
_MACHINERY_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_ADAPTERS = frozenset({FunctionJob.perform.__code__})


class DirtyExit(RuntimeError):
    """``Resque::DirtyExit``: the job's process ended without finishing it."""

    ruby_name = "Resque::DirtyExit"


class PruneDeadWorkerDirtyExit(DirtyExit):
    """``Resque::PruneDeadWorkerDirtyExit``: the job's worker stopped heartbeating."""

    ruby_name = "Resque::PruneDeadWorkerDirtyExit"

    def __init__(self, worker_id: str, job_class: str | None) -> None:
        super().__init__(
            f"Worker {worker_id} did not gracefully exit while processing {job_class or '<Unknown Job>'}"
        )


class JobTimeout(TimeoutError):
    """A job ran past its timeout (``RESQUE_JOB_TIMEOUT`` or its performer's ``job_timeout``);
    beyond Resque, named in Ruby's style so Ruby's tools show it as any other failure."""

    ruby_name = "ResqueCompat::JobTimeout"

    def __init__(self, class_name: str, limit: float, detail: str = "") -> None:
        super().__init__(f"{class_name} ran past its timeout of {limit:g} seconds{detail}")


class TermException(BaseException):
    """``Resque::TermException``: raised inside a job when ``TERM_CHILD`` asks it to stop."""

    ruby_name = "Resque::TermException"


class UnknownJobClass(NameError):
    """No performer is registered for a payload's class (Ruby: ``NameError``)."""

    ruby_name = "NameError"

    def __init__(self, name: str) -> None:
        super().__init__(f"uninitialized constant {name}")
        self.class_name = name


def exception_name(exc: BaseException) -> str:
    """The ``exception`` field: Ruby's name for our Resque errors (or the name an error
    reports itself as), the bare name of a Python builtin, else ``module.Class``."""
    declared = getattr(exc, "ruby_name", None)
    if isinstance(declared, str):
        return declared
    cls = type(exc)
    if getattr(builtins, cls.__name__, None) is cls:
        return str(cls.__qualname__)
    return f"{cls.__module__}.{cls.__qualname__}"


def ruby_backtrace(exc: BaseException) -> list[str]:
    """Frames innermost first as ``path:line:in `name'``, cut where the worker's own frames
    begin (``Failure::Redis#filter_backtrace`` cuts at ``lib/resque/job.rb``)."""
    frames = list(traceback.walk_tb(exc.__traceback__))  # outermost first
    ours = [frame.f_code.co_filename.startswith(_MACHINERY_DIR) for frame, _line in frames]
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


def unreadable_payload(raw: bytes) -> dict[str, Any]:
    """The payload recorded for a popped value that is not a Resque payload (raw kept)."""
    try:
        arg: Any = raw.decode("utf-8")
    except UnicodeDecodeError:
        arg = {"base64": base64.b64encode(raw).decode("ascii")}
    return {"class": UNREADABLE_CLASS, "args": [arg]}


def build_backend(resque: Resque, names: Sequence[str]) -> FailureBackend:
    """The failure backend for ``RESQUE_FAILURE_BACKENDS``: ``redis``, ``redis_multi_queue`` or
    ``module:attr`` (a backend object, or a callable taking the ``Resque`` client and returning
    one); several make a ``Failure::Multiple``. None given: the client's own backend."""
    if not names:
        return resque.failure
    backends = [_one_backend(resque, n) for n in names]
    return backends[0] if len(backends) == 1 else MultipleFailure(backends)


def _one_backend(resque: Resque, name: str) -> FailureBackend:
    if name in ("redis", "redis_multi_queue"):
        return resque._failure_backend(name)
    module_name, _, attr = name.partition(":")
    if not attr:
        raise ConfigError(f"failure backend {name!r}: use redis, redis_multi_queue or module:attr")
    target: Any = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type) or (callable(target) and not hasattr(target, "save")):
        target = target(resque)
    if not callable(getattr(target, "save", None)):
        raise ConfigError(f"failure backend {name!r} has no save()")
    return target  # type: ignore[no-any-return]


class FailureReporter:
    """Saves failures for one worker id (``Job#fail`` + ``Worker#failed!``)."""

    def __init__(
        self,
        backend: FailureBackend,
        worker_id: str,
        on_error: Callable[[str], None],
        increment_failed: Callable[[], None] | None = None,
    ) -> None:
        self.backend = backend
        self.worker_id = worker_id
        self.on_error = on_error
        self.increment_failed = increment_failed

    def job_failed(self, job: Job, exc: BaseException, backtrace: list[str] | None = None) -> bool:
        """``Worker#report_failed_job``: the record, then ``stat:failed`` (global and own)."""
        self.on_error(f"(Job{{{job.queue}}} | {job.class_name} | {job.args!r}) failed: {exc!r}")
        saved = self.save(job.payload, job.queue, exc, backtrace=backtrace)
        self.count_failed()
        return saved

    def unreadable(self, raw: bytes, queue: str, exc: DecodeError) -> bool:
        """Ruby pops such a value and dies; here it becomes a failure with the raw text kept."""
        name = INVALID_PAYLOAD if isinstance(exc, InvalidPayload) else DECODE_EXCEPTION
        self.on_error(f"unreadable payload on {queue}: {exc.reason}")
        saved = self.save_named(unreadable_payload(raw), queue, name, exc.reason)
        self.count_failed()
        return saved

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
    ) -> bool:
        """``Failure.create``: one record with Ruby's fields; never raises (Ruby logs and goes on)."""
        return self._save(
            payload=payload,
            exception=exception_name(exc),
            error=str(exc),
            backtrace=ruby_backtrace(exc) if backtrace is None else backtrace,
            worker=self.worker_id if worker_id is None else worker_id,
            queue=queue,
        )

    def save_named(self, payload: Any, queue: str, exception: str, error: str) -> bool:
        """A record whose exception is named directly (payloads that could not be read)."""
        return self._save(
            payload=payload,
            exception=exception,
            error=error,
            backtrace=[],
            worker=self.worker_id,
            queue=queue,
        )

    def _save(self, **record: Any) -> bool:
        """``False`` when the record could not be written. While Redis is away or full the write
        is tried again for up to ``RECORD_RETRY_SECONDS``: the job's only trace is this record."""
        deadline = time.monotonic() + RECORD_RETRY_SECONDS
        while True:
            try:
                self.backend.save(**record)
                return True
            except REDIS_UNAVAILABLE as err:
                if time.monotonic() >= deadline:
                    self.on_error(f"Received exception when reporting failure: {err!r}")
                    return False
                time.sleep(RECORD_RETRY_PAUSE)
            except Exception as err:
                self.on_error(f"Received exception when reporting failure: {err!r}")
                return False
