"""What a chaos scenario runs: its own redis-servers and worker processes, and their teardown.

``Server`` is a redis-server on a fixed directory, so it can be killed with ``SIGKILL`` and
started again on the same port and data (AOF with ``appendfsync always``: every write Redis
acknowledged survives), stopped with ``SIGSTOP`` or filled to ``maxmemory``. ``Fleet`` starts
``resque-compat work`` processes, each in a session of its own, and at the end ends every
process of every session it started, counting those still alive first.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from resque_compat.store import connect
from resque_compat.testing import RedisServerError, free_port

NAMESPACE = "chaos"
ROOT = str(Path(__file__).resolve().parent.parent)


class Server:
    """A redis-server for one scenario; ``aof`` keeps data across ``kill9_restart``."""

    def __init__(self, aof: bool = False, args: tuple[str, ...] = ()) -> None:
        found = shutil.which("redis-server")
        if not found:
            raise RedisServerError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.executable = found
        self.port = free_port()
        self.aof = aof
        self.args = args
        """Further redis-server arguments (``--replicaof host port``)."""
        self.dir = tempfile.mkdtemp(prefix="resque-compat-chaos-")
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Server:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        )
        cmd = [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            *persistence, "--dir", self.dir, "--maxmemory-policy", "noeviction",
            "--logfile", str(Path(self.dir) / "redis.log"), *self.args,
        ]  # fmt: skip
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisServerError(f"redis-server exited with {self.process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.02)  # polling a starting server's socket
        raise RedisServerError(f"redis-server did not answer on {self.port}")

    def client(self) -> redis.Redis:
        return connect(self.url)

    def kill9_restart(self) -> None:
        """``SIGKILL`` Redis mid-run, then start it again on the same port and AOF."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.start()

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Fleet:
    """Worker processes for one scenario."""

    def __init__(self, redis_url: str, ledger_url: str) -> None:
        self.redis_url = redis_url
        self.ledger_url = ledger_url
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ids: dict[int, str] = {}
        """Each worker's id by its pid."""
        self.pods: set[int] = set()
        """The pids of the ``unshare`` processes whose pid 1 is a worker."""
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop_all

    def env(self, **env: str) -> dict[str, str]:
        """The environment of the scenario's processes: its Redis, the ledger, short heartbeat
        (1 s) and prune (3 s) intervals."""
        full = {k: v for k, v in os.environ.items() if k not in ("QUEUE", "QUEUES", "COUNT")}
        full.update(
            REDIS_URL=self.redis_url,
            RESQUE_NAMESPACE=NAMESPACE,
            CHAOS_LEDGER_URL=self.ledger_url,
            PYTHONPATH=os.pathsep.join([ROOT, full.get("PYTHONPATH", "")]),
            INTERVAL="0.1",
            RESQUE_HEARTBEAT_INTERVAL="1",
            RESQUE_PRUNE_INTERVAL="3",
            RESQUE_TERM_TIMEOUT="1",
        )
        full.update(env)
        return full

    def start(
        self, queues: str, *, url: str | None = None, host: str | None = None, pod: bool = False, **env: str
    ) -> subprocess.Popen[bytes]:
        """A worker on ``queues``; with ``host``, on a host of that name (``on_host``): a UTS
        namespace, or with ``pod`` a pod (``POD``: the worker is pid 1 of its own pid namespace
        and /proc, its processes unseen by every other host)."""
        cmd = [sys.executable, "-m", "resque_compat.cli", "work", "--app", "chaos.app"]
        full = self.env(QUEUE=queues, **({"REDIS_URL": url} if url else {}), **env)
        argv = on_host(host, cmd, POD if pod else UTS) if host else cmd
        proc = subprocess.Popen(argv, env=full, start_new_session=True, stdout=self.log, stderr=self.log)
        self.procs.append(proc)
        self.ids[proc.pid] = f"{host or socket.gethostname()}:{1 if pod else proc.pid}:{queues}"
        if pod:
            self.pods.add(proc.pid)
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def worker_pid(self, proc: subprocess.Popen[bytes]) -> int | None:
        """This machine's pid of ``proc``'s worker: ``proc`` itself, or a pod's pid 1 (``None``
        until ``unshare`` has forked it, or once it is gone)."""
        if proc.pid not in self.pods:
            return proc.pid
        try:
            found = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            return None
        return int(found[0]) if found else None

    def children(self, proc: subprocess.Popen[bytes]) -> list[int]:
        """Pids of ``proc``'s job children (same session)."""
        parent = self.worker_pid(proc)
        return [pid for pid, fields in _proc_stats() if int(fields[1]) == parent]

    def stop_all(self, timeout: float = 20.0) -> int:
        """QUIT every worker, KILL what is still running after ``timeout``, then end every
        session; returns how many processes were left when their sessions were ended."""
        for proc in self.alive():
            worker = self.worker_pid(proc)
            with contextlib.suppress(ProcessLookupError):
                if worker is not None:
                    os.kill(worker, signal.SIGCONT)
                    os.kill(worker, signal.SIGQUIT)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        left = 0
        for proc in self.procs:
            left += len(session_members(proc.pid))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        return left

    def close(self) -> None:
        self.log.close()

    def tail(self, size: int = 3000) -> str:
        self.log.seek(0, os.SEEK_END)
        end = self.log.tell()
        self.log.seek(max(0, end - size))
        return self.log.read().decode("utf-8", "replace")


UTS = ("unshare", "--uts")
"""A host of its own: a UTS namespace, so a host name of its own (root or ``CAP_SYS_ADMIN``)."""
POD = (*UTS, "--pid", "--fork", "--mount-proc")
"""A pod: a host name, pids from 1 and a ``/proc`` showing only its own processes."""


def namespaces_unavailable(unshare: tuple[str, ...] = UTS) -> str | None:
    """Why ``unshare`` cannot make these namespaces here, or ``None`` when it can."""
    if shutil.which("unshare") is None:
        return "util-linux unshare is not installed: no UTS or pid namespaces for other hosts"
    probe = subprocess.run(
        [*unshare, "sh", "-c", "hostname probe && hostname && echo $$"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = probe.stdout.split()
    if probe.returncode == 0 and lines[:1] == ["probe"] and ("--pid" not in unshare or lines[1:] == ["1"]):
        return None
    said = probe.stderr.strip().splitlines()[-1:] or [f"exit {probe.returncode}"]
    made = "UTS and pid namespaces" if "--pid" in unshare else "UTS namespaces"
    return f"unshare is not permitted to make {made} here (it needs root or CAP_SYS_ADMIN): {said[0]}"


def on_host(host: str, argv: list[str], unshare: tuple[str, ...] = UTS) -> list[str]:
    """``argv`` run under host name ``host``; with ``UTS`` alone its pid stays the one the
    caller started (``unshare`` and the shell exec it)."""
    assert host != os.uname().nodename, "a fake other host must not be named as this machine"
    return [*unshare, "sh", "-c", f"hostname {shlex.quote(host)} && exec {shlex.join(argv)}"]


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """Every process's pid and the fields of its ``/proc/<pid>/stat`` after the command name
    (state, ppid, pgrp, session, ...); a process that ends meanwhile is left out."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue


def session_members(sid: int) -> list[int]:
    """Pids still alive (not zombies) in session ``sid``."""
    return [pid for pid, fields in _proc_stats() if int(fields[3]) == sid and fields[0] != "Z"]
