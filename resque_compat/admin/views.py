"""What the admin API returns: plain, immutable views built from raw Redis values.

Every view keeps the raw value it came from. Anything another tool wrote in a shape Resque does
not (bad JSON, times in no Resque format, worker ids without three parts) becomes a view whose
``unreadable`` says why, so a page can show the raw value instead of failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

from ..errors import ResqueError
from ..protocol import decode, parse_worker_id, ruby_split
from ..protocol.records import active_job_class, json_kind, payload_class, read_working_on, record_payload
from ..protocol.times import parse_time

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list: ``items`` start at ``start`` of ``total``."""

    items: list[T]
    start: int
    total: int
    per_page: int

    @property
    def end(self) -> int:
        """Index of the last item shown (``start - 1`` when empty)."""
        return self.start + len(self.items) - 1


@dataclass(frozen=True, slots=True)
class TimeValue:
    """A time as stored (``raw``) and, when it is in one of Resque's formats, parsed."""

    raw: str
    at: datetime | None

    @property
    def unreadable(self) -> bool:
        return self.at is None

    @classmethod
    def of(cls, value: Any) -> TimeValue | None:
        """Parse a stored time; ``None`` when there is no value at all."""
        if value is None:
            return None
        raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if not isinstance(value, str | bytes):
            return cls(raw, None)  # e.g. an epoch number another tool wrote
        return cls(raw, _time_at(raw))


@lru_cache(maxsize=8192)
def _time_at(raw: str) -> datetime | None:
    """A stored time parsed, remembered: a page of workers parses the same heartbeats and
    ``run_at`` times on every refresh."""
    try:
        return parse_time(raw)
    except ResqueError:
        return None


@dataclass(frozen=True, slots=True)
class JobView:
    """A job payload for display: its class (the ActiveJob class for JobWrapper jobs) and args."""

    raw: bytes
    class_name: str | None
    args: Any
    via_active_job: bool = False
    unreadable: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def display_class(self) -> str:
        return self.class_name if self.class_name is not None else "—"


def job_view(payload: Any, raw: bytes = b"") -> JobView:
    """View a decoded payload the way resque-web's ``job_class`` partial does."""
    if not isinstance(payload, dict):
        return JobView(
            raw, None, None, unreadable=f"a job payload is a JSON object, not {json_kind(payload)}"
        )
    cls = payload_class(payload)
    args = payload.get("args", [])
    extra = {k: v for k, v in payload.items() if k not in ("class", "args")}
    inner = active_job_class(payload)
    if inner is not None:
        return JobView(raw, inner, args, via_active_job=True, extra=extra)
    if not cls:
        return JobView(raw, None, args, unreadable='no "class" in the payload', extra=extra)
    return JobView(raw, cls, args, extra=extra)


def job_from_raw(raw: bytes) -> JobView:
    """Decode and view one queue entry; bad JSON gives an unreadable view with the raw bytes."""
    try:
        value = decode(raw)
    except ResqueError as exc:
        return JobView(raw, None, None, unreadable=getattr(exc, "reason", str(exc)))
    return job_view(value, raw)


@dataclass(frozen=True, slots=True)
class WorkerName:
    """A worker id split as Resque's readers split it, or unreadable when it is not ``host:pid:queues``."""

    id: str
    host: str
    pid: int | None
    queues: tuple[str, ...]
    unreadable: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.pid}" if self.pid is not None else self.id

    @classmethod
    def of(cls, worker_id: str) -> WorkerName:
        try:
            wid = parse_worker_id(worker_id)
        except ResqueError as exc:
            return cls(worker_id, ruby_split(worker_id)[0], None, (), unreadable=str(exc))
        return cls(worker_id, wid.hostname, wid.pid, wid.queues)


@lru_cache(maxsize=8192)
def worker_name(worker_id: str) -> WorkerName:
    """``WorkerName.of``, remembered: an id always splits the same way, and a census of many
    workers splits the same ids on every request."""
    return WorkerName.of(worker_id)


@dataclass(frozen=True, slots=True)
class Processing:
    """The job a worker is on (``worker:<id>``): its queue, ``run_at`` and payload."""

    raw: bytes
    queue: str | None
    run_at: TimeValue | None
    job: JobView | None
    unreadable: str | None = None


