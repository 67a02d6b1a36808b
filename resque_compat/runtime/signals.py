"""Signals as a table of intents (``Worker#register_signal_handlers``, spec 5.4).

Handlers only record what was asked; the worker's main loop acts on it. A wakeup pipe
(``signal.set_wakeup_fd``) makes every signal wake the loop out of its waits at once, and a job
child's exit wakes it through a pidfd (``SIGCHLD`` where there are none; see ``Waker``). The
one exception is Ruby's own: with ``TERM_CHILD`` and no fork, ``TERM`` raises ``TermException``
inside the job running in this process.

=========  ======================================================================
``QUIT``   shutdown: finish the current job, then exit
``TERM``   shutdown now: kill the child, exit (``GRACEFUL_TERM``: as ``QUIT``)
``INT``    shutdown now (ignores ``GRACEFUL_TERM``)
``USR1``   kill the child, keep working
``USR2``   pause: no new jobs
``CONT``   resume
=========  ======================================================================
"""

from __future__ import annotations

import contextlib
import importlib
import os
import select
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from ..errors import TermException

HANDLED = (
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGCONT,
    signal.SIGCHLD,
)


@dataclass
class Intents:
    """What signals asked for, not yet acted on."""

    shutdown: bool = False
    kill_child: bool = False
    pause: bool = False
    unpause: bool = False
    run_shutdown_hooks: bool = False
    in_process_job: bool = False
    term_child: bool = False
    graceful_term: bool = False
    received: list[int] = field(default_factory=list)
    worker_pid: int = 0
    """The process ``install`` ran in; in any other (a forked job child) ``on_signal`` is the
    child's handler (``in_child``)."""
    child_on_term: Callable[[], bool] | None = None
    """The next forked child's first say on a ``TERM`` (its job's timeout), set before the fork."""

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGCHLD:
            return
        if self.worker_pid and os.getpid() != self.worker_pid:
            self._in_child(signum, frame)
            return
        self.received.append(signum)
        if signum == signal.SIGQUIT or (signum == signal.SIGTERM and self.graceful_term):
            self._shutdown()
        elif signum in (signal.SIGTERM, signal.SIGINT):
            self._shutdown()
            self.kill_child = True
            if self.term_child and self.in_process_job:
                # Worker#shutdown! without fork: TermException raised in this very process.
                signal.signal(signal.SIGTERM, _ignore)
                raise TermException("SIGTERM")
        elif signum == signal.SIGUSR1:
            self.kill_child = True
        elif signum == signal.SIGUSR2:
            self.pause, self.unpause = True, False
        elif signum == signal.SIGCONT:
            self.unpause, self.pause = True, False

    def _shutdown(self) -> None:
        if not self.shutdown:
            self.run_shutdown_hooks = True
        self.shutdown = True

    def _in_child(self, signum: int, frame: FrameType | None) -> None:
        """A forked child's handler for the worker's signals (see ``in_child``): ``TERM`` asks
        ``child_on_term`` first, then raises ``TermException`` with ``TERM_CHILD``, once (later
        ``TERM``s are ignored); the others are ignored, as by Ruby's child, which keeps its
        parent's handlers acting on a copy of its state."""
        if signum != signal.SIGTERM:
            return
        ask = self.child_on_term
        if ask is not None:
            try:
                handled = ask()
            except BaseException:
                _set_handler(signal.SIGTERM, _ignore)
                raise
            if handled:
                _set_handler(signal.SIGTERM, _ignore)
                return
        if self.term_child:
            _raise_term(signum, frame)


BLIND_NAP = 0.01
"""How long ``Waker.wait`` sleeps at most while it watches a child it has no pidfd for."""


