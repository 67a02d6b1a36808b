"""Every command a Redis ``MONITOR`` shows, for tests that count what a page or a worker sends.
Use it on a private redis-server (``RedisServer``), so no other test's commands are seen."""

from __future__ import annotations

import re
import socket
import threading
import uuid

import redis

HANDSHAKE = {"hello", "client", "select", "auth"}
"""What a new connection sends before its first command (the stop marker's own connection too)."""
_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')


class Monitor:
    """``(name, arguments, from_script)`` of every command until ``stop``; ``from_script`` is
    True for a command a Lua script ran (MONITOR's ``[0 lua]`` lines)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"MONITOR\r\n")
        self.file = self.sock.makefile("rb")
        assert self.file.readline().startswith(b"+OK")
        self.seen: list[tuple[str, list[bytes], bool]] = []
        self.marker = f"stop-{uuid.uuid4().hex}".encode()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.file:
            where, _, rest = line.partition(b"] ")
            args = _ARG.findall(rest)
            if not args:
                continue
            name = args[0].decode().lower()
            if name == "echo" and self.marker in args[1:]:
                return
            if name not in HANDSHAKE:
                self.seen.append((name, args[1:], where.endswith(b" lua")))

    def stop(self) -> list[tuple[str, list[bytes], bool]]:
        """Every command seen, once the marker sent through the server shows."""
        client = redis.Redis(port=self.port)
        client.echo(self.marker)
        client.close()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "MONITOR never showed the stop marker"
        self.file.close()
        self.sock.close()
        return self.seen
