"""OpenTelemetry tracing compatible with Ruby's ``opentelemetry-instrumentation-resque``
(the ``otel`` extra; beyond Resque itself).

Mirrors the gem's two patches. ``Resque.push`` (``patches/resque_module.rb``): a ``PRODUCER``
span ``<queue> publish`` around the push, the W3C context injected into the payload hash, so
the payload gains ``"traceparent"`` (and ``"tracestate"`` when there is one) after ``class``
and ``args``, exactly as the gem writes it. ``Job#perform`` (``patches/resque_job.rb``): a
``CONSUMER`` span ``<queue> process`` around the job, the context extracted from the payload;
by default (``propagation_style="link"``) a root span linked to the enqueuer's, ``"child"``
makes it a child, ``"none"`` neither. ``span_naming="job_class"`` names spans after the class.
Attributes (the gem's): ``messaging.system`` = ``resque``, ``messaging.destination`` = the
queue, ``messaging.destination_kind`` = ``queue``, ``messaging.resque.job_class`` (an ActiveJob
wrapper's ``job_class``). A failing job's span records the exception, status error
``Unhandled exception of type: <class>``. A forked child flushes the provider before it exits
(``force_flush: :ask_the_job``).

Nothing happens until ``instrument()`` is called (the worker calls it for ``RESQUE_OTEL=1``):
without it, or without the extra, not a byte changes on the wire and the cost is one check.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

from .protocol.records import active_job_class

SPAN_NAMINGS = ("queue", "job_class")
PROPAGATION_STYLES = ("link", "child", "none")
FORCE_FLUSH = ("ask_the_job", "always", "never")


class Tracing:
    """The tracer and the gem's options, once ``instrument`` ran."""

    def __init__(
        self, tracer_provider: Any, span_naming: str, propagation_style: str, force_flush: str
    ) -> None:
        for value, allowed in (
            (span_naming, SPAN_NAMINGS),
            (propagation_style, PROPAGATION_STYLES),
            (force_flush, FORCE_FLUSH),
        ):
            if value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")
        try:
            self.trace: Any = importlib.import_module("opentelemetry.trace")
            self.propagate: Any = importlib.import_module("opentelemetry.propagate")
            self.context: Any = importlib.import_module("opentelemetry.context")
        except ImportError as exc:
            raise ImportError("tracing needs the otel extra: pip install 'resque-compat[otel]'") from exc
        self.provider = tracer_provider or self.trace.get_tracer_provider()
        self.tracer = self.trace.get_tracer("resque_compat", tracer_provider=self.provider)
        self.span_naming = span_naming
        self.propagation_style = propagation_style
        self.force_flush = force_flush

    def _attributes(self, queue: str, job_class: str) -> dict[str, str]:
        return {
            "messaging.system": "resque",
            "messaging.destination": queue,
            "messaging.destination_kind": "queue",
            "messaging.resque.job_class": job_class,
        }

    def _name(self, queue: str, job_class: str, operation: str) -> str:
        return f"{job_class if self.span_naming == 'job_class' else queue} {operation}"

    @contextlib.contextmanager
    def publish(self, queue: str, item: MutableMapping[str, Any]) -> Iterator[None]:
        """``ResqueModule#push``: the span, and the context injected into ``item``."""
        job_class = job_class_of(item)
        with self.tracer.start_as_current_span(
            self._name(queue, job_class, "publish"),
            kind=self.trace.SpanKind.PRODUCER,
            attributes=self._attributes(queue, job_class),
        ):
            self.propagate.inject(item)
            yield

    @contextlib.contextmanager
    def process(self, queue: str, payload: Any, forked: bool) -> Iterator[None]:
        """``ResqueJob#perform``: the job runs inside its span."""
        carrier = payload if isinstance(payload, dict) else {}
        job_class = job_class_of(carrier)
        name = self._name(queue, job_class, "process")
        attributes = self._attributes(queue, job_class)
        kind = self.trace.SpanKind.CONSUMER
        extracted = self.propagate.extract({k: v for k, v in carrier.items() if isinstance(v, str)})
        try:
            if self.propagation_style == "child":
                token = self.context.attach(extracted)
                try:
                    with self.tracer.start_as_current_span(name, kind=kind, attributes=attributes):
                        yield
                finally:
                    self.context.detach(token)
                return
            links = []
            linked = self.trace.get_current_span(extracted).get_span_context()
            if self.propagation_style == "link" and linked.is_valid:
                links.append(self.trace.Link(linked))
            span = self.tracer.start_span(
                name, context=self.context.Context(), kind=kind, attributes=attributes, links=links
            )
            with self.trace.use_span(
                span, end_on_exit=True, record_exception=False, set_status_on_exception=False
            ):
                try:
                    yield
                except BaseException as exc:
                    span.record_exception(exc)
                    kind_name = getattr(exc, "ruby_name", None) or type(exc).__qualname__
                    span.set_status(
                        self.trace.Status(
                            self.trace.StatusCode.ERROR, f"Unhandled exception of type: {kind_name}"
                        )
                    )
                    raise
        finally:
            if self.force_flush == "always" or (self.force_flush == "ask_the_job" and forked):
                flush = getattr(self.provider, "force_flush", None)
                if callable(flush):
                    flush()


def job_class_of(item: Any) -> str:
    """The class the gem reports: an ActiveJob wrapper's ``job_class``, else the payload's."""
    return active_job_class(item) or str(item.get("class"))


_active: Tracing | None = None


def active() -> Tracing | None:
    """The tracing ``instrument`` set up, or ``None`` (the one check on every push and job)."""
    return _active


def instrument(
    tracer_provider: Any = None,
    *,
    span_naming: str = "queue",
    propagation_style: str = "link",
    force_flush: str = "ask_the_job",
) -> Tracing:
    """Trace pushes and jobs from now on (``OpenTelemetry::SDK.configure { |c| c.use ... }``),
    with the global tracer provider unless one is given. Options and defaults are the gem's."""
    global _active
    _active = Tracing(tracer_provider, span_naming, propagation_style, force_flush)
    return _active


def uninstrument() -> None:
    global _active
    _active = None
