"""The Waker the worker and the scheduler sleep on: a job child's exit wakes the wait loop
through a pidfd (no SIGCHLD handler), and without a descriptor for one the loop naps instead of
sleeping through the exit; a poke (a signal handler's or another thread's) wakes it without a
lock."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Iterator

import pytest

from resque_compat.runtime import signals

needs_pidfds = pytest.mark.skipif(
    not signals.Waker().pidfds, reason="this kernel or Python has no pidfd_open (Linux 5.3+, Python 3.9+)"
)


@contextlib.contextmanager
def _waker_and_child() -> Iterator[tuple[signals.Waker, int, int]]:
    """A Waker and a forked child that exits once a byte is written to the pipe whose write end
    is given with its pid; afterwards the child is let go (if a failed assertion left it
    waiting) and reaped, and the Waker and the pipe closed."""
    waker = signals.Waker()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(r, 1)
        os._exit(0)
    try:
        yield waker, pid, w
    finally:
        with contextlib.suppress(OSError):
            os.write(w, b"x")
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        waker.close()
        os.close(r)
        os.close(w)


@needs_pidfds
def test_a_watched_child_exiting_wakes_the_wait_and_nothing_else_does() -> None:
    with _waker_and_child() as (waker, pid, w):
        waker.watch(pid)
        assert waker.wait(0) is False  # alive: nothing to wake on
        os.write(w, b"x")
        started = time.monotonic()
        assert waker.wait(30) is True
        assert time.monotonic() - started < 15
        os.waitpid(pid, 0)
        waker.unwatch()
        assert waker.wait(0) is False  # unwatched: a reaped child wakes nothing


@needs_pidfds
def test_install_catches_no_sigchld_where_pidfds_watch_the_children() -> None:
    waker = signals.Waker()
    saved = signals.install(signals.Intents(), waker)
    try:
        assert signal.getsignal(signal.SIGCHLD) in (signal.SIG_DFL, None)
        assert signal.getsignal(signal.SIGQUIT) == waker.handler
    finally:
        signals.restore(saved)
        waker.close()


@needs_pidfds
def test_with_no_descriptor_left_for_a_pidfd_the_wait_naps_instead_of_sleeping_through_the_exit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with _waker_and_child() as (waker, pid, w):
        highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, hard))  # no descriptor left
        try:
            waker.watch(pid)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        os.write(w, b"x")
        started = time.monotonic()
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            waker.wait(30)  # at most a nap each turn, not the 30 s asked for
            assert time.monotonic() - started < 15


@needs_pidfds
def test_a_forked_child_changes_no_handler_unless_term_child_or_sigchld_asks_it_to() -> None:
    waker = signals.Waker()
    try:
        assert signals.child_changes(False, waker) is None  # the default child: nothing to copy
        assert signals.child_changes(True, waker) == (True, False)
        assert signals.child_changes(False, None) == (False, True)  # SIGCHLD caught: reset it
    finally:
        waker.close()


def test_a_poke_wakes_the_next_wait_once_and_a_full_pipe_takes_more_pokes_without_error() -> None:
    waker = signals.Waker()
    try:
        assert not waker.wait(0)
        waker.poke()
        assert waker.wait(0)  # woken, and the pipe drained
        assert not waker.wait(0)
        for _ in range(100_000):  # far more than a pipe holds (64 KiB on Linux)
            waker.poke()
        assert waker.wait(0)
        assert not waker.wait(0)
    finally:
        waker.close()
