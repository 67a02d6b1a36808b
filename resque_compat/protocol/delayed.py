"""resque-scheduler's delayed items: their bytes, their timestamps, and the job each one becomes.

resque-scheduler 5.0 (``delaying_extensions.rb``) writes ``encode({class:, args:, queue:})``
into ``delayed:<epoch>`` and uses the very same bytes as the suffix of ``timestamps:<item>``, so
``remove_delayed`` and ``scheduled_at`` find an item only when its bytes are exactly Ruby's:
``{"class":…,"args":[…],"queue":…}`` in that key order, ``"queue":null`` when the class names
none. node-resque writes ``{"class":…,"queue":…,"args":[…]}``; both layouts are read alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import DecodeError
from .keys import delayed_timestamp_of_key
from .rubyjson import Profile, decode, encode_prepared, prepare


class TimestampError(ValueError):
    """A timestamp that cannot name a second of the delayed queue."""


def epoch_seconds(timestamp: Any) -> int:
    """``timestamp.to_i`` for what ``enqueue_at`` accepts: epoch seconds or an aware datetime.

    Like Ruby, a fractional epoch is truncated (``Float#to_i``) and a datetime's fraction of a
    second dropped (``Time#to_i`` floors). A naive datetime is refused: its zone would be a guess.
    """
    if isinstance(timestamp, bool):
        raise TimestampError(f"a timestamp must be epoch seconds or an aware datetime, not {timestamp!r}")
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise TimestampError(
                f"naive datetime {timestamp.isoformat()} refused: give it a tzinfo "
                "(datetime.now(timezone.utc)) or pass epoch seconds"
            )
        return math.floor(timestamp.timestamp())
    if isinstance(timestamp, int):
        return int(timestamp)
    if isinstance(timestamp, float):
        if not math.isfinite(timestamp):
            raise TimestampError(f"a timestamp must be finite, not {timestamp!r}")
        return int(timestamp)
    raise TimestampError(
        f"a timestamp must be epoch seconds or an aware datetime, not {type(timestamp).__name__}"
    )


def delayed_item(class_name: str, args: Sequence[Any], queue: str | None) -> dict[str, Any]:
    """``job_to_hash_with_queue``: ``{class:, args:, queue:}`` in that order."""
    return {"class": class_name, "args": list(args), "queue": queue}


def encode_delayed_item(
    class_name: str, args: Sequence[Any], queue: str | None, profile: Profile = Profile.JSON_GEM
) -> bytes:
    """The exact bytes ``delayed_push`` writes (``encode(job_to_hash_with_queue(...))``)."""
    prepared = prepare(delayed_item(class_name, args, queue), profile, "item")
    return encode_prepared(prepared, profile, "item")


def parse_timestamp_member(member: bytes | str) -> int | None:
    """An integer epoch from a ``delayed_queue_schedule`` member or a ``delayed:<ts>`` name.

    Ruby reads these with ``to_i`` (``"12abc"`` is 12, ``"abc"`` is 0); here anything that is
    not a plain integer is ``None`` so callers report it instead of acting on second 0.
    """
    text = member.decode("utf-8", "replace") if isinstance(member, bytes) else member
    text = delayed_timestamp_of_key(text) or text
    digits = text[1:] if text[:1] == "-" else text
    return int(text) if digits.isdigit() else None


@dataclass(frozen=True, slots=True)
class DelayedItem:
    """A decoded delayed item with its raw bytes (``timestamps:<raw>`` names its set)."""

    raw: bytes
    payload: dict[str, Any]

    @property
    def class_name(self) -> str:
        return str(self.payload["class"])

    @property
    def queue(self) -> str | None:
        queue = self.payload.get("queue")
        return queue if isinstance(queue, str) and queue else None

    @property
    def args(self) -> list[Any]:
        """``enqueue_from_config``'s ``params``: a hash is one argument, nil none, else ``Array()``."""
        return job_params(self.payload.get("args"))


def job_params(args: Any) -> list[Any]:
    """``args.is_a?(Hash) ? [args] : Array(args)`` from ``Scheduler.enqueue_from_config``."""
    if args is None:
        return []
    if isinstance(args, dict):
        return [args]
    if isinstance(args, list):
        return list(args)
    return [args]


class InvalidDelayedItem(DecodeError):
    """A delayed item that is valid JSON but names no class (Ruby would enqueue nothing useful)."""


def decode_delayed_item(raw: bytes, key: str | None = None) -> DelayedItem:
    """Read a ``delayed:<ts>`` entry of either layout; ``DecodeError`` keeps the raw bytes."""
    value = decode(raw, key)
    if not isinstance(value, dict):
        raise InvalidDelayedItem(
            raw, f"a delayed item must be a JSON object, not {type(value).__name__}", key
        )
    cls = value.get("class")
    if not isinstance(cls, str) or not cls:
        raise InvalidDelayedItem(raw, 'a delayed item needs a non-empty string "class"', key)
    return DelayedItem(raw, value)
