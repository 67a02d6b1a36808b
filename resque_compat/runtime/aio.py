"""Coroutine performers and hooks: the event loop they run on (beyond Resque, which has none).

One loop per process, made on first use and kept for the process's life: in a worker that runs
jobs in-process (``FORK_PER_JOB=false``) every job and every worker hook share it, so a
connection a ``before_first_fork`` hook opened is there for the jobs; in a forking worker the
child makes its own on first use (a loop never crosses a fork). uvloop's loop is used when
uvloop is installed (the ``uvloop`` extra).

``interrupt`` ends the coroutine being run with an exception of the caller's choosing (a
timeout, ``TermException``): the task is cancelled, so the job's ``finally`` blocks and
``async with`` exits run, and the exception is raised with the frames where the job was waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed, else asyncio's."""
    try:
        uvloop: Any = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop()
    return cast("asyncio.AbstractEventLoop", uvloop.new_event_loop())


class JobLoop:
    """The process's event loop for coroutine performers and hooks."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._task: asyncio.Future[Any] | None = None
        self._reason: BaseException | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._pid != os.getpid():
            # A forked child drops the parent's loop unclosed: closing it would touch the
            # parent's selector and self-pipe through the shared descriptions.
            self._loop, self._pid = new_event_loop(), os.getpid()
        return self._loop

    def run(
        self,
        awaitable: Awaitable[T],
        timeout: float | None = None,
        on_timeout: Callable[[], BaseException] | None = None,
    ) -> T:
        """Run ``awaitable`` to its end on the loop; with ``timeout``, ``interrupt`` it with
        ``on_timeout()`` once that many seconds have passed."""
        loop = self.loop()
        task = asyncio.ensure_future(awaitable, loop=loop)
        self._task, self._reason = task, None
        timer = None
        if timeout is not None and on_timeout is not None:
            timer = loop.call_later(timeout, lambda: self.interrupt(on_timeout()))
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError as exc:
            translated = self.reason_for(exc)
            if translated is exc:
                raise
            raise translated from None
        except BaseException:
            # Raised into the loop itself (a signal handler while it waited): end the task too.
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    loop.run_until_complete(task)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            self._task = None

    def reason_for(self, exc: BaseException) -> BaseException:
        """What a cancellation ``interrupt`` caused stands for (with the frames where the job
        was waiting); any other exception as it is."""
        reason = self._reason
        if reason is None or not isinstance(exc, asyncio.CancelledError):
            return exc
        return reason.with_traceback(exc.__traceback__)

    def interrupt(self, reason: BaseException) -> bool:
        """End the coroutine being run with ``reason``; ``False`` when none is running. Safe
        from a signal handler (the cancel is handed to the loop)."""
        task = self._task
        loop = self._loop
        if task is None or task.done() or loop is None or self._pid != os.getpid():
            return False
        self._reason = reason
        loop.call_soon_threadsafe(task.cancel)
        return True

    def close(self) -> None:
        """Cancel what is left, finish async generators, close the loop (this process's only)."""
        loop, self._loop = self._loop, None
        if loop is None or self._pid != os.getpid() or loop.is_closed():
            return
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
