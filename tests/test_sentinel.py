"""A Redis URL through Sentinel (``redis+sentinel://host:port/service``) reaches the master."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chaos.cluster import Server
from chaos.failover import Sentinels, wait_until
from resque_compat import Resque
from resque_compat.errors import RedisUnavailable
from resque_compat.store.reserve import WorkingOnPrefixes
from resque_compat.testing import RedisServer, free_port


@pytest.fixture
def sentinel_url(tmp_path: Path) -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    with RedisServer() as master:
        port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
            f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n"
        )
        proc = subprocess.Popen([executable, str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
        try:
            sentinel = redis.Redis(port=port)
            deadline = time.monotonic() + 10
            while True:  # the sentinel is starting: wait until it answers for the master
                try:
                    if sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"):
                        break
                except redis.ConnectionError:
                    pass
                assert time.monotonic() < deadline, "sentinel did not come up"
                time.sleep(0.05)
            sentinel.close()
            yield f"redis+sentinel://127.0.0.1:{port}/mymaster/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_sentinel_url_enqueues_on_the_master_it_names(sentinel_url: str, namespace: str) -> None:
    resque = Resque.from_url(sentinel_url, namespace=namespace)
    resque.enqueue_to("q", "Archive", 44)
    assert resque.peek("q") == {"class": "Archive", "args": [44]}
    assert resque.redis.connection_pool.get_master_address()[0] == "127.0.0.1"  # type: ignore[attr-defined]


def test_enqueues_and_reserves_follow_the_master_a_sentinel_failover_elects(namespace: str) -> None:
    # The enqueue and reserve sends keep a connection of their own; after a failover it must
    # ask the sentinels for the new master, not reconnect to the old one for ever.
    master = Server(args=("--repl-diskless-sync-delay", "0")).start()
    replica = Server(args=("--replicaof", "127.0.0.1", str(master.port))).start()
    sentinels = Sentinels(master.port, replica.port)
    try:
        follower = replica.client()
        assert wait_until(lambda: follower.info("replication")["master_link_status"] == "up", 30)
        assert wait_until(sentinels.ready, 30), "the sentinels did not see the replica"
        resque = Resque.from_url(sentinels.url, namespace=namespace)
        resque.enqueue_to("q", "Archive", 1)
        source = resque.store.job_source("host:1:q")
        prefixes = WorkingOnPrefixes(resque.profile)
        first = source.reserve(["q"], prefixes(["q"]), check_pause=False, settle=None).popped
        assert first is not None
        assert master.process is not None
        master.process.kill()
        master.process.wait()
        assert wait_until(lambda: sentinels.master_port() == replica.port, 30), "no failover"
        attempts = 0
        while True:  # refused until the connection learns where the master is now
            attempts += 1
            try:
                resque.enqueue_to("q", "Archive", 2)
                break
            except RedisUnavailable:
                assert attempts < 50, "the enqueue never reached the new master"
        assert follower.lrange(f"{namespace}:queue:q", 0, -1) == [b'{"class":"Archive","args":[2]}']
        for _ in range(50):  # the reserve's own connection may meet the old master once
            try:
                popped = source.reserve(["q"], prefixes(["q"]), check_pause=False, settle=first).popped
                break
            except RedisUnavailable:
                continue
        assert popped is not None and popped.raw == b'{"class":"Archive","args":[2]}'
        assert not popped.recovered
        follower.close()
        resque.redis.close()
    finally:
        sentinels.stop()
        replica.stop()
        master.stop()
