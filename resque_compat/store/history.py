"""The dashboard's sampled history (``resque-compat:history:<step>``, see ``protocol.history``):
add a sample to a bucket only if the bucket has none yet, trimming to the kept number, in one
script so that any number of samplers agree; read a window of buckets."""

from __future__ import annotations

import redis

from ..protocol.keys import STAT_FAILED, STAT_PROCESSED, Keys
from .replies import bytes_list

# KEYS[1]: the sorted set; ARGV: bucket, sample, buckets kept.
_ADD_ONCE = """
local bucket = tonumber(ARGV[1])
if redis.call('ZCOUNT', KEYS[1], bucket, bucket) > 0 then return 0 end
redis.call('ZADD', KEYS[1], bucket, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (bucket - tonumber(ARGV[3]) + 1))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
return 1
"""


class HistoryAccess:
    """One owner for ``resque-compat:history:*``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._add_once = client.register_script(_ADD_ONCE)

    def server_seconds(self) -> int:
        """``TIME``: samplers bucket by the server's clock, so their clocks need not agree."""
        seconds, _ = self.client.time()
        return int(seconds)

    def has(self, step: int, bucket: int) -> bool:
        return int(self.client.zcount(self.keys.history(step), bucket, bucket)) > 0

    def add_once(self, step: int, bucket: int, sample: bytes, keep: int) -> bool:
        """Store ``sample`` as bucket ``bucket`` unless one is there; ``True`` when stored."""
        return bool(self._add_once(keys=[self.keys.history(step)], args=[bucket, sample, keep]))

    def window(self, step: int, first: int, last: int) -> list[bytes]:
        """The samples of buckets ``first..last``."""
        return list(bytes_list(self.client.zrangebyscore(self.keys.history(step), first, last)))

    def totals(self) -> tuple[bytes | None, bytes | None, list[str]]:
        """``stat:processed``, ``stat:failed`` and the queue names, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self.keys.stat(STAT_PROCESSED))
        pipe.get(self.keys.stat(STAT_FAILED))
        pipe.smembers(self.keys.queues())
        processed, failed, names = pipe.execute()
        return processed, failed, sorted(n.decode("utf-8", "replace") for n in names)
