"""The enqueue connection survives what production throws at it: restarts and forks."""

from __future__ import annotations

import os

from resque_compat import Resque
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
