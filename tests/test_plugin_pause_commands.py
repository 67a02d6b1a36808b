"""resque-pause's check costs a worker no command: the reserve script looks at the pause keys
itself, so a worker sends the same commands per job whether a queue it listens on is paused or
not. Counted with ``MONITOR`` on a private redis-server, as the difference between a run of 150
jobs and one of 50 (the worker's start and stop cancel out)."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from monitor_harness import Monitor

from resque_compat import Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.runtime.worker import Worker
from resque_compat.testing import RedisServer


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as srv:
        yield srv


def commands_of_a_run(
    server: RedisServer, jobs: int, paused: str | None
) -> tuple[Counter[str], Counter[str]]:
    """(client commands, script commands) of an in-process worker draining ``jobs`` jobs from
    ``jobs`` while listening on ``jobs,other``; ``paused`` names a pause key set meanwhile."""
    client = redis.Redis.from_url(server.url)
    ns = f"pause-{uuid.uuid4().hex[:8]}"
    resque = Resque(client, namespace=ns)
    registry = Registry()
    registry.job("Noop")(lambda *args: None)
    resque.enqueue_many("jobs", "Noop", [[n] for n in range(jobs)])
    if paused:
        client.set(f"{ns}:{paused}", "true")
    settings = WorkerSettings(queues=("jobs", "other"), interval=0.0, fork_per_job=False)
    worker = Worker.from_client(resque, registry, settings, logger=logging.getLogger("pause-commands"))
    monitor = Monitor(server.port)
    worker.work()
    seen = monitor.stop()
    assert resque.size("jobs") == 0 and int(client.get(f"{ns}:stat:processed") or 0) == jobs
    client.close()
    sent = Counter(name for name, _, scripted in seen if not scripted)
    ran = Counter(name for name, _, scripted in seen if scripted)
    return sent, ran


def per_100_jobs(server: RedisServer, paused: str | None) -> tuple[Counter[str], Counter[str]]:
    small_sent, small_ran = commands_of_a_run(server, 50, paused)
    big_sent, big_ran = commands_of_a_run(server, 150, paused)
    return big_sent - small_sent, big_ran - small_ran


def test_a_worker_sends_the_same_commands_per_job_with_a_queue_paused_as_with_none(
    server: RedisServer,
) -> None:
    sent, ran = per_100_jobs(server, None)
    sent_paused, ran_paused = per_100_jobs(server, "pause:queue:other")
    assert sent == Counter({"evalsha": 100})  # one reserve trip a job, nothing else
    assert sent_paused == sent
    # inside the script: one EXISTS over every pause key when nothing is paused; the global key
    # and the job's own queue looked at too once one of them is
    assert ran["exists"] == 100
    assert ran_paused["exists"] == 300
