"""Redis I/O for the migration tools (inventory, move, doctor, routing). Bytes in, bytes out.

Lists are read in windows (``LRANGE``), never whole. Jobs move with one Lua script per batch,
so each job is, at every instant, in exactly one list: Redis runs a script to the end even if
the client that sent it is killed, and a job is taken out (``LSET`` to a one-off sentinel, then
one ``LREM`` of it) in the same script that pushes it to its destination.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import NoScriptError

from ..protocol.keys import (
    Keys,
    history_glob,
    queue_glob,
    queue_of_key,
    worker_key,
    worker_key_globs,
    worker_keys,
    worker_of_key,
    worker_started_key,
)
from .delayed import DelayedQueueAccess
from .replies import bytes_list, bytes_set, optional_bytes_list

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
    """Windows over lists, atomic batch moves, and the small guarded deletes ``doctor`` repairs with.

    Lists are named by their logical key (``queue:<q>``, ``failed``, ``<q>_failed``: see
    ``protocol.keys``); every other method names the key family it touches.
    """

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._shas: dict[str, str] = {}

    # lists, by logical name
    def list_length(self, logical: str) -> int:
        """``LLEN`` of a queue or failure list."""
        return int(self.client.llen(self.keys.physical(logical)))

    def list_lengths(self, logical: Sequence[str]) -> list[int]:
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.llen(self.keys.physical(name))
        return [int(n) for n in pipe.execute()]

    def window(self, logical: str, start: int, count: int) -> list[bytes]:
        """``LRANGE start start+count-1``."""
        return list(bytes_list(self.client.lrange(self.keys.physical(logical), start, start + count - 1)))

    # resque-scheduler's delayed queue, as one virtual list (timestamp order, then list order)
    def delayed_total(self) -> int:
        """How many delayed jobs (``count_all_scheduled_jobs``)."""
        return DelayedQueueAccess(self.client, self.keys).count_all()

    def delayed_windows(self, batch: int) -> Iterator[list[bytes]]:
        """Every delayed item, ``batch`` at most per window: 100 timestamps of the zset at a time,
        their lists pipelined."""
        delayed = DelayedQueueAccess(self.client, self.keys)
        start = 0
        while members := delayed.schedule_window(start, 100):
            for items in delayed.lists_of(members):
                for i in range(0, len(items), batch):
                    yield items[i : i + batch]
            start += len(members)

    # queues and failure lists
    def queue_names(self) -> list[str]:
        """``SMEMBERS queues``, sorted."""
        return sorted(_text(m) for m in self.client.smembers(self.keys.queues()))

    def queue_key_types(self) -> dict[str, str]:
        """Every ``queue:*`` key by ``SCAN``: queue name -> ``TYPE`` (a list, or not)."""
        found = self._scan(queue_glob())
        types = self._types(found)
        return {str(queue_of_key(k)): t for k, t in zip(found, types, strict=True)}

    def key_types(self, logical: Sequence[str]) -> list[str]:
        """One pipelined ``TYPE`` per key (``none`` for a missing one)."""
        return self._types(logical) if logical else []

    def history_keys(self) -> list[str]:
        """Every ``resque-compat:history:*`` key by ``SCAN`` (logical names)."""
        return self._scan(history_glob())

    def register_queues(self, queues: Sequence[str]) -> int:
        """``SADD queues <q>...``."""
        return int(self.client.sadd(self.keys.queues(), *queues)) if queues else 0

    def failed_queue_names(self) -> list[str]:
        """``SMEMBERS failed_queues`` (the multi-queue failure lists), sorted."""
        return sorted(_text(m) for m in self.client.smembers(self.keys.failed_queues()))

    # workers
    def worker_members(self) -> list[bytes]:
        """``SMEMBERS workers``, sorted, as bytes."""
        return sorted(bytes_set(self.client.smembers(self.keys.workers())))

    def worker_started_values(self, worker_ids: Sequence[str]) -> list[bytes | None]:
        """``MGET worker:<id>:started...``."""
        return self._get_many([worker_started_key(w) for w in worker_ids])

    def worker_payloads(self, worker_ids: Sequence[str]) -> list[bytes | None]:
        """``MGET worker:<id>...``."""
        return self._get_many([worker_key(w) for w in worker_ids])

    def heartbeat_items(self) -> list[tuple[bytes, bytes]]:
        """Every field of ``workers:heartbeat`` by ``HSCAN`` (one per worker)."""
        return list(self.client.hscan_iter(self.keys.heartbeats(), count=1000))

    def worker_leftover_keys(self, registered: set[str]) -> dict[str, list[str]]:
        """Keys of worker ids not in ``registered``: ``worker:<id>[:started]``, ``stat:*:<id>``
        (logical names, by ``SCAN``)."""
        found: dict[str, list[str]] = {}
        for glob in worker_key_globs():
            for key in self._scan(glob):
                wid = worker_of_key(key)
                if wid is not None:
                    found.setdefault(wid, []).append(key)
        return {wid: sorted(keys) for wid, keys in found.items() if wid not in registered}

    def worker_key_values(self, worker_id: str) -> list[tuple[str, bytes]]:
        """The string keys of one worker id (``keys.worker_keys``) that exist, with their values."""
        names = worker_keys(worker_id)
        return [(n, v) for n, v in zip(names, self._get_many(names), strict=True) if v is not None]

    def remove_worker_member(self, worker_id: str) -> int:
        """``SREM workers <id>``."""
        return int(self.client.srem(self.keys.workers(), worker_id.encode()))

    def delete_worker_keys_if_unregistered(self, worker_id: str) -> int:
        """Delete a worker's string keys unless the id is (again) in ``workers``; -1 if it is."""
        keys = [self.keys.workers(), *(self.keys.physical(k) for k in worker_keys(worker_id))]
        return int(self._script(_DELETE_IF_UNREGISTERED, keys, [worker_id]))

    def hdel_heartbeat_if_equal(self, field: bytes, seen: bytes) -> bool:
        """``HDEL workers:heartbeat <field>`` only if it still holds the value inspected."""
        return bool(self._script(_HDEL_IF_EQUAL, [self.keys.heartbeats()], [field, seen]))

    def server_time(self) -> tuple[int, int]:
        """``TIME``: the Redis clock, which Resque judges heartbeats by."""
        seconds, micros = self.client.time()
        return int(seconds), int(micros)

    # resque-compat's own keys
    def route_items(self) -> dict[bytes, bytes]:
        """Every field of ``resque-compat:routes`` by ``HSCAN``."""
        return dict(self.client.hscan_iter(self.keys.routes(), count=1000))

    def set_route(self, job_class: str, value: bytes) -> None:
        """``HSET resque-compat:routes <class> <route>``."""
        self.client.hset(self.keys.routes(), job_class, value)

    def delete_route(self, job_class: str) -> bool:
        """``HDEL resque-compat:routes <class>``; whether it was there."""
        return bool(self.client.hdel(self.keys.routes(), job_class))

    def keep_removed(self, values: Sequence[bytes]) -> None:
        """``RPUSH resque-compat:removed``: the doctor's copies of what it removes."""
        if values:
            self.client.rpush(self.keys.removed(), *values)

    # moving
    def move_to_queue(
        self, source: str, queue: str, transfers: Sequence[Transfer], sentinel: bytes
    ) -> list[bool]:
        """Move transfers from list ``source`` to ``queue:<queue>`` (``SADD queues`` if any moved)."""
        return self._move(source, self.keys.queue(queue), transfers, sentinel, self.keys.queues(), queue)

    def move_to_failed(
        self,
        source: str,
        failed_queue: str,
        transfers: Sequence[Transfer],
        sentinel: bytes,
        *,
        register: bool,
    ) -> list[bool]:
        """Move transfers to a failure list; with ``register`` its name joins ``failed_queues``."""
        member = failed_queue if register else ""
        return self._move(
            source,
            self.keys.failed_list(failed_queue),
            transfers,
            sentinel,
            self.keys.failed_queues(),
            member,
        )

    def move_to_removed(self, source: str, transfers: Sequence[Transfer], sentinel: bytes) -> list[bool]:
        """Move transfers to ``resque-compat:removed`` (the doctor's copy list)."""
        return self._move(source, self.keys.removed(), transfers, sentinel, self.keys.queues(), "")

    def _move(
        self,
        source: str,
        destination: str,
        transfers: Sequence[Transfer],
        sentinel: bytes,
        register_set: str,
        member: str,
    ) -> list[bool]:
        """One script: each transfer from logical list ``source`` to physical ``destination``;
        ``member`` ('' for none) is added to ``register_set`` when anything moved. Returns, per
        transfer, whether it was found and moved."""
        if not transfers:
            return []
        argv: list[Any] = [member, sentinel]
        for t in transfers:
            argv += [t.index, t.expected, t.out]
        keys = [self.keys.physical(source), destination, register_set]
        flags = self._script(_MOVE, keys, argv)
        return [bool(f) for f in flags]

    def _scan(self, logical_glob: str) -> list[str]:
        found = self.client.scan_iter(match=self.keys.pattern(logical_glob), count=1000)
        return sorted({self.keys.strip(_text(k)) for k in found})

    def _types(self, logical: Sequence[str]) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        for name in logical:
            pipe.type(self.keys.physical(name))
        return [_text(t) for t in pipe.execute()]

    def _get_many(self, logical: Sequence[str]) -> list[bytes | None]:
        if not logical:
            return []
        return list(optional_bytes_list(self.client.mget([self.keys.physical(n) for n in logical])))

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


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
