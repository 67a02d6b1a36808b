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
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop_all

    def start(self, queues: str, *, url: str | None = None, **env: str) -> subprocess.Popen[bytes]:
        full = {k: v for k, v in os.environ.items() if k not in ("QUEUE", "QUEUES", "COUNT")}
        full.update(
            REDIS_URL=url or self.redis_url,
            RESQUE_NAMESPACE=NAMESPACE,
            CHAOS_LEDGER_URL=self.ledger_url,
            PYTHONPATH=os.pathsep.join([ROOT, full.get("PYTHONPATH", "")]),
            QUEUE=queues,
            INTERVAL="0.1",
            RESQUE_HEARTBEAT_INTERVAL="1",
            RESQUE_PRUNE_INTERVAL="3",
            RESQUE_TERM_TIMEOUT="1",
        )
        full.update(env)
        cmd = [sys.executable, "-m", "resque_compat.cli", "work", "--app", "chaos.app"]
        proc = subprocess.Popen(cmd, env=full, start_new_session=True, stdout=self.log, stderr=self.log)
        self.procs.append(proc)
        return proc

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.procs if p.poll() is None]

    def children(self, proc: subprocess.Popen[bytes]) -> list[int]:
        """Pids of ``proc``'s job children (same session)."""
        return [pid for pid, fields in _proc_stats() if int(fields[1]) == proc.pid]

    def stop_all(self, timeout: float = 20.0) -> int:
        """QUIT every worker, KILL what is still running after ``timeout``, then end every
        session; returns how many processes were left when their sessions were ended."""
        for proc in self.alive():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGQUIT)
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
