"""Coroutine performers and hooks the async worker tests run (in-process and in subprocess
workers); they talk back through Redis lists like ``jobs_for_tests``."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

from jobs_for_tests import tell

from resque_compat.jobs import Registry
from resque_compat.runtime.hooks import WorkerHooks

registry = Registry()
hooks = WorkerHooks()
shared: dict[str, Any] = {}


@hooks.before_first_fork
async def _open_connection() -> None:
    """Stands for a connection pool a worker hook sets up on the worker's loop."""
    await asyncio.sleep(0)
    shared["loop"] = asyncio.get_running_loop()
    tell("hooks", "async before_first_fork")


@hooks.after_fork
async def _after_fork(job: Any) -> None:
    await asyncio.sleep(0)
    tell("hooks", f"async after_fork {os.getpid()}")


@registry.job("AsyncEcho")
async def async_echo(*args: Any) -> None:
    await asyncio.sleep(0)
    same = shared.get("loop") is asyncio.get_running_loop()
    tell("echo", {"args": list(args), "pid": os.getpid(), "loop_of_the_hook": same})


@registry.job("AsyncNoop")
async def async_noop(*args: Any) -> None:
    return None


@registry.job("AsyncBoom")
async def async_boom(*args: Any) -> None:
    await asyncio.sleep(0)
    raise ValueError(f"async boom {list(args)!r}")


@registry.job("AsyncSlow")
async def async_slow(seconds: float) -> None:
    tell("started", str(os.getpid()))
    try:
        await asyncio.sleep(seconds)
    finally:
        tell("cleanup", str(os.getpid()))


@registry.job("SyncSlow", timeout=0.5)
def sync_slow(seconds: float) -> None:
    """Has its own timeout (0.5 s) whatever the worker's."""
    tell("started", str(os.getpid()))
    time.sleep(seconds)
    tell("finished", str(os.getpid()))


@registry.job("Stubborn")
def stubborn(seconds: float) -> None:
    """Ignores TERM, so only KILL ends it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    tell("started", str(os.getpid()))
    time.sleep(seconds)


@registry.job("Async::Hooked")
class AsyncHooked:
    """A coroutine job with every kind of job hook, async and not."""

    @staticmethod
    async def before_perform_a(*args: Any) -> None:
        await asyncio.sleep(0)
        tell("hooks", "before_perform")

    @staticmethod
    async def around_perform_a(*args: Any, job: Any) -> None:
        tell("hooks", "around before")
        await job()
        tell("hooks", "around after")

    @staticmethod
    async def perform(outcome: str) -> None:
        await asyncio.sleep(0)
        tell("hooks", "perform")
        if outcome == "fail":
            raise RuntimeError("hooked failure")

    @staticmethod
    def after_perform_a(*args: Any) -> None:
        tell("hooks", "after_perform")

    @staticmethod
    async def on_failure_a(exc: BaseException, *args: Any) -> None:
        await asyncio.sleep(0)
        tell("hooks", f"on_failure {type(exc).__name__}")
