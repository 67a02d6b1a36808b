"""Job payloads and working-on payloads (spec sections 3, 6.1).

Values read from Redis keep their raw bytes next to the decoded, ordered mapping: operations
choose on purpose whether to move the raw bytes or re-encode exactly as Ruby would. Writers
build ordered dicts so that unknown keys and key order survive, as they do in Ruby's hashes.
Failure records are in ``failure.py``; the readers of every record kind (and the working-on
bytes' builder) in ``records.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import InvalidPayload
from .rubyjson import Profile, decode, encode_prepared, prepare


@dataclass(slots=True)
class Job:
    """A job as read from a queue: the raw bytes and the decoded, ordered payload.

    Mirrors ``Resque::Job`` (``queue``, ``payload``, ``payload_class_name``, ``args``). Not a
    frozen dataclass: one is built for every job, and a frozen one sets each field through
    ``object.__setattr__`` (``Popped``, ``Reserved`` and ``ChildExit`` likewise).
    """

    queue: str
    raw: bytes
    payload: dict[str, Any]

    @property
    def class_name(self) -> str:
        return str(self.payload["class"])

    @property
    def args(self) -> list[Any]:
        args = self.payload.get("args")
        return list(args) if isinstance(args, list) else []


def job_payload(class_name: str, args: Sequence[Any]) -> dict[str, Any]:
    """The hash ``Job.create`` pushes: exactly ``class`` then ``args``."""
    return {"class": class_name, "args": list(args)}


def encode_job(class_name: str, args: Sequence[Any], profile: Profile = Profile.JSON_GEM) -> bytes:
    """The exact bytes ``Resque.push(queue, class: klass.to_s, args: args)`` writes."""
    return _encoder(class_name, profile)(args)


@lru_cache(maxsize=1024)
def _encoder(class_name: str, profile: Profile) -> JobEncoder:
    """The ``JobEncoder`` of a class, kept: a class's enqueues encode its name once."""
    return JobEncoder(class_name, profile)


class JobEncoder:
    """``encode_job`` for one class: the ``{"class":…,"args":`` prefix is encoded once, so bulk
    enqueues pay only for their arguments."""

    def __init__(self, class_name: str, profile: Profile = Profile.JSON_GEM) -> None:
        self.profile = profile
        self.prefix = b'{"class":' + encode_prepared(class_name, profile, "class") + b',"args":'

    def __call__(self, args: Sequence[Any]) -> bytes:
        # Flat arguments of strings, integers, booleans and nil (most jobs) need no walk.
        items = list(args)
        prepared = items if _PLAIN.issuperset(map(type, items)) else prepare(items, self.profile, "args")
        return self.prefix + encode_prepared(prepared, self.profile, "args") + b"}"


_PLAIN = frozenset({str, int, bool, type(None)})


def decode_job(raw: bytes, queue: str, key: str | None = None) -> Job:
    """Decode a popped or peeked queue entry; raises ``DecodeError``/``InvalidPayload`` keeping ``raw``."""
    value = decode(raw, key)
    if not isinstance(value, dict):
        raise InvalidPayload(raw, f"a job payload must be a JSON object, not {type(value).__name__}", key)
    cls = value.get("class")
    if not isinstance(cls, str) or not cls:
        raise InvalidPayload(raw, 'a job payload needs a non-empty string "class"', key)
    args = value.get("args", [])
    if not isinstance(args, list) and args is not None:  # Job#perform runs ``args || []``
        raise InvalidPayload(raw, '"args" must be a JSON array (or null)', key)
    return Job(queue, raw, value)