PROCESSING_CACHED = 4096
"""``worker:<id>`` values up to this many bytes are decoded once and their view remembered (a
job's entry stays the same while it runs; a page of workers shows the same ones each refresh)."""


def processing_view(raw: bytes) -> Processing:
    """View a ``worker:<id>`` value; anything but ``{"queue","run_at","payload"}`` is unreadable.
    The view is shared between calls for the same bytes: it is not to be changed."""
    return _processing_cached(raw) if len(raw) <= PROCESSING_CACHED else _processing(raw)


@lru_cache(maxsize=1024)
def _processing_cached(raw: bytes) -> Processing:
    return _processing(raw)


def _processing(raw: bytes) -> Processing:
    entry = read_working_on(raw)
    if entry.problem is not None:
        return Processing(raw, None, None, None, unreadable=entry.problem)
    return Processing(
        raw,
        entry.queue,
        TimeValue.of(entry.run_at),
        job_view(entry.payload) if entry.has_payload else None,
    )


@dataclass(frozen=True, slots=True)
class WorkerView:
    """Everything the dashboard shows about one registered worker."""

    name: WorkerName
    state: str  # "working" or "idle" (Worker#state)
    processing: Processing | None
    heartbeat: TimeValue | None
    heartbeat_state: str  # "fresh", "stale", "missing" or "unreadable"
    heartbeat_age: int | None
    language: str  # "ruby", "python" or "unknown"
    language_source: str
    started: TimeValue | None = None  # the detail fields: filled by ``Admin.worker`` only
    processed: int | None = None
    failed: int | None = None

    @property
    def id(self) -> str:
        return self.name.id


@dataclass(frozen=True, slots=True)
class FailureView:
    """One failure record for display; ``digest`` names its exact bytes for safe actions."""

    failed_queue: str
    index: int
    raw: bytes
    digest: str
    job: JobView | None
    exception: str | None
    error: str | None
    backtrace: list[str]
    worker: WorkerName | None
    queue: str | None
    failed_at: TimeValue | None
    retried_at: TimeValue | None
    unreadable: str | None = None


def digest(raw: bytes) -> str:
    """A short fingerprint of a record's bytes: an action names the record it was shown."""
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:16]


def failure_view(failed_queue: str, index: int, raw: bytes, record: dict[str, Any] | None) -> FailureView:
    """View one failure record (``Failure::Redis`` format, spec 7.1); tolerant of any shape."""
    if record is None:
        reason = _reason_of(raw)
        return FailureView(
            failed_queue, index, raw, digest(raw), None, None, None, [], None, None, None, None, reason
        )
    payload = record_payload(record)
    backtrace = record.get("backtrace")
    worker = record.get("worker")
    queue = record.get("queue")
    return FailureView(
        failed_queue,
        index,
        raw,
        digest(raw),
        job_view(payload) if payload is not None else None,
        _str_or_none(record.get("exception")),
        _str_or_none(record.get("error")),
        [str(f) for f in backtrace] if isinstance(backtrace, list) else [],
        WorkerName.of(worker) if isinstance(worker, str) and worker else None,
        queue if isinstance(queue, str) else None,
        TimeValue.of(record.get("failed_at")),
        TimeValue.of(record.get("retried_at")),
    )


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key of the namespace with its type and size (``/stats/keys``)."""

    name: str
    type: str
    size: int


@dataclass(frozen=True, slots=True)
class KeyContents:
    """One key's contents (``/stats/keys/:key``): a window of entries as text.

    ``at`` is where the window starts and ``after`` where the next one does (``None`` at the
    end): indexes for lists and sorted sets, byte offsets for strings, a ``SCAN`` cursor for
    sets and hashes, an entry id for streams."""

    name: str
    type: str
    size: int
    at: str
    rows: Sequence[tuple[str, ...]]
    after: str | None = None

    @property
    def indexed(self) -> bool:
        """Whether windows are numbered pages (lists and sorted sets)."""
        return self.type in ("list", "zset")

    @property
    def start(self) -> int:
        return int(self.at) if self.at.isdigit() else 0


def _reason_of(raw: bytes) -> str:
    try:
        decode(raw)
    except ResqueError as exc:
        return f"not valid JSON: {getattr(exc, 'reason', exc)}"
    return "not a JSON object"


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else repr(value)
