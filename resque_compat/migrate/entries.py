"""What the migration tools need to know about one queue entry or failure record, read fast.

A million entries are read per inventory, so only the fields wanted are decoded (msgspec skips
the rest without building it): the payload's ``class``, and for ActiveJob's JobWrapper the
inner ``job_class`` and ``enqueued_at``; for a failure record also ``failed_at``, ``queue`` and
``exception``. Anything else (not JSON, not ``{class, args}``) reads as unreadable with a reason,
never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ..activejob import WRAPPER_CLASS

UNREADABLE = "(unreadable)"


class _Head(msgspec.Struct):
    class_name: Any = msgspec.field(name="class", default=None)
    args: msgspec.Raw = msgspec.Raw(b"[]")


class _Inner(msgspec.Struct):
    job_class: Any = None
    enqueued_at: Any = None


class _FailureHead(msgspec.Struct):
    failed_at: Any = None
    payload: msgspec.Raw = msgspec.Raw(b"null")
    exception: Any = None
    queue: Any = None


TOO_DEEP = "JSON nested too deeply"

_head = msgspec.json.Decoder(_Head)
_inner_list = msgspec.json.Decoder(list[_Inner])
_failure = msgspec.json.Decoder(_FailureHead)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as the migration tools see it.

    ``class_name`` is the ActiveJob class for JobWrapper jobs (``active_job`` true), ``None``
    when the entry is unreadable (``problem`` says why). ``time`` is ``enqueued_at`` (ActiveJob)
    for a queued job and ``failed_at`` for a failure; ``queue`` and ``exception`` come from a
    failure record.
    """

    class_name: str | None
    active_job: bool = False
    time: str | None = None
    queue: str | None = None
    exception: str | None = None
    problem: str | None = None

    @property
    def label(self) -> str:
        return self.class_name if self.class_name is not None else UNREADABLE


Classified = tuple[str | None, bool, str | None, str | None]
"""``(class, via ActiveJob, time, problem)``: ``Entry`` without the object, for hot loops."""


def classify_job(raw: bytes) -> Classified:
    """Classify a queue entry (a Resque payload)."""
    try:
        head = _head.decode(raw)
    except msgspec.ValidationError:
        return None, False, None, "not a JSON object"
    except msgspec.DecodeError:
        return None, False, None, "not JSON"
    except RecursionError:
        return None, False, None, TOO_DEEP
    return _classify(head)


def _classify(head: _Head) -> Classified:
    name = head.class_name
    if type(name) is not str or not name:
        return None, False, None, 'no string "class"'
    if memoryview(head.args)[0] != 0x5B and bytes(head.args) != b"null":  # "[", or Ruby's args || []
        return None, False, None, '"args" is not an array'
    if name != WRAPPER_CLASS:
        return name, False, None, None
    try:
        inner = _inner_list.decode(head.args)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return name, False, None, None  # a JobWrapper without job data: counted under its own name
    if len(inner) == 1 and isinstance(inner[0].job_class, str) and inner[0].job_class:
        enqueued = inner[0].enqueued_at
        return inner[0].job_class, True, enqueued if isinstance(enqueued, str) else None, None
    return name, False, None, None


def classify_failure(raw: bytes) -> Classified:
    """Classify a failure record by the job in its ``payload``; the time is ``failed_at``."""
    entry = read_failure(raw)
    return entry.class_name, entry.active_job, entry.time, entry.problem


def read_job(raw: bytes) -> Entry:
    """Classify a queue entry (a Resque payload)."""
    name, active_job, time, problem = classify_job(raw)
    return Entry(name, active_job, time, problem=problem)


def read_failure(raw: bytes) -> Entry:
    """Classify a failure record by the job in its ``payload``."""
    try:
        record = _failure.decode(raw)
    except msgspec.ValidationError:
        return Entry(None, problem="not a JSON object")
    except msgspec.DecodeError:
        return Entry(None, problem="not JSON")
    except RecursionError:
        return Entry(None, problem=TOO_DEEP)
    failed_at = record.failed_at if isinstance(record.failed_at, str) else None
    queue = record.queue if isinstance(record.queue, str) else None
    exception = record.exception if isinstance(record.exception, str) else None
    try:
        head = _head.decode(record.payload)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return Entry(None, False, failed_at, queue, exception, "payload is not a JSON object")
    name, active_job, _, problem = _classify(head)
    return Entry(name, active_job, failed_at, queue, exception, problem)
