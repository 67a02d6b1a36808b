"""resque-status's keys (``Resque::Plugins::Status::Hash``): ``status:<uuid>`` (the encoded
status hash), ``_statuses`` (ids by creation time) and ``_kill`` (ids asked to stop)."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from ..protocol.keys import Keys
from .typed import bytes_client


class StatusAccess:
    """One owner for resque-status's keys; ``expire_in`` is ``Status::Hash.expire_in``."""

    def __init__(self, client: redis.Redis, keys: Keys, expire_in: int | None = None) -> None:
        self.client = bytes_client(client)
        self.keys = keys
        self.expire_in = expire_in

    def set(self, uuid: str, encoded: bytes) -> None:
        """``Hash.set``: ``SET status:<uuid>`` (and ``EXPIRE`` with ``expire_in``)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.keys.status(uuid), encoded)
        if self.expire_in:
            pipe.expire(self.keys.status(uuid), self.expire_in)
        pipe.execute()

    def create(self, uuid: str, encoded: bytes, now: int) -> None:
        """``Hash.create``: ``set``, ``ZADD _statuses now uuid`` and, with ``expire_in``, drop
        ids older than that from the set."""
        self.set(uuid, encoded)
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self.keys.statuses(), {uuid: now})
        if self.expire_in:
            pipe.zremrangebyscore(self.keys.statuses(), 0, now - self.expire_in)
        pipe.execute()

    def get(self, uuid: str) -> bytes | None:
        return self.client.get(self.keys.status(uuid))

    def mget(self, uuids: Sequence[str]) -> list[bytes | None]:
        if not uuids:
            return []
        return self.client.mget([self.keys.status(u) for u in uuids])

    def remove(self, uuid: str) -> None:
        """``Hash.remove``: ``DEL status:<uuid>``, ``ZREM _statuses``."""
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self.keys.status(uuid))
        pipe.zrem(self.keys.statuses(), uuid)
        pipe.execute()

    def count(self) -> int:
        return int(self.client.zcard(self.keys.statuses()))

    def ids(self, start: int | None = None, end: int | None = None) -> list[str]:
        """``Hash.status_ids``: newest first, all of them or ``ZREVRANGE |start| |end|``."""
        if start is not None and end is not None:
            raw = self.client.zrevrange(self.keys.statuses(), abs(start), abs(end))
        else:
            raw = self.client.zrevrange(self.keys.statuses(), 0, -1)
        return [m.decode() for m in raw]

    def kill(self, uuid: str) -> None:
        self.client.sadd(self.keys.kill(), uuid)

    def killed(self, uuid: str) -> None:
        self.client.srem(self.keys.kill(), uuid)

    def kill_ids(self) -> list[str]:
        return sorted(m.decode() for m in self.client.smembers(self.keys.kill()))

    def should_kill(self, uuid: str) -> bool:
        return bool(self.client.sismember(self.keys.kill(), uuid))
