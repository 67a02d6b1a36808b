"""resque-scheduler 5.0's keys (``delaying_extensions.rb``, ``scheduling_extensions.rb``,
``locking.rb``), and node-resque's scheduler lock beside them."""

from __future__ import annotations

DELAYED_QUEUE_SCHEDULE = "delayed_queue_schedule"
"""The zset of every timestamp holding delayed jobs (score and member both the epoch)."""
DELAYED_LAST_ENQUEUED_AT = "delayed:last_enqueued_at"
"""Schedule name -> the time its last run was enqueued (``Resque.last_enqueued_at``)."""
PERSISTENT_SCHEDULES = "persistent_schedules"
SCHEDULES = "schedules"
"""The hash resque-scheduler before 5.0 kept every schedule in (read by migration tools only)."""
SCHEDULES_CHANGED = "schedules_changed"
MASTER_LOCK = "resque_scheduler_master_lock"
NODE_LEADER_LOCK = "resque_scheduler_leader_lock"
DELAYED_PREFIX = "delayed:"
TIMESTAMPS_PREFIX = "timestamps:"


def delayed_key(timestamp: int) -> str:
    """``delayed:<epoch>``: the list of items due at one second. Also the (un-prefixed) member
    Ruby writes into ``timestamps:`` sets: ``Redis::Namespace`` prefixes keys only."""
    return f"{DELAYED_PREFIX}{int(timestamp)}"


def delayed_glob() -> str:
    """The logical glob of the delayed lists (``delayed:*``; ``delayed:last_enqueued_at`` and
    ``delayed:unmovable`` match it too)."""
    return DELAYED_PREFIX + "*"


def timestamps_glob() -> str:
    return TIMESTAMPS_PREFIX + "*"


def timestamps_item(logical: bytes) -> bytes | None:
    """The item bytes of a logical ``timestamps:<item>`` key, ``None`` for any other key."""
    prefix = TIMESTAMPS_PREFIX.encode()
    return logical[len(prefix) :] if logical.startswith(prefix) else None


def delayed_timestamp_of_key(logical: str) -> str | None:
    """The text after ``delayed:`` of a delayed list's logical key, ``None`` for other keys."""
    return logical[len(DELAYED_PREFIX) :] if logical.startswith(DELAYED_PREFIX) else None
