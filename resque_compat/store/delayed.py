"""resque-scheduler's delayed queue: ``delayed_queue_schedule``, ``delayed:<ts>`` lists and
``timestamps:<item>`` sets (``Resque::Scheduler::DelayingExtensions``). Bytes in, bytes out."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import redis

from ..protocol.keys import Keys, delayed_key
from .connection import CommandSender
from .typed import bytes_client, watching

# find_delayed_selection reads lists in groups of 100 ("beyond 100 there's almost no improvement").
_LIST_GROUP = 100


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


class DelayedQueueAccess:
    """One owner for the delayed-queue keys; each method names the Ruby method it mirrors."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys
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

    # reading
    def schedule_window(self, start: int, count: int) -> list[bytes]:
        """``ZRANGE delayed_queue_schedule start start+count-1`` (``delayed_queue_peek``)."""
        if count <= 0:
            return []
        return self.client.zrange(self.keys.delayed_queue_schedule(), start, start + count - 1)

    def schedule_page(self, start: int, count: int) -> tuple[list[bytes], list[int], int]:
        """One page of the Delayed tab: ``ZRANGE delayed_queue_schedule start start+count-1`` and
        ``ZCARD`` in one round trip, then one pipelined ``LLEN delayed:<member>`` per member
        shown. ``(members, sizes, total)``: two round trips whatever the schedule's size."""
        schedule = self.keys.delayed_queue_schedule()
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(schedule, start, start + max(0, count) - 1)
        pipe.zcard(schedule)
        members, total = pipe.execute() if count > 0 else ([], self.client.zcard(schedule))
        if not members:
            return [], [], int(total)
        pipe = self.client.pipeline(transaction=False)
        for member in members:
            pipe.llen(self.keys.delayed_member(member))
        return list(members), [int(n) for n in pipe.execute()], int(total)

    def all_timestamps(self) -> list[bytes]:
        """``ZRANGE delayed_queue_schedule 0 -1``."""
        return self.client.zrange(self.keys.delayed_queue_schedule(), 0, -1)

    def schedule_size(self) -> int:
        """``ZCARD delayed_queue_schedule`` (``delayed_queue_schedule_size``)."""
        return int(self.client.zcard(self.keys.delayed_queue_schedule()))

    def timestamp_size(self, timestamp: int) -> int:
        """``LLEN delayed:<ts>`` (``delayed_timestamp_size``)."""
        return int(self.client.llen(self.keys.delayed(timestamp)))

    def timestamp_sizes(self, timestamps: Sequence[int]) -> list[int]:
        """``LLEN`` of each ``delayed:<ts>`` in one pipeline."""
        pipe = self.client.pipeline(transaction=False)
        for ts in timestamps:
            pipe.llen(self.keys.delayed(ts))
        return [int(n) for n in pipe.execute()]

    def timestamp_window(self, timestamp: int, start: int, count: int) -> tuple[list[bytes], int]:
        """``LRANGE delayed:<ts> start start+count-1`` and ``LLEN`` in one round trip."""
        key = self.keys.delayed(timestamp)
        pipe = self.client.pipeline(transaction=False)
        pipe.lrange(key, start, start + max(1, count) - 1)
        pipe.llen(key)
        items, total = pipe.execute()
        return list(items), int(total)

    def timestamp_items(self, timestamp: int, start: int = 0, count: int = -1) -> list[bytes]:
        """``LRANGE delayed:<ts> start start+count-1`` (``delayed_timestamp_peek``); all for -1."""
        stop = -1 if count < 0 else start + count - 1
        return self.client.lrange(self.keys.delayed(timestamp), start, stop)

    def list_types(self, timestamps: Sequence[bytes]) -> list[str]:
        """One pipelined ``TYPE delayed:<member>`` per member (``list``, ``none`` or another)."""
        pipe = self.client.pipeline(transaction=False)
        for member in timestamps:
            pipe.type(self.keys.delayed_member(member))
        return [t.decode() if isinstance(t, bytes) else str(t) for t in pipe.execute()] if timestamps else []

    def lists_of(self, timestamps: Sequence[bytes]) -> list[list[bytes]]:
        """Every item of each ``delayed:<member>``, pipelined 100 lists at a time
        (``find_delayed_selection``)."""
        out: list[list[bytes]] = []
        for i in range(0, len(timestamps), _LIST_GROUP):
            pipe = self.client.pipeline(transaction=False)
            for member in timestamps[i : i + _LIST_GROUP]:
                pipe.lrange(self.keys.delayed_member(member), 0, -1)
            out.extend(list(r) for r in pipe.execute())
        return out

    def schedule_from(self, score: int | None, count: int) -> tuple[list[tuple[bytes, int]], list[int]]:
        """``ZRANGEBYSCORE delayed_queue_schedule <score> +inf WITHSCORES LIMIT 0 <count>`` (from
        the start when ``score`` is ``None``), then one pipelined ``LLEN`` per member:
        ``([(member, timestamp)], sizes)`` in two round trips."""
        low = "-inf" if score is None else score
        found = self.client.zrangebyscore(
            self.keys.delayed_queue_schedule(), low, "+inf", start=0, num=max(1, count), withscores=True
        )
        rows = [(m, int(s)) for m, s in found]
        pipe = self.client.pipeline(transaction=False)
        for member, _ in rows:
            pipe.llen(self.keys.delayed_member(member))
        return rows, [int(n) for n in pipe.execute()] if rows else []

    def slices_of(self, slices: Sequence[tuple[bytes, int, int]]) -> list[list[bytes]]:
        """One pipelined ``LRANGE delayed:<member> start stop`` per ``(member, start, stop)``."""
        pipe = self.client.pipeline(transaction=False)
        for member, start, stop in slices:
            pipe.lrange(self.keys.delayed_member(member), start, stop)
        return [list(r) for r in pipe.execute()] if slices else []

    def next_due_timestamp(self, at: int) -> bytes | None:
        """``ZRANGEBYSCORE delayed_queue_schedule -inf <at> LIMIT 0 1``, the raw member
        (``next_delayed_timestamp``)."""
        schedule = self.keys.delayed_queue_schedule()
        found = self.client.zrangebyscore(schedule, "-inf", at, start=0, num=1)
        return found[0] if found else None

    def timestamps_of(self, item: bytes) -> list[bytes]:
        """``SMEMBERS timestamps:<item>``: the ``delayed:<ts>`` names it is listed under."""
        return sorted(self.client.smembers(self.keys.timestamps(item)))

    def summary(self, limit: int) -> tuple[int, int, int, float | None]:
        """``(timestamps, jobs, counted, earliest)``: ``ZCARD``, the ``LLEN`` sum of the
        ``counted`` (at most ``limit``) earliest timestamps, and the earliest one's score; two
        round trips whatever the schedule's size (exact when ``counted == timestamps``)."""
        schedule = self.keys.delayed_queue_schedule()
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(schedule)
        pipe.zrange(schedule, 0, max(0, limit) - 1, withscores=True)
        size, first = pipe.execute()
        pipe = self.client.pipeline(transaction=False)
        for member, _ in first:
            pipe.llen(self.keys.delayed_member(member))
        jobs = sum(int(n) for n in pipe.execute()) if first else 0
        return int(size), jobs, len(first), float(first[0][1]) if first else None

    def count_all(self) -> int:
        """``count_all_scheduled_jobs``: ``LLEN`` of every listed timestamp (pipelined here)."""
        members = self.all_timestamps()
        total = 0
        for i in range(0, len(members), 1000):
            pipe = self.client.pipeline(transaction=False)
            for m in members[i : i + 1000]:
                pipe.llen(self.keys.delayed_member(m))
            total += sum(int(n) for n in pipe.execute())
        return total

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

    def unmovable(self, start: int = 0, count: int = 50) -> list[bytes]:
        """A window of ``delayed:unmovable``."""
        return self.client.lrange(self.keys.scheduler_unmovable(), start, start + count - 1)

    def unmovable_size(self) -> int:
        return int(self.client.llen(self.keys.scheduler_unmovable()))

    # doctor
    def stale_timestamps(self, skip: Collection[bytes] = ()) -> Iterator[tuple[bytes, bytes]]:
        """``(item, member)`` for each ``timestamps:<item>`` member whose list lacks the item
        (``SCAN`` of the sets, then one pipelined ``LPOS`` per member); the lists named in
        ``skip`` (``delayed:<ts>`` of the wrong type) are not asked."""
        prefix = len(self.keys.timestamps(b""))
        for key in self.client.scan_iter(match=self.keys.timestamps_pattern(), count=1000):
            item = key[prefix:]
            members = sorted(m for m in self.client.smembers(key) if m not in skip)
            if not members:
                continue
            pipe = self.client.pipeline(transaction=False)
            for member in members:
                pipe.execute_command("LPOS", self.keys.physical_bytes(member), item)
            for member, pos in zip(members, pipe.execute(), strict=True):
                if pos is None:
                    yield item, member

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

    def last_enqueued_at(self, name: str) -> bytes | None:
        """``get_last_enqueued_at``."""
        return self.client.hget(self.keys.delayed_last_enqueued_at(), name)

    def last_enqueued_of(self, names: Sequence[str]) -> list[bytes | None]:
        """``get_last_enqueued_at`` of each name, in one ``HMGET``."""
        if not names:
            return []
        return self.client.hmget(self.keys.delayed_last_enqueued_at(), list(names))
