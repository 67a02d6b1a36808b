"""``resque-compat workers list|remove|kill`` and a worker that outlives a Redis restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from worker_harness import Workers, push_raw, workers

from resque_compat.store import connect
from resque_compat.testing import RedisServer

__all__ = ["workers"]


def cli(w: Workers, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "resque_compat.cli", *args]
    return subprocess.run(cmd, env=w.env(), capture_output=True, text=True, timeout=30, check=False)


def test_workers_list_remove_and_kill_act_like_bin_resque(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    assert cli(workers, "workers", "list").stdout == "None\n"
    idle = workers.start(QUEUE="idle")
    busy = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", b'{"class":"Slow","args":[30]}')
    workers.next("started")
    idle_id, busy_id = workers.worker_id(idle), workers.worker_id(busy)
    assert sorted(cli(workers, "workers", "list").stdout.splitlines()) == sorted(
        [f"{idle_id} (idle)", f"{busy_id} (working)"]
    )
    # remove: unregistered, its job in flight becomes a DirtyExit failure
    assert cli(workers, "workers", "remove", busy_id).stdout == f"** removed {busy_id}\n"
    (record,) = [json.loads(r) for r in redis_client.lrange(f"{namespace}:failed", 0, -1)]  # type: ignore[union-attr]
    assert (record["worker"], record["exception"], record["error"]) == (
        busy_id,
        "Resque::DirtyExit",
        "Job still being processed",
    )
    # kill: KILL to the local pid, then removed
    out = cli(workers, "workers", "kill", idle_id).stdout
    assert out == f"** killed {idle_id}\n** removed {idle_id}\n"
    assert idle.wait(timeout=15) == -signal.SIGKILL
    assert redis_client.smembers(f"{namespace}:workers") == {busy_id.encode()} - {busy_id.encode()}
    assert cli(workers, "workers", "remove", "nohost:1:x").returncode == 1


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_a_worker_outlives_a_queue_empty_hook_that_meets_redis_away(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    # A queue_empty hook talking to Redis mid-restart used to end the worker ("Failed to start
    # worker : ConnectionError"): the restart test's hook met it about 1 run in 6 under load.
    proc = workers.start(QUEUE="q", TEST_QUEUE_EMPTY_UNREACHABLE="1")
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":[1]}')
    assert workers.next("echo") == "[1]"
    while workers.next("hooks") != "queue_empty":
        pass  # the hooks before it (before_first_fork, before_fork, after_fork)
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":[2]}')
    assert workers.next("echo") == "[2]"
    assert proc.poll() is None
    assert workers.stop(proc) == 0


def test_a_worker_reconnects_after_redis_restarts_and_goes_on(own_redis: RedisServer, namespace: str) -> None:
    client = connect(own_redis.url)
    w = Workers(own_redis.url, namespace, client)
    try:
        proc = w.start(QUEUE="q")
        push_raw(client, namespace, "q", b'{"class":"Echo","args":[1]}')
        assert w.next("echo") == "[1]"
        # When Redis restarts (losing everything: no persistence)
        own_redis.restart()
        client.connection_pool.disconnect()
        push_raw(client, namespace, "q", b'{"class":"Echo","args":[2]}')
        # Then the worker performs the next job and is registered again
        assert w.next("echo") == "[2]"
        assert proc.poll() is None
        assert client.sismember(f"{namespace}:workers", w.worker_id(proc))
        assert w.stop(proc) == 0
    finally:
        w.close()
        client.close()
