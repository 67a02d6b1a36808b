"""A pool of workers like resque-pool (``Resque::Pool``): so many workers per queue list, kept
at that number, reshaped on ``HUP``, with resque-pool's signals and process titles.

The master forks each worker (in a process group of its own unless ``--single-process-group``,
as resque-pool does) and then only manages: ``join`` reaps, acts on one queued signal, sleeps
at most a second on a self-pipe, and spawns what is missing. Signals (``handle_sig_queue!``):

=========  ===================================================================================
``USR1``   sent on to every worker (kill its child); ``USR2``/``CONT`` too (pause, resume)
``HUP``    the config file is read again; every worker gets ``QUIT`` (``TERM`` with
           ``TERM_CHILD``) and is replaced by workers of the new shape as the old ones exit
``WINCH``  with ``--handle-winch``: every worker stops, the master stays (an empty config)
``QUIT``   workers finish their jobs, the master waits for them (``TERM_CHILD``: at once)
``INT``    workers finish their jobs; the master exits without waiting
``TERM``   workers are stopped now (``TERM``; ``QUIT`` with ``TERM_CHILD``); or as the TERM
           behaviour option says
=========  ===================================================================================

Titles: ``resque-pool-master[<app>]: managing [pids]`` (``(initialized)``, ``(starting)``,
``(started)``, ``(shutting down)``); log lines ``resque-pool-manager[<app>][pid]: ...``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable

import setproctitle

from ..config.pool import PoolSettings
from ..errors import ConfigError
from . import signals

QUEUE_SIGS = (
    signal.SIGQUIT,
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGCONT,
    signal.SIGHUP,
    signal.SIGWINCH,
)
SIG_QUEUE_MAX_SIZE = 5
PR_SET_PDEATHSIG = 1

RunWorker = Callable[[str], int]
"""Runs one worker for a queue list in a freshly forked process; returns its exit status."""


class Pool:
    """``Resque::Pool``: ``start`` then ``join``."""

    def __init__(
        self, settings: PoolSettings, load: Callable[[], dict[str, int]], run_worker: RunWorker
    ) -> None:
        self.settings = settings
        self.load = load
        self.run_worker = run_worker
        self.config: dict[str, int] = load()
        self.workers: dict[str, list[int]] = {}
        self.sig_queue: list[int] = []
        self.waker: signals.Waker | None = None
        self.waiting_for_reaper = False
        self.short_circuited = 0
        """The ``INT``/``TERM`` that stopped a blocking ``reap_all_workers``, to be logged."""
        self.app = f"[{settings.app_name}]" if settings.app_name else ""
        self.procline("(initialized)")

    # titles and logs (Pool::Logging)
    def procline(self, text: str) -> None:
        setproctitle.setproctitle(f"resque-pool-master{self.app}: {text}")

    def log(self, message: str) -> None:
        print(f"resque-pool-manager{self.app}[{os.getpid()}]: {message}", flush=True)

    # signals
    def on_signal(self, signum: int, _frame: object) -> None:
        if signum == signal.SIGCHLD:
            return
        if self.waiting_for_reaper and signum in (signal.SIGINT, signal.SIGTERM):
            # Said by reap_all_workers: a print here, landing in one of the loop's own, would
            # find stdout's buffer taken ("reentrant call") and raise out of the master's loop.
            self.short_circuited = signum
            self.waiting_for_reaper = False
        if len(self.sig_queue) < SIG_QUEUE_MAX_SIZE:
            self.sig_queue.append(signum)

    def handle_sig_queue(self) -> bool:
        """``handle_sig_queue!``; ``True`` when the master should stop."""
        if not self.sig_queue:
            return False
        sig = self.sig_queue.pop(0)
        name = signal.Signals(sig).name[3:]
        graceful = signal.SIGTERM if self.settings.term_child else signal.SIGQUIT
        if sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT):
            self.log(f"{name}: sending to all workers")
            self.signal_all_workers(sig)
        elif sig == signal.SIGHUP:
            self.log("HUP: reset configuration and reload logfiles")
            try:
                self.config = self.load()
            except ConfigError as exc:
                self.log(f"HUP: keeping the configuration in force: {exc}")
            self.log("HUP: gracefully shutdown old children (which have old logfiles open)")
            self.signal_all_workers(graceful)
            self.maintain_worker_count()
        elif sig == signal.SIGWINCH:
            if self.settings.handle_winch:
                self.log("WINCH: gracefully stopping all workers")
                self.config = {}
                self.maintain_worker_count()
        elif sig == signal.SIGQUIT:
            return self.shutdown_now(name) if self.settings.term_child else self.shutdown_and_wait(name)
        elif sig == signal.SIGINT:
            return self.shutdown_graceful(name)
        elif sig == signal.SIGTERM:
            behavior = self.settings.term_behavior
            if behavior == "graceful_worker_shutdown_and_wait":
                return self.shutdown_and_wait(name)
            if behavior == "graceful_worker_shutdown":
                return self.shutdown_graceful(name)
            return self.shutdown_now(name)
        return False

    def shutdown_and_wait(self, name: str) -> bool:
        self.log(f"{name}: graceful shutdown, waiting for children")
        self.signal_all_workers(signal.SIGTERM if self.settings.term_child else signal.SIGQUIT)
        self.reap_all_workers(block=True)
        return True

    def shutdown_graceful(self, name: str) -> bool:
        self.log(f"{name}: immediate shutdown (graceful worker shutdown)")
        self.signal_all_workers(signal.SIGTERM if self.settings.term_child else signal.SIGQUIT)
        return True

    def shutdown_now(self, name: str) -> bool:
        self.log(f"{name}: immediate shutdown (and immediate worker shutdown)")
        self.signal_all_workers(signal.SIGQUIT if self.settings.term_child else signal.SIGTERM)
        return True

    # running
    def start(self) -> Pool:
        self.procline("(starting)")
        self.waker = signals.Waker()
        signal.set_wakeup_fd(self.waker.write_fd, warn_on_full_buffer=False)
        for sig in (*QUEUE_SIGS, signal.SIGCHLD):
            signal.signal(sig, self.on_signal)
        self.maintain_worker_count()
        self.procline("(started)")
        self.log("started manager")
        pids = self.all_pids()
        self.log(f"Pool contains worker PIDs: {pids!r}" if pids else "Pool is empty")
        return self

    def join(self) -> None:
        assert self.waker is not None
        while True:
            self.reap_all_workers()
            if self.handle_sig_queue():
                break
            if not self.sig_queue:
                self.waker.wait(1.0)
                self.reap_all_workers()
                self.maintain_worker_count()
            self.procline(f"managing {self.all_pids()!r}")
        self.procline("(shutting down)")
        self.log("manager finished")
        signals.restore_defaults()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        signal.signal(signal.SIGWINCH, signal.SIG_DFL)
        self.waker.close()

    def reap_all_workers(self, block: bool = False) -> None:
        """``reap_all_workers``: every exited worker; ``block`` waits for all of them (an
        ``INT``/``TERM`` meanwhile stops the wait)."""
        self.waiting_for_reaper = block
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                if not (block and self.waiting_for_reaper and self.all_pids()):
                    break
                assert self.waker is not None
                self.waker.wait(0.5)
                continue
            queues = self.delete_worker(pid)
            code = os.waitstatus_to_exitcode(status)
            if queues is not None:
                self.log(f"Reaped resque worker[{pid}] (status: {code}) queues: {queues}")
            else:
                self.log(f"Tried to reap worker [{pid}], but it had already died. (status: {code})")
        self.waiting_for_reaper = False
        if self.short_circuited:
            name = signal.Signals(self.short_circuited).name[3:]
            self.log(f"Recieved {name}: short circuiting QUIT waitpid")
            self.short_circuited = 0

    def delete_worker(self, pid: int) -> str | None:
        for queues, pids in self.workers.items():
            if pid in pids:
                pids.remove(pid)
                return queues
        return None

    def all_pids(self) -> list[int]:
        return [pid for pids in self.workers.values() for pid in pids]

    def signal_all_workers(self, sig: int) -> None:
        self.log(f"Sending {signal.Signals(sig).name[3:]} to all workers")
        for pid in self.all_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def maintain_worker_count(self) -> None:
        for queues in list(dict.fromkeys([*self.config, *self.workers])):
            delta = self.config.get(queues, 0) - len(self.workers.get(queues, []))
            for _ in range(max(delta, 0)):
                self.spawn_worker(queues)
                if self.settings.spawn_delay:
                    time.sleep(self.settings.spawn_delay)  # resque-pool's --spawn-delay
            for pid in self.workers.get(queues, [])[: max(-delta, 0)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)

    def spawn_worker(self, queues: str) -> None:
        master = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                master_gone_quits_me(master)
                if not self.settings.single_process_group:
                    os.setpgrp()
                if self.waker is not None:
                    self.waker.close()
                signals.restore_defaults()
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                signal.signal(signal.SIGWINCH, signal.SIG_DFL)
                print(f"resque-pool-worker{self.app}[{os.getpid()}]: Starting worker {queues}", flush=True)
                code = self.run_worker(queues)
            finally:
                sys.stdout.flush()
                os._exit(code)
        self.workers.setdefault(queues, []).append(pid)


def master_gone_quits_me(master: int) -> None:
    """``PooledWorker#pool_master_has_gone_away?``: a worker whose master died stops as on
    ``QUIT`` (the kernel sends it when the parent ends: ``PR_SET_PDEATHSIG``), so a master
    killed with ``kill -9`` leaves no workers behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)
    if os.getppid() != master:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGQUIT)
