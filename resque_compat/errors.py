"""One error hierarchy for resque-compat; every error carries its context."""

from __future__ import annotations


class ResqueError(Exception):
    """Base of every error raised by resque-compat."""


class NoQueueError(ResqueError):
    """No queue was given and none could be inferred (Ruby: ``Resque::NoQueueError``)."""


class NoClassError(ResqueError):
    """A job was given no class name (Ruby: ``Resque::NoClassError``)."""


class EncodeError(ResqueError, ValueError):
    """A value cannot be written as Ruby Resque's JSON; ``path`` names the argument."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DecodeError(ResqueError, ValueError):
    """Bytes read from Redis are not the JSON expected (Ruby: ``Resque::Helpers::DecodeException``).

    The raw bytes and, where known, the key they came from are kept so nothing is lost.
    """

    def __init__(self, raw: bytes, reason: str, key: str | None = None) -> None:
        where = f" in {key}" if key else ""
        preview = raw[:80].decode("utf-8", "replace")
        super().__init__(f"cannot decode{where}: {reason}: {preview!r}")
        self.raw = raw
        self.reason = reason
        self.key = key


class TimeFormatError(ResqueError, ValueError):
    """A time string is in none of Resque's formats."""


class WorkerIdError(ResqueError, ValueError):
    """A worker id is not ``host:pid:queues``."""


class ConfigError(ResqueError, ValueError):
    """A setting is invalid (a bad Redis URL, a Redis Cluster, an unknown profile)."""


class FailureQueueError(ResqueError, ValueError):
    """A failure operation was given a failed-queue name the backend does not have.

    Ruby: ``ArgumentError "invalid queue: <name>"`` in ``Resque::Failure::Redis.check_queue``.
    """
