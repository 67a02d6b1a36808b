"""One reader per record kind: a job payload, a working-on entry (``worker:<id>``) and a failure
record, read from their bytes (pure; the raw bytes stay with whoever read them).

Two ways in, one rule: ``payload_class``/``payload_args``/``active_job_class`` read a payload
already decoded (``Job#payload_class_name``, ``Job#args``); ``read_job``/``read_failure`` (and
``classify_job``/``classify_failure`` for hot loops) decode only the fields wanted with msgspec,
skipping the rest without building it, for tools that read a million entries. Anything that is
not a Resque record (not JSON, not ``{class, args}``) reads as unreadable with a reason, never
raises. ``json_object`` is the common "bytes to a JSON object, else ``None``".

The working-on bytes are built here only (``working_on_prefix`` + the raw payload + ``}``, as
``Worker#working_on`` encodes ``{"queue","run_at","payload"}``), and ``held_payload`` slices a
job back out of them byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from ..errors import DecodeError
from .rubyjson import decode

WRAPPER_CLASS = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
"""The class ActiveJob's Resque adapter enqueues; its one argument is the job's data."""

UNREADABLE = "(unreadable)"
TOO_DEEP = "JSON nested too deeply"


def json_object(raw: bytes | None) -> dict[str, Any] | None:
    """``raw`` decoded when it is a JSON object; ``None`` for no value, bad JSON or any other value."""
    if not raw:
        return None
    try:
        value = decode(raw)
    except DecodeError:
        return None
    return value if isinstance(value, dict) else None


def decode_or_error(raw: bytes) -> Any:
    """``raw`` decoded, or the ``DecodeError`` (which keeps the bytes) when it is not JSON."""
    try:
        return decode(raw)
    except DecodeError as exc:
        return exc


def record_payload(record: Any) -> Any:
    """The job inside a decoded failure record or working-on value (its ``payload``, of any
    type), ``None`` when there is none."""
    return record.get("payload") if isinstance(record, dict) else None


# -- a decoded job payload ---------------------------------------------------------------------


def payload_class(payload: Any) -> str | None:
    """``Job#payload_class_name``: the payload's ``class`` when it is a string, else ``None``."""
    cls = payload.get("class") if isinstance(payload, dict) else None
    return cls if isinstance(cls, str) else None


def payload_args(payload: Any) -> list[Any]:
    """``Job#args``: the payload's ``args`` when they are an array, else ``[]`` (``args || []``)."""
    args = payload.get("args") if isinstance(payload, dict) else None
    return list(args) if isinstance(args, list) else []


def active_job_data(payload: Any) -> dict[str, Any] | None:
    """The job data of an ActiveJob ``JobWrapper`` payload (its first argument), else ``None``."""
    if payload_class(payload) != WRAPPER_CLASS:
        return None
    args = payload.get("args")
    data = args[0] if isinstance(args, list) and args else None
    return data if isinstance(data, dict) else None


def active_job_class(payload: Any) -> str | None:
    """The ActiveJob class a ``JobWrapper`` payload carries (``job_class``), else ``None``."""
    data = active_job_data(payload)
    inner = data.get("job_class") if data is not None else None
    return inner if isinstance(inner, str) and inner else None


# -- job payloads and failure records read fast from their bytes -------------------------------


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


_head = msgspec.json.Decoder(_Head)
_inner_list = msgspec.json.Decoder(list[_Inner])
_failure = msgspec.json.Decoder(_FailureHead)