class Waker:
    """The self-pipe signals write to, and the job child being waited for: ``wait(timeout)``
    sleeps until a signal, the watched child's exit or the timeout.

    A child's exit is seen through a pidfd (Linux 5.3+) where there is one, so no ``SIGCHLD``
    handler is installed: its delivery, a Python handler call, the interrupted ``select`` run
    again and a pipe read were the parent's work at every job's end, and a forked child had
    one disposition more to reset. Elsewhere ``SIGCHLD`` writes to the pipe as any signal."""

    def __init__(self) -> None:
        self.handler: Callable[[int, FrameType | None], None] | None = None
        """The signal handler ``install`` set, kept alive for as long as the pipe is."""
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        os.set_inheritable(self.read_fd, False)
        os.set_inheritable(self.write_fd, False)
        self.pidfds = _pidfds_work()
        """Whether a child's exit is watched through a pidfd (else through ``SIGCHLD``)."""
        self._fds = [self.read_fd]
        self._blind = False  # a child watched without a pidfd (none could be opened)

    def watch(self, pid: int) -> None:
        """Wake ``wait`` when child ``pid`` exits, until ``unwatch``."""
        if self.pidfds:
            try:
                self._fds = [self.read_fd, os.pidfd_open(pid)]
            except OSError:  # out of descriptors, say: no SIGCHLD either, so wait in short naps
                self._blind = True

    def unwatch(self) -> None:
        self._blind = False
        if len(self._fds) > 1:
            os.close(self._fds.pop())

    def wait(self, timeout: float | None) -> bool:
        """Sleep up to ``timeout`` seconds; ``True`` if a signal arrived or the watched child
        exited."""
        if self._blind:
            timeout = BLIND_NAP if timeout is None else min(timeout, BLIND_NAP)
        ready, _, _ = select.select(self._fds, [], [], timeout)
        if not ready:
            return False
        if ready[0] == self.read_fd:
            self.drain()
        return True

    def poke(self) -> None:
        """Wake ``wait`` from a signal handler or another thread: a byte into the pipe, which
        takes no lock (``threading.Event.set`` in a handler deadlocks when the signal lands
        while the main thread holds the event's lock). A full pipe is awake already."""
        with contextlib.suppress(BlockingIOError):
            os.write(self.write_fd, b"\0")

    def drain(self) -> None:
        """Empty the pipe; one read when it held less than a buffer (no ``BlockingIOError``
        built and caught after every signal: a fork job's ``SIGCHLD`` is one)."""
        try:
            while len(os.read(self.read_fd, 512)) == 512:
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        self.unwatch()
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _pidfds_work() -> bool:
    """``os.pidfd_open`` exists and the kernel has it (Linux 5.3+)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


Saved = tuple[int, dict[int, Any]]


def install(intents: Intents, waker: Waker) -> Saved:
    """Install the recording handlers and the wakeup fd (main thread only); returns what was
    there before, for ``restore``."""
    previous_fd = signal.set_wakeup_fd(waker.write_fd, warn_on_full_buffer=False)
    intents.worker_pid = os.getpid()
    # One handler object for every signal, also held here: a forked child keeps it.
    handler = waker.handler = intents.on_signal
    handled = [s for s in HANDLED if s != signal.SIGCHLD or not waker.pidfds]
    previous: dict[int, Any] = {int(s): signal.signal(s, handler) for s in handled}
    return previous_fd, previous


def restore(saved: Saved) -> None:
    """Put back the handlers and wakeup fd ``install`` replaced (a worker run in-process)."""
    previous_fd, previous = saved
    signal.set_wakeup_fd(previous_fd)
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def restore_defaults() -> None:
    """Default dispositions and no wakeup fd (a freshly forked supervised worker)."""
    signal.set_wakeup_fd(-1)
    for signum in HANDLED:
        signal.signal(signum, signal.SIG_DFL)


def in_child(term_child: bool, sigchld: bool) -> None:
    """A forked child's handlers (``unregister_signal_handlers``), for a child that has any to
    change (``child_changes``); the default child, with pidfds and without ``TERM_CHILD``,
    changes nothing: each handler a child changes is a page it copies.

    The child keeps the worker's handler, which in any process but the worker's acts as the
    child's (``Intents._in_child``): ``TERM`` raises ``TermException`` in the job with
    ``TERM_CHILD`` and is ignored without it, after the job's timeout has had its say; the other
    worker signals are ignored, as Ruby's child ignores them (a handler rather than SIG_IGN:
    ignored dispositions would survive into programs the job executes; handlers are reset by
    exec). The child keeps the wakeup fd too: a signal it catches wakes the worker's loop,
    which finds no intent of its own and waits on. With ``TERM_CHILD``,
    ``INT``/``QUIT``/``USR1``/``USR2`` get their default action, as in Ruby. ``SIGCHLD``, when
    the worker handles it (``sigchld``: no pidfds), gets its default back (a job's own
    subprocesses do not interrupt it).
    """
    if sigchld:
        _set_handler(signal.SIGCHLD, _DEFAULT)
    if term_child:
        for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
            _set_handler(signum, _DEFAULT)


def child_changes(term_child: bool, waker: Waker | None) -> tuple[bool, bool] | None:
    """``in_child``'s arguments for the next child, or ``None`` when it has nothing to change."""
    sigchld = waker is None or not waker.pidfds
    return (term_child, sigchld) if term_child or sigchld else None


_c_signal = importlib.import_module("_signal")
_set_handler: Callable[[int, Any], Any] = _c_signal.signal
_DEFAULT: int = _c_signal.SIG_DFL  # the C function takes its own SIG_DFL, not the enum member
"""The C ``signal.signal``. The ``signal`` module's wrapper turns the previous handler back into
an enum, and for a Python handler (the worker's) that attempt fails with a ``ValueError`` whose
message holds the ``repr`` of the handler's ``Intents``. Seven of those in every forked child
were about 200 of its 460 page faults and 30% of its CPU (docs/performance.md)."""


def _ignore(signum: int, frame: FrameType | None) -> None:
    return None


def _raise_term(signum: int, frame: FrameType | None) -> None:
    _set_handler(signal.SIGTERM, _ignore)
    raise TermException("SIGTERM")
