"""A worker app that exports finished spans to Redis (``test:spans``) as an OpenTelemetry SDK
would to a collector, so a test sees the spans a forked child made."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jobs_for_tests import hooks, registry, tell
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

__all__ = ["hooks", "registry"]


class RedisExporter(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        for span in spans:
            tell(
                "spans",
                json.dumps(
                    {
                        "name": span.name,
                        "kind": str(span.kind),
                        "trace_id": f"{span.context.trace_id:032x}",
                        "links": [f"{link.context.span_id:016x}" for link in span.links],
                    }
                ),
            )
        return SpanExportResult.SUCCESS


provider = TracerProvider()
# Batched: only the child's flush before os._exit gets the span out.
provider.add_span_processor(BatchSpanProcessor(RedisExporter(), schedule_delay_millis=60_000))
trace.set_tracer_provider(provider)
