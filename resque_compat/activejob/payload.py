"""The JobWrapper payload Rails' Resque adapter writes, read and written.

``ResqueAdapter#enqueue`` calls ``Resque.enqueue_to(job.queue_name, JobWrapper, job.serialize)``::

    {"class":"ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper",
     "args":[{"job_class":"SendInvoiceJob","job_id":"<uuid>","provider_job_id":null,
              "queue_name":"default","priority":null,"arguments":[...],"executions":0,
              "exception_executions":{},"locale":"en","timezone":"UTC",
              "enqueued_at":"2026-11-27T16:56:36Z"}]}

(``ActiveJob::Core#serialize``; Rails 7.1+ writes ``enqueued_at`` with nine fractional digits and
adds ``scheduled_at``.) A Rails process writes it through ActiveSupport's JSON escaping, so the
bytes match ``Profile.RAILS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..protocol import Job, Profile, encode, job_payload
from ..protocol.records import WRAPPER_CLASS, active_job_class
from .arguments import DEFAULT_CODEC, Codec
from .errors import NotAnActiveJob
from .serializers import RailsFormat, format_iso8601
from .values import KeywordArguments, Symbol

DEFAULT_QUEUE = "default"
"""``ActiveJob::Base.queue_name`` when a job class names none."""

_KNOWN_KEYS = (
    "job_class",
    "job_id",
    "provider_job_id",
    "queue_name",
    "priority",
    "arguments",
    "executions",
    "exception_executions",
    "locale",
    "timezone",
    "enqueued_at",
    "scheduled_at",
)


@dataclass(frozen=True, slots=True)
class JobData:
    """The job data hash of a wrapped job (``job.serialize``), arguments still serialized.

    ``extra`` keeps keys an app added (``def serialize; super.merge(...)``), in their order.
    """

    job_class: str
    job_id: str | None
    queue_name: str | None
    arguments: list[Any]
    priority: Any = None
    provider_job_id: Any = None
    executions: Any = 0
    exception_executions: Any = field(default_factory=dict)
    locale: Any = None
    timezone: Any = None
    enqueued_at: Any = None
    scheduled_at: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, data: Mapping[str, Any]) -> JobData:
        """Read ``job.serialize``'s hash; raises ``NotAnActiveJob`` without a string ``job_class``."""
        job_class = data.get("job_class")
        if not isinstance(job_class, str) or not job_class:
            raise NotAnActiveJob(f"ActiveJob data needs a string job_class, got {job_class!r}")
        arguments = data.get("arguments", [])
        if not isinstance(arguments, list):
            raise NotAnActiveJob(f"{job_class}: ActiveJob arguments must be a JSON array, got {arguments!r}")
        job_id = data.get("job_id")
        queue_name = data.get("queue_name")
        return cls(
            job_class=job_class,
            job_id=job_id if isinstance(job_id, str) else None,
            queue_name=queue_name if isinstance(queue_name, str) else None,
            arguments=arguments,
            priority=data.get("priority"),
            provider_job_id=data.get("provider_job_id"),
            executions=data.get("executions", 0),
            exception_executions=data.get("exception_executions", {}),
            locale=data.get("locale"),
            timezone=data.get("timezone"),
            enqueued_at=data.get("enqueued_at"),
            scheduled_at=data.get("scheduled_at"),
            extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
        )


def is_wrapped(payload: Mapping[str, Any]) -> bool:
    """True when a decoded Resque payload is an ActiveJob JobWrapper job."""
    return payload.get("class") == WRAPPER_CLASS


def inner_class(payload: Any) -> str | None:
    """The ActiveJob class a JobWrapper payload carries (``args[0]["job_class"]``), else ``None``.

    resque-web shows failures the same way: ``args[0]["job_class"] (via ActiveJob)``.
    """
    return active_job_class(payload)


def job_data(args: Sequence[Any]) -> JobData:
    """The job data of a JobWrapper's Resque ``args`` (``JobWrapper.perform(job_data)``)."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise NotAnActiveJob(f"a JobWrapper job takes one job-data hash, got args {list(args)!r}")
    return JobData.from_hash(args[0])


def decode_wrapped(job: Job) -> JobData:
    """The job data of a reserved ``Job``; raises ``NotAnActiveJob`` for any other payload."""
    if not is_wrapped(job.payload):
        raise NotAnActiveJob(f"{job.class_name} is not {WRAPPER_CLASS}")
    return job_data(job.args)


def build_job_data(
    job_class: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    queue: str = DEFAULT_QUEUE,
    priority: int | None = None,
    job_id: str | None = None,
    locale: str = "en",
    timezone_name: str | None = "UTC",
    enqueued_at: datetime | None = None,
    scheduled_at: datetime | None = None,
    codec: Codec = DEFAULT_CODEC,
) -> dict[str, Any]:
    """``ActiveJob::Core#serialize`` for a Python-enqueued job, keys in Rails' order.

    ``kwargs`` become Ruby keyword arguments (a trailing ``_aj_ruby2_keywords`` hash), as
    ``perform_later(*args, **kwargs)`` writes them. Raises ``ArgumentEncodeError``.
    """
    arguments = list(args)
    if kwargs:
        arguments.append(KeywordArguments({Symbol(k): v for k, v in kwargs.items()}))
    now = (enqueued_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    data: dict[str, Any] = {
        "job_class": job_class,
        "job_id": job_id or str(uuid.uuid4()),
        "provider_job_id": None,
        "queue_name": queue,
        "priority": priority,
        "arguments": codec.serialize(arguments),
        "executions": 0,
        "exception_executions": {},
        "locale": locale,
        "timezone": timezone_name,
    }
    if codec.rails is RailsFormat.RAILS_6_1:
        data["enqueued_at"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        data["enqueued_at"] = format_iso8601(now, z_for_zero=True)
        data["scheduled_at"] = (
            format_iso8601(scheduled_at.astimezone(timezone.utc), z_for_zero=True) if scheduled_at else None
        )
    return data


def encode_wrapped(data: Mapping[str, Any], profile: Profile = Profile.RAILS) -> bytes:
    """The bytes ``Resque.enqueue_to(queue, JobWrapper, data)`` writes from a Rails process."""
    return encode(job_payload(WRAPPER_CLASS, [dict(data)]), profile, "args")
