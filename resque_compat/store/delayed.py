"""resque-scheduler's delayed queue: ``delayed_queue_schedule``, ``delayed:<ts>`` lists and
``timestamps:<item>`` sets (``Resque::Scheduler::DelayingExtensions``), written and moved: the
pushes, removals, the scheduler's batch and doctor's repairs; the readers are
``DelayedQueueReads`` (``delayed_reads.py``), which ``DelayedQueueAccess`` extends. Bytes in,
bytes out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from ..protocol.keys import Keys, delayed_key
from .delayed_reads import DelayedQueueReads
from .sender import CommandSender
from .typed import watching


@dataclass(slots=True)
class Batch:
    """What one ``move_batch`` did: the items it read, and whether its transaction ran."""

    items: list[bytes] = field(default_factory=list)
    committed: bool = False


@dataclass(frozen=True, slots=True)
class Enqueue:
    """One job a delayed item becomes: the queue and the payload bytes ``Job.create`` pushes."""

    queue: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Unmovable:
    """A delayed item that cannot become a job; kept, raw, on the unmovable list."""

    raw: bytes


Plan = Enqueue | Unmovable | None
"""What to do with one item: enqueue it, keep it aside, or (``None``, a vetoing hook) drop it."""


# replace_item: KEYS delayed:<ts>, timestamps:<old>, timestamps:<new>; ARGV index, old, new, member
_REPLACE = """
if redis.call('LINDEX', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SREM', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[4])
return 1
"""


class DelayedQueueAccess(DelayedQueueReads):
    """One owner for the delayed-queue keys; each method names the Ruby method it mirrors."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        super().__init__(client, keys)
        self.sender = CommandSender(client)
        self._replace = self.client.register_script(_REPLACE)

    # writing
    def delayed_push(self, timestamp: int, item: bytes) -> None:
        """``delayed_push``: ``RPUSH delayed:<ts>``, ``SADD timestamps:<item> delayed:<ts>``,
        ``ZADD delayed_queue_schedule <ts> <ts>``, in Ruby's order, sent in one write."""
        ts = int(timestamp)
        self.sender.send(
            (
                ("RPUSH", self.keys.delayed(ts), item),
                ("SADD", self.keys.timestamps(item), delayed_key(ts)),
                ("ZADD", self.keys.delayed_queue_schedule(), ts, ts),
            )
        )

    def delayed_push_many(self, entries: Iterable[tuple[int, bytes]]) -> int:
        """Many ``delayed_push`` in one pipeline (no transaction, as Ruby's are separate calls)."""
        pipe = self.client.pipeline(transaction=False)
        n = 0
        for ts, item in entries:
            pipe.rpush(self.keys.delayed(ts), item)
            pipe.sadd(self.keys.timestamps(item), delayed_key(ts))
            pipe.zadd(self.keys.delayed_queue_schedule(), {str(int(ts)): int(ts)})
            n += 1
        if n:
            pipe.execute()
        return n

    # removing
    def remove_item(self, item: bytes) -> int:
        """``remove_delayed_job``: ``LREM`` the exact bytes from each list ``timestamps:<item>``
        names and ``SREM`` it there; the zset is left for the scheduler to clean up, as Ruby does."""
        members = self.client.smembers(self.keys.timestamps(item))
        if not members:
            return 0
        pipe = self.client.pipeline(transaction=False)
        tkey = self.keys.timestamps(item)
        for member in sorted(members):
            pipe.lrem(self.keys.physical_bytes(member), 0, item)
            pipe.srem(tkey, member)
        replies = pipe.execute()
        return sum(int(n) for n in replies[0::2])

    def remove_from_timestamp(self, timestamp: int, item: bytes) -> int:
        """``remove_delayed_job_from_timestamp``: ``SREM``, ``LREM``, then ``clean_up_timestamp``."""
        key = self.keys.delayed(timestamp)
        self.client.srem(self.keys.timestamps(item), delayed_key(timestamp))
        count = int(self.client.lrem(key, 0, item))
        self.clean_up_timestamp(timestamp)
        return count

    def clean_up_timestamp(self, timestamp: int) -> bool:
        """``clean_up_timestamp``: under ``WATCH delayed:<ts>``, if the list is empty, ``DEL`` it
        and ``ZREM`` the timestamp in one transaction. True when it was removed."""
        key = self.keys.delayed(timestamp)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                now = watching(pipe, key)
                if now.llen(key) != 0:
                    now.unwatch()
                    return False
                pipe.multi()
                pipe.delete(key)
                pipe.zrem(self.keys.delayed_queue_schedule(), int(timestamp))
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def forget_timestamp(self, member: bytes) -> None:
        """``ZREM`` a schedule member that names no readable second (bad input), raw bytes."""
        self.client.zrem(self.keys.delayed_queue_schedule(), member)

    def reset(self) -> None:
        """``reset_delayed_queue``: every listed ``delayed:<ts>`` with its items' ``timestamps:``
        sets, then the zset."""
        for member in self.all_timestamps():
            key = self.keys.delayed_member(member)
            items = self.client.lrange(key, 0, -1)
            self.client.delete(key, *(self.keys.timestamps(i) for i in items))
        self.client.delete(self.keys.delayed_queue_schedule())

    # the scheduler's batch
    def move_batch(self, timestamp: int, batch_size: int, plan: Callable[[bytes], Plan]) -> Batch:
        """``enqueue_items_in_batch_for_timestamp``: under ``WATCH delayed:<ts>``, read up to
        ``batch_size`` items and, in one ``MULTI``, ``SREM`` each from its ``timestamps:`` set,
        push each job (``SADD queues`` + ``RPUSH queue:<q>``) and ``LTRIM`` the batch off.

        A job is enqueued exactly when its item leaves the list. If the list changed meanwhile
        (or the connection dropped before ``EXEC``), nothing happened and ``committed`` is False.
        An item ``plan`` cannot turn into a job is moved to ``delayed:unmovable``, raw.
        """
        key = self.keys.delayed(timestamp)
        member = delayed_key(timestamp)
        batch = Batch()
        with self.client.pipeline(transaction=True) as pipe:
            try:
                batch.items = watching(pipe, key).lrange(key, 0, batch_size - 1)
                plans = [plan(item) for item in batch.items]
                pipe.multi()
                for item, what in zip(batch.items, plans, strict=True):
                    pipe.srem(self.keys.timestamps(item), member)
                    if isinstance(what, Enqueue):
                        pipe.sadd(self.keys.queues(), what.queue)
                        pipe.rpush(self.keys.queue(what.queue), what.payload)
                    elif isinstance(what, Unmovable):
                        pipe.rpush(self.keys.scheduler_unmovable(), what.raw)
                pipe.ltrim(key, batch_size, -1)
                pipe.execute()
                batch.committed = True
            except redis.WatchError:
                batch.committed = False
        return batch

    def quarantine_member(self, member: bytes) -> int:
        """A ``delayed_queue_schedule`` member that is not an integer: its list's items (if any)
        go raw to ``delayed:unmovable``, then the list and the member are removed, in one
        transaction. Returns how many items were kept aside."""
        key = self.keys.delayed_member(member)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    items = watching(pipe, key).lrange(key, 0, -1)
                    pipe.multi()
                    if items:
                        pipe.rpush(self.keys.scheduler_unmovable(), *items)
                    pipe.delete(key)
                    pipe.zrem(self.keys.delayed_queue_schedule(), member)
                    pipe.execute()
                    return len(items)
                except redis.WatchError:
                    continue

    # doctor
    def set_aside_item(self, timestamp: int, item: bytes) -> bool:
        """One item out of ``delayed:<ts>`` (exact bytes), raw onto the unmovable list, and out
        of its ``timestamps:`` set, in one transaction; False when it was gone already."""
        key = self.keys.delayed(timestamp)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                now = watching(pipe, key)
                if now.execute_command("LPOS", key, item) is None:
                    now.unwatch()
                    return False
                pipe.multi()
                pipe.lrem(key, 1, item)
                pipe.srem(self.keys.timestamps(item), delayed_key(timestamp))
                pipe.rpush(self.keys.scheduler_unmovable(), item)
                pipe.execute()
            except redis.WatchError:
                return False
        self.clean_up_timestamp(timestamp)
        return True

    def drop_stale_timestamp(self, item: bytes, member: bytes) -> bool:
        """``SREM timestamps:<item> <member>`` while the list still lacks the item."""
        key = self.keys.physical_bytes(member)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                now = watching(pipe, key)
                if now.execute_command("LPOS", key, item) is not None:
                    now.unwatch()
                    return False
                pipe.multi()
                pipe.srem(self.keys.timestamps(item), member)
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def replace_item(self, timestamp: int, index: int, old: bytes, new: bytes) -> bool:
        """In one script: if ``delayed:<ts>[index]`` still holds ``old``, ``LSET`` it to ``new``
        and move its ``delayed:<ts>`` entry from ``timestamps:<old>`` to ``timestamps:<new>``."""
        found = self._replace(
            keys=[self.keys.delayed(timestamp), self.keys.timestamps(old), self.keys.timestamps(new)],
            args=[index, old, new, delayed_key(timestamp)],
        )
        return int(found) == 1

    # last enqueued
    def set_last_enqueued_at(self, name: str, when: str) -> None:
        """``last_enqueued_at``: ``HSET delayed:last_enqueued_at <name> <time>``."""
        self.client.hset(self.keys.delayed_last_enqueued_at(), name, when)
