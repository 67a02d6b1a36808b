"""Read-only inspection for the dashboard's stats pages: key types, sizes and contents,
``INFO`` and the connected clients (``Resque::Server`` helpers ``redis_get_size`` and
``redis_get_value_as_array``). Bytes out; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from ..protocol.keys import Keys
from .typed import bytes_client

_SIZE_COMMANDS = {
    "hash": "HLEN",
    "list": "LLEN",
    "set": "SCARD",
    "zset": "ZCARD",
    "string": "STRLEN",
    "stream": "XLEN",
}
STRING_WINDOW = 64 * 1024
"""Bytes of a string value one page shows."""
SCAN_CALLS = 50
"""At most this many ``SSCAN``/``HSCAN`` calls fill one page of a set or hash."""


@dataclass(frozen=True, slots=True)
class Window:
    """A bounded window of a key: its entries, and where the next window starts (``None`` at
    the end). ``after`` is an index (list, zset, string byte offset), a ``SCAN`` cursor (set,
    hash) or the last entry id shown (stream)."""

    items: list[Any]
    after: str | None


class KeyInspector:
    """Types, sizes and pages of any key of one namespace, plus server-wide ``INFO``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys

    def key_names(self, limit: int = 10_000) -> list[str]:
        """Logical names of the namespace's keys (``Resque.keys``), by ``SCAN``, at most ``limit``."""
        out: list[str] = []
        for physical in self.client.scan_iter(match=self.keys.all_pattern(), count=1000):
            out.append(self.keys.strip(physical.decode("utf-8", "replace")))
            if len(out) >= limit:
                break
        return sorted(out)

    def key_names_page(self, cursor: int, want: int, calls: int = SCAN_CALLS) -> tuple[list[str], int]:
        """One page of the namespace's keys: ``SCAN`` from ``cursor`` until ``want`` names or
        ``calls`` calls (``COUNT`` twice ``want``); the names sorted, and the cursor to go on from
        (0: done)."""
        out: list[str] = []
        for _ in range(calls):
            cursor, found = self.client.scan(cursor, match=self.keys.all_pattern(), count=2 * want)
            out += [self.keys.strip(p.decode("utf-8", "replace")) for p in found]
            if cursor == 0 or len(out) >= want:
                break
        return sorted(out), int(cursor)

    def types_and_sizes(self, logical: Sequence[str]) -> list[tuple[str, int]]:
        """``TYPE`` then the size command of each key (``redis_get_size``), in two pipelines."""
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.type(self.keys.physical(name))
        types = [_text(t) for t in pipe.execute()]
        pipe = self.client.pipeline(transaction=False)
        for name, kind in zip(logical, types, strict=True):
            command = _SIZE_COMMANDS.get(kind)
            if command:
                pipe.execute_command(command, self.keys.physical(name))
            else:
                pipe.exists(self.keys.physical(name))  # "none" (expired meanwhile) or a stream: 0/1
        sizes = [
            int(s) if kind in _SIZE_COMMANDS else 0 for s, kind in zip(pipe.execute(), types, strict=True)
        ]
        return list(zip(types, sizes, strict=True))

    def key_type(self, logical: str) -> str:
        """``TYPE <key>``: ``string``, ``list``, ``set``, ``zset``, ``hash``, ``stream`` or ``none``."""
        return _text(self.client.type(self.keys.physical(logical)))

    def key_window(self, logical: str, kind: str, at: str, count: int, size: int) -> Window:
        """A window of a key's contents (``redis_get_value_as_array``) whose cost does not grow
        with the key: lists and sorted sets by index, strings by byte offset, sets and hashes
        by ``SSCAN``/``HSCAN`` cursor, streams by entry id (``XRANGE``). ``at`` is where the
        window starts, as a previous window's ``after`` gave it ("" or "0" for the beginning).
        Returns bytes, ``(field, value)`` pairs for hashes and ``(id, fields)`` for streams.
        """
        key = self.keys.physical(logical)
        if kind in ("list", "zset", "string"):
            start = int(at) if at.isdigit() else 0
            if start >= size:
                return Window([], None)
            if kind == "string":
                end = min(size, start + STRING_WINDOW)
                return Window([self.client.getrange(key, start, end - 1)], str(end) if end < size else None)
            read = self.client.lrange if kind == "list" else self.client.zrange
            items: list[Any] = list(read(key, start, start + count - 1))
            nxt = start + count
            return Window(items, str(nxt) if nxt < size else None)
        if kind in ("set", "hash"):
            return self._scan_window(key, kind, int(at) if at.isdigit() else 0, count)
        if kind == "stream":
            low = f"({at}" if at and at != "0" else "-"
            entries = self.client.xrange(key, low, "+", count=count)
            items = [(eid, list(fields.items())) for eid, fields in entries]
            last = _text(entries[-1][0]) if len(entries) == count else None
            return Window(items, last)
        return Window([], None)

    def _scan_window(self, key: str, kind: str, cursor: int, count: int) -> Window:
        items: list[Any] = []
        for _ in range(SCAN_CALLS):
            if kind == "set":
                cursor, found = self.client.sscan(key, cursor, count=count)
                items.extend(found)
            else:
                cursor, pairs = self.client.hscan(key, cursor, count=count)
                items.extend(pairs.items())
            if cursor == 0 or len(items) >= count:
                break
        return Window(items, None if cursor == 0 else str(cursor))

    def info(self) -> dict[str, Any]:
        """``INFO`` (every default section) as redis-py parses it."""
        return dict(self.client.info())

    def client_names(self) -> list[str] | None:
        """The names of the connected clients (``CLIENT LIST``); ``None`` where the server refuses."""
        try:
            clients: list[dict[str, Any]] = self.client.client_list()
        except redis.ResponseError:
            return None
        return [str(c.get("name", "")) for c in clients if c.get("name")]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
