"""Resque's log formats (spec 5.6): quiet by default, ``VERBOSE``/``LOGGING`` -> ``*** <msg>``,
``VVERBOSE`` -> ``** [HH:MM:SS YYYY-MM-DD] <pid>: <msg>`` (``Resque::VerboseFormatter`` and
``VeryVerboseFormatter``), on standard output like Ruby's default logger."""

from __future__ import annotations

import logging
import os
import sys
import time

LOGGER_NAME = "resque_compat.worker"


class VerboseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"*** {record.getMessage()}"


class VeryVerboseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S %Y-%m-%d", time.localtime(record.created))
        return f"** [{stamp}] {os.getpid()}: {record.getMessage()}"


def worker_logger(verbose: bool, very_verbose: bool) -> logging.Logger:
    """The worker's logger, configured once per process (errors always shown, as Ruby's
    QuietFormatter still lets the logger's level decide)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    if very_verbose:
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
