"""A master ``resque-compat scheduler`` keeps node-resque's scheduler from leading beside it: it
holds node-resque's lock keys (``resque_scheduler_leader_lock`` from 7.0,
``resque_scheduler_master_lock`` with one prefix before) with its own ``host:pid`` and the master
lock's expiry, renews them with it, and deletes them on the way out only while they are still
its own.

node-resque's election (``Scheduler#tryForLeader``) is ``SET key name EX t NX``, else ``GET key``
and leading only when the value is its own name. The pure-Redis tests send exactly those
commands; ``NODE_RESQUE_DIR`` (a directory with ``node_modules/node-resque``, made with
``npm install node-resque``) adds a test against a real node-resque ``Scheduler``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import redis
from test_scheduler_process import WAIT, Schedulers, pop, schedulers, until

from resque_compat import Resque
from resque_compat.runtime.scheduler_lock import lock_value
from resque_compat.store import MasterLock, NodeResqueLocks

__all__ = ["schedulers"]

DRIVER = Path(__file__).with_name("node_resque_scheduler.js")


def node_keys(resque: Resque) -> tuple[str, str]:
    return (
        f"{resque.namespace}:resque_scheduler_leader_lock",
        f"{resque.namespace}:resque_scheduler_master_lock",
    )


def node_resque_would_lead(client: redis.Redis, key: str, name: str) -> bool:
    """node-resque's ``tryForLeader``, command for command."""
    if client.set(key, name, ex=180, nx=True):
        return True
    if client.get(key) == name.encode():
        client.expire(key, 180)
        return True
    return False


def test_a_master_holds_node_resque_s_lock_keys_with_its_value_and_expiry_and_lets_them_go_on_term(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis
) -> None:
    master_key = f"{resque.namespace}:{resque.namespace}:resque_scheduler_master_lock"
    proc = schedulers.start(LOCK_TIMEOUT="12")  # renewed every 2 s (a sixth of it)
    ours = lock_value(proc.pid).encode()
    assert until(resque, lambda: all(redis_client.get(k) == ours for k in node_keys(resque)))
    assert redis_client.get(master_key) == ours
    for key in node_keys(resque):
        assert 0 < int(redis_client.ttl(key)) <= 12  # the master lock's expiry
        assert not node_resque_would_lead(redis_client, key, "node-host:4242")
    redis_client.expire(node_keys(resque)[0], 3)
    assert until(resque, lambda: int(redis_client.ttl(node_keys(resque)[0])) > 3)  # renewed
    resque.delayed_push(0, {"class": "Node", "queue": "q", "args": [1]})
    assert pop(resque, "q") == {"class": "Node", "args": [1]}  # moved by the Python master
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(WAIT) == 0
    assert [redis_client.get(k) for k in (*node_keys(resque), master_key)] == [None, None, None]
    assert node_resque_would_lead(redis_client, node_keys(resque)[0], "node-host:4242")


def test_a_standing_by_scheduler_tells_the_python_master_from_a_node_resque_leader(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis
) -> None:
    first = schedulers.start()
    ours = lock_value(first.pid).encode()
    assert until(resque, lambda: redis_client.get(node_keys(resque)[0]) == ours)
    second = schedulers.start()
    resque.delayed_push(0, {"class": "Node", "queue": "q", "args": [1]})
    assert pop(resque, "q") == {"class": "Node", "args": [1]}
    first.send_signal(signal.SIGTERM)
    assert first.wait(WAIT) == 0
    theirs = lock_value(second.pid).encode()
    assert until(resque, lambda: redis_client.get(node_keys(resque)[0]) == theirs)
    assert "node-resque scheduler" not in schedulers.log(1)  # it never took the master for node-resque


def test_releasing_deletes_only_the_keys_still_holding_this_master_s_value(
    resque: Resque, redis_client: redis.Redis
) -> None:
    key = f"{resque.namespace}:{resque.namespace}:resque_scheduler_master_lock"
    locks = NodeResqueLocks(MasterLock(redis_client, key, "py-host:1", 60), node_keys(resque))
    assert locks.claim() == {}
    assert [redis_client.get(k) for k in node_keys(resque)] == [b"py-host:1", b"py-host:1"]
    redis_client.set(node_keys(resque)[1], "old-node:7", ex=60)  # overwritten meanwhile
    assert locks.claim() == {node_keys(resque)[1]: b"old-node:7"}
    assert locks.release() == 1
    assert [redis_client.get(k) for k in node_keys(resque)] == [None, b"old-node:7"]


class NodeScheduler:
    """A real node-resque ``Scheduler`` (``tests/node_resque_scheduler.js``) driven line by line."""

    def __init__(self, port: int, namespace: str, name: str) -> None:
        modules = Path(os.environ["NODE_RESQUE_DIR"]) / "node_modules"
        env = {**os.environ, "NODE_PATH": str(modules), "REDIS_PORT": str(port),
               "RESQUE_NAMESPACE": namespace, "NODE_SCHEDULER_NAME": name}  # fmt: skip
        node = shutil.which("node") or "node"
        self.proc = subprocess.Popen(
            [node, str(DRIVER)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.answer()["ready"]

    def answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "node-resque's scheduler exited"
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.mark.skipif(
    not os.environ.get("NODE_RESQUE_DIR"),
    reason="NODE_RESQUE_DIR is not set (a directory where `npm install node-resque` was run)",
)
def test_a_real_node_resque_scheduler_stands_aside_while_the_python_master_runs_and_leads_after(
    resque: Resque, schedulers: Schedulers, redis_client: redis.Redis
) -> None:
    port = int(redis_client.connection_pool.connection_kwargs["port"])
    proc = schedulers.start()
    ours = lock_value(proc.pid).encode()
    assert until(resque, lambda: redis_client.get(node_keys(resque)[0]) == ours)
    node = NodeScheduler(port, resque.namespace, "node-host:4242")
    try:
        assert node.ask("poll") == {"leader": False}
        assert redis_client.get(node_keys(resque)[0]) == ours
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0
        assert node.ask("poll") == {"leader": True}  # the Python master let its keys go
        assert redis_client.get(node_keys(resque)[0]) == b"node-host:4242"
        standby = schedulers.start()  # and the other way round: Python stands by
        assert until(resque, lambda: "node-host:4242" in schedulers.log(1))
        resque.delayed_push(0, {"class": "Node", "queue": "q", "args": [1]})
        assert node.ask("poll") == {"leader": True}
        # node-resque's own payload (it writes the queue too): node-resque moved it, not Python
        assert pop(resque, "q") == {"class": "Node", "queue": "q", "args": [1]}
        assert node.ask("end") == {"ended": True}
        theirs = lock_value(standby.pid).encode()
        assert until(resque, lambda: redis_client.get(node_keys(resque)[0]) == theirs)
    finally:
        node.close()
