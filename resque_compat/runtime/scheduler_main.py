"""Starting a scheduler process: logging as ``LoggerBuilder`` formats it, ``BACKGROUND``,
``PIDFILE``, signals, then ``Scheduler.run`` (``Resque::Scheduler::Env#setup`` + ``run``)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.scheduler import SchedulerSettings
from .scheduler import Scheduler

if TYPE_CHECKING:
    from ..client import Resque
    from ..store import DataStore

PROGNAME = "resque-scheduler"


class _Formatter(logging.Formatter):
    """``text``: ``resque-scheduler: [INFO] 2026-12-01T10:45:19+00:00: msg``; ``json``; ``logfmt``."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        msg = record.getMessage()
        if self.kind == "json":
            return json.dumps(
                {
                    "name": PROGNAME,
                    "progname": PROGNAME,
                    "level": record.levelname,
                    "timestamp": when,
                    "msg": msg,
                }
            )
        if self.kind == "logfmt":
            return f'timestamp="{when}" level="{record.levelname}" progname="{PROGNAME}" msg="{msg}"'
        return f"{PROGNAME}: [{record.levelname}] {when}: {msg}"


def scheduler_logger(settings: SchedulerSettings) -> logging.Logger:
    """``LoggerBuilder#build``: DEBUG with VERBOSE, INFO by default, only FATAL with QUIET."""
    log = logging.getLogger("resque_compat.scheduler")
    log.handlers.clear()
    log.propagate = False
    kind = settings.logformat or "text"
    if kind not in ("text", "json", "logfmt"):
        kind = "text"
    handler: logging.Handler = (
        logging.FileHandler(settings.logfile) if settings.logfile else logging.StreamHandler(sys.stdout)
    )
    handler.setFormatter(_Formatter(kind))
    log.addHandler(handler)
    if settings.quiet:
        log.setLevel(logging.CRITICAL)
    elif settings.verbose:
        log.setLevel(logging.DEBUG)
    else:
        log.setLevel(logging.INFO)
    return log


def daemonize() -> None:
    """``Process.daemon(true, ...)``: detach from the terminal, keep the working directory."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def run_scheduler(
    store: DataStore,
    client: Resque,
    settings: SchedulerSettings,
    schedule: Mapping[str, Any] | None = None,
    performers: Mapping[str, Any] | None = None,
) -> None:
    """Run a ``Scheduler`` on ``store`` enqueueing through ``client`` until it shuts down."""
    if settings.background:
        daemonize()
        store.redis.connection_pool.reset()
    pidfile = Path(settings.pidfile).resolve() if settings.pidfile else None
    if pidfile is not None:
        pidfile.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        scheduler = Scheduler(
            store, settings, scheduler_logger(settings), schedule, performers, client=client
        )
        scheduler.install_signal_handlers()
        scheduler.run()
    finally:
        if pidfile is not None and pidfile.exists():
            pidfile.unlink()
