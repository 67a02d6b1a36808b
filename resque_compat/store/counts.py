"""Counts for the dashboard whose cost on the client does not grow with the data: one script
sums every queue's length and finds the working workers server-side (``Resque.info``'s
``pending``, ``queues``, ``workers``, ``working``), answering a few numbers and at most
``limit`` working worker ids instead of one reply per queue and worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis

from ..protocol.keys import Keys

# KEYS: queues set, workers set. ARGV: queue key prefix, worker key prefix, ids to return.
# A queue or worker key of the wrong type is named in the error (``replies.NAMED``).
_COUNTS = """
local pending, queues = 0, 0
for _, q in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local n = redis.pcall('LLEN', ARGV[1] .. q)
  if type(n) ~= 'number' then return redis.error_reply('WRONGTYPE at key ' .. ARGV[1] .. q) end
  pending = pending + n
  queues = queues + 1
end
local workers, working, ids = 0, 0, {}
local ordered = redis.call('SMEMBERS', KEYS[2])
table.sort(ordered)
for _, w in ipairs(ordered) do
  workers = workers + 1
  local size = redis.pcall('STRLEN', ARGV[2] .. w)
  if type(size) ~= 'number' then return redis.error_reply('WRONGTYPE at key ' .. ARGV[2] .. w) end
  if size > 0 then
    working = working + 1
    if #ids < tonumber(ARGV[3]) then ids[#ids + 1] = w end
  end
end
return {pending, queues, workers, working, ids}
"""


@dataclass(frozen=True, slots=True)
class Counts:
    pending: int
    queues: int
    workers: int
    working: int
    working_ids: list[str]  # the first ``limit`` by id


class CountsAccess:
    """``Resque.info``'s counts in one round trip."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._client = client
        self._counts = client.register_script(_COUNTS)

    def counts(self, limit: int = 20) -> Counts:
        """Pending jobs, queues, workers, working workers (``Resque.working``: a non-empty
        ``worker:<id>``) and the first ``limit`` working ids."""
        pending, queues, workers, working, ids = self._counts(
            keys=[self.keys.queues(), self.keys.workers()],
            args=[self.keys.queue(""), self.keys.worker(""), limit],
        )
        return Counts(int(pending), int(queues), int(workers), int(working), [i.decode() for i in ids])

    def heartbeats(self, worker_ids: list[str]) -> dict[str, bytes]:
        """``HMGET workers:heartbeat`` of just these workers."""
        if not worker_ids:
            return {}
        values = cast("list[bytes | None]", self._client.hmget(self.keys.heartbeats(), worker_ids))
        return {w: v for w, v in zip(worker_ids, values, strict=True) if v is not None}

    def worker_ids(self) -> list[str]:
        """``SMEMBERS workers``, sorted."""
        members = cast("set[bytes]", self._client.smembers(self.keys.workers()))
        return sorted(m.decode("utf-8", "replace") for m in members)
