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


class InvalidPayload(DecodeError):
    """Valid JSON that is not a Resque job payload (not an object with a string ``class``)."""


class RedisUnavailable(ResqueError):
    """Redis cannot be reached or did not answer in time (a restart, a failover, a stall past
    the socket timeout): redis-py's ``ConnectionError`` or ``TimeoutError`` as the store raises
    it, the original kept as ``__cause__``; or it refused to write (``RedisRefused``). Whoever
    waits for Redis to come back catches this."""


class RedisRefused(RedisUnavailable):
    """Redis answered but refused to write: it cannot take writes now (full, or a read-only
    replica). The command did not run (a script refused at its first write wrote nothing, a
    ``MULTI`` refused while queueing ran none of its commands). A ``RedisUnavailable``: whoever
    waits for Redis to come back waits this out too (the worker, the scheduler), the CLI prints
    it in one line and the dashboard answers 503. redis-py's error is kept as ``__cause__``."""


class RedisOutOfMemory(RedisRefused):
    """Redis is at ``maxmemory`` with a ``noeviction`` policy (its ``OOM command not allowed``
    reply; redis-py's ``OutOfMemoryError``)."""


class RedisReadOnly(RedisRefused):
    """The server is a read-only replica (``READONLY``; redis-py's ``ReadOnlyError``): a master
    demoted by a failover, or a URL naming a replica."""


class UnreadableKey(ResqueError):
    """A key holds another type than the one Resque keeps there (Redis' ``WRONGTYPE``): a
    ``queues`` member naming a hash, ``workers`` written as a string. Nothing was read or changed;
    ``key`` is the key's full name, ``actual`` the type Redis reports (``none`` if it went
    away meanwhile), ``expected`` the type the command needs, when known."""

    def __init__(self, key: str, actual: str, expected: str | None = None) -> None:
        wanted = f" where Resque keeps a {expected}" if expected else ""
        super().__init__(f"key {key!r} holds a {actual}{wanted}: it is unreadable and was left as it is")
        self.key = key
        self.actual = actual
        self.expected = expected


class RedisServerError(ResqueError, RuntimeError):
    """``testing.RedisServer``: ``redis-server`` is missing or did not come up."""


# Errors a job's run raises or records. ``ruby_name`` is the exception name the failure record
# carries, so Ruby's tools see the class Ruby's own worker would have recorded.


class DontPerform(ResqueError):
    """Raised by a ``before_perform`` hook to skip the job without a failure (``Job::DontPerform``)."""


class FailureHookError(ResqueError, RuntimeError):
    """An ``on_failure`` hook raised; the message follows Ruby's ``run_failure_hooks``."""

    ruby_name = "RuntimeError"


class DirtyExit(ResqueError, RuntimeError):
    """``Resque::DirtyExit``: the job's process ended without finishing it."""

    ruby_name = "Resque::DirtyExit"


class PruneDeadWorkerDirtyExit(DirtyExit):
    """``Resque::PruneDeadWorkerDirtyExit``: the job's worker stopped heartbeating."""

    ruby_name = "Resque::PruneDeadWorkerDirtyExit"

    def __init__(self, worker_id: str, job_class: str | None) -> None:
        super().__init__(
            f"Worker {worker_id} did not gracefully exit while processing {job_class or '<Unknown Job>'}"
        )


class JobTimeout(ResqueError, TimeoutError):
    """A job ran past its timeout (``RESQUE_JOB_TIMEOUT`` or its performer's ``job_timeout``);
    beyond Resque, named in Ruby's style so Ruby's tools show it as any other failure."""

    ruby_name = "ResqueCompat::JobTimeout"

    def __init__(self, class_name: str, limit: float, detail: str = "") -> None:
        super().__init__(f"{class_name} ran past its timeout of {limit:g} seconds{detail}")


class UnknownJobClass(ResqueError, NameError):
    """No performer is registered for a payload's class (Ruby: ``NameError``)."""

    ruby_name = "NameError"

    def __init__(self, name: str) -> None:
        super().__init__(f"uninitialized constant {name}")
        self.class_name = name


class TermException(BaseException):
    """``Resque::TermException``: raised inside a job when ``TERM_CHILD`` asks it to stop.

    The one error outside ``ResqueError``: like ``KeyboardInterrupt`` it is a ``BaseException``,
    so a job's ``except Exception`` cannot swallow the request to stop."""

    ruby_name = "Resque::TermException"
