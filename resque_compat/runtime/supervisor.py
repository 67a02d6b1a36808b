"""``COUNT`` workers from one command (``rake resque:workers``) and ``PIDFILE``/``BACKGROUND``
(``Worker#prepare``).

The supervisor forks one worker process per ``COUNT`` (each registers under its own pid, as
Ruby's ``system "rake resque:work"`` children do), passes ``INT``/``TERM``/``QUIT`` on to all of
them, and returns when every one has exited, so ctrl-c stops them together. ``USR1``, ``USR2``
and ``CONT`` are passed on too: Ruby's rake parent dies of them, orphaning its workers unpaused.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable

from . import signals

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT)
"""Passed on to every worker: shutdown, kill-the-child (USR1), pause (USR2) and resume (CONT)."""


def prepare(background: bool, pidfile: str | None) -> None:
    """``Worker#prepare``: daemonize with ``BACKGROUND`` (``Process.daemon(true)``: stay in the
    directory, standard streams to ``/dev/null``), then write ``PIDFILE``."""
    if background:
        if os.fork():
            os._exit(0)
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    if pidfile:
        with open(pidfile, "w") as f:
            f.write(str(os.getpid()))


def supervise(count: int, run_one: Callable[[], int]) -> int:
    """Fork ``count`` workers running ``run_one``; forward shutdown signals; wait for all.

    Returns the highest exit status of the workers.
    """
    received: list[int] = []
    waker = signals.Waker()
    signal.set_wakeup_fd(waker.write_fd, warn_on_full_buffer=False)
    for sig in (*FORWARDED, signal.SIGCHLD):
        signal.signal(sig, lambda s, _f: received.append(s))
    children: set[int] = set()
    status = 0
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    signals.restore_defaults()
                    code = run_one()
                finally:
                    os._exit(code)
            children.add(pid)
        while children:
            while received:
                signum = received.pop(0)
                if signum in FORWARDED:
                    for pid in children:
                        _signal(pid, signum)
            status = max(status, _reap(children))
            if children:
                waker.wait(1.0)
    finally:
        signals.restore_defaults()
        waker.close()
    return status


def _reap(children: set[int]) -> int:
    worst = 0
    for pid in list(children):
        found, status = os.waitpid(pid, os.WNOHANG)
        if found:
            children.discard(pid)
            worst = max(worst, os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
    return worst


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
