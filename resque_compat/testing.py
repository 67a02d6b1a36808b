"""A throwaway ``redis-server`` for tests: public API, for your test suite as for this project's
(and its benchmarks, conformance suite and demo). ``RedisServer``, ``RedisServerError`` and
``free_port`` are stable.

Starts ``redis-server`` on a free loopback port with nothing saved to disk, waits until it
answers ``PING`` and stops it on exit. It never touches a server it did not start.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .errors import RedisServerError

__all__ = ["RedisServer", "RedisServerError", "free_port"]


def free_port(below: int = 65536) -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (and lower than ``below``)."""
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < below:
            return port
    raise RedisServerError(f"no free port below {below}")


class RedisServer:
    """``with RedisServer() as server: server.url``: a private redis-server for one run."""

    def __init__(
        self,
        executable: str | None = None,
        port: int | None = None,
        cpu: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        found = executable or shutil.which("redis-server")
        if not found:
            raise RedisServerError(
                "redis-server is not installed (Debian: apt-get install redis-server); "
                "or point the tests at a server of yours with REDIS_URL"
            )
        self.executable = found
        self.port = port or free_port()
        self.cpu = cpu
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self._dir = tempfile.TemporaryDirectory(prefix="resque-compat-redis-")
        cmd = [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self._dir.name, "--daemonize", "no",
            "--logfile", str(Path(self._dir.name) / "redis.log"), *self.extra_args,
        ]  # fmt: skip
        if self.cpu is not None and shutil.which("taskset"):
            cmd = ["taskset", "-c", str(self.cpu), *cmd]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code, log = self.process.returncode, self._log_tail()
                self.stop()
                raise RedisServerError(f"redis-server exited with {code}: {log}")
            if self._answers():
                return self
            time.sleep(0.02)  # polling a starting server's socket
        self.stop()
        raise RedisServerError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def _log_tail(self) -> str:
        if self._dir is None:
            return ""
        log = Path(self._dir.name) / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        """Stop and start again on the same port (for reconnect tests); data is lost."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
