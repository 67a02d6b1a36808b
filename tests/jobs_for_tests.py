"""Performers and worker hooks the worker tests run, in-process and in subprocess workers.

Jobs talk back through Redis lists under the test's namespace (``REDIS_URL`` and
``RESQUE_NAMESPACE`` are the worker's own settings), so tests rendezvous with BLPOP.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import time
from typing import Any

import redis

from resque_compat.errors import DontPerform
from resque_compat.jobs import Registry
from resque_compat.runtime.hooks import WorkerHooks

registry = Registry()
hooks = WorkerHooks()

_LEAK: list[bytes] = []


def client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def key(name: str) -> str:
    """The test list ``<namespace>:test:<name>``."""
    return f"{os.environ.get('RESQUE_NAMESPACE', 'resque')}:test:{name}"


def tell(name: str, value: Any) -> None:
    client().rpush(key(name), value if isinstance(value, str | bytes) else json.dumps(value))


@registry.job("Echo")
def echo(*args: Any) -> None:
    """Reports its arguments as JSON on ``test:echo``."""
    tell("echo", list(args))


@registry.job("NoopJob")
def noop(*args: Any) -> None:
    return None


@registry.job("Boom")
def boom(*args: Any) -> None:
    raise RuntimeError(f"boom {args!r}")


@registry.job("Slow")
def slow(seconds: float) -> None:
    """Says it started (with its pid) on ``test:started``, then works for ``seconds``."""
    tell("started", str(os.getpid()))
    time.sleep(seconds)
    tell("finished", str(os.getpid()))


@registry.job("Held")
def held(gate: str, seconds: float = 60) -> None:
    """Says it started (with its pid) on ``test:started``, then works until a test pushes to
    ``test:<gate>`` (at most ``seconds``) and says so on ``test:finished``."""
    tell("started", str(os.getpid()))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not client().blpop([key(gate)], timeout=1):
        pass  # a short BLPOP each time: the worker's client may time out a long one
    tell("finished", gate)


@registry.job("ExitCode")
def exit_code(code: int) -> None:
    os._exit(code)


@registry.job("KillSelf")
def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@registry.job("Segfault")
def segfault() -> None:
    ctypes.string_at(0)


@registry.job("EnqueueNowhere")
def enqueue_nowhere() -> None:
    """Fails inside the package: the client refuses a job with no queue."""
    from resque_compat import Resque

    Resque(client(), namespace=os.environ.get("RESQUE_NAMESPACE", "resque")).enqueue("NoQueue")


@registry.job("Leak")
def leak(megabytes: int) -> None:
    """Keeps ``megabytes`` alive in a module global: in a forked child it dies with the child."""
    _LEAK.append(b"x" * (megabytes * 1024 * 1024))
    tell("leaked", str(os.getpid()))


@registry.job("FullThenBoom")
def full_then_boom(*args: Any) -> None:
    """Brings Redis to ``maxmemory`` (512 KiB under what it uses, ``noeviction``), says so on
    ``test:full`` first, then fails: its failure record meets a full Redis."""
    tell("full", str(os.getpid()))
    c = client()
    c.config_set("maxmemory", str(int(c.info("memory")["used_memory"]) - 512 * 1024))
    raise RuntimeError(f"boom at maxmemory {args!r}")


@registry.job("Billing::Hooked")
class Hooked:
    """Records the order of Resque's job hooks on ``test:order``."""

    @staticmethod
    def before_perform_a(*args: Any) -> None:
        tell("order", "before_perform_a")

    @staticmethod
    def before_perform_b(*args: Any) -> None:
        if args and args[0] == "dont":
            raise DontPerform()
        tell("order", "before_perform_b")

    @staticmethod
    def around_perform_a(*args: Any, job: Any) -> None:
        tell("order", "around_a enter")
        job()
        tell("order", "around_a exit")

    @staticmethod
    def perform(*args: Any) -> None:
        tell("order", "perform")
        if args and args[0] == "fail":
            raise ValueError("hooked failure")

    @staticmethod
    def after_perform_a(*args: Any) -> None:
        tell("order", "after_perform_a")

    @staticmethod
    def on_failure_a(exc: BaseException, *args: Any) -> None:
        tell("order", f"on_failure_a {type(exc).__name__}")


@hooks.before_first_fork
def _ready() -> None:
    tell("hooks", "before_first_fork")
    tell("ready", str(os.getpid()))


@hooks.before_fork
def _before_fork(job: Any) -> None:
    tell("hooks", f"before_fork {job.class_name}")
    if os.environ.get("BEFORE_FORK_PRINTS"):
        print("before-fork-mark", end=" ")  # left in stdout's buffer: the fork must not copy it


@hooks.after_fork
def _after_fork(job: Any) -> None:
    tell("hooks", f"after_fork {job.class_name} {os.getpid()}")


@hooks.before_pause
def _before_pause(worker: Any) -> None:
    tell("hooks", "before_pause")


@hooks.after_pause
def _after_pause(worker: Any) -> None:
    tell("hooks", "after_pause")


@hooks.queue_empty
def _queue_empty() -> None:
    tell("hooks", "queue_empty")
    if os.environ.get("TEST_QUEUE_EMPTY_UNREACHABLE"):
        # as a hook meets Redis in the middle of a restart
        redis.Redis(port=1, socket_connect_timeout=1).ping()


@hooks.shutdown
def _shutdown() -> None:
    tell("hooks", "shutdown")


@hooks.worker_exit
def _worker_exit() -> None:
    tell("hooks", "worker_exit")


def hold_after_record(failure: Any) -> None:
    """An error reporter (``RESQUE_ERROR_REPORTERS=jobs_for_tests:hold_after_record``): reporters
    are told once the failure record went in, so this says so on ``test:recorded`` (with its
    pid) and waits there for ``test:release`` (at most 15 s), where a test kills the worker."""
    tell("recorded", str(os.getpid()))
    client().blpop([key("release")], timeout=15)


class ListBackend:
    """A failure backend of a user's own (``RESQUE_FAILURE_BACKENDS=jobs_for_tests:ListBackend``):
    every record's JSON on ``test:custom-failed``."""

    def __init__(self, resque: Any = None) -> None:
        self.resque = resque

    def save(self, record: Any) -> None:
        tell("custom-failed", record.encode())
