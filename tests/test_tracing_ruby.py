"""Traces across the languages with real Ruby Resque: a payload pushed the way Ruby's
opentelemetry-instrumentation-resque pushes it (``OpenTelemetry.propagation.inject(item)`` sets
``item['traceparent']`` on the push hash, then ``Resque.push``) is linked from the Python job's
span, and a job Python enqueued while tracing is reserved by Ruby with its args untouched and the
``traceparent`` the gem's ``extract(@payload)`` reads. Needs ``ruby`` and ``RESQUE_REF_LIB``."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from typing import Any

import jobs_for_tests
import pytest
import redis

from resque_compat import Resque, tracing
from resque_compat.config.worker import WorkerSettings
from resque_compat.runtime.worker import Worker

pytestmark = pytest.mark.skipif(
    not (shutil.which("ruby") and os.environ.get("RESQUE_REF_LIB")),
    reason="needs ruby and RESQUE_REF_LIB (a Resque 3.0 lib/ directory)",
)
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")
export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")

RUBY_PUSH = """
require "resque"
Resque.redis = ARGV[0]
Resque.redis.namespace = ARGV[1]
item = {class: "Echo", args: [1, "a"]}
item["traceparent"] = ARGV[2]   # what the gem's TextMap setter does in ResqueModule#push
Resque.push("q", item)
"""
RUBY_RESERVE = """
require "resque"
require "json"
Resque.redis = ARGV[0]
Resque.redis.namespace = ARGV[1]
job = Resque.reserve("q")
seen = {"class" => job.payload["class"], "args" => job.args}
puts JSON.generate(seen.merge("traceparent" => job.payload["traceparent"]))
"""


def ruby(script: str, *args: str) -> str:
    cmd = ["ruby", "-I", os.environ["RESQUE_REF_LIB"], "-e", script, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def spans() -> Any:
    exporter = in_memory.InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))
    tracing.instrument(provider)
    yield exporter
    tracing.uninstrument()
    provider.shutdown()


def test_a_job_ruby_pushed_with_a_traceparent_is_linked_from_the_python_span(
    spans: Any, resque: Resque, redis_client: redis.Redis, namespace: str, redis_url: str, monkeypatch: Any
) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    ruby(RUBY_PUSH, redis_url, namespace, parent)
    (raw,) = redis_client.lrange(f"{namespace}:queue:q", 0, -1)  # type: ignore[misc]
    assert raw == b'{"class":"Echo","args":[1,"a"],"traceparent":"%s"}' % parent.encode()
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)
    settings = WorkerSettings(queues=("q",), interval=0.0, fork_per_job=False)
    Worker.from_client(resque, jobs_for_tests.registry, settings, logger=logging.getLogger(namespace)).work()
    (process,) = spans.get_finished_spans()
    (link,) = process.links
    assert (f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") == (
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
    )


def test_a_job_python_enqueued_while_tracing_is_read_by_ruby_with_its_args(
    spans: Any, resque: Resque, redis_url: str, namespace: str
) -> None:
    resque.enqueue_to("q", "Echo", 1, {"k": "v"})
    (publish,) = spans.get_finished_spans()
    seen = json.loads(ruby(RUBY_RESERVE, redis_url, namespace))
    assert (seen["class"], seen["args"]) == ("Echo", [1, {"k": "v"}])
    assert seen["traceparent"].split("-")[2] == f"{publish.context.span_id:016x}"
