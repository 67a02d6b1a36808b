"""The unique-job plugins' keys: resque-loner's ``loners:queue:<q>:job:<digest>`` and the lock
keys of resque-lock and resque-lock-timeout (``lock:...``, ``loner:lock:...``). Callers give
logical names (a queue and digest, or a lock name built by ``protocol.keys`` or the job class);
the namespace is added here."""

from __future__ import annotations

from collections.abc import Iterator

import redis

from ..protocol.keys import Keys
from .typed import bytes_client

# KEYS[1] queues, KEYS[2] queue:<q>, KEYS[3] the loner key. ARGV[1] the queue name, ARGV[2] the
# payload, ARGV[3] the loner TTL (-1: none). Job.create_with_loner: 0 when the key reads "1"
# ('EXISTED'), else the push and SET key 1 (+ EXPIRE) in one step, as its MULTI does.
_CREATE_LONER = """
if redis.call('GET', KEYS[3]) == '1' then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], '1')
if ARGV[3] ~= '-1' then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
return 1
"""

_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class UniqueAccess:
    """Loner keys and lock keys; values are bytes, as the plugins' ``redis.get`` sees them."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys
        self._create = self.client.register_script(_CREATE_LONER)
        self._delete_if_equal = self.client.register_script(_DELETE_IF_EQUAL)

    # resque-loner
    def create_loner(self, queue: str, encoded: bytes, digest: str, ttl: int) -> bool:
        """``Job.create_with_loner``: push unless the key is set; ``False`` for ``'EXISTED'``."""
        keys = [self.keys.queues(), self.keys.queue(queue), self.keys.loner(queue, digest)]
        return bool(self._create(keys=keys, args=[queue, encoded, ttl]))

    def loner_queued(self, queue: str, digest: str) -> bool:
        """``Helpers.loner_queued?``: the key reads ``1``."""
        return self.client.get(self.keys.loner(queue, digest)) == b"1"

    def mark_unqueued(self, queue: str, digest: str, keep_for: int) -> None:
        """``Helpers.mark_loner_as_unqueued``: ``DEL``, or ``EXPIRE`` with a lock-after period."""
        key = self.keys.loner(queue, digest)
        if keep_for == 0:
            self.client.delete(key)
        else:
            self.client.expire(key, keep_for)

    def cleanup_loners(self, queue: str) -> int:
        """``Helpers.cleanup_loners``: every loner key of ``queue`` (SCAN rather than KEYS)."""
        found = list(self.client.scan_iter(match=self.keys.loner_pattern(queue), count=1000))
        return int(self.client.delete(*found)) if found else 0

    # locks (resque-lock, resque-lock-timeout): the plugins' own commands, one each
    def setnx(self, name: str, value: bytes) -> bool:
        return bool(self.client.setnx(self.keys.physical(name), value))

    def get(self, name: str) -> bytes | None:
        return self.client.get(self.keys.physical(name))

    def getset(self, name: str, value: bytes) -> bytes | None:
        return self.client.getset(self.keys.physical(name), value)

    def set(self, name: str, value: bytes) -> None:
        self.client.set(self.keys.physical(name), value)

    def delete(self, name: str) -> int:
        return int(self.client.delete(self.keys.physical(name)))

    # the doctor's view
    def scan(self, logical_glob: str) -> Iterator[tuple[str, bytes | None, int]]:
        """(logical name, string value, ttl) of every key matching ``logical_glob``."""
        for raw in self.client.scan_iter(match=self.keys.pattern(logical_glob), count=1000):
            key = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            pipe = self.client.pipeline(transaction=False)
            pipe.type(key)
            pipe.ttl(key)
            kind, ttl = pipe.execute()
            value = self.client.get(key) if kind in (b"string", "string") else None
            yield self.keys.strip(key), value, int(ttl)

    def delete_if_equal(self, name: str, value: bytes) -> bool:
        """``DEL`` a string key only while it still holds ``value`` (the doctor's repair)."""
        return bool(self._delete_if_equal(keys=[self.keys.physical(name)], args=[value]))
