"""A key of the wrong type in place of what a panel or a row would have shown from it.

Redis answers ``WRONGTYPE`` when a key holds another type than the command needs (a ``queues``
member naming a hash, ``failed`` written as a string); the store raises that as
``UnreadableKey``. A page that reads several keys shows a ``WrongType`` where it would have
shown the one it could not read (a queue's size, the failed lists, the working workers) and
the rest as usual; only a page about that key itself, or an action that would change it,
still refuses as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import UnreadableKey
from ..protocol.keys import Keys, key_type

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WrongType:
    """``key`` (its full name; ``logical`` within the namespace) holds a ``actual`` where Resque
    keeps a ``expected`` (``None`` when the family is not one Resque knows)."""

    key: str
    logical: str
    actual: str
    expected: str | None

    @classmethod
    def of(cls, error: UnreadableKey, keys: Keys) -> WrongType:
        logical = keys.strip(error.key)
        return cls(error.key, logical, error.actual, error.expected or key_type(logical))

    @classmethod
    def at(cls, physical: str, actual: str, keys: Keys) -> WrongType:
        """The key ``physical`` found holding ``actual`` (by a script that skipped it)."""
        logical = keys.strip(physical)
        return cls(physical, logical, actual, key_type(logical))

    @property
    def text(self) -> str:
        """``wrong type: hash (Resque keeps a list)``."""
        keeps = f" (Resque keeps a {self.expected})" if self.expected else ""
        return f"wrong type: {self.actual}{keeps}"

    def json(self) -> dict[str, str | None]:
        """The API's per-item error field."""
        return {
            "error": f"key {self.key!r} holds a {self.actual}"
            + (f" where Resque keeps a {self.expected}" if self.expected else ""),
            "key": self.key,
            "type": self.actual,
            "expected": self.expected,
        }


def guard(read: Callable[[], T], keys: Keys) -> T | WrongType:
    """``read()``, or the ``WrongType`` of the key it met holding another type."""
    try:
        return read()
    except UnreadableKey as exc:
        return WrongType.of(exc, keys)
