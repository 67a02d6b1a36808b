"""Failure backends, as Resque's ``lib/resque/failure/``: ``base`` (what a backend offers),
``redis`` (one ``failed`` list), ``redis_multi_queue`` (one list per queue) and ``multiple``
(several at once). Each ``save`` takes a ``protocol.FailureRecord``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigError
from ..protocol import Profile
from ..store import FailedQueueAccess
from .base import Create, FailureBackend, FailureEntry, read_entry
from .multiple import MultipleFailure
from .redis import RedisFailure
from .redis_multi_queue import RedisMultiQueueFailure

if TYPE_CHECKING:
    from ..client import Resque

BACKENDS = ("redis", "redis_multi_queue")


def backend_named(name: str, store: FailedQueueAccess, create: Create, profile: Profile) -> FailureBackend:
    """``Resque::Failure.backend=`` by name: ``redis`` or ``redis_multi_queue``."""
    if name == "redis":
        return RedisFailure(store, create, profile)
    if name == "redis_multi_queue":
        return RedisMultiQueueFailure(store, create, profile)
    raise ConfigError(f"unknown failure backend {name!r}; use one of {BACKENDS} or an object")


def build_backend(resque: Resque, names: Sequence[str]) -> FailureBackend:
    """The failure backend for ``RESQUE_FAILURE_BACKENDS``: ``redis``, ``redis_multi_queue`` or
    ``module:attr`` (a backend object, or a callable taking the ``Resque`` client and returning
    one); several make a ``Failure::Multiple``. None given: the client's own backend."""
    if not names:
        return resque.failure
    backends = [_one_backend(resque, n) for n in names]
    return backends[0] if len(backends) == 1 else MultipleFailure(backends)


def _one_backend(resque: Resque, name: str) -> FailureBackend:
    if name in BACKENDS:
        return resque.failure_backend(name)
    module_name, _, attr = name.partition(":")
    if not attr:
        raise ConfigError(f"failure backend {name!r}: use redis, redis_multi_queue or module:attr")
    target: Any = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type) or (callable(target) and not hasattr(target, "save")):
        target = target(resque)
    if not callable(getattr(target, "save", None)):
        raise ConfigError(f"failure backend {name!r} has no save()")
    return cast("FailureBackend", target)  # it has a callable save(), checked above


__all__ = [
    "BACKENDS",
    "Create",
    "FailureBackend",
    "FailureEntry",
    "MultipleFailure",
    "RedisFailure",
    "RedisMultiQueueFailure",
    "backend_named",
    "build_backend",
    "read_entry",
]
