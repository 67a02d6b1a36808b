"""Running real worker processes in tests: ``resque-compat work`` in a subprocess on the test's
namespace, rendezvous through Redis lists with BLPOP timeouts, and cleanup of every process."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import async_jobs_for_tests
import pytest
import redis

from resque_compat import Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.runtime.worker import Worker

TESTS_DIR = str(Path(__file__).resolve().parent)
WAIT = 15.0
"""Longest rendezvous wait; a healthy run answers in milliseconds."""


class Workers:
    """Starts worker subprocesses for one test and ends any still running at teardown."""

    def __init__(self, redis_url: str, namespace: str, client: redis.Redis) -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self.client = client
        self.procs: list[subprocess.Popen[bytes]] = []
        self.queues: dict[int, str] = {}

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("QUEUE", "QUEUES", "COUNT")}
        env.update(
            REDIS_URL=self.redis_url,
            RESQUE_NAMESPACE=self.namespace,
            PYTHONPATH=os.pathsep.join([TESTS_DIR, env.get("PYTHONPATH", "")]),
            INTERVAL="0.1",
        )
        env.update(extra)
        return env

    def start(
        self, *args: str, wait_ready: bool = True, stdout: IO[bytes] | None = None, **env: str
    ) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "resque_compat.cli", "work", "--app", "jobs_for_tests", *args]
        # A session of its own: teardown can end the worker and everything it forked at once.
        proc = subprocess.Popen(cmd, env=self.env(**env), start_new_session=True, stdout=stdout)
        self.procs.append(proc)
        self.queues[proc.pid] = env.get("QUEUE", "")
        if wait_ready:
            assert self.next("ready") == str(proc.pid), "worker did not start"
        return proc

    def key(self, name: str) -> str:
        return f"{self.namespace}:test:{name}"

    def next(self, name: str, timeout: float = WAIT) -> str | None:
        """BLPOP one value a job or hook told on ``test:<name>``; ``None`` after ``timeout``."""
        got: Any = self.client.blpop([self.key(name)], timeout=timeout)  # type: ignore[arg-type]
        return None if got is None else got[1].decode()

    def all(self, name: str) -> list[str]:
        return [v.decode() for v in self.client.lrange(self.key(name), 0, -1)]  # type: ignore[union-attr]

    def worker_id(self, proc: subprocess.Popen[bytes]) -> str:
        """The id a worker started by ``start`` registers under (``host:pid:queues``)."""
        return f"{socket.gethostname()}:{proc.pid}:{self.queues[proc.pid]}"

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGQUIT, timeout: float = WAIT) -> int:
        if proc.poll() is None:
            proc.send_signal(sig)
        return proc.wait(timeout=timeout)

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=WAIT)


@pytest.fixture
def workers(redis_url: str, namespace: str, redis_client: redis.Redis) -> Iterator[Workers]:
    w = Workers(redis_url, namespace, redis_client)
    try:
        yield w
    finally:
        w.close()


def push_raw(client: redis.Redis, namespace: str, queue: str, *raws: bytes) -> None:
    """Enqueue bytes as they are (what a Ruby process or a broken producer wrote)."""
    client.sadd(f"{namespace}:queues", queue)
    client.rpush(f"{namespace}:queue:{queue}", *raws)


def process_title(pid: int) -> str:
    """What ``ps -o command`` shows for ``pid`` (``/proc/<pid>/cmdline``)."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def live_group_members(pgid: int) -> list[int]:
    """Pids of processes in group ``pgid`` that are not zombies (``/proc/<pid>/stat``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def wait_exited(pid: int, timeout: float = WAIT) -> bool:
    """Wait for any process (not only a child of ours) to end, through a pidfd; ``True`` if it did."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    finally:
        os.close(fd)


def registered(client: redis.Redis, namespace: str, count: int | None = None) -> set[str]:
    """The registered worker ids; with ``count``, once that many are, or after ``WAIT`` (a
    worker registers just after its before_first_fork hook said it was ready)."""
    deadline = time.monotonic() + WAIT
    while True:
        ids = {m.decode() for m in client.smembers(f"{namespace}:workers")}  # type: ignore[union-attr]
        if count is None or len(ids) == count or time.monotonic() > deadline:
            return ids
        time.sleep(0.01)  # polling Redis for a condition, with a deadline


def failures(client: redis.Redis, namespace: str, name: str = "failed") -> list[dict[str, Any]]:
    """The decoded records of a failed list (``failed``, or ``<queue>_failed``)."""
    return [json.loads(r) for r in client.lrange(f"{namespace}:{name}", 0, -1)]  # type: ignore[union-attr]


def told(client: redis.Redis, namespace: str, name: str) -> list[str]:
    """What the test jobs pushed to ``test:<name>``, in order."""
    return [v.decode() for v in client.lrange(f"{namespace}:test:{name}", 0, -1)]  # type: ignore[union-attr]


def in_process_worker(resque: Resque, namespace: str, **settings: Any) -> Worker:
    """A ``Worker`` in this process over ``async_jobs_for_tests`` on ``aq`` (no fork, no wait)."""
    values: dict[str, Any] = {"queues": ("aq",), "interval": 0.0, "fork_per_job": False}
    values.update(settings)
    return Worker.from_client(
        resque,
        async_jobs_for_tests.registry,
        WorkerSettings(**values),
        async_jobs_for_tests.hooks,
        logger=logging.getLogger(f"test-worker-{namespace}"),
    )
