"""The performers chaos workers load (``resque-compat work --app chaos.app``).

``Ledger`` counts every run of a job id on the ledger Redis (``CHAOS_LEDGER_URL``), a server no
fault touches, so a run is never lost with the Redis under test.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

from resque_compat import Registry
from resque_compat.store import connect

registry = Registry()
_ledger: tuple[int, redis.Redis] | None = None


def ledger() -> redis.Redis:
    global _ledger
    if _ledger is None or _ledger[0] != os.getpid():
        _ledger = (os.getpid(), connect(os.environ["CHAOS_LEDGER_URL"]))
    return _ledger[1]


@registry.job("Chaos::Ledger")
def ledger_job(job_id: str, millis: int = 0, *_rest: Any) -> None:
    """Counts its run and keeps the time of its first, then takes ``millis`` (so kills and
    signals land mid-job too)."""
    pipe = ledger().pipeline(transaction=False)
    pipe.hincrby("performed", job_id, 1)
    pipe.hsetnx("first_run", job_id, f"{time.time():.6f}")
    pipe.execute()
    if millis:
        time.sleep(millis / 1000)
