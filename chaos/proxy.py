"""A TCP proxy in front of a redis-server, for faults between a client and Redis: replies
dropped after Redis ran the command, connections cut or stalled mid-command."""

from __future__ import annotations

import contextlib
import random
import select
import socket
import threading
import time


class Proxy:
    """Listens on a free loopback port and relays each connection to ``target``.

    ``drop_reply(marker, every)``: every ``every``-th client write containing ``marker`` is
    relayed, its reply read from Redis and thrown away, and the client's connection cut (Redis
    ran the command; the client never learns). ``chaos(p_cut, p_stall, stall)``: each relayed
    chunk cuts the connection with probability ``p_cut`` or stalls it ``stall`` seconds with
    probability ``p_stall``. ``cut_all()`` cuts every open connection.
    """

    def __init__(self, target_port: int, seed: int = 0) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.marker: bytes | None = None
        self.every = 0
        self.seen = 0
        self.dropped = 0
        self.p_cut = 0.0
        self.p_stall = 0.0
        self.stall = 0.0
        self.cuts = 0
        self.stalls = 0
        self.socks: set[socket.socket] = set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_reply(self, marker: bytes, every: int) -> None:
        with self.lock:
            self.marker, self.every, self.seen = marker, every, 0

    def chaos(self, p_cut: float, p_stall: float = 0.0, stall: float = 0.0) -> None:
        with self.lock:
            self.p_cut, self.p_stall, self.stall = p_cut, p_stall, stall

    def calm(self) -> None:
        with self.lock:
            self.marker, self.p_cut, self.p_stall = None, 0.0, 0.0

    def cut_all(self) -> None:
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.cut_all()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.socks.update((client, server))
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _decide(self, chunk: bytes) -> str:
        with self.lock:
            if self.marker is not None and self.marker in chunk:
                self.seen += 1
                if self.seen % self.every == 0:
                    self.dropped += 1
                    return "drop"
            r = self.random.random()
            if r < self.p_cut:
                self.cuts += 1
                return "cut"
            if r < self.p_cut + self.p_stall:
                self.stalls += 1
                return "stall"
        return "pass"

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [], 1.0)
                if self.closed:
                    return
                for sock in ready:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    if sock is server:
                        client.sendall(chunk)
                        continue
                    action = self._decide(chunk)
                    if action == "cut":
                        if self.random.random() < 0.5:
                            server.sendall(chunk[: self.random.randrange(len(chunk) + 1)])
                        return
                    if action == "stall":
                        time.sleep(self.stall)
                    server.sendall(chunk)
                    if action == "drop":
                        server.settimeout(5.0)
                        server.recv(65536)  # Redis ran it; the reply goes nowhere
                        return
        except OSError:
            return
        finally:
            with self.lock:
                self.socks.discard(client)
                self.socks.discard(server)
            for s in (client, server):
                with contextlib.suppress(OSError):
                    s.close()
