"""Failure lists and ``failed_queues`` (``Resque::DataStore::FailedQueueAccess``). Bytes only."""

from __future__ import annotations

import redis

from ..protocol.keys import FAILED, Keys
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
