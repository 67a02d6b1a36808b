"""What every failure backend offers (``Resque::Failure::Base``), and a record as read back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import DecodeError
from ..protocol import FailureRecord, decode
from ..protocol.records import payload_class, record_payload

Create = Callable[[str, str, list[Any]], None]
"""``Job.create(queue, class, *args)``: how a requeue pushes the job again."""


@dataclass(frozen=True, slots=True)
class FailureEntry:
    """One failure record as read: its index, raw bytes and decoded value (``None`` if unreadable)."""

    index: int
    raw: bytes
    record: dict[str, Any] | None
    error: str | None = None

    @property
    def class_name(self) -> str | None:
        return payload_class(record_payload(self.record))

    @property
    def queue(self) -> str | None:
        q = self.record.get("queue") if self.record else None
        return q if isinstance(q, str) else None


def read_entry(index: int, raw: bytes) -> FailureEntry:
    """Decode one record, keeping the raw bytes and a reason when it is not a JSON object."""
    try:
        value = decode(raw)
    except DecodeError as exc:
        return FailureEntry(index, raw, None, exc.reason)
    if not isinstance(value, dict):
        return FailureEntry(index, raw, None, "not a JSON object")
    return FailureEntry(index, raw, value)


class FailureBackend(Protocol):
    """What a failure backend offers (``Resque::Failure::Base``).

    ``save`` receives the whole record (``protocol.FailureRecord``); a backend of your own needs
    only ``save`` to be used by the worker, and the rest to be listed by the dashboard and CLI.
    """

    def save(self, record: FailureRecord) -> None: ...

    def count(self, queue: str | None = None, class_name: str | None = None) -> int: ...

    def queues(self) -> list[str]: ...

    def all(self, offset: int = 0, limit: int = 1, queue: str | None = None) -> list[FailureEntry]: ...

    def clear(self, queue: str | None = None) -> None: ...

    def requeue(self, index: int, queue: str | None = None) -> None: ...

    def remove(self, index: int, queue: str | None = None) -> None: ...

    def requeue_all(self) -> None: ...

    def requeue_queue(self, queue: str) -> None: ...

    def remove_queue(self, queue: str) -> None: ...
