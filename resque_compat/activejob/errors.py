"""Errors of the ActiveJob bridge; each names the job class and where in the arguments it failed."""

from __future__ import annotations

from ..errors import EncodeError, ResqueError


class ActiveJobError(ResqueError):
    """Base of the ActiveJob bridge's errors."""


class NotAnActiveJob(ActiveJobError, ValueError):
    """A payload is not ``{"class": JobWrapper, "args": [<job data hash>]}`` with a ``job_class``."""


class ArgumentDecodeError(ActiveJobError, ValueError):
    """Serialized arguments could not be turned into Python values (``ActiveJob::DeserializationError``).

    ``path`` names the argument (``arguments[2]["when"]``); ``job_class`` the inner ActiveJob class
    when known.
    """

    def __init__(self, path: str, reason: str, job_class: str | None = None) -> None:
        where = f"{job_class}: " if job_class else ""
        super().__init__(f"{where}cannot deserialize {path}: {reason}")
        self.path = path
        self.reason = reason
        self.job_class = job_class


class UnknownEncodingError(ArgumentDecodeError):
    """An argument uses an ActiveJob encoding (a ``_aj_serialized`` serializer) Python does not know.

    Ruby raises ``ArgumentError "Serializer <name> is not known"`` in the same place; the job
    fails rather than running with a wrong value.
    """

    def __init__(self, path: str, encoding: str, job_class: str | None = None) -> None:
        super().__init__(
            path,
            f"unknown ActiveJob encoding {encoding!r} (register a custom serializer for it)",
            job_class,
        )
        self.encoding = encoding


class UnknownActiveJobClass(ActiveJobError, LookupError):
    """No Python performer is registered for the inner ActiveJob class (Ruby: ``NameError``)."""

    ruby_name = "NameError"  # the failure's `exception`, as Ruby's `job_class.constantize` raises

    def __init__(self, job_class: str) -> None:
        super().__init__(f"no Python performer is registered for ActiveJob class {job_class!r}")
        self.job_class = job_class


class ActiveJobPerformError(ActiveJobError):
    """A wrapped job's performer raised: the message names the inner class and the original error.

    The original exception is chained as ``__cause__``, and the failure record's ``exception``
    field names the original's class (``ruby_name``), as a Rails worker's record would.
    """

    def __init__(self, job_class: str, original: BaseException) -> None:
        from ..protocol.failure import exception_name

        super().__init__(f"{job_class} raised {type(original).__name__}: {original}")
        self.job_class = job_class
        self.original = original
        self.ruby_name = exception_name(original)


class ArgumentEncodeError(EncodeError):
    """A Python value has no ActiveJob encoding (Ruby: ``ActiveJob::SerializationError``)."""
