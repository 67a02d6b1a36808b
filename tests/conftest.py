"""Shared fixtures: a real redis-server started for the test session, one namespace per test.

``REDIS_URL`` points the tests at a server of yours instead (they only touch keys under
their own random namespaces). Without redis-server the Redis tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from resque_compat import Resque
from resque_compat.store import connect
from resque_compat.testing import RedisServer, RedisServerError

SESSION_MARK = "RESQUE_COMPAT_TEST_SESSION"
"""Set for the run; every process a test starts inherits it, so the run can find its leftovers."""


def pytest_configure(config: pytest.Config) -> None:
    os.environ[SESSION_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"


def _start_ticks(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[19])


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        found.add(pid)
    return found


RETITLED = ("resque-", "resque:", "resque_compat", "redis-server")
"""How a process this run started can begin its title once it has set one."""


def processes_of_this_run(mark: str) -> list[tuple[int, str]]:
    """Live processes (not zombies) this run started: begun after it, and carrying its mark in
    their environment or working in its directory (a process title set with setproctitle
    overwrites the environment ``/proc`` shows, so a worker is known by its directory)."""
    me = os.getpid()
    ancestors = _ancestors(me)
    since = _start_ticks(Path(f"/proc/{me}/stat").read_text())
    needle = f"{SESSION_MARK}={mark}".encode()
    here = os.getcwd()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] == "Z" or _start_ticks(stat) < since:
                continue
            ours = needle in (entry / "environ").read_bytes().split(b"\0")
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            # What started the run, and what runs beside it (a pipe's other end), are not its own;
            # nor is whatever else a developer runs in the checkout meanwhile (only a retitled
            # worker or server, whose environment /proc no longer shows, is known by its directory).
            beside = int(entry.name) in ancestors or int(fields[1]) in ancestors - {1}
            retitled = title.startswith(RETITLED)
            if not ours and (beside or not retitled or os.readlink(entry / "cwd") != here):
                continue
        except OSError:
            continue
        found.append((int(entry.name), title.strip()))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run leaves no process behind: anything a test started and did not end fails the run.
    Processes killed at teardown get a moment to end; the rest are named, not killed."""
    mark = os.environ.get(SESSION_MARK, "")
    if not mark or not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + 5.0
    left = processes_of_this_run(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # not a rendezvous: waiting for the kernel to reap what was killed
        left = processes_of_this_run(mark)
    if not left:
        return
    report = "\n".join(f"  {pid} {title}" for pid, title in left)
    session.config.get_terminal_writer().line(f"\nthe test run left processes behind:\n{report}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis the tests may use: ``REDIS_URL`` or a throwaway server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    try:
        server = RedisServer().start()
    except RedisServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis for the tests: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of this test's own, so tests never see each other's keys."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_url: str, namespace: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def full_redis() -> Iterator[RedisServer]:
    """A server of the test's own that refuses writes at ``maxmemory`` (``noeviction``); the
    test sets the limit."""
    with RedisServer(extra_args=("--maxmemory-policy", "noeviction")) as server:
        yield server


@pytest.fixture
def resque(redis_client: redis.Redis, namespace: str) -> Resque:
    """A client on the test's own namespace with the default (json gem) profile."""
    return Resque(redis_client, namespace=namespace)
