"""The failure record (``Resque::Failure::Redis#save``, spec 7.1), pure: built, named and
encoded here, stored by the backends of ``resque_compat.failure``.

Records keep Ruby's shape: the exception's class name, message, backtrace (innermost frame
first, ``path:line:in `name'``; the worker cuts it where its own frames begin, as Ruby cuts at
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DecodeError, InvalidPayload
from .rubyjson import Profile, encode
from .times import format_failed_at

UNREADABLE_CLASS = "ResqueCompat::UnreadablePayload"
DECODE_EXCEPTION = "Resque::Helpers::DecodeException"
INVALID_PAYLOAD = "ResqueCompat::InvalidPayload"


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """One entry of ``failed`` / ``<queue>_failed``, as a backend's ``save`` receives it.

    ``failed_at`` is the moment the record is built (``Time.now`` in ``Failure::Redis#save``).
    """

    payload: Any
    exception: str
    error: str
    backtrace: Sequence[str]
    worker: str
    queue: str
    failed_at: str = field(default_factory=format_failed_at)

    @classmethod
    def of_exception(
        cls,
        payload: Any,
        queue: str,
        exc: BaseException,
        worker: str,
        backtrace: Sequence[str],
    ) -> FailureRecord:
        """``Failure.create(exception: e, ...)``: Ruby's name for ``exc``, its message, the frames."""
        return cls(payload, exception_name(exc), str(exc), list(backtrace), worker, queue)

    @classmethod
    def unreadable(cls, raw: bytes, queue: str, exc: DecodeError, worker: str) -> FailureRecord:
        """The record of a popped value that is not a Resque payload (raw kept)."""
        return cls(unreadable_payload(raw), unreadable_exception(exc), exc.reason, [], worker, queue)

    def to_dict(self) -> dict[str, Any]:
        """The hash ``Failure::Redis#save`` encodes, keys in Ruby's order."""
        return {
            "failed_at": self.failed_at,
            "payload": self.payload,
            "exception": self.exception,
            "error": self.error,
            "backtrace": list(self.backtrace),
            "worker": self.worker,
            "queue": self.queue,
        }

    def encode(self, profile: Profile = Profile.JSON_GEM) -> bytes:
        """The exact bytes ``Failure::Redis#save`` pushes (``Resque.encode(data)``)."""
        return encode(self.to_dict(), profile, path="failure")


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


def unreadable_exception(exc: DecodeError) -> str:
    """The exception recorded for an unreadable payload: not JSON, or JSON but not a job."""
    return INVALID_PAYLOAD if isinstance(exc, InvalidPayload) else DECODE_EXCEPTION


def unreadable_payload(raw: bytes) -> dict[str, Any]:
    """The payload recorded for a popped value that is not a Resque payload (raw kept)."""
    try:
        arg: Any = raw.decode("utf-8")
    except UnicodeDecodeError:
        arg = {"base64": base64.b64encode(raw).decode("ascii")}
    return {"class": UNREADABLE_CLASS, "args": [arg]}


def filter_backtrace(frames: Sequence[str]) -> list[str]:
    """``Failure::Redis#filter_backtrace``: frames before the first ``/lib/resque/job.rb`` one, else ``[]``.

    Ruby's ``backtrace.first(index.to_i)`` makes "no such frame" an empty list. Python frames
    never contain Ruby's marker, so callers pass frames already cut at the job boundary and
    this keeps Ruby's rule for frames that came from Ruby.
    """
    for i, frame in enumerate(frames):
        if "/lib/resque/job.rb" in frame:
            return list(frames[:i])
    return []
