"""The worker registry: ``workers``, ``worker:<id>``, ``worker:<id>:started``,
``workers:heartbeat``, the pruning lock and ``pause-all-workers``
(``Resque::DataStore::Workers``). Bytes in, bytes out; callers format values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import redis

from ..protocol.keys import STAT_FAILED, STAT_PROCESSED, Keys
from .replies import bytes_map, bytes_set, optional_bytes, optional_bytes_list

# KEYS[1] worker:<id>, KEYS[2] resque-compat:unregistering:<id>; ARGV[1] the value worker:<id>
# held when read, ARGV[2] the claimer's id, ARGV[3] the claim's expiry in seconds.
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return 1 end
return -1
"""
# KEYS[1] resque-compat:unregistering:<id>; ARGV[1] the claimer's id.
_UNCLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
CLAIMED = 1
"""``claim_held``: this process fails the job."""
TAKEN = -1
"""``claim_held``: another process is failing it (its claim has not expired)."""


class WorkerRegistry:
    """One owner for the worker key family; each method mirrors one ``DataStore::Workers`` method."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    # read side
    def worker_ids(self) -> list[str]:
        """``SMEMBERS workers``."""
        members = bytes_set(self.client.smembers(self.keys.workers()))
        return sorted(m.decode("utf-8", "replace") for m in members)

    def workers_map(self, worker_ids: Sequence[str]) -> dict[str, bytes | None]:
        """``MGET worker:<id>...``: each id's working-on payload, ``None`` when idle (``workers_map``)."""
        if not worker_ids:
            return {}
        values = self.client.mget([self.keys.worker(w) for w in worker_ids])
        return dict(zip(worker_ids, optional_bytes_list(values), strict=True))

    def get_worker_payload(self, worker_id: str) -> bytes | None:
        """``GET worker:<id>`` (``get_worker_payload``)."""
        return optional_bytes(self.client.get(self.keys.worker(worker_id)))

    def worker_exists(self, worker_id: str) -> bool:
        """``SISMEMBER workers <id>`` (``worker_exists?``)."""
        return bool(self.client.sismember(self.keys.workers(), worker_id))

    def worker_start_time(self, worker_id: str) -> bytes | None:
        """``GET worker:<id>:started`` (``worker_start_time``)."""
        return optional_bytes(self.client.get(self.keys.worker_started(worker_id)))

    def heartbeat(self, worker_id: str) -> bytes | None:
        """``HGET workers:heartbeat <id>`` (``heartbeat``, unparsed)."""
        return optional_bytes(self.client.hget(self.keys.heartbeats(), worker_id))

    def all_heartbeats(self) -> dict[str, bytes]:
        """``HGETALL workers:heartbeat`` (``all_heartbeats``)."""
        raw = bytes_map(self.client.hgetall(self.keys.heartbeats()))
        return {k.decode("utf-8", "replace"): v for k, v in raw.items()}

    def worker_stats(self, worker_id: str) -> tuple[bytes | None, bytes | None]:
        """``GET stat:processed:<id>`` and ``GET stat:failed:<id>`` in one round trip."""
        keys = [
            self.keys.worker_stat(STAT_PROCESSED, worker_id),
            self.keys.worker_stat(STAT_FAILED, worker_id),
        ]
        values = cast("list[bytes | None]", self.client.mget(keys))
        return values[0], values[1]

    def server_time(self) -> tuple[int, int]:
        """``TIME``: seconds and microseconds of the Redis server clock (``server_time``)."""
        seconds, micros = self.client.time()
        return int(seconds), int(micros)

    def pause_all_value(self) -> bytes | None:
        """``GET pause-all-workers``."""
        return optional_bytes(self.client.get(self.keys.pause_all()))

    # write side
    def register_worker(self, worker_id: str, started: str) -> None:
        """``SADD workers <id>`` and ``SET worker:<id>:started``, pipelined (``register_worker``)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.sadd(self.keys.workers(), worker_id)
        pipe.set(self.keys.worker_started(worker_id), started)
        pipe.execute()

    def unregister_worker(self, worker_id: str) -> None:
        """The pipelined cleanup of ``Worker#unregister_worker``: registry, payload, start time,
        heartbeat and the per-worker stats."""
        pipe = self.client.pipeline(transaction=False)
        pipe.srem(self.keys.workers(), worker_id)
        pipe.delete(self.keys.worker(worker_id))
        pipe.delete(self.keys.worker_started(worker_id))
        pipe.hdel(self.keys.heartbeats(), worker_id)
        pipe.delete(self.keys.worker_stat(STAT_PROCESSED, worker_id))
        pipe.delete(self.keys.worker_stat(STAT_FAILED, worker_id))
        pipe.execute()

    def set_worker_payload(self, worker_id: str, data: bytes) -> None:
        """``SET worker:<id> <working-on JSON>`` (``set_worker_payload``)."""
        self.client.set(self.keys.worker(worker_id), data)

    def heartbeat_now(self, worker_id: str, value: str) -> None:
        """``HSET workers:heartbeat <id> <time>`` (``heartbeat!``)."""
        self.client.hset(self.keys.heartbeats(), worker_id, value)

    def remove_heartbeat(self, worker_id: str) -> None:
        """``HDEL workers:heartbeat <id>`` (``remove_heartbeat``)."""
        self.client.hdel(self.keys.heartbeats(), worker_id)

    def acquire_pruning_lock(self, worker_id: str, expiry: int) -> bool:
        """``SET pruning_dead_workers_in_progress <id> EX <expiry> NX``; never released (Ruby)."""
        return bool(self.client.set(self.keys.pruning_lock(), worker_id, ex=expiry, nx=True))

    def done_working(self, worker_id: str) -> None:
        """``DEL worker:<id>`` plus ``INCRBY stat:processed`` (global and per worker), pipelined
        (``worker_done_working`` with the stat block of ``Worker#done_working``)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self.keys.worker(worker_id))
        pipe.incrby(self.keys.stat(STAT_PROCESSED), 1)
        pipe.incrby(self.keys.worker_stat(STAT_PROCESSED, worker_id), 1)
        pipe.execute()

    def increment_failed(self, worker_id: str) -> None:
        """``INCRBY stat:failed 1`` and ``INCRBY stat:failed:<id> 1`` (``Worker#failed!``)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.incrby(self.keys.stat(STAT_FAILED), 1)
        pipe.incrby(self.keys.worker_stat(STAT_FAILED, worker_id), 1)
        pipe.execute()

    def claim_held(self, worker_id: str, held: bytes, claimer: str, seconds: int) -> int:
        """Claim the job ``worker:<id>`` holds for failing it, in one script: ``SET
        resque-compat:unregistering:<id> <claimer> NX EX <seconds>`` only while ``worker:<id>``
        still holds ``held``. ``CLAIMED``; ``TAKEN`` when another process holds the claim; 0
        when the key holds something else (another process recorded the job and released it)."""
        keys = (self.keys.worker(worker_id), self.keys.unregistering(worker_id))
        return int(self.client.eval(_CLAIM, 2, *keys, held, claimer, seconds))

    def release_claim(self, worker_id: str, claimer: str) -> None:
        """``DEL resque-compat:unregistering:<id>`` while it is still ``claimer``'s."""
        self.client.eval(_UNCLAIM, 1, self.keys.unregistering(worker_id), claimer)

    def pipeline(self) -> Any:
        """A non-transactional pipeline on this registry's client, for merged bookkeeping."""
        return self.client.pipeline(transaction=False)
