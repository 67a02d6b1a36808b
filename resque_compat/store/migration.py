"""Redis I/O for the migration tools (inventory, move, doctor, routing). Bytes in, bytes out.

Lists are read in windows (``LRANGE``), never whole. Jobs move with one Lua script per batch,
so each job is, at every instant, in exactly one list: Redis runs a script to the end even if
the client that sent it is killed, and a job is taken out (``LSET`` to a one-off sentinel, then
one ``LREM`` of it) in the same script that pushes it to its destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import NoScriptError

from ..protocol.keys import Keys

# KEYS[1] source list, KEYS[2] destination list, KEYS[3] a set naming the destination
# (`queues`, or `failed_queues` for a multi-queue failure list).
# ARGV[1] the member to SADD to that set ('' for none), ARGV[2] sentinel, then triples
# (index, expected bytes, bytes to push), indexes ascending. An entry is taken from its index
# when it is still there. Otherwise workers have popped from the head since the scan: every
# later entry moved towards the head by the same amount, so the entry is looked for from the
# head up to its old index (LPOS ... MAXLEN), and the shift found is tried first for the rest
# of the batch. An entry that is gone (a worker took it) is skipped. Returns a 1/0 per triple.
_MOVE = """
local src, dst = KEYS[1], KEYS[2]
local sentinel = ARGV[2]
local flags, out = {}, {}
local shift = 0
local lowest, highest = nil, 0
for i = 3, #ARGV, 3 do
  local index, expected = tonumber(ARGV[i]), ARGV[i + 1]
  local at = nil
  if index - shift >= 0 and redis.call('LINDEX', src, index - shift) == expected then
    at = index - shift
  else
    local ok, pos = pcall(redis.call, 'LPOS', src, expected, 'MAXLEN', index + 1)
    if ok and pos then
      at = pos
      shift = index - pos
    end
  end
  if at then
    redis.call('LSET', src, at, sentinel)
    if lowest == nil or at < lowest then lowest = at end
    if at > highest then highest = at end
    out[#out + 1] = ARGV[i + 2]
    flags[#flags + 1] = 1
  else
    flags[#flags + 1] = 0
  end
end
if #out > 0 then
  -- LREM scans from one end until it has removed them all: start from the nearer end.
  if redis.call('LLEN', src) - lowest < highest then
    redis.call('LREM', src, -#out, sentinel)
  else
    redis.call('LREM', src, #out, sentinel)
  end
  for i = 1, #out, 500 do
    redis.call('RPUSH', dst, unpack(out, i, math.min(i + 499, #out)))
  end
  if ARGV[1] ~= '' then redis.call('SADD', KEYS[3], ARGV[1]) end
end
return flags
"""

# KEYS[1] the `workers` set, KEYS[2..] keys of one worker id to delete.
# ARGV[1] the worker id. Deletes only while the id is not registered (a worker starting
# meanwhile keeps its keys). Returns the number of keys deleted, or -1 when registered.
_DELETE_IF_UNREGISTERED = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return -1 end
if #KEYS < 2 then return 0 end
return redis.call('DEL', unpack(KEYS, 2))
"""

# KEYS[1] workers:heartbeat, ARGV[1] field, ARGV[2] the value seen. HDEL only if unchanged.
_HDEL_IF_EQUAL = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Transfer:
    """One job to move: where it was seen, its exact bytes there, and the bytes to push."""

    index: int
    expected: bytes
    out: bytes


class MigrationAccess:
    """Windows over lists, atomic batch moves, and the small guarded deletes ``doctor`` repairs with."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._shas: dict[str, str] = {}

    # reading
    def list_length(self, logical: str) -> int:
        """``LLEN`` of any list of the namespace."""
        return int(self.client.llen(self.keys.key(logical)))  # type: ignore[arg-type]

    def list_lengths(self, logical: Sequence[str]) -> list[int]:
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.llen(self.keys.key(name))
        return [int(n) for n in pipe.execute()]

    def window(self, logical: str, start: int, count: int) -> list[bytes]:
        """``LRANGE start start+count-1``."""
        return list(self.client.lrange(self.keys.key(logical), start, start + count - 1))  # type: ignore[arg-type]

    def scan_names(self, logical_pattern: str) -> list[str]:
        """Logical names of the keys matching a glob on logical names, by ``SCAN``."""
        prefix = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in self.keys.prefix)
        pattern = prefix + logical_pattern
        found = self.client.scan_iter(match=pattern, count=1000)
        return sorted({self.keys.strip(k.decode("utf-8", "replace")) for k in found})

    def key_types(self, logical: Sequence[str]) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.type(self.keys.key(name))
        return [t.decode() if isinstance(t, bytes) else str(t) for t in pipe.execute()]

    def set_members(self, logical: str) -> list[bytes]:
        return sorted(self.client.smembers(self.keys.key(logical)))  # type: ignore[arg-type]

    def hash_items(self, logical: str) -> list[tuple[bytes, bytes]]:
        """Every field of a hash, by ``HSCAN`` (heartbeats: one field per worker)."""
        return list(self.client.hscan_iter(self.keys.key(logical), count=1000))

    def get_many(self, logical: Sequence[str]) -> list[bytes | None]:
        if not logical:
            return []
        return list(self.client.mget([self.keys.key(n) for n in logical]))  # type: ignore[arg-type]

    # writing
    def move(
        self,
        source: str,
        destination: str,
        transfers: Sequence[Transfer],
        sentinel: bytes,
        register: tuple[str, str] | None = None,
    ) -> list[bool]:
        """Move each transfer from list ``source`` to list ``destination`` (logical names) in one
        script; ``register`` is a ``(set, member)`` to add when anything moved (a queue to
        ``queues``). Returns, per transfer, whether it was found and moved."""
        if not transfers:
            return []
        register_set, member = register if register else ("queues", "")
        argv: list[Any] = [member, sentinel]
        for t in transfers:
            argv += [t.index, t.expected, t.out]
        keys = [self.keys.key(source), self.keys.key(destination), self.keys.key(register_set)]
        flags = self._script(_MOVE, keys, argv)
        return [bool(f) for f in flags]

    def server_time(self) -> tuple[int, int]:
        """``TIME``: the Redis clock, which Resque judges heartbeats by."""
        seconds, micros = self.client.time()  # type: ignore[misc]
        return int(seconds), int(micros)

    def push(self, logical: str, values: Sequence[bytes]) -> None:
        """``RPUSH`` to any list of the namespace (the doctor's copies of what it removes)."""
        if values:
            self.client.rpush(self.keys.key(logical), *values)

    def hash_set(self, logical: str, field: str, value: bytes) -> None:
        """``HSET`` (the routing table)."""
        self.client.hset(self.keys.key(logical), field, value)  # type: ignore[arg-type]

    def hash_delete(self, logical: str, field: str) -> bool:
        """``HDEL``; whether the field was there."""
        return bool(self.client.hdel(self.keys.key(logical), field))

    def add_to_set(self, logical: str, members: Sequence[str]) -> int:
        return int(self.client.sadd(self.keys.key(logical), *members)) if members else 0  # type: ignore[arg-type]

    def delete_if_unregistered(self, worker_id: str, logical_keys: Sequence[str]) -> int:
        """Delete a worker's leftover keys unless the id is (again) in ``workers``; -1 if it is."""
        keys = [self.keys.workers(), *(self.keys.key(k) for k in logical_keys)]
        return int(self._script(_DELETE_IF_UNREGISTERED, keys, [worker_id]))

    def remove_from_set(self, logical: str, member: bytes) -> int:
        return int(self.client.srem(self.keys.key(logical), member))  # type: ignore[arg-type]

    def hdel_if_equal(self, logical: str, field: bytes, seen: bytes) -> bool:
        """``HDEL`` a field only if it still holds the value that was inspected."""
        return bool(self._script(_HDEL_IF_EQUAL, [self.keys.key(logical)], [field, seen]))

    def _script(self, source: str, keys: Sequence[str], argv: Sequence[Any]) -> Any:
        sha = self._shas.get(source)
        if sha is None:
            sha = str(self.client.script_load(source))
            self._shas[source] = sha
        try:
            return self.client.evalsha(sha, len(keys), *keys, *argv)
        except NoScriptError:  # the server restarted or SCRIPT FLUSH ran: load it again
            self._shas.pop(source, None)
            return self.client.eval(source, len(keys), *keys, *argv)
