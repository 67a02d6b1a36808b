"""Writes Redis refuses: at ``maxmemory`` (``noeviction``) and on a read-only replica. The store
raises them as the project's ``RedisOutOfMemory`` and ``RedisReadOnly`` (``RedisRefused``, a
``RedisUnavailable``), never as redis-py's types; workers wait them out and lose no job."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from test_faults_reserve import ballast, jobs, oom_refusals, wait_for
from worker_harness import WAIT, Workers, failures, push_raw

from resque_compat import Resque
from resque_compat.errors import RedisOutOfMemory, RedisReadOnly, RedisRefused, RedisUnavailable
from resque_compat.store import connect
from resque_compat.testing import RedisServer


@pytest.fixture
def replica() -> Iterator[tuple[RedisServer, RedisServer]]:
    """A master and a read-only replica of it (``replicaof``), synced before the test runs."""
    with (
        RedisServer() as master,
        RedisServer(extra_args=("--replicaof", "127.0.0.1", str(master.port))) as copy,
    ):
        client = connect(master.url)
        client.set("sync", "1")
        assert synced(client), "the replica did not sync"
        client.close()
        yield master, copy


def synced(master: redis.Redis) -> bool:
    """``WAIT 1``: every write so far reached the replica (bounded by ``WAIT`` seconds)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if int(master.execute_command("WAIT", 1, 1000)) >= 1:
            return True
    return False


def readonly_refusals(client: redis.Redis) -> int:
    stats = client.info("errorstats")
    return int(stats.get("errorstat_READONLY", {}).get("count", 0))


def test_an_enqueue_at_maxmemory_raises_redis_out_of_memory_and_writes_nothing(
    full_redis: RedisServer, namespace: str
) -> None:
    client = connect(full_redis.url)
    resque = Resque(client, namespace=namespace)
    ballast(client, 2048)
    client.config_set("maxmemory", str(int(client.info("memory")["used_memory"]) - 512 * 1024))
    with pytest.raises(RedisOutOfMemory, match=r"full \(maxmemory") as refused:
        resque.enqueue_to("q1", "Echo", 1)
    assert isinstance(refused.value, RedisRefused) and isinstance(refused.value, RedisUnavailable)
    assert isinstance(refused.value.__cause__, redis.exceptions.OutOfMemoryError)
    with pytest.raises(RedisOutOfMemory):
        resque.enqueue_many("q1", "Echo", ([i] for i in range(100)))
    client.config_set("maxmemory", "0")
    assert client.llen(f"{namespace}:queue:q1") == 0
    client.close()


def test_an_enqueue_on_a_read_only_replica_raises_redis_read_only(
    replica: tuple[RedisServer, RedisServer], namespace: str
) -> None:
    _, copy = replica
    client = connect(copy.url)
    with pytest.raises(RedisReadOnly, match="read-only replica") as refused:
        Resque(client, namespace=namespace).enqueue_to("q1", "Echo", 1)
    assert isinstance(refused.value.__cause__, redis.exceptions.ReadOnlyError)
    with pytest.raises(RedisReadOnly):
        Resque(client, namespace=namespace).enqueue_many("q1", "Echo", ([i] for i in range(10)))
    client.close()


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_worker_on_a_read_only_replica_waits_takes_nothing_and_runs_every_job_once_promoted(
    replica: tuple[RedisServer, RedisServer], namespace: str, fork: str
) -> None:
    master, copy = replica
    on_master, on_copy = connect(master.url), connect(copy.url)
    w = Workers(copy.url, namespace, on_copy)
    try:
        push_raw(on_master, namespace, "q1", *jobs(20))
        assert synced(on_master)
        before = readonly_refusals(on_copy)
        proc = w.start(QUEUE="q1", FORK_PER_JOB=fork, wait_ready=False)
        assert wait_for(lambda: readonly_refusals(on_copy) >= before + 5)
        assert proc.poll() is None, "the worker exited on a read-only replica"
        assert on_copy.llen(f"{namespace}:queue:q1") == 20
        on_copy.execute_command("REPLICAOF", "NO", "ONE")  # a failover promotes it
        got = sorted((w.next("echo") or "" for _ in range(20)), key=lambda v: int(v[1:-1] or 0))
        assert got == [f"[{i}]" for i in range(20)]
        assert w.stop(proc) == 0
        assert w.all("echo") == []  # nothing ran twice
        assert on_copy.llen(f"{namespace}:queue:q1") == 0
        assert failures(on_copy, namespace) == []
        assert on_copy.smembers(f"{namespace}:workers") == set()
        assert int(on_copy.get(f"{namespace}:stat:processed") or 0) == 20  # type: ignore[arg-type]
    finally:
        w.close()
        on_master.close()
        on_copy.close()


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_failure_record_redis_refuses_at_maxmemory_goes_in_once_when_memory_is_back(
    full_redis: RedisServer, namespace: str, fork: str
) -> None:
    client = connect(full_redis.url)
    w = Workers(full_redis.url, namespace, client)
    try:
        ballast(client, 4096)
        proc = w.start(QUEUE="q1", FORK_PER_JOB=fork)
        wid = w.worker_id(proc)
        refused = oom_refusals(client)
        push_raw(client, namespace, "q1", b'{"class":"FullThenBoom","args":[1]}')
        assert w.next("full")
        assert wait_for(lambda: oom_refusals(client) >= refused + 3)
        assert proc.poll() is None, "the worker exited at maxmemory"
        assert client.llen(f"{namespace}:failed") == 0
        assert client.exists(f"{namespace}:worker:{wid}") == 1  # the job is still held, not lost
        client.config_set("maxmemory", "0")
        assert wait_for(lambda: client.llen(f"{namespace}:failed") == 1)
        assert client.exists(f"{namespace}:worker:{wid}") == 0
        assert w.stop(proc) == 0
        (record,) = failures(client, namespace)
        assert (record["exception"], record["payload"]["args"]) == ("RuntimeError", [1])
        assert int(client.get(f"{namespace}:stat:processed") or 0) == 1  # type: ignore[arg-type]
        assert int(client.get(f"{namespace}:stat:failed") or 0) == 1  # type: ignore[arg-type]
    finally:
        w.close()
        client.close()
