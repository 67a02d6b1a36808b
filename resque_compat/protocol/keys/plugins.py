"""The plugins' keys (logical names, as each plugin's Ruby code spells them): resque-pause,
resque-loner, resque-lock, resque-lock-timeout, resque-retry and resque-status."""

from __future__ import annotations

DEFAULT_GLOBAL_PAUSE_KEY = "pause:all"
"""``ResquePauseHelper::DEFAULT_GLOBAL_PAUSE_KEY``."""
_PAUSE_QUEUE = "pause:queue:"

_LONERS = "loners:queue:"
_LOCK = "lock"
_LONER_LOCK = "loner:"
LOCK_GLOBS = ("lock:*", "loner:lock:*")
"""resque-lock's and resque-lock-timeout's keys (``doctor`` looks at them)."""
LONER_GLOB = _LONERS + "*"

STATUSES = "_statuses"
"""resque-status's sorted set of status ids (score: creation time; ``Status::Hash.set_key``)."""
KILL = "_kill"
"""resque-status's set of ids asked to stop (``Status::Hash.kill_key``)."""
_STATUS = "status:"

_RETRY = "resque-retry"
_RETRY_FAILURE = "failure-"
RETRY_GLOB = _RETRY + ":*"
RETRY_FAILURE_GLOB = _RETRY_FAILURE + _RETRY + ":*"


def pause_queue_key(queue: str) -> str:
    """resque-pause's ``pause:queue:<queue>`` (``ResquePauseHelper.pause``)."""
    return _PAUSE_QUEUE + queue


def retry_key(class_name: str, identifier: str | None) -> str:
    """resque-retry's ``['resque-retry', name, retry_identifier].compact.join(':')`` without
    whitespace (``Retry#redis_retry_key``)."""
    return "".join(":".join(p for p in (_RETRY, class_name, identifier) if p is not None).split())


def retry_failure_key(retry: str) -> str:
    """``failure-<retry key>``: ``MultipleWithRetrySuppression.failure_key``."""
    return _RETRY_FAILURE + retry


def status_key(uuid: str) -> str:
    """resque-status's ``status:<uuid>`` (``Status::Hash.status_key``)."""
    return _STATUS + uuid


def loner_key(queue: str, digest: str) -> str:
    """resque-loner's ``loners:queue:<q>:job:<digest>`` (``Helpers.unique_job_queue_key``)."""
    return f"{_LONERS}{queue}:job:{digest}"


def loner_of_key(logical: str) -> tuple[str, str] | None:
    """(queue, digest) of a loner key, ``None`` for any other key."""
    if not logical.startswith(_LONERS) or ":job:" not in logical:
        return None
    queue, _, digest = logical[len(_LONERS) :].rpartition(":job:")
    return queue, digest


def lock_key(class_name: str, args_inspect: str) -> str:
    """resque-lock's ``lock:<Class>-<args.to_s>`` (``Lock#lock``)."""
    return f"{_LOCK}:{class_name}-{args_inspect}"


def lock_timeout_key(class_name: str, identifier: str | None) -> str:
    """resque-lock-timeout's ``['lock', name, identifier].compact.join(':')`` (``redis_lock_key``)."""
    return ":".join(p for p in (_LOCK, class_name, identifier) if p is not None)


def lock_prefixes(class_name: str) -> tuple[str, str]:
    """How resque-lock-timeout's (``lock:<Class>:``) and resque-lock's (``lock:<Class>-``) keys
    of a class begin."""
    return f"{_LOCK}:{class_name}:", f"{_LOCK}:{class_name}-"


def lock_of_loner_lock(name: str) -> str | None:
    """The lock key inside ``loner:<lock key>``, ``None`` for any other key."""
    return name[len(_LONER_LOCK) :] if name.startswith(_LONER_LOCK + _LOCK + ":") else None


def loner_lock_key(lock: str) -> str:
    """resque-lock-timeout's ``loner:<redis_lock_key>`` (``redis_loner_lock_key``)."""
    return _LONER_LOCK + lock
