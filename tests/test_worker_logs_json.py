"""LOGFORMAT=json: one JSON object a line through the standard logging module, with the worker,
the job's queue, class and id, and its duration and outcome on its last line."""

from __future__ import annotations

import json
import logging
from typing import Any

import jobs_for_tests
import pytest
import redis
from worker_harness import push_raw

from resque_compat import Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.errors import ConfigError
from resque_compat.runtime.logs import LOGGER_NAME
from resque_compat.runtime.worker import Worker


@pytest.fixture
def env(redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)


def run_worker(resque: Resque, **settings: Any) -> Worker:
    values: dict[str, Any] = {"queues": ("q",), "interval": 0.0, "fork_per_job": False}
    values.update(settings)
    worker = Worker.from_client(
        resque, jobs_for_tests.registry, WorkerSettings(**values), jobs_for_tests.hooks
    )
    assert worker.work() == 0
    return worker


def test_json_logs_are_one_object_a_line_with_the_jobs_fields(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    push_raw(
        redis_client,
        namespace,
        "q",
        b'{"class":"Echo","args":[1],"id":"job-7"}',
        b'{"class":"Boom","args":[2]}',
    )
    worker = run_worker(resque, log_format="json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all({"time", "level", "message", "pid", "worker"} <= set(line) for line in lines)
    assert {line["worker"] for line in lines} == {worker.worker_id}
    assert all(line["time"].endswith("+00:00") for line in lines)
    done = next(line for line in lines if line["message"].startswith("done: (Job{q} | Echo"))
    assert (done["level"], done["queue"], done["class"], done["job_id"], done["outcome"]) == (
        "info",
        "q",
        "Echo",
        "job-7",
        "done",
    )
    assert isinstance(done["duration"], float) and done["duration"] >= 0
    failed = next(line for line in lines if "failed:" in line["message"])
    assert (failed["level"], failed["class"], failed["outcome"]) == ("error", "Boom", "failed")
    assert "job_id" not in failed
    # Outside a job, no job fields.
    starting = next(line for line in lines if line["message"].startswith("Starting worker"))
    assert not {"queue", "class", "outcome"} & set(starting)


def test_any_logging_handler_can_take_the_records_and_their_fields(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":[3]}')
    logger = logging.getLogger(f"{LOGGER_NAME}.test-{namespace}")
    logger.setLevel(logging.INFO)
    logger.addHandler(Collect())
    values: dict[str, Any] = {"queues": ("q",), "interval": 0.0, "fork_per_job": False}
    Worker.from_client(resque, jobs_for_tests.registry, WorkerSettings(**values), logger=logger).work()
    (done,) = [r for r in seen if r.getMessage().startswith("done:")]
    assert (done.resque_queue, done.resque_class, done.resque_outcome) == ("q", "Echo", "done")  # type: ignore[attr-defined]


def test_an_unknown_logformat_is_refused() -> None:
    with pytest.raises(ConfigError, match="LOGFORMAT must be one of"):
        WorkerSettings.from_env({"LOGFORMAT": "xml"})
    assert WorkerSettings.from_env({"LOGFORMAT": "JSON"}).log_format == "json"
