"""Error reporting beside the failure backend (Ruby: ``Failure::Multiple`` with the Airbrake or
Sentry backends): every failure a worker records is also handed, with the exception object, to
the reporters named in ``RESQUE_ERROR_REPORTERS`` (comma-separated): ``sentry`` (the ``sentry``
extra; configure it with ``sentry_sdk.init`` in an ``--app`` module or through ``SENTRY_DSN``),
or ``module:attr`` naming an object with ``report(failure)`` or a callable taking the failure.

A reporter that raises is logged and the worker goes on: the Redis record is what Ruby's
tools read, a reporter only tells someone about it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class JobFailure:
    """What a reporter gets: the exception and the job's class, queue, args and worker."""

    exception: BaseException
    class_name: str
    queue: str
    args: list[Any]
    worker: str
    payload: Any


class ErrorReporter(Protocol):
    def report(self, failure: JobFailure) -> None: ...


class CallableReporter:
    def __init__(self, func: Callable[[JobFailure], Any]) -> None:
        self.func = func

    def report(self, failure: JobFailure) -> None:
        self.func(failure)


class SentryReporter:
    """One Sentry event per failure: the exception with its frames, tags ``resque.class``,
    ``resque.queue``, ``resque.worker``, and a ``resque`` context with the arguments. Events
    are flushed at once (a forked child exits right after)."""

    def __init__(self, flush_timeout: float = 2.0) -> None:
        try:
            self.sdk: Any = importlib.import_module("sentry_sdk")
        except ImportError as exc:
            raise ConfigError(
                "the sentry reporter needs the sentry extra: pip install 'resque-compat[sentry]'"
            ) from exc
        self.flush_timeout = flush_timeout

    def report(self, failure: JobFailure) -> None:
        with self.sdk.new_scope() as scope:
            scope.set_tag("resque.class", failure.class_name)
            scope.set_tag("resque.queue", failure.queue)
            scope.set_tag("resque.worker", failure.worker)
            scope.set_context(
                "resque",
                {
                    "class": failure.class_name,
                    "queue": failure.queue,
                    "args": failure.args,
                    "worker": failure.worker,
                },
            )
            self.sdk.capture_exception(failure.exception)
        self.sdk.flush(timeout=self.flush_timeout)


def build_reporters(names: Sequence[str]) -> list[ErrorReporter]:
    """The reporters ``RESQUE_ERROR_REPORTERS`` names; ``ConfigError`` for a bad name."""
    return [_one(name) for name in names]


def _one(name: str) -> ErrorReporter:
    if name == "sentry":
        return SentryReporter()
    module_name, _, attr = name.partition(":")
    if not attr:
        raise ConfigError(f"error reporter {name!r}: use sentry or module:attr")
    try:
        target: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"error reporter {name!r}: {exc}") from exc
    if isinstance(target, type):
        target = target()
    if callable(getattr(target, "report", None)):
        return cast("ErrorReporter", target)  # it has a callable report(), checked above
    if callable(target):
        return CallableReporter(target)
    raise ConfigError(f"error reporter {name!r} has no report(failure)")
