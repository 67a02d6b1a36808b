"""resque-pause's keys (``ResquePauseHelper``): ``pause:queue:<q>`` and the global pause key.

A queue is paused while either key exists, whatever its value (``paused?`` is ``MGET`` of both,
"not all nil"); pausing writes ``true`` as redis-rb writes Ruby's ``true``.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from ..protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, Keys

PAUSED_VALUE = b"true"


class PauseAccess:
    """One owner for resque-pause's keys; ``global_key`` is ``ResquePauseHelper.global_pause_key``."""

    def __init__(self, client: redis.Redis, keys: Keys, global_key: str = DEFAULT_GLOBAL_PAUSE_KEY) -> None:
        self.client = client
        self.keys = keys
        self.global_key = global_key

    def paused(self, queue: str) -> bool:
        """``ResquePauseHelper.paused?(queue)``: ``MGET pause:queue:<q> <global>``, any set."""
        values = self.client.mget(self.keys.pause_queue(queue), self.keys.pause_global(self.global_key))
        return any(v is not None for v in values)

    def paused_queues(self, queues: Sequence[str]) -> dict[str, bool]:
        """``pause:queue:<q>`` of each queue in one ``MGET`` (the global key not included)."""
        if not queues:
            return {}
        values = self.client.mget([self.keys.pause_queue(q) for q in queues])
        return {q: v is not None for q, v in zip(queues, values, strict=True)}

    def pause(self, queue: str) -> None:
        """``ResquePauseHelper.pause``: ``SET pause:queue:<q> true``."""
        self.client.set(self.keys.pause_queue(queue), PAUSED_VALUE)

    def unpause(self, queue: str) -> None:
        """``ResquePauseHelper.unpause``: ``DEL pause:queue:<q>``."""
        self.client.delete(self.keys.pause_queue(queue))

    def global_paused(self) -> bool:
        """``ResquePauseHelper.global_paused?``."""
        return self.client.get(self.keys.pause_global(self.global_key)) is not None

    def global_pause(self) -> None:
        """``ResquePauseHelper.global_pause``: ``SET <global> true``."""
        self.client.set(self.keys.pause_global(self.global_key), PAUSED_VALUE)

    def global_unpause(self) -> None:
        """``ResquePauseHelper.global_unpause``: ``DEL <global>``."""
        self.client.delete(self.keys.pause_global(self.global_key))

    def push_back(self, queue: str, encoded: bytes) -> None:
        """``ResquePauseHelper.enqueue_job``: ``LPUSH queue:<q>`` (to the head, as the plugin does)."""
        self.client.lpush(self.keys.queue(queue), encoded)
