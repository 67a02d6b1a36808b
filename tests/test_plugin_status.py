"""resque-status: the bytes of ``status:<uuid>``, ``_statuses`` and ``_kill`` as
``Resque::Plugins::Status`` writes them (the expected values are what resque-status 0.5.0 wrote
on Resque 3.0 for the same job), performed by a Python worker."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
import redis

from resque_compat import Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.plugins import StatusJob, status
from resque_compat.runtime.worker import Worker


class Exporter(StatusJob):
    resque_class = "Exporter"

    def run(self) -> None:
        self.at(1, 4, "one of four")
        self.tick("ticking")
        self._set({"extra": 5})


class Failing(StatusJob):
    resque_class = "Failing"

    def run(self) -> None:
        raise ValueError("nope")


@pytest.fixture
def registry() -> Registry:
    found = Registry()
    found.register(Exporter)
    found.register(Failing)
    return found


def drain(resque: Resque, registry: Registry) -> None:
    settings = WorkerSettings(queues=("statused",), interval=0.0, fork_per_job=False)
    assert Worker.from_client(resque, registry, settings, logger=logging.getLogger("status-test")).work() == 0


def test_creating_a_status_job_writes_the_queued_status_the_id_and_the_job(
    resque: Resque, redis_client: redis.Redis
) -> None:
    uuid = status.create(resque, Exporter, {"file": "a.pdf", "n": 2})
    assert uuid is not None and re.fullmatch(r"[0-9a-f]{32}", uuid)
    raw = redis_client.get(resque.keys.status(uuid))
    created = json.loads(raw or b"")["time"]
    assert (
        raw
        == (
            f'{{"time":{created},"status":"queued","uuid":"{uuid}","options":{{"file":"a.pdf","n":2}}}}'
        ).encode()
    )
    assert redis_client.zrange(resque.keys.statuses(), 0, -1, withscores=True) == [(uuid.encode(), created)]
    assert resque.peek("statused") == {"class": "Exporter", "args": [uuid, {"file": "a.pdf", "n": 2}]}


def test_a_python_worker_leaves_the_completed_status_resque_status_leaves(
    resque: Resque, redis_client: redis.Redis, registry: Registry
) -> None:
    uuid = status.create(resque, Exporter, {"file": "a.pdf", "n": 2})
    assert uuid is not None
    created = (status.get(resque, uuid) or {})["time"]
    drain(resque, registry)
    raw = (redis_client.get(resque.keys.status(uuid)) or b"").decode()
    done = re.search(r'"message":"Completed at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})"', raw)
    assert done is not None
    assert raw == (
        f'{{"time":{created},"status":"completed","uuid":"{uuid}","options":{{"file":"a.pdf","n":2}},'
        '"name":"Exporter({\\"file\\"=>\\"a.pdf\\", \\"n\\"=>2})","num":1,"total":4,'
        f'"message":"Completed at {done.group(1)}","extra":5}}'
    )
    assert status.pct_complete(status.get(resque, uuid) or {}) == 100


def test_a_killed_job_stops_at_its_next_tick_and_leaves_the_kill_list(
    resque: Resque, redis_client: redis.Redis, registry: Registry
) -> None:
    uuid = status.create(resque, Exporter, {"x": 1})
    assert uuid is not None
    resque.statuses.kill(uuid)
    assert resque.statuses.kill_ids() == [uuid]
    drain(resque, registry)
    killed: dict[str, Any] = status.get(resque, uuid) or {}
    assert list(killed) == ["time", "status", "uuid", "options", "name", "message"]
    assert (killed["status"], killed["name"]) == ("killed", 'Exporter({"x"=>1})')
    assert killed["message"].startswith("Killed at ")
    assert resque.statuses.kill_ids() == [] and resque.failure.count() == 0


def test_a_failing_status_job_is_failed_in_its_status_and_as_a_resque_failure(
    resque: Resque, registry: Registry
) -> None:
    uuid = status.create(resque, Failing)
    assert uuid is not None
    drain(resque, registry)
    failed: dict[str, Any] = status.get(resque, uuid) or {}
    assert (failed["status"], failed["name"], failed["message"]) == (
        "failed",
        "Failing()",
        "The task failed because of an error: nope",
    )
    assert resque.failure.count() == 1


def test_at_refuses_a_total_that_is_not_a_positive_number(resque: Resque) -> None:
    job = Exporter("u" * 32)
    with pytest.raises(status.NotANumber, match="total=0"):
        job.at(1, 0)
