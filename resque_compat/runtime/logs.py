"""Resque's log formats (spec 5.6): quiet by default, ``VERBOSE``/``LOGGING`` -> ``*** <msg>``,
``VVERBOSE`` -> ``** [HH:MM:SS YYYY-MM-DD] <pid>: <msg>`` (``Resque::VerboseFormatter`` and
``VeryVerboseFormatter``), on standard output like Ruby's default logger.

``LOGFORMAT=json`` (beyond Resque) writes one JSON object a line instead, at ``INFO`` and up
(``VVERBOSE``: ``DEBUG``): ``time`` (UTC, ISO 8601), ``level``, ``message``, ``pid``, ``worker``
and, while a job runs, ``queue``, ``class``, ``job_id`` (an ActiveJob ``job_id`` or a payload's
``id``), and on its last line ``duration`` (seconds) and ``outcome`` (``done``, ``failed``).

Everything goes through the standard ``logging`` module, logger ``resque_compat.worker``; each
record carries the same fields as attributes (``record.resque_queue``, ``resque_class``,
``resque_job_id``, ``resque_duration``, ``resque_outcome``, ``resque_worker``), so structlog or
any handler can take over (``logging.getLogger("resque_compat.worker")``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any

LOGGER_NAME = "resque_compat.worker"
FIELDS = ("worker", "queue", "class", "job_id", "duration", "outcome")


class VerboseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"*** {record.getMessage()}"


class VeryVerboseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S %Y-%m-%d", time.localtime(record.created))
        return f"** [{stamp}] {os.getpid()}: {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line (``LOGFORMAT=json``)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="microseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "pid": record.process,
        }
        for name in FIELDS:
            value = getattr(record, f"resque_{name}", None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class JobContext(logging.Filter):
    """Adds the worker's id and the current job's fields to every record of the worker's logger.

    The fields are built when a record asks for them, not when a job starts: a worker at the
    default level writes no record for a job that succeeds, and a forked child copies every
    page it writes (docs/performance.md)."""

    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id
        self._job: tuple[str, str, Any] | None = None
        self._end: tuple[float, str] | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The current job's ``resque_*`` record attributes (empty between jobs)."""
        if self._job is None:
            return {}
        queue, class_name, payload = self._job
        out: dict[str, Any] = {
            "resque_queue": queue,
            "resque_class": class_name,
            "resque_job_id": job_id(payload),
        }
        if self._end is not None:
            out.update(resque_duration=round(self._end[0], 6), resque_outcome=self._end[1])
        return out

    def start(self, queue: str, class_name: str, payload: Any) -> None:
        self._job, self._end = (queue, class_name, payload), None

    def finish(self, duration: float, outcome: str) -> None:
        self._end = (duration, outcome)

    def clear(self) -> None:
        self._job = self._end = None

    def filter(self, record: logging.LogRecord) -> bool:
        record.resque_worker = self.worker_id
        for key, value in self.fields.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True

    def attach(self, logger: logging.Logger) -> JobContext:
        for old in [f for f in logger.filters if isinstance(f, JobContext)]:
            logger.removeFilter(old)
        logger.addFilter(self)
        return self


def job_id(payload: Any) -> str | None:
    """A job's id when it has one: an ActiveJob wrapper's ``job_id``, else a payload ``id``."""
    if not isinstance(payload, dict):
        return None
    args = payload.get("args")
    if (
        isinstance(args, list)
        and args
        and isinstance(args[0], dict)
        and isinstance(args[0].get("job_id"), str)
    ):
        return str(args[0]["job_id"])
    found = payload.get("id")
    return str(found) if isinstance(found, str | int) and not isinstance(found, bool) else None


def worker_logger(verbose: bool, very_verbose: bool, log_format: str = "text") -> logging.Logger:
    """The worker's logger, configured once per process (errors always shown, as Ruby's
    QuietFormatter still lets the logger's level decide)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        logger.setLevel(logging.DEBUG if very_verbose else logging.INFO)
    elif very_verbose:
        handler.setFormatter(VeryVerboseFormatter())
        logger.setLevel(logging.DEBUG)
    elif verbose:
        handler.setFormatter(VerboseFormatter())
        logger.setLevel(logging.INFO)
    else:
        handler.setFormatter(VerboseFormatter())
        logger.setLevel(logging.ERROR)
    logger.addHandler(handler)
    logger.propagate = False
    return logger
