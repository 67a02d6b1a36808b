"""Error reporters beside the Redis failure backend (Ruby's Failure::Multiple with Sentry): the
failure still becomes Ruby's record, and the reporter gets the exception with the job's class,
queue, args and worker. Sentry is checked through a transport of the test's, not the network."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import jobs_for_tests
import pytest
import redis
from worker_harness import Workers, push_raw, workers

from resque_compat import Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.errors import ConfigError
from resque_compat.reporting import JobFailure, build_reporters
from resque_compat.runtime.worker import Worker

__all__ = ["workers"]
reported: list[JobFailure] = []


def remember(failure: JobFailure) -> None:
    reported.append(failure)


def run(resque: Resque, namespace: str, reporters: tuple[str, ...]) -> Worker:
    settings = WorkerSettings(queues=("q",), interval=0.0, fork_per_job=False, error_reporters=reporters)
    worker = Worker.from_client(
        resque, jobs_for_tests.registry, settings, logger=logging.getLogger(f"test-worker-{namespace}")
    )
    assert worker.work() == 0
    return worker


@pytest.fixture
def env(redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)
    reported.clear()
    yield
    reported.clear()


def test_a_reporter_gets_the_exception_and_the_job_beside_the_redis_record(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "q", b'{"class":"Boom","args":[4,"x"]}', b'{"class":"Echo","args":[1]}')
    worker = run(resque, namespace, (f"{__name__}:remember",))
    (failure,) = reported
    assert isinstance(failure.exception, RuntimeError) and str(failure.exception) == "boom (4, 'x')"
    assert (failure.class_name, failure.queue, failure.args, failure.worker) == (
        "Boom",
        "q",
        [4, "x"],
        worker.worker_id,
    )
    (record,) = [json.loads(r) for r in redis_client.lrange(f"{namespace}:failed", 0, -1)]  # type: ignore[union-attr]
    assert record["exception"] == "RuntimeError"


def broken(failure: JobFailure) -> None:
    raise OSError("reporting service down")


def test_a_reporter_that_raises_loses_nothing(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    push_raw(redis_client, namespace, "q", b'{"class":"Boom","args":[1]}')
    with caplog.at_level(logging.ERROR):
        run(resque, namespace, (f"{__name__}:broken",))
    assert redis_client.llen(f"{namespace}:failed") == 1
    assert any("reporting service down" in r.getMessage() for r in caplog.records)


def test_unknown_reporters_are_refused() -> None:
    with pytest.raises(ConfigError, match="use sentry or module:attr"):
        build_reporters(["airbrake"])
    with pytest.raises(ConfigError, match="has no report"):
        build_reporters([f"{__name__}:reported"])


def test_sentry_gets_one_event_with_the_jobs_class_queue_args_and_worker(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    sentry_sdk = pytest.importorskip("sentry_sdk", reason="the sentry extra is not installed")
    from sentry_sdk.transport import Transport

    envelopes: list[Any] = []

    class FakeTransport(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            envelopes.append(envelope)

    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1", transport=FakeTransport, default_integrations=False
    )
    try:
        push_raw(redis_client, namespace, "q", b'{"class":"Boom","args":[7]}')
        worker = run(resque, namespace, ("sentry",))
    finally:
        sentry_sdk.init()  # no DSN: off again
    events = [item.payload.json for env_ in envelopes for item in env_.items if item.type == "event"]
    (event,) = events
    (exc,) = event["exception"]["values"]
    assert (exc["type"], exc["value"]) == ("RuntimeError", "boom (7,)")
    assert any(f["function"] == "boom" for f in exc["stacktrace"]["frames"])
    assert event["tags"] == {"resque.class": "Boom", "resque.queue": "q", "resque.worker": worker.worker_id}
    assert event["contexts"]["resque"] == {
        "class": "Boom",
        "queue": "q",
        "args": [7],
        "worker": worker.worker_id,
    }


def test_a_forked_child_sends_its_sentry_event_before_it_exits(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "sentry_app_for_tests", QUEUE="q", RESQUE_ERROR_REPORTERS="sentry")
    push_raw(redis_client, namespace, "q", b'{"class":"Boom","args":[8]}')
    event = json.loads(workers.next("sentry") or "null")
    assert event["tags"]["resque.class"] == "Boom" and event["contexts"]["resque"]["args"] == [8]
    assert workers.stop(proc) == 0
