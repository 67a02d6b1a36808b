"""Failure lists and ``failed_queues`` (``Resque::DataStore::FailedQueueAccess``). Bytes only."""

from __future__ import annotations

import redis

from ..protocol.keys import FAILED, STAT_FAILED, STAT_PROCESSED, Keys
from .replies import bytes_list, optional_bytes, texts
from .typed import bytes_client

# Ruby's "hopefully unique value we can use to delete job": LSET to it, then LREM it once.
REMOVED_SENTINEL = b""

# KEYS[1] the failure list, KEYS[2] worker:<id>; ARGV[1] the value worker:<id> held when read,
# ARGV[2] the record.
_PUSH_RELEASING = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
"""


# KEYS[1] the failure list, KEYS[2] worker:<id>, KEYS[3] stat:failed, KEYS[4] stat:failed:<id>,
# KEYS[5] stat:processed, KEYS[6] stat:processed:<id>. ARGV[1] the SHA-1 of the worker:<id> value
# holding the job, ARGV[2] the record, ARGV[3] '1' to count the failure (Worker#failed!), ARGV[4]
# '1' to push the record (and count it) even when worker:<id> no longer holds that value.
# The record goes first: the first write of a script is the one Redis refuses at maxmemory, and
# once it went in the rest is allowed, so a refusal writes nothing. Counters are pcall'd (a stat
# that is not an integer costs a count, not the settle). Returns 1 settled, 2 pushed without
# settling (the mark was gone), 0 nothing written.
_PUSH_SETTLING = """
local got, value = pcall(redis.call, 'GET', KEYS[2])
local held = got and value and redis.sha1hex(value) == ARGV[1]
if not held and ARGV[4] ~= '1' then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
if held then redis.call('DEL', KEYS[2]) end
if ARGV[3] == '1' then
  redis.pcall('INCRBY', KEYS[3], 1)
  redis.pcall('INCRBY', KEYS[4], 1)
end
if not held then return 2 end
redis.pcall('INCRBY', KEYS[5], 1)
redis.pcall('INCRBY', KEYS[6], 1)
return 1
"""

SETTLED = 1
"""``push_settling``: the record went in with the job's ``done_working``."""
PUSHED = 2
"""``push_settling``: the record went in; the worker no longer held the job."""


class FailedQueueAccess:
    """One owner for ``failed``, ``<queue>_failed`` and ``failed_queues``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys

    def add_failed_queue(self, failed_queue_name: str) -> None:
        """``SADD failed_queues <name>`` (``add_failed_queue``)."""
        self.client.sadd(self.keys.failed_queues(), failed_queue_name)

    def remove_failed_queue(self, failed_queue_name: str = FAILED) -> None:
        """``DEL <name>`` (``remove_failed_queue``)."""
        self.client.delete(self.keys.failed_list(failed_queue_name))

    def num_failed(self, failed_queue_name: str = FAILED) -> int:
        """``LLEN <name>`` (``num_failed``)."""
        return int(self.client.llen(self.keys.failed_list(failed_queue_name)))

    def failed_queue_names(self, from_set: bool = False) -> list[str]:
        """``["failed"]``, or ``SMEMBERS failed_queues`` for the multi-queue layout."""
        if not from_set:
            return [FAILED]
        members = self.client.smembers(self.keys.failed_queues())
        return sorted(texts(members))

    def push_to_failed_queue(self, data: bytes, failed_queue_name: str = FAILED) -> None:
        """``RPUSH <name> <record>`` (``push_to_failed_queue``)."""
        self.client.rpush(self.keys.failed_list(failed_queue_name), data)

    def push_releasing(self, data: bytes, failed_queue_name: str, worker_id: str, held: bytes) -> bool:
        """``RPUSH <name> <record>`` and ``DEL worker:<id>`` in one script, only while
        ``worker:<id>`` still holds ``held``: the record of a job known from ``worker:<id>`` is
        written once, by whichever pruner (or worker) gets there first, and a process killed
        after writing it leaves nothing for the next pruner to record again. ``False`` when the
        key holds something else (another process recorded and released it)."""
        keys = (self.keys.failed_list(failed_queue_name), self.keys.worker(worker_id))
        return bool(self.client.eval(_PUSH_RELEASING, 2, *keys, held, data))

    def push_settling(
        self, data: bytes, failed_queue_name: str, worker_id: str, mark: str, *, count: bool, anyway: bool
    ) -> int:
        """A worker's own failed job in one script: ``RPUSH <name> <record>``, ``INCRBY
        stat:failed`` and ``stat:failed:<id>`` when ``count`` (``Job#fail`` + ``Worker#failed!``),
        and, only while ``worker:<id>`` still holds the value whose SHA-1 is ``mark``, ``DEL
        worker:<id>`` with ``INCRBY stat:processed`` and ``stat:processed:<id>``
        (``Worker#done_working``): Redis never holds both the record and the mark, so a worker
        killed after it leaves no job for a pruner to record again. The same bytes and values as
        Ruby's commands. When the key holds something else: the record (and the counts) go in
        anyway with ``anyway`` (``PUSHED``), else nothing (0). ``SETTLED`` when it settled."""
        keys = (
            self.keys.failed_list(failed_queue_name),
            self.keys.worker(worker_id),
            self.keys.stat(STAT_FAILED),
            self.keys.worker_stat(STAT_FAILED, worker_id),
            self.keys.stat(STAT_PROCESSED),
            self.keys.worker_stat(STAT_PROCESSED, worker_id),
        )
        flags = (b"1" if count else b"0", b"1" if anyway else b"0")
        return int(self.client.eval(_PUSH_SETTLING, len(keys), *keys, mark, data, *flags))

    def clear_failed_queue(self, failed_queue_name: str = FAILED) -> None:
        """``DEL <name>`` (``clear_failed_queue``)."""
        self.client.delete(self.keys.failed_list(failed_queue_name))

    def item(self, index: int, failed_queue_name: str = FAILED) -> bytes | None:
        """``LINDEX <name> <index>``."""
        return optional_bytes(self.client.lindex(self.keys.failed_list(failed_queue_name), index))

    def items(self, start: int, count: int, failed_queue_name: str = FAILED) -> list[bytes]:
        """``LRANGE <name> start start+count-1``."""
        key = self.keys.failed_list(failed_queue_name)
        return list(bytes_list(self.client.lrange(key, start, start + count - 1)))

    def update_item_in_failed_queue(self, index: int, data: bytes, failed_queue_name: str = FAILED) -> None:
        """``LSET <name> <index> <record>`` (``update_item_in_failed_queue``)."""
        self.client.lset(self.keys.failed_list(failed_queue_name), index, data)

    def remove_from_failed_queue(self, index: int, failed_queue_name: str = FAILED) -> None:
        """``LSET <name> <index> ""`` then ``LREM <name> 1 ""`` (``remove_from_failed_queue``)."""
        key = self.keys.failed_list(failed_queue_name)
        pipe = self.client.pipeline(transaction=False)
        pipe.lset(key, index, REMOVED_SENTINEL)
        pipe.lrem(key, 1, REMOVED_SENTINEL)
        pipe.execute()
