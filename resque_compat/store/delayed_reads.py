"""resque-scheduler's delayed queue, read: ``delayed_queue_schedule``, ``delayed:<ts>`` lists and
``timestamps:<item>`` sets (``Resque::Scheduler::DelayingExtensions``'s readers, and the
bounded windows the dashboard and doctor read). ``DelayedQueueAccess`` (``delayed.py``) adds the
writes and the scheduler's moves. Bytes out."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

import redis

from ..protocol.keys import Keys
from .typed import bytes_client

# find_delayed_selection reads lists in groups of 100 ("beyond 100 there's almost no improvement").
_LIST_GROUP = 100


class DelayedQueueReads:
    """The delayed-queue keys, read; each method names the Ruby method it mirrors."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys

    # the schedule
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

    def next_due_timestamp(self, at: int) -> bytes | None:
        """``ZRANGEBYSCORE delayed_queue_schedule -inf <at> LIMIT 0 1``, the raw member
        (``next_delayed_timestamp``)."""
        schedule = self.keys.delayed_queue_schedule()
        found = self.client.zrangebyscore(schedule, "-inf", at, start=0, num=1)
        return found[0] if found else None

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

    # the lists
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

    def slices_of(self, slices: Sequence[tuple[bytes, int, int]]) -> list[list[bytes]]:
        """One pipelined ``LRANGE delayed:<member> start stop`` per ``(member, start, stop)``."""
        pipe = self.client.pipeline(transaction=False)
        for member, start, stop in slices:
            pipe.lrange(self.keys.delayed_member(member), start, stop)
        return [list(r) for r in pipe.execute()] if slices else []

    def timestamps_of(self, item: bytes) -> list[bytes]:
        """``SMEMBERS timestamps:<item>``: the ``delayed:<ts>`` names it is listed under."""
        return sorted(self.client.smembers(self.keys.timestamps(item)))

    # delayed:unmovable
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

    # last enqueued
    def last_enqueued_at(self, name: str) -> bytes | None:
        """``get_last_enqueued_at``."""
        return self.client.hget(self.keys.delayed_last_enqueued_at(), name)

    def last_enqueued_of(self, names: Sequence[str]) -> list[bytes | None]:
        """``get_last_enqueued_at`` of each name, in one ``HMGET``."""
        if not names:
            return []
        return self.client.hmget(self.keys.delayed_last_enqueued_at(), list(names))
