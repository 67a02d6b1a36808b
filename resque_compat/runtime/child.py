"""Fork mechanics (``Worker#perform_with_fork``): the child never returns into the worker's code
(``os._exit``), and the parent waits in a loop that heartbeats and acts on signals.

As in Ruby, the child stays in the worker's process group: a supervisor that stops the worker by
group (``kill -- -PGID``, supervisord's ``stopasgroup``, a container runtime) stops the job with
it, instead of leaving it running orphaned while its worker is later pruned as a ``DirtyExit``.
The worker itself signals only the child's pid (``Process.kill("KILL", @child)``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import signals
from .procline import set_title


@dataclass(slots=True)
class ChildExit:
    """How a child ended: its pid and ``waitpid`` status. Built for every fork job, so not
    frozen (see ``protocol.payloads.Job``)."""

    pid: int
    status: int

    @property
    def signaled(self) -> bool:
        return os.WIFSIGNALED(self.status)

    def describe(self) -> str:
        """Ruby's ``Process::Status#to_s``: ``pid 27307 SIGKILL (signal 9)`` / ``pid 1 exit 3``."""
        if os.WIFSIGNALED(self.status):
            sig = os.WTERMSIG(self.status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"SIG{sig}"
            return f"pid {self.pid} {name} (signal {sig})"
        return f"pid {self.pid} exit {os.WEXITSTATUS(self.status)}"


def fork(
    body: Callable[[], None],
    *,
    intents: signals.Intents,
    run_at_exit_hooks: bool,
    on_term: Callable[[], bool] | None = None,
    title: tuple[str, str] | None = None,
    waker: signals.Waker | None = None,
    first_wait: float = 0.0,
) -> int:
    """Fork; the child runs ``body`` and exits without unwinding into the parent's frames.

    stdout and stderr are flushed first, as Ruby's ``Process.fork`` does, so a child does not
    inherit and write again what the parent (a ``before_fork`` hook, say) left buffered.

    In the parent, ``title`` (the text before and after the child's pid) becomes the process
    title and ``waker`` watches the child and is waited on up to ``first_wait`` seconds (until
    the child's exit or a signal) before returning; the caller ``unwatch``es it once the child
    is reaped. Until the child exits, every page the parent writes is copied (the child still
    shares it): the parent does as little as it can between the fork and that first wait, all
    of it worked out before the fork."""
    intents.child_on_term = on_term  # the child's TERM handler asks it (Intents._in_child)
    changes = signals.child_changes(intents.term_child, waker)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        try:
            if title is not None:
                set_title(f"{title[0]}{pid}{title[1]}")
            if waker is not None:
                waker.watch(pid)
                waker.wait(first_wait)
        except BaseException:
            kill(pid)
            raise
        return pid
    code = 0
    try:
        if changes is not None:
            signals.in_child(*changes)
        body()
    except BaseException:
        code = 1
    finally:
        try:
            if run_at_exit_hooks:
                atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    return 0  # pragma: no cover - unreachable; the child has exited


def reap(pid: int) -> ChildExit | None:
    """``waitpid(pid, WNOHANG)``: the child's exit if it has ended."""
    try:
        found, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return ChildExit(pid, 0)
    return ChildExit(found, status) if found else None


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the child (``Process.kill(sig, @child)``); one already gone is not an error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def wait_for_exit(pid: int, timeout: float, waker: signals.Waker) -> ChildExit | None:
    """``Worker#wait_for_child_exit``: wait up to ``timeout`` for the child to end."""
    deadline = time.monotonic() + timeout
    while True:
        done = reap(pid)
        if done is not None:
            return done
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        waker.wait(min(left, 0.1))


def terminate(
    pid: int, waker: signals.Waker, *, pre_shutdown_timeout: float, term_timeout: float
) -> ChildExit | None:
    """``Worker#new_kill_child`` (``TERM_CHILD``): let the child finish for
    ``RESQUE_PRE_SHUTDOWN_TIMEOUT``, then ``TERM``, wait ``RESQUE_TERM_TIMEOUT``, then ``KILL``.
    Returns the child's exit when it was reaped here."""
    done = reap(pid)
    if done is None and pre_shutdown_timeout > 0:
        done = wait_for_exit(pid, pre_shutdown_timeout, waker)
    if done is None:
        kill(pid, signal.SIGTERM)
        done = wait_for_exit(pid, term_timeout, waker)
    if done is None:
        kill(pid)
    return done
