"""Read-only inspection for the dashboard's stats pages: key types, sizes and contents,
``INFO`` and the connected clients (``Resque::Server`` helpers ``redis_get_size`` and
``redis_get_value_as_array``). Bytes out; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from ..protocol.keys import Keys

_SIZE_COMMANDS = {"hash": "HLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD", "string": "STRLEN"}


class KeyInspector:
    """Types, sizes and pages of any key of one namespace, plus server-wide ``INFO``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def key_names(self, limit: int = 10_000) -> list[str]:
        """Logical names of the namespace's keys (``Resque.keys``), by ``SCAN``, at most ``limit``."""
        out: list[str] = []
        for physical in self.client.scan_iter(match=self.keys.all_pattern(), count=1000):
            out.append(self.keys.strip(physical.decode("utf-8", "replace")))
            if len(out) >= limit:
                break
        return sorted(out)

    def types_and_sizes(self, logical: Sequence[str]) -> list[tuple[str, int]]:
        """``TYPE`` then the size command of each key (``redis_get_size``), in two pipelines."""
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.type(self.keys.key(name))
        types = [_text(t) for t in pipe.execute()]
        pipe = self.client.pipeline(transaction=False)
        for name, kind in zip(logical, types, strict=True):
            command = _SIZE_COMMANDS.get(kind)
            if command:
                pipe.execute_command(command, self.keys.key(name))  # type: ignore[no-untyped-call]
            else:
                pipe.exists(self.keys.key(name))  # "none" (expired meanwhile) or a stream: 0/1
        sizes = [
            int(s) if kind in _SIZE_COMMANDS else 0 for s, kind in zip(pipe.execute(), types, strict=True)
        ]
        return list(zip(types, sizes, strict=True))

    def key_type(self, logical: str) -> str:
        """``TYPE <key>``: ``string``, ``list``, ``set``, ``zset``, ``hash``, ``stream`` or ``none``."""
        return _text(self.client.type(self.keys.key(logical)))

    def key_page(self, logical: str, kind: str, start: int, count: int) -> list[Any]:
        """A window of a key's contents (``redis_get_value_as_array``), never the whole of a big key.

        Lists and sorted sets by index; sets and hashes by ``SSCAN``/``HSCAN`` from cursor 0,
        skipping ``start`` members (their order is Redis's, as ``SMEMBERS`` would give).
        Returns bytes, or ``(field, value)`` byte pairs for hashes.
        """
        key = self.keys.key(logical)
        if kind == "string":
            value = self.client.getrange(key, 0, 64 * 1024 - 1)
            return [value]
        if kind == "list":
            return list(self.client.lrange(key, start, start + count - 1))  # type: ignore[arg-type]
        if kind == "zset":
            return list(self.client.zrange(key, start, start + count - 1))  # type: ignore[arg-type]
        if kind == "set":
            return _window(self.client.sscan_iter(key, count=500), start, count)
        if kind == "hash":
            return _window(self.client.hscan_iter(key, count=500), start, count)
        return []

    def info(self) -> dict[str, Any]:
        """``INFO`` (every default section) as redis-py parses it."""
        return dict(self.client.info())  # type: ignore[arg-type]

    def client_names(self) -> list[str] | None:
        """The names of the connected clients (``CLIENT LIST``); ``None`` where the server refuses."""
        try:
            clients: list[dict[str, Any]] = self.client.client_list()  # type: ignore[assignment]
        except redis.ResponseError:
            return None
        return [str(c.get("name", "")) for c in clients if c.get("name")]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _window(items: Any, start: int, count: int) -> list[Any]:
    out = []
    for i, item in enumerate(items):
        if i >= start + count:
            break
        if i >= start:
            out.append(item)
    return out
