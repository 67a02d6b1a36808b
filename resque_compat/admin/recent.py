"""Totals whose exact count costs work in proportion to the deployment (a ``LLEN`` per queue, a
``STRLEN`` per worker), kept for a few seconds so that a page refreshed every 2 s, or many
dashboards open at once, pay for them once per interval instead of on every request.

A value is computed on first use and again once it is older than ``ttl`` seconds; whoever shows
it shows its age too (``Recent.get`` answers both). ``ttl`` 0 computes on every call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

TOTALS_TTL = 5.0
"""Seconds the dashboard keeps its totals (``RESQUE_WEB_TOTALS_TTL``)."""


class Recent:
    """Named values, each kept ``ttl`` seconds after it was computed."""

    def __init__(self, ttl: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = max(0.0, ttl)
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, name: str, compute: Callable[[], T]) -> tuple[T, float]:
        """The value kept under ``name`` and its age in seconds, computed afresh (age 0) when
        there is none younger than ``ttl``."""
        now = self._clock()
        with self._lock:
            kept = self._values.get(name)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1], now - kept[0]
        value = compute()
        if self.ttl > 0:
            with self._lock:
                self._values[name] = (self._clock(), value)
        return value, 0.0

    def clear(self) -> None:
        """Forget every value (after an action that changed what they count)."""
        with self._lock:
            self._values.clear()
