"""OpenTelemetry spans shaped as Ruby's opentelemetry-instrumentation-resque shapes them: a
PRODUCER ``<queue> publish`` span whose W3C context rides in the payload's ``traceparent``, a
CONSUMER ``<queue> process`` span linked to it; nothing on the wire without ``instrument()``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import jobs_for_tests
import pytest
import redis
from worker_harness import Workers, push_raw, workers

from resque_compat import Resque, tracing
from resque_compat.config.worker import WorkerSettings
from resque_compat.runtime.worker import Worker

sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")
export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

__all__ = ["workers"]
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


@pytest.fixture
def spans() -> Iterator[Any]:
    exporter = in_memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    tracing.instrument(provider)
    try:
        yield exporter
    finally:
        tracing.uninstrument()
        provider.shutdown()


def in_process(resque: Resque, redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)
    settings = WorkerSettings(queues=("q",), interval=0.0, fork_per_job=False)
    logger = logging.getLogger(f"test-worker-{namespace}")
    assert (
        Worker.from_client(
            resque, jobs_for_tests.registry, settings, jobs_for_tests.hooks, logger=logger
        ).work()
        == 0
    )


def test_enqueue_writes_the_traceparent_ruby_writes_and_the_job_span_links_to_it(
    spans: Any, resque: Resque, redis_client: redis.Redis, namespace: str, redis_url: str, monkeypatch: Any
) -> None:
    resque.enqueue_to("q", "Echo", 1, "a")
    (raw,) = redis_client.lrange(f"{namespace}:queue:q", 0, -1)  # type: ignore[misc]
    # The gem injects into the push hash: class, args, then traceparent.
    match = re.fullmatch(
        rb'\{"class":"Echo","args":\[1,"a"\],"traceparent":"(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})"\}',
        raw,
    )
    assert match, raw
    in_process(resque, redis_url, namespace, monkeypatch)
    assert jobs_for_tests_told(redis_client, namespace) == ['[1, "a"]']
    publish, process = sorted(spans.get_finished_spans(), key=lambda s: s.start_time)
    assert (publish.name, publish.kind, process.name, process.kind) == (
        "q publish",
        SpanKind.PRODUCER,
        "q process",
        SpanKind.CONSUMER,
    )
    expected = {
        "messaging.system": "resque",
        "messaging.destination": "q",
        "messaging.destination_kind": "queue",
        "messaging.resque.job_class": "Echo",
    }
    assert dict(publish.attributes) == expected == dict(process.attributes)
    trace_id, span_id = TRACEPARENT.fullmatch(match.group(1).decode()).groups()  # type: ignore[union-attr]
    assert (f"{publish.context.trace_id:032x}", f"{publish.context.span_id:016x}") == (trace_id, span_id)
    # propagation_style :link (the gem's default): a root span linked to the enqueuer's
    assert process.parent is None
    assert [link.context.span_id for link in process.links] == [publish.context.span_id]


def jobs_for_tests_told(client: redis.Redis, namespace: str) -> list[str]:
    return [v.decode() for v in client.lrange(f"{namespace}:test:echo", 0, -1)]  # type: ignore[union-attr]


def test_a_failing_job_marks_its_span_as_the_gem_does(
    spans: Any, resque: Resque, redis_client: redis.Redis, namespace: str, redis_url: str, monkeypatch: Any
) -> None:
    resque.enqueue_to("q", "Boom", 5)
    in_process(resque, redis_url, namespace, monkeypatch)
    process = next(s for s in spans.get_finished_spans() if s.name == "q process")
    assert process.status.status_code == StatusCode.ERROR
    assert process.status.description == "Unhandled exception of type: RuntimeError"
    assert [e.name for e in process.events] == ["exception"]
    (record,) = [json.loads(r) for r in redis_client.lrange(f"{namespace}:failed", 0, -1)]  # type: ignore[union-attr]
    assert set(record["payload"]) == {"class", "args", "traceparent"}  # kept, as Ruby keeps it


def test_child_propagation_and_activejob_class_names(
    resque: Resque, redis_client: redis.Redis, namespace: str, redis_url: str, monkeypatch: Any
) -> None:
    exporter = in_memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    tracing.instrument(provider, propagation_style="child", span_naming="job_class")
    try:
        resque.push(
            "q",
            {
                "class": "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper",
                "args": [{"job_class": "Mailer"}],
            },
        )
        resque.enqueue_to("q", "Echo", 2)
        in_process(resque, redis_url, namespace, monkeypatch)
    finally:
        tracing.uninstrument()
        provider.shutdown()
    names = sorted(s.name for s in exporter.get_finished_spans())
    # (no performer for the ActiveJob wrapper here: its job fails unperformed, without a span)
    assert names == ["Echo process", "Echo publish", "Mailer publish"]
    by_name = {s.name: s for s in exporter.get_finished_spans()}
    assert by_name["Echo process"].parent.span_id == by_name["Echo publish"].context.span_id


def test_without_instrument_nothing_changes_on_the_wire(
    resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    assert tracing.active() is None
    resque.enqueue_to("q", "Echo", 1)
    resque.push("q", {"class": "Echo", "args": [2]})
    assert redis_client.lrange(f"{namespace}:queue:q", 0, -1) == [
        b'{"class":"Echo","args":[1]}',
        b'{"class":"Echo","args":[2]}',
    ]


def test_a_forked_child_flushes_its_span_before_it_exits(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "otel_app_for_tests", QUEUE="q", RESQUE_OTEL="1")
    push_raw(
        redis_client,
        namespace,
        "q",
        b'{"class":"Echo","args":[9],"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
    )
    span = json.loads(workers.next("spans") or "null")
    assert (span["name"], span["kind"], span["links"]) == (
        "q process",
        "SpanKind.CONSUMER",
        ["b7ad6b7169203331"],
    )
    assert span["trace_id"] != "0af7651916cd43dd8448eb211c80319c"  # a root span of its own, linked
    assert workers.stop(proc) == 0
