"""Counters under ``stat:<name>`` (``Resque::DataStore::StatsAccess``, ``Resque::Stat``)."""

from __future__ import annotations

import redis

from ..protocol.keys import Keys
from .replies import optional_bytes


class StatsAccess:
    """One owner for ``stat:*``. ``name`` is ``processed``, ``failed`` or ``processed:<worker id>``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def stat(self, name: str) -> int:
        """``GET stat:<name>``, 0 when missing (``Stat[name]``; Ruby's ``to_i``)."""
        value = self.client.get(self.keys.stat(name))
        return _to_i(optional_bytes(value))

    def increment_stat(self, name: str, by: int = 1) -> int:
        """``INCRBY stat:<name> by`` (``Stat.incr``)."""
        return int(self.client.incrby(self.keys.stat(name), by))

    def decrement_stat(self, name: str, by: int = 1) -> int:
        """``DECRBY stat:<name> by`` (``Stat.decr``)."""
        return int(self.client.decrby(self.keys.stat(name), by))

    def clear_stat(self, name: str) -> None:
        """``DEL stat:<name>`` (``Stat.clear``)."""
        self.client.delete(self.keys.stat(name))


def _to_i(value: bytes | None) -> int:
    """Ruby's ``String#to_i``: leading digits, else 0."""
    if value is None:
        return 0
    text = value.decode("ascii", "replace").strip()
    sign = -1 if text.startswith("-") else 1
    digits = ""
    for ch in text.lstrip("+-"):
        if not ch.isdigit():
            break
        digits += ch
    return sign * int(digits) if digits else 0
