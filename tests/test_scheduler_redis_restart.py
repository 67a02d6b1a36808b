"""``resque-compat scheduler`` outlives a Redis restart mid-run: a real redis-server (AOF with
``appendfsync always``, so every write it acknowledged survives) is killed with ``SIGKILL`` while
the scheduler moves due jobs in small batches, and started again on the same port and data.

Nothing is lost or duplicated (each job on its queue exactly once, nothing left delayed), and the
same scheduler process goes on: master again and moving what becomes due after the restart."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chaos.cluster import Server
from resque_compat import Resque
from resque_compat.runtime.scheduler_lock import lock_value
from resque_compat.store import REDIS_UNAVAILABLE, connect

WAIT = 30.0


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server(aof=True).start()
    try:
        yield s
    finally:
        s.stop()


def _until(client: redis.Redis, condition: object, timeout: float = WAIT) -> bool:
    """Check ``condition`` between bounded waits on Redis, reconnecting while it restarts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return True
            client.blpop(["never"], timeout=0.05)
        except REDIS_UNAVAILABLE:
            client.connection_pool.disconnect()
    return False


def test_a_redis_restart_mid_run_loses_and_duplicates_nothing_and_the_scheduler_goes_on(
    server: Server, namespace: str, tmp_path: Path
) -> None:
    client = connect(server.url)
    resque = Resque(client, namespace=namespace)
    queue_key = resque.keys.queue("q")
    now = int(time.time())
    total = 4000
    resque.delayed_store.delayed_push_many(
        (now - 1 - n % 40, f'{{"class":"J","args":[{n}],"queue":"q"}}'.encode()) for n in range(total)
    )
    env = {
        **os.environ,
        "REDIS_URL": server.url,
        "RESQUE_NAMESPACE": namespace,
        "RESQUE_SCHEDULER_INTERVAL": "0.2",
        "DELAYED_REQUEUE_BATCH_SIZE": "5",
    }
    log = tmp_path / "scheduler.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "resque_compat.cli", "scheduler"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _until(client, lambda: client.llen(queue_key) >= 300)
        server.kill9_restart()  # mid-run: most of the jobs are still delayed
        client.connection_pool.disconnect()
        left = resque.delayed_store.schedule_size()
        assert left > 0, "the restart came after the scheduler had moved everything"
        assert _until(
            client, lambda: client.llen(queue_key) >= total and not resque.delayed_store.schedule_size()
        )
        later = int(time.time())
        resque.delayed_push(later, {"class": "J", "args": [total], "queue": "q"})  # due after the restart
        assert _until(client, lambda: client.llen(queue_key) == total + 1)
        moved = [resque.decode(raw)["args"][0] for raw in resque.queue_store.everything_in_queue("q")]
        assert sorted(moved) == list(range(total + 1)), f"{len(moved)} moved, {len(set(moved))} distinct"
        # The last job's list and schedule entry go in clean_up_timestamp, the step after its move.
        settled = sorted(
            [
                "queue:q",
                "queues",
                f"{namespace}:resque_scheduler_master_lock",
                "resque_scheduler_leader_lock",  # node-resque's lock keys, held by the master
                "resque_scheduler_master_lock",
            ]
        )
        _until(client, lambda: sorted(resque.keys_in_namespace()) == settled)
        assert sorted(resque.keys_in_namespace()) == settled
        assert proc.poll() is None, log.read_text()
        lock = f"{namespace}:{namespace}:resque_scheduler_master_lock"
        assert client.get(lock) == lock_value(proc.pid).encode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(WAIT)
        client.close()
