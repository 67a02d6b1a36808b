"""resque-retry's keys: the attempt counter ``resque-retry:<Class>[:<sha1>]`` and the suppressed
failure ``failure-resque-retry:...`` (``MultipleWithRetrySuppression``). Callers give logical
names (``protocol.keys.retry_key``); the namespace is added here."""

from __future__ import annotations

from collections.abc import Iterator

import redis

from ..protocol.keys import Keys


class RetryAccess:
    """The plugin's commands on its keys, one each, as ``Resque.redis`` sends them."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def begin_attempt(self, name: str, expire: int | None = None) -> int:
        """``before_perform_retry``: ``SETNX key -1``, ``INCR key`` (the attempt, 0 at first),
        and ``EXPIRE`` with ``expire_retry_key_after``."""
        key = self.keys.physical(name)
        pipe = self.client.pipeline(transaction=False)
        pipe.setnx(key, -1)
        pipe.incr(key)
        if expire is not None:
            pipe.expire(key, expire)
        return int(pipe.execute()[1])

    def attempt(self, name: str) -> int:
        """``GET key .to_i`` (a dirty exit reads the attempt back)."""
        raw = self.client.get(self.keys.physical(name))
        try:
            return int(raw or 0)
        except ValueError:
            return 0

    def decrement(self, name: str) -> int:
        return int(self.client.decr(self.keys.physical(name)))

    def hold(self, name: str) -> None:
        """``SETNX key -1`` before a retry is enqueued (the failure backend sees it)."""
        self.client.setnx(self.keys.physical(name), -1)

    def clean(self, name: str) -> None:
        """``clean_retry_key``: ``DEL key``."""
        self.client.delete(self.keys.physical(name))

    def exists(self, name: str) -> bool:
        return bool(self.client.exists(self.keys.physical(name)))

    def save_failure(self, name: str, seconds: int, encoded: bytes) -> None:
        """``SETEX failure-<retry key> 2*delay <record>`` (sent as ``SET ... EX``, the same state)."""
        self.client.set(self.keys.physical(name), encoded, ex=seconds)

    def delete(self, name: str) -> None:
        self.client.delete(self.keys.physical(name))

    def scan(self, logical_glob: str) -> Iterator[tuple[str, bytes | None, int]]:
        """(logical name, value, ttl) of every string key matching ``logical_glob``."""
        for raw in self.client.scan_iter(match=self.keys.pattern(logical_glob), count=1000):
            key = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            pipe = self.client.pipeline(transaction=False)
            pipe.get(key)
            pipe.ttl(key)
            try:
                value, ttl = pipe.execute()
            except redis.ResponseError:  # not a string
                continue
            yield self.keys.strip(key), value, int(ttl)