@dataclass(frozen=True, slots=True)
class RecordHead:
    """What a job payload or a failure record says about itself, read from its bytes.

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
"""``(class, via ActiveJob, time, problem)``: ``RecordHead`` without the object, for hot loops."""


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
    if inner and isinstance(inner[0].job_class, str) and inner[0].job_class:
        enqueued = inner[0].enqueued_at
        return inner[0].job_class, True, enqueued if isinstance(enqueued, str) else None, None
    return name, False, None, None


def classify_failure(raw: bytes) -> Classified:
    """Classify a failure record by the job in its ``payload``; the time is ``failed_at``."""
    entry = read_failure(raw)
    return entry.class_name, entry.active_job, entry.time, entry.problem


def read_job(raw: bytes) -> RecordHead:
    """Read a queue entry (a Resque payload)."""
    name, active_job, time, problem = classify_job(raw)
    return RecordHead(name, active_job, time, problem=problem)


def read_failure(raw: bytes) -> RecordHead:
    """Read a failure record and the job in its ``payload``."""
    try:
        record = _failure.decode(raw)
    except msgspec.ValidationError:
        return RecordHead(None, problem="not a JSON object")
    except msgspec.DecodeError:
        return RecordHead(None, problem="not JSON")
    except RecursionError:
        return RecordHead(None, problem=TOO_DEEP)
    failed_at = record.failed_at if isinstance(record.failed_at, str) else None
    queue = record.queue if isinstance(record.queue, str) else None
    exception = record.exception if isinstance(record.exception, str) else None
    try:
        head = _head.decode(record.payload)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return RecordHead(None, False, failed_at, queue, exception, "payload is not a JSON object")
    name, active_job, _, problem = _classify(head)
    return RecordHead(name, active_job, failed_at, queue, exception, problem)


# -- working-on entries (worker:<id>) ----------------------------------------------------------


def working_on_prefix(encoded_queue: bytes, run_at: str) -> bytes:
    """The bytes of ``{"queue":…,"run_at":…,"payload":`` (``Worker#working_on``'s hash order):
    the working-on value is this, the job's raw bytes, then ``}``."""
    return b'{"queue":' + encoded_queue + b',"run_at":"' + run_at.encode() + b'","payload":'


_HELD_PREFIX = re.compile(rb'\{"queue":("(?:[^"\\]|\\.)*"),"run_at":"[^"]*","payload":')
_UNREADABLE_PREFIX = b'{"class":"ResqueCompat::UnreadablePayload","args":['


def held_payload(held: bytes) -> tuple[str, bytes]:
    """``(queue, raw job)`` of a working-on value built by ``working_on_prefix``, sliced out byte
    for byte; a payload wrapped as unreadable comes back as the bytes it wrapped. Any other
    value is ``("", held)``: itself the job's raw bytes."""
    found = _HELD_PREFIX.match(held)
    if found is None or not held.endswith(b"}"):
        return "", held
    try:
        queue = decode(found.group(1))
    except DecodeError:
        return "", held
    raw = held[found.end() : -1]
    if raw.startswith(_UNREADABLE_PREFIX):
        try:
            wrapped = decode(raw)
            raw = str(wrapped["args"][0]).encode("utf-8", "surrogateescape")
        except (DecodeError, KeyError, IndexError, TypeError):
            pass
    return str(queue), raw


@dataclass(frozen=True, slots=True)
class WorkingOn:
    """A ``worker:<id>`` value (``Worker#processing``): its raw bytes and what it holds. Any
    part missing or of the wrong type is ``None``; ``problem`` says why the whole is unreadable."""

    raw: bytes
    queue: str | None
    run_at: Any
    payload: Any
    has_payload: bool
    problem: str | None = None

    @property
    def job_class(self) -> str | None:
        return payload_class(self.payload)


def read_working_on(raw: bytes) -> WorkingOn:
    """Read a ``worker:<id>`` value; anything but a JSON object is unreadable (raw kept)."""
    try:
        value = decode(raw)
    except DecodeError as exc:
        return WorkingOn(raw, None, None, None, False, exc.reason)
    if not isinstance(value, dict):
        return WorkingOn(raw, None, None, None, False, f"not a JSON object but {json_kind(value)}")
    queue = value.get("queue")
    return WorkingOn(
        raw,
        queue if isinstance(queue, str) else None,
        value.get("run_at"),
        value.get("payload"),
        "payload" in value,
    )


def json_kind(value: Any) -> str:
    """How a decoded JSON value is named in a reason ("an array", "a string", ..., "null")."""
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
