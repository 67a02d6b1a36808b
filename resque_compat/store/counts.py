"""Counts for the dashboard whose cost on the client does not grow with the data: one script
sums every queue's length and finds the working workers server-side (``Resque.info``'s
``pending``, ``queues``, ``workers``, ``working``), answering a few numbers and at most
``limit`` working worker ids instead of one reply per queue and worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import redis

from ..protocol.keys import Keys

# KEYS: queues set, workers set. ARGV: queue key prefix, worker key prefix, ids to return.
# A queue or worker key (or the queues set) of the wrong type is left out of the counts and
# named, with its type, in the last element (at most ``SKIPPED`` of them).
_COUNTS = """
local pending, queues, skipped = 0, 0, {}
local function skip(key)
  if #skipped < 2 * tonumber(ARGV[4]) then
    skipped[#skipped + 1] = key
    skipped[#skipped + 1] = redis.call('TYPE', key).ok
  end
end
local names = redis.pcall('SMEMBERS', KEYS[1])
if names.err then
  skip(KEYS[1])
  names = {}
end
for _, q in ipairs(names) do
  local n = redis.pcall('LLEN', ARGV[1] .. q)
  if type(n) == 'number' then pending = pending + n else skip(ARGV[1] .. q) end
  queues = queues + 1
end
local members = redis.call('SMEMBERS', KEYS[2])
local working, busy = 0, {}
for _, w in ipairs(members) do
  local size = redis.pcall('STRLEN', ARGV[2] .. w)
  if type(size) ~= 'number' then
    skip(ARGV[2] .. w)
  elseif size > 0 then
    working = working + 1
    busy[#busy + 1] = w
  end
end
local ids = {}
if tonumber(ARGV[3]) > 0 then
  table.sort(busy)
  for i = 1, math.min(#busy, tonumber(ARGV[3])) do ids[i] = busy[i] end
end
return {pending, queues, #members, working, ids, skipped}
"""
SKIPPED = 10
"""At most this many keys of the wrong type are named by the counting script."""


# KEYS: queues set. ARGV: queue key prefix, how many of the largest queues to return.
_LARGEST = """
local names, sizes, pending = redis.call('SMEMBERS', KEYS[1]), {}, 0
for i, q in ipairs(names) do
  local n = redis.pcall('LLEN', ARGV[1] .. q)
  if type(n) ~= 'number' then return redis.error_reply('WRONGTYPE at key ' .. ARGV[1] .. q) end
  sizes[i] = n
  pending = pending + n
end
local limit = math.min(#names, tonumber(ARGV[2]))
local out = {pending, #names}
if limit == 0 then return out end
local sorted = {}
for i, n in ipairs(sizes) do sorted[i] = n end
table.sort(sorted)
local cut = sorted[#sorted - limit + 1]
local top, ties = {}, {}
for i, q in ipairs(names) do
  if sizes[i] > cut then top[#top + 1] = {q, sizes[i]} elseif sizes[i] == cut then ties[#ties + 1] = q end
end
table.sort(top, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
table.sort(ties)
for _, e in ipairs(top) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2]
end
for i = 1, limit - #top do
  out[#out + 1] = ties[i]
  out[#out + 1] = cut
end
return out
"""


# KEYS: workers set. ARGV: worker key prefix.
_WORKING = """
local busy = {}
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local size = redis.pcall('STRLEN', ARGV[1] .. w)
  if type(size) ~= 'number' then return redis.error_reply('WRONGTYPE at key ' .. ARGV[1] .. w) end
  if size > 0 then busy[#busy + 1] = w end
end
return busy
"""


@dataclass(frozen=True, slots=True)
class Counts:
    pending: int
    queues: int
    workers: int
    working: int
    working_ids: list[str]  # the first ``limit`` by id
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Queue and worker keys of the wrong type (full name, type), left out of the counts."""


class CountsAccess:
    """``Resque.info``'s counts in one round trip."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._client = client
        self._counts = client.register_script(_COUNTS)
        self._largest = client.register_script(_LARGEST)
        self._working = client.register_script(_WORKING)

    def counts(self, limit: int = 20) -> Counts:
        """Pending jobs, queues, workers, working workers (``Resque.working``: a non-empty
        ``worker:<id>``) and the first ``limit`` working ids; a queue or ``worker:<id>`` of the
        wrong type is left out and named in ``skipped``."""
        pending, queues, workers, working, ids, skipped = self._counts(
            keys=[self.keys.queues(), self.keys.workers()],
            args=[self.keys.queue(""), self.keys.worker(""), limit, SKIPPED],
        )
        named = [(_text(skipped[i]), _text(skipped[i + 1])) for i in range(0, len(skipped), 2)]
        return Counts(int(pending), int(queues), int(workers), int(working), [i.decode() for i in ids], named)

    def largest_queues(self, limit: int) -> tuple[int, int, list[tuple[str, int]]]:
        """Pending jobs, queues, and the ``limit`` longest queues with their lengths, longest
        first (ties by name), measured server-side: the reply is ``limit`` pairs however many
        queues there are."""
        flat = self._largest(keys=[self.keys.queues()], args=[self.keys.queue(""), limit])
        pairs = [(flat[i].decode("utf-8", "replace"), int(flat[i + 1])) for i in range(2, len(flat), 2)]
        return int(flat[0]), int(flat[1]), pairs

    def working_ids(self) -> set[str]:
        """Every registered worker whose ``worker:<id>`` is non-empty (``Resque.working``),
        found server-side: no payload crosses the wire."""
        ids = self._working(keys=[self.keys.workers()], args=[self.keys.worker("")])
        return {i.decode("utf-8", "replace") for i in ids}

    def all_heartbeats(self) -> dict[str, bytes]:
        """``HGETALL workers:heartbeat``."""
        raw = cast("dict[bytes, bytes]", self._client.hgetall(self.keys.heartbeats()))
        return {k.decode("utf-8", "replace"): v for k, v in raw.items()}

    def heartbeats(self, worker_ids: list[str]) -> dict[str, bytes]:
        """``HMGET workers:heartbeat`` of just these workers."""
        if not worker_ids:
            return {}
        values = cast("list[bytes | None]", self._client.hmget(self.keys.heartbeats(), worker_ids))
        return {w: v for w, v in zip(worker_ids, values, strict=True) if v is not None}

    def worker_count(self) -> int:
        """``SCARD workers``."""
        return int(self._client.scard(self.keys.workers()))

    def worker_ids(self) -> list[str]:
        """``SMEMBERS workers``, sorted."""
        members = cast("set[bytes]", self._client.smembers(self.keys.workers()))
        return sorted(m.decode("utf-8", "replace") for m in members)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
