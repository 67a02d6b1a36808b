"""A Redis URL through Sentinel (``redis+sentinel://host:port/service``) reaches the master."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from resque_compat import Resque
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
                    if sentinel.sentinel_get_master_addr_by_name("mymaster"):
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
