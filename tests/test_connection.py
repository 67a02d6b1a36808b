"""The enqueue connection survives what production throws at it: restarts and forks."""

from __future__ import annotations

import os

import pytest

from resque_compat import Resque
from resque_compat.errors import RedisUnavailable, UnreadableKey
from resque_compat.store import connect
from resque_compat.testing import RedisServer


def test_enqueue_after_a_redis_restart_reconnects_without_losing_the_job() -> None:
    with RedisServer() as server:
        resque = Resque.from_url(server.url)
        resque.enqueue_to("q", "A", 1)
        server.restart()  # the held connection is now closed by the server
        resque.enqueue_to("q", "A", 2)
        assert resque.peek("q", 0, 5) == [{"class": "A", "args": [2]}]


def test_a_forked_child_enqueues_on_its_own_connection_and_the_parent_goes_on(resque: Resque) -> None:
    resque.enqueue_to("q", "A", "parent-before")
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's socket
        try:
            resque.enqueue_to("q", "A", "child")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    resque.enqueue_to("q", "A", "parent-after")
    assert [j["args"][0] for j in resque.peek("q", 0, 5)] == ["parent-before", "child", "parent-after"]


def test_a_client_from_connect_raises_the_projects_errors_for_commands_pipelines_and_packed_sends() -> None:
    server = RedisServer().start()
    client = connect(server.url)
    try:
        client.set("ns:queues", "x")
        with pytest.raises(UnreadableKey) as raised:
            client.smembers("ns:queues")
        found = (raised.value.key, raised.value.actual, raised.value.expected)
        assert found == ("ns:queues", "string", "set")
        pipe = client.pipeline(transaction=False)
        pipe.get("ns:queues")
        pipe.llen("ns:queues")
        with pytest.raises(UnreadableKey) as in_pipeline:
            pipe.execute()
        assert (in_pipeline.value.key, in_pipeline.value.expected) == ("ns:queues", "list")
        with pytest.raises(UnreadableKey) as in_transaction:
            client.pipeline(transaction=True).sadd("ns:other", "a").hget("ns:queues", "a").execute()
        assert (in_transaction.value.key, in_transaction.value.expected) == ("ns:queues", "hash")
        with pytest.raises(UnreadableKey) as packed:  # the enqueue's packed SADD + RPUSH
            Resque(client, namespace="ns").enqueue_to("q1", "Archive", 1)
        assert (packed.value.key, packed.value.actual) == ("ns:queues", "string")
        assert client.get("ns:queues") == b"x"
    finally:
        client.close()
        server.stop()
    with pytest.raises(RedisUnavailable):
        connect(server.url, socket_connect_timeout=0.5).ping()
