"""Running ActiveJob jobs in Python and enqueueing them for Rails.

A Python worker runs Resque payloads by class name, so ActiveJob support is one performer,
registered under ``ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper``, that does what
``JobWrapper.perform(job_data)`` -> ``ActiveJob::Base.execute(job_data)`` does in Ruby: read the
job data, find the performer registered under the inner ``job_class``, deserialize the
arguments and call it, with a trailing keyword-arguments hash passed as Python keywords::

    registry = Registry()
    active_jobs = activejob.install(registry)

    @active_jobs.job("SendInvoiceJob", queue="default")
    def send_invoice(invoice, *, notify=False): ...

Errors name the inner class: an unknown class raises ``UnknownActiveJobClass``, an encoding
Python does not know ``UnknownEncodingError``, and a performer's own exception is re-raised as
``ActiveJobPerformError("SendInvoiceJob raised ValueError: ...")`` chained to the original.
ActiveJob's own machinery (callbacks, ``retry_on``/``discard_on``, ``executions`` counting) is
Ruby code and is not reproduced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..jobs import Registry, perform_callable
from ..protocol import Profile, encode
from ..protocol.delayed import epoch_seconds
from ..protocol.records import WRAPPER_CLASS
from ..store import DataStore
from .arguments import Codec
from .errors import ActiveJobPerformError, UnknownActiveJobClass
from .payload import DEFAULT_QUEUE, JobData, build_job_data, encode_wrapped, job_data
from .values import GlobalID, KeywordArguments

if TYPE_CHECKING:
    from ..client import Resque


@dataclass(frozen=True, slots=True)
class ActiveJobPerformer:
    """A Python callable answering to one ActiveJob class name.

    ``target`` is a function or a class with ``perform`` (instantiated per job, as ActiveJob
    does); with ``with_job`` it receives the ``JobData`` (job_id, locale, executions...) first.
    """

    job_class: str
    target: Any
    queue: str = DEFAULT_QUEUE
    with_job: bool = False

    def call(self, args: list[Any], kwargs: Mapping[str, Any], data: JobData) -> Any:
        func = perform_callable(self.target) if hasattr(self.target, "perform") else self.target
        leading = [data] if self.with_job else []
        return func(*leading, *args, **kwargs)


class ActiveJobWrapper:
    """The performer of ``ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper`` for Python workers,
    with the performers of the inner ActiveJob classes (mirrors ``JobWrapper.perform``)."""

    resque_class = WRAPPER_CLASS

    def __init__(self, codec: Codec | None = None) -> None:
        self.codec = codec or Codec()
        self._performers: dict[str, ActiveJobPerformer] = {}

    def register(
        self, target: Any, job_class: str, *, queue: str | None = None, with_job: bool = False
    ) -> ActiveJobPerformer:
        """Register ``target`` as the performer of ActiveJob class ``job_class``; returns it."""
        existing = self._performers.get(job_class)
        if existing is not None and existing.target is not target:
            raise ValueError(f"ActiveJob class {job_class!r} is already registered to {existing.target!r}")
        performer = ActiveJobPerformer(job_class, target, queue or DEFAULT_QUEUE, with_job)
        self._performers[job_class] = performer
        return performer

    def job(
        self, job_class: str, *, queue: str | None = None, with_job: bool = False
    ) -> Callable[[Any], Any]:
        """Decorator: ``@active_jobs.job("SendInvoiceJob", queue="mailers")`` on a function or a
        class with ``perform``. The decorated object is returned unchanged."""

        def wrap(target: Any) -> Any:
            self.register(target, job_class, queue=queue, with_job=with_job)
            return target

        return wrap

    def performer(self, job_class: str) -> ActiveJobPerformer | None:
        return self._performers.get(job_class)

    def job_classes(self) -> list[str]:
        """The ActiveJob class names with a Python performer, sorted."""
        return sorted(self._performers)

    def __contains__(self, job_class: object) -> bool:
        return job_class in self._performers

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._performers))

    def perform(self, *args: Any) -> Any:
        """``JobWrapper.perform(job_data)``: deserialize and run the inner job.

        Raises ``NotAnActiveJob``, ``UnknownActiveJobClass``, ``ArgumentDecodeError`` /
        ``UnknownEncodingError`` or ``ActiveJobPerformError``; each names the inner class.
        """
        data = job_data(args)
        performer = self._performers.get(data.job_class)
        if performer is None:
            raise UnknownActiveJobClass(data.job_class)
        arguments = self.codec.deserialize(data.arguments, data.job_class)
        keywords: dict[str, Any] = {}
        if arguments and isinstance(arguments[-1], KeywordArguments):
            keywords = {str(k): v for k, v in arguments.pop().items()}
        try:
            return performer.call(arguments, keywords, data)
        except Exception as exc:
            # Keep the performer's frames: the failure's backtrace should point into the app.
            raise ActiveJobPerformError(data.job_class, exc).with_traceback(exc.__traceback__) from exc


def install(
    registry: Registry,
    *,
    codec: Codec | None = None,
    locate: Callable[[GlobalID], Any] | None = None,
) -> ActiveJobWrapper:
    """Register the JobWrapper performer in ``registry`` (once) and return it.

    ``locate`` turns GlobalID references into records before the performer sees them (default:
    hand over the ``GlobalID``); ``codec`` chooses the Rails version and custom serializers.
    """
    found = registry.get(WRAPPER_CLASS)
    if isinstance(found, ActiveJobWrapper):
        return found
    if found is not None:
        raise ValueError(f"{WRAPPER_CLASS} is already registered to {found!r}")
    base = codec or Codec()
    if locate is not None:
        base = Codec(base.rails, base.custom, locate)
    wrapper = ActiveJobWrapper(base)
    registry.register(wrapper, WRAPPER_CLASS)
    return wrapper


def active_job_classes(registry: Mapping[str, Any]) -> list[str]:
    """The ActiveJob classes a registry can run (through its JobWrapper performer), sorted."""
    found = registry.get(WRAPPER_CLASS)
    return found.job_classes() if isinstance(found, ActiveJobWrapper) else []


def enqueue(
    resque: Resque | DataStore,
    job_class: str | ActiveJobPerformer,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    queue: str | None = None,
    priority: int | None = None,
    job_id: str | None = None,
    locale: str = "en",
    timezone_name: str | None = "UTC",
    enqueued_at: datetime | None = None,
    codec: Codec | None = None,
    profile: Profile = Profile.RAILS,
    wait: float | timedelta | None = None,
    wait_until: datetime | float | None = None,
) -> str:
    """``SendInvoiceJob.perform_later(*args, **kwargs)`` from Python: push the JobWrapper payload a
    Rails worker runs, with Rails' fields (``job_id``, ``queue_name``, ``priority``,
    ``executions``, ``exception_executions``, ``locale``, ``timezone``, ``enqueued_at``).

    ``wait`` (seconds or a timedelta) or ``wait_until`` (an aware datetime or epoch seconds) is
    ``set(wait:)``/``set(wait_until:)``: Rails' Resque adapter then calls
    ``Resque.enqueue_at_with_queue(queue, scheduled_at, JobWrapper, job.serialize)``, so the job
    waits in resque-scheduler's delayed queue (or is enqueued now when already due).

    ``job_class`` is a Ruby class name or a registered ``ActiveJobPerformer`` (its queue is the
    default). Bytes follow ``profile`` (a Rails process: ``Profile.RAILS``). Returns the job_id.
    ``resque`` is a ``Resque`` client or the ``DataStore`` to push through.
    Raises ``ArgumentEncodeError`` for a value ActiveJob cannot carry; nothing is pushed then.
    """
    name = job_class.job_class if isinstance(job_class, ActiveJobPerformer) else job_class
    default_queue = job_class.queue if isinstance(job_class, ActiveJobPerformer) else DEFAULT_QUEUE
    target_queue = queue or default_queue
    data = build_job_data(
        name,
        args,
        kwargs,
        queue=target_queue,
        priority=priority,
        job_id=job_id,
        locale=locale,
        timezone_name=timezone_name,
        enqueued_at=enqueued_at,
        codec=codec or Codec(),
    )
    at = _scheduled_at(wait, wait_until)
    store = resque if isinstance(resque, DataStore) else resque.store
    if at is None:
        store.queues.push_to_queue(target_queue, encode_wrapped(data, profile))
    else:
        item = {"class": WRAPPER_CLASS, "args": [dict(data)], "queue": target_queue}
        if int(at) <= int(time.time()):
            store.queues.push_to_queue(target_queue, encode_wrapped(data, profile))
        else:
            store.delayed.delayed_push(int(at), encode(item, profile, "args"))
    return str(data["job_id"])


def _scheduled_at(wait: float | timedelta | None, wait_until: datetime | float | None) -> float | None:
    """``ActiveJob::Core#scheduled_at`` as ``set`` computes it: ``wait.seconds.from_now.to_f`` or
    ``wait_until.to_f`` (``wait`` wins, as in ``ConfiguredJob#perform_later``'s options)."""
    if wait is not None:
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return time.time() + seconds
    if wait_until is None:
        return None
    return float(epoch_seconds(wait_until)) if isinstance(wait_until, datetime) else float(wait_until)
