"""The worker's settings: Resque's environment variables for ``rake resque:work`` and a few of ours.

==================================  =========================================================
``QUEUES`` / ``QUEUE``              comma-separated queue spec (``QUEUES`` wins), ``*`` and globs
``INTERVAL``                        polling interval, seconds (default 5.0; ``0``: drain, then exit)
``MIN_INTERVAL``/``MAX_INTERVAL``   backoff bounds (default: ``INTERVAL``)
``BACKOFF_INTERVAL``                backoff step (default 0.1)
``COUNT``                           run this many workers from one command
``PIDFILE``, ``BACKGROUND``         write the pid; daemonize
``VERBOSE``/``LOGGING``/``VVERBOSE`` Resque's log formats
``LOGFORMAT``                       ``text`` (Resque's lines, default) or ``json`` (one object a line)
``RESQUE_OTEL``                     ``1``: OpenTelemetry spans for jobs (the ``otel`` extra)
``FORK_PER_JOB``                    ``false`` runs jobs in the worker process
``TERM_CHILD``, ``GRACEFUL_TERM``   signal semantics (spec 5.4)
``RESQUE_PRE_SHUTDOWN_TIMEOUT``     seconds a child may finish before TERM (default 0.0)
``RESQUE_TERM_TIMEOUT``             seconds between TERM and KILL (default 4.0)
``RESQUE_JOB_TIMEOUT``              seconds a job may run (default: no limit; a performer's own
                                    ``job_timeout`` wins); beyond Resque
``RUN_AT_EXIT_HOOKS``               the child runs ``atexit`` handlers before exiting
``RESQUE_PROCLINE_PREFIX``          prefix of the process title
``RESQUE_APP``                      modules holding performers and worker hooks (comma-separated)
``RESQUE_BLOCKING_WAIT``            ``1``: wait with BLPOP instead of polling (beyond Resque)
``RESQUE_UNKNOWN_CLASS``            ``fail`` (default) or ``requeue`` (push unknown jobs back)
``RESQUE_FAILURE_BACKENDS``         ``redis``, ``redis_multi_queue`` or ``module:attr``, comma-separated;
                                    several make a ``Failure::Multiple`` (default: ``FAILURE_BACKEND``)
``RESQUE_ERROR_REPORTERS``          ``sentry`` or ``module:attr``, comma-separated: told of every failure
                                    beside the failure backend (``resque_compat.reporting``)
``RESQUE_HEARTBEAT_INTERVAL``       seconds (Ruby: ``Resque.heartbeat_interval``, 60)
``RESQUE_PRUNE_INTERVAL``           seconds (Ruby: ``Resque.prune_interval``, 300)
==================================  =========================================================

Ruby reads truthiness of ``VERBOSE``, ``TERM_CHILD`` ... as "set to anything"; so does this.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError, NoQueueError

UNKNOWN_CLASS_MODES = ("fail", "requeue")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Everything ``Resque::Worker.new`` + ``#work`` take from the environment, plus our options."""

    queues: tuple[str, ...] = ()
    interval: float = 5.0
    min_interval: float | None = None
    max_interval: float | None = None
    backoff_interval: float | None = None
    count: int = 1
    pidfile: str | None = None
    background: bool = False
    verbose: bool = False
    very_verbose: bool = False
    log_format: str = "text"
    tracing: bool = False
    fork_per_job: bool = True
    term_child: bool = False
    graceful_term: bool = False
    pre_shutdown_timeout: float = 0.0
    term_timeout: float = 4.0
    job_timeout: float | None = None
    run_at_exit_hooks: bool = False
    procline_prefix: str = ""
    apps: tuple[str, ...] = ()
    blocking: bool = False
    unknown_class: str = "fail"
    failure_backends: tuple[str, ...] = ()
    error_reporters: tuple[str, ...] = ()
    heartbeat_interval: float = 60.0
    prune_interval: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> WorkerSettings:
        """Read ``os.environ`` (or ``env``); ``overrides`` that are not ``None`` win.

        Raises ``ConfigError`` for a malformed number or option.
        """
        e = os.environ if env is None else env
        values: dict[str, Any] = {
            "queues": split_queues(e.get("QUEUES") or e.get("QUEUE") or ""),
            "interval": _float(e, "INTERVAL", 5.0),
            "min_interval": _float(e, "MIN_INTERVAL", None),
            "max_interval": _float(e, "MAX_INTERVAL", None),
            "backoff_interval": _float(e, "BACKOFF_INTERVAL", None),
            "count": _int(e, "COUNT", 1),
            "pidfile": e.get("PIDFILE") or None,
            "background": bool(e.get("BACKGROUND")),
            "verbose": bool(e.get("LOGGING") or e.get("VERBOSE")),
            "very_verbose": bool(e.get("VVERBOSE")),
            "log_format": (e.get("LOGFORMAT") or "text").lower(),
            "tracing": e.get("RESQUE_OTEL", "").lower() in ("1", "true", "yes"),
            "fork_per_job": e.get("FORK_PER_JOB") != "false",
            "term_child": bool(e.get("TERM_CHILD")),
            "graceful_term": bool(e.get("GRACEFUL_TERM")),
            "pre_shutdown_timeout": _float(e, "RESQUE_PRE_SHUTDOWN_TIMEOUT", 0.0),
            "term_timeout": _float(e, "RESQUE_TERM_TIMEOUT", 4.0),
            "job_timeout": _float(e, "RESQUE_JOB_TIMEOUT", None) or None,
            "run_at_exit_hooks": bool(e.get("RUN_AT_EXIT_HOOKS")),
            "procline_prefix": e.get("RESQUE_PROCLINE_PREFIX", ""),
            "apps": tuple(a.strip() for a in e.get("RESQUE_APP", "").split(",") if a.strip()),
            "blocking": e.get("RESQUE_BLOCKING_WAIT", "").lower() in ("1", "true", "yes"),
            "unknown_class": e.get("RESQUE_UNKNOWN_CLASS") or "fail",
            "failure_backends": tuple(
                b.strip() for b in e.get("RESQUE_FAILURE_BACKENDS", "").split(",") if b.strip()
            ),
            "error_reporters": tuple(
                r.strip() for r in e.get("RESQUE_ERROR_REPORTERS", "").split(",") if r.strip()
            ),
            "heartbeat_interval": _float(e, "RESQUE_HEARTBEAT_INTERVAL", 60.0),
            "prune_interval": _float(e, "RESQUE_PRUNE_INTERVAL", 300.0),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if settings.log_format not in LOG_FORMATS:
            raise ConfigError(f"LOGFORMAT must be one of {LOG_FORMATS}, not {settings.log_format!r}")
        if settings.unknown_class not in UNKNOWN_CLASS_MODES:
            raise ConfigError(f"RESQUE_UNKNOWN_CLASS must be one of {UNKNOWN_CLASS_MODES}")
        return settings

    def with_queues(self, queues: tuple[str, ...]) -> WorkerSettings:
        return replace(self, queues=queues)

    def require_queues(self) -> tuple[str, ...]:
        """``Worker#validate_queues``: raises ``NoQueueError`` without a queue."""
        spec = tuple(q for q in self.queues if not q.startswith("!"))
        if not spec:
            raise NoQueueError("Please give each worker at least one queue.")
        return self.queues

    def intervals(self) -> tuple[float, float, float, float]:
        """``Worker#work``'s clamping: (interval, min, max, backoff) as Ruby computes them."""
        interval = self.interval
        max_i = self.max_interval if self.max_interval is not None else interval
        min_i = min(self.min_interval if self.min_interval is not None else interval, max_i)
        backoff = min(self.backoff_interval if self.backoff_interval is not None else 0.1, max_i)
        return min(max(interval, min_i), max_i), min_i, max_i, backoff


def split_queues(spec: str) -> tuple[str, ...]:
    """``(ENV["QUEUES"] || ENV['QUEUE']).to_s.split(',')`` with each entry stripped.

    Ruby's ``split`` drops trailing empty strings; empty entries in the middle are kept.
    """
    parts = [p.strip() for p in spec.split(",")]
    while parts and parts[-1] == "":
        parts.pop()
    return tuple(parts)


def _float(env: Mapping[str, str], name: str, default: float | None) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc
