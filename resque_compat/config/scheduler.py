"""The scheduler's settings, from resque-scheduler's environment variables and options
(``Configuration``, ``Cli::CLI_OPTIONS_ENV_MAPPING``).

================================  ==========================================================
``RESQUE_SCHEDULER_INTERVAL``     seconds between polls of the delayed queue (default 5)
``DYNAMIC_SCHEDULE``              pick up schedules set at run time (``persistent_schedules``)
``LOCK_TIMEOUT``                  the master lock's expiry in seconds (default 180)
``RESQUE_SCHEDULER_MASTER_LOCK_PREFIX``  an extra segment in the master lock's key
``DELAYED_REQUEUE_BATCH_SIZE``    items moved per transaction (default 100)
``RAILS_ENV``                     the env a schedule's ``rails_env``/``env`` must name
``APP_NAME``                      shown in the process title
``BACKGROUND``, ``PIDFILE``       daemonize; write the pid
``LOGFILE``, ``LOGFORMAT``        where to log; ``text`` (default), ``json`` or ``logfmt``
``VERBOSE``, ``QUIET``            debug logging; no logging
================================  ==========================================================

Booleans follow ``Configuration#to_bool``: only ``1``, ``t``, ``T``, ``true``, ``TRUE``,
``on``, ``ON`` are true.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError
from . import Env

TRUE_VALUES = frozenset({"1", "t", "T", "true", "TRUE", "on", "ON"})


def to_bool(value: str | None) -> bool:
    """``Configuration#to_bool``."""
    return value in TRUE_VALUES


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    poll_sleep_amount: float = 5.0
    dynamic: bool = False
    lock_timeout: int = 180
    lock_prefix: str = ""
    batch_size: int = 100
    env: str | None = None
    app_name: str | None = None
    background: bool = False
    pidfile: str | None = None
    logfile: str | None = None
    logformat: str | None = None
    verbose: bool = False
    quiet: bool = False
    schedule_file: str | None = None

    @classmethod
    def from_env(cls, env: Env | None = None, **overrides: Any) -> SchedulerSettings:
        e = os.environ if env is None else env
        try:
            interval = float(e.get("RESQUE_SCHEDULER_INTERVAL", "5"))
            timeout = int(e.get("LOCK_TIMEOUT", "180") or "0")
            batch = int(e["DELAYED_REQUEUE_BATCH_SIZE"]) if e.get("DELAYED_REQUEUE_BATCH_SIZE") else 100
        except ValueError as exc:
            raise ConfigError(f"scheduler setting is not a number: {exc}") from exc
        if batch <= 0:
            raise ConfigError(f"DELAYED_REQUEUE_BATCH_SIZE must be positive, not {batch}")
        base = cls(
            poll_sleep_amount=interval,
            dynamic=to_bool(e.get("DYNAMIC_SCHEDULE")),
            lock_timeout=timeout,
            lock_prefix=e.get("RESQUE_SCHEDULER_MASTER_LOCK_PREFIX", ""),
            batch_size=batch,
            env=e.get("RAILS_ENV") or None,
            app_name=e.get("APP_NAME") or None,
            background=to_bool(e.get("BACKGROUND")),
            pidfile=e.get("PIDFILE") or None,
            logfile=e.get("LOGFILE") or None,
            logformat=e.get("LOGFORMAT") or None,
            verbose=to_bool(e.get("VERBOSE")),
            quiet=to_bool(e.get("QUIET")),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given)


def master_lock_prefix(env: Env | None = None) -> str:
    """``RESQUE_SCHEDULER_MASTER_LOCK_PREFIX`` alone, for readers of the lock (the dashboard)."""
    return (os.environ if env is None else env).get("RESQUE_SCHEDULER_MASTER_LOCK_PREFIX", "")
