"""Faults in the reserve and settle trips: a refused bookkeeping command, a reply lost after
Redis ran the reserve, Redis at ``maxmemory``. Every job runs exactly once or stays queued."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis
from worker_harness import WAIT, Workers, push_raw, workers

from chaos.proxy import Proxy
from resque_compat import Resque
from resque_compat.errors import RedisOutOfMemory
from resque_compat.store import connect
from resque_compat.testing import RedisServer

__all__ = ["workers"]


def jobs(n: int, start: int = 0) -> list[bytes]:
    return [b'{"class":"Echo","args":[%d]}' % i for i in range(start, start + n)]


def wait_for(predicate: object, timeout: float = WAIT) -> bool:
    """Poll Redis state a test cannot block on (counters, lengths); ``False`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)  # polling a Redis counter; there is no event to block on
    return False


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_stat_redis_refuses_to_count_costs_no_job_and_leaves_no_ghost(
    workers: Workers, redis_client: redis.Redis, namespace: str, fork: str
) -> None:
    redis_client.set(f"{namespace}:stat:processed", "abc")
    push_raw(redis_client, namespace, "q1", *jobs(20))
    proc = workers.start(QUEUE="q1", INTERVAL="0", FORK_PER_JOB=fork, wait_ready=False)
    assert proc.wait(timeout=60) == 0
    assert sorted(workers.all("echo"), key=lambda v: int(v[1:-1])) == [f"[{i}]" for i in range(20)]
    assert redis_client.llen(f"{namespace}:failed") == 0
    assert redis_client.smembers(f"{namespace}:workers") == set()
    assert not redis_client.keys(f"{namespace}:worker:*")


@pytest.fixture
def proxy(redis_url: str) -> Iterator[Proxy]:
    p = Proxy(urlparse(redis_url).port or 6379)
    try:
        yield p
    finally:
        p.close()


@pytest.mark.parametrize(("fork", "every"), [("true", 3), ("false", 2)])
def test_a_reserve_whose_reply_is_lost_is_found_in_worker_id_and_run_once(
    workers: Workers, redis_client: redis.Redis, namespace: str, proxy: Proxy, fork: str, every: int
) -> None:
    push_raw(redis_client, namespace, "q1", *jobs(30))
    push_raw(redis_client, namespace, "q1", b"{not json", b"[1]")
    proxy.drop_reply(b"EVALSHA", every)
    proc = workers.start(QUEUE="q1", FORK_PER_JOB=fork, REDIS_URL=proxy.url)
    # 30 jobs told their argument; the two unreadable ones are failures with their bytes.
    got = [workers.next("echo") for _ in range(30)]
    assert wait_for(lambda: redis_client.llen(f"{namespace}:failed") == 2)
    proxy.calm()
    assert workers.stop(proc, signal.SIGQUIT) == 0
    assert proxy.dropped >= 8
    assert sorted(got, key=lambda v: int((v or "[0]")[1:-1])) == [f"[{i}]" for i in range(30)]
    assert workers.all("echo") == []  # nothing ran twice
    assert redis_client.llen(f"{namespace}:queue:q1") == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"32"
    assert not redis_client.keys(f"{namespace}:worker:*")


def ballast(client: redis.Redis, kib: int) -> None:
    """Fill Redis from inside (a big SET's query buffer would be freed again moments later)."""
    client.eval(
        "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'ballast:' .. i, string.rep('x', 1024)) end",
        0,
        kib,
    )


def oom_refusals(client: redis.Redis) -> int:
    stats = client.info("errorstats")
    return int(stats.get("errorstat_OOM", {}).get("count", 0))


@pytest.mark.parametrize("started", ["before", "after"])
def test_workers_wait_out_maxmemory_without_losing_a_job_or_leaving_a_ghost(
    full_redis: RedisServer, namespace: str, started: str
) -> None:
    client = connect(full_redis.url)
    w = Workers(full_redis.url, namespace, client)
    try:
        ballast(client, 4096)
        if started == "after":
            push_raw(client, namespace, "q1", *jobs(20))
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory", str(used - 512 * 1024))
        proc = w.start(QUEUE="q1", wait_ready=started == "before")
        if started == "before":
            # The jobs and the limit arrive together, so the worker meets them only when full.
            used = int(client.info("memory")["used_memory"])
            pipe = client.pipeline(transaction=True)
            pipe.sadd(f"{namespace}:queues", "q1")
            pipe.rpush(f"{namespace}:queue:q1", *jobs(20))
            pipe.config_set("maxmemory", str(used - 512 * 1024))
            pipe.execute()
        refused = oom_refusals(client)
        assert wait_for(lambda: oom_refusals(client) >= refused + 5)
        assert proc.poll() is None, "the worker exited at maxmemory"
        assert client.llen(f"{namespace}:queue:q1") == 20  # nothing taken while Redis is full
        client.config_set("maxmemory", "0")
        got = sorted((w.next("echo") or "" for _ in range(20)), key=lambda v: int(v[1:-1] or 0))
        assert got == [f"[{i}]" for i in range(20)]
        assert w.stop(proc) == 0
        assert client.smembers(f"{namespace}:workers") == set()
        assert client.llen(f"{namespace}:failed") == 0
    finally:
        w.close()
        client.close()


def test_enqueue_many_at_maxmemory_pushes_all_or_nothing(full_redis: RedisServer, namespace: str) -> None:
    client = connect(full_redis.url)
    resque = Resque(client, namespace=namespace)
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(used + 2 * 1024 * 1024))
    pad = "x" * 1000
    try:
        pushed = resque.enqueue_many("q1", "Echo", ([i, pad] for i in range(5000)))
    except RedisOutOfMemory:
        pushed = 0
    assert client.llen(f"{namespace}:queue:q1") == pushed
    assert pushed in (0, 5000)
    # Full now: the next bulk enqueue is refused whole.
    with pytest.raises(RedisOutOfMemory):
        resque.enqueue_many("q1", "Echo", ([i, pad] for i in range(5000)))
    assert client.llen(f"{namespace}:queue:q1") == pushed
    client.close()


def test_the_blocking_wait_on_several_queues_loses_no_job_to_a_dropped_reply(
    workers: Workers, redis_client: redis.Redis, namespace: str, proxy: Proxy
) -> None:
    proc = workers.start(QUEUE="a,b", RESQUE_BLOCKING_WAIT="1", INTERVAL="5", REDIS_URL=proxy.url)
    proxy.drop_reply(b"BL", 1)  # every blocking command's reply is lost once Redis served it
    for i in range(5):
        assert wait_for(lambda: int(redis_client.info("clients")["blocked_clients"]) >= 1)
        push_raw(redis_client, namespace, "b", *jobs(1, i))
        assert workers.next("echo") == f"[{i}]"
    proxy.calm()
    assert workers.stop(proc) == 0
    assert redis_client.llen(f"{namespace}:queue:b") == 0


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_push_back_whose_reply_is_lost_leaves_the_job_queued_once_and_the_worker_running(
    workers: Workers, redis_client: redis.Redis, namespace: str, proxy: Proxy, fork: str
) -> None:
    # Only the push-back sends the job's bytes to Redis: every one of its replies is lost.
    proxy.drop_reply(b'"class":"Nobody"', 1)
    proc = workers.start(QUEUE="q1", FORK_PER_JOB=fork, RESQUE_UNKNOWN_CLASS="requeue", REDIS_URL=proxy.url)
    push_raw(redis_client, namespace, "q1", b'{"class":"Nobody","args":[1]}', *jobs(1, 2))
    assert workers.next("echo") == "[2]"
    assert wait_for(lambda: proxy.dropped >= 2)
    proxy.calm()
    assert proc.poll() is None, "the worker exited at a lost push-back reply"
    assert wait_for(lambda: redis_client.exists(f"{namespace}:worker:{workers.worker_id(proc)}") == 0)
    assert workers.stop(proc) == 0
    assert redis_client.lrange(f"{namespace}:queue:q1", 0, -1) == [b'{"class":"Nobody","args":[1]}']
    assert redis_client.llen(f"{namespace}:failed") == 0
    assert redis_client.get(f"{namespace}:stat:processed") == b"1"
