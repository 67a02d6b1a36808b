"""The hot path's sender (``CommandSender``, ``DirectReplies``) and Redis's wire format
(``resp``): the one place that reaches below redis-py's public client, beside the connections
``connection`` builds."""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from typing import Any

import redis

from .connection import _REDIS_LINE, UNAVAILABLE, project_error

_hiredis: Any
try:
    import hiredis as _hiredis
except ImportError:  # the hiredis extra is optional: redis-py's own read path then
    _hiredis = None


class CommandSender:
    """Sends a batch of commands in one write on a connection this thread holds, and reads the
    replies: the cheapest round trip redis-py allows, for the enqueue and reserve hot paths.

    The connection is taken from the client's pool and kept checked out, per thread and per
    process, so it is never shared across a fork or between threads, and closing the client
    (``pool.disconnect()``) closes it too. Every reply is read, error replies
    (``ResponseError``) too: the first is raised, or with ``raise_on_error=False`` each takes its
    command's place in the list returned; any other error drops
    the connection (its remaining replies are unknown) and is raised as is; the next call
    connects again. Nothing is retried.

    This class is the only code that reaches below redis-py's public client, and it does so only
    through what every supported line (5.0.1 to 8.x) has: ``ConnectionPool.get_connection``,
    ``Connection.pack_commands`` / ``send_packed_command`` / ``read_response`` / ``disconnect``,
    and the connection's socket (``_get_socket()`` from 7.x, which also sees through a
    client-side-caching proxy; the ``_sock`` attribute before). ``checkout`` and ``socket_of``
    hold the differences; tests/test_redis_versions.py runs this class on each line.
    """

    # redis-py 5.0-5.2 require get_connection's command name; 5.3+ deprecate passing it.
    NAME_REQUIRED = _REDIS_LINE < (5, 3)

    def __init__(self, client: redis.Redis) -> None:
        self.pool = client.connection_pool
        self._local = threading.local()
        self._hot: DirectReplies | None = None
        """The direct socket of the last successful exchange: the next ``send_packed`` from the
        same thread and process uses it without the per-thread lookups (see ``send_packed``)."""

    @classmethod
    def checkout(cls, pool: redis.ConnectionPool) -> Any:
        """A connection of ``pool``'s, connected, checked out until ``pool.release``."""
        return pool.get_connection("PIPELINE") if cls.NAME_REQUIRED else pool.get_connection()

    @staticmethod
    def socket_of(conn: Any) -> Any:
        """The connection's socket, or ``None`` while it is not connected."""
        get_socket = getattr(conn, "_get_socket", None)
        return get_socket() if get_socket is not None else conn._sock

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = self._local.conn = self.checkout(self.pool)
            self._local.pid = os.getpid()
        return conn

    def _direct(self, conn: Any, sock: Any) -> DirectReplies | None:
        """The connection's socket with a hiredis reader of this sender's own, or ``None``
        (no hiredis, or a redis-py without the parser's ``parse_error``): redis-py's send and
        read path then."""
        if _hiredis is None:
            return None
        if sock is None:
            conn.connect()
            sock = self.socket_of(conn)
        direct: DirectReplies | None = getattr(self._local, "direct", None)
        if direct is None or direct.sock is not sock:
            parse_error = getattr(getattr(conn, "_parser", None), "parse_error", None)
            if sock is None or parse_error is None:
                return None
            direct = self._local.direct = DirectReplies(sock, parse_error)
        return direct

    def send(self, commands: tuple[tuple[Any, ...], ...], *, raise_on_error: bool = True) -> list[Any]:
        return self._exchange(None, commands, len(commands), raise_on_error)

    def send_packed(self, packed: bytes, replies: int, *, raise_on_error: bool = True) -> list[Any]:
        """``send`` for commands already in Redis's wire format (``resp``): ``replies`` replies.

        The hot path of every enqueue and reserve. When the last exchange went through a direct
        socket in this thread and process, and that socket is still open with nothing to read
        (a socket the server closed polls readable), the commands go straight to it; anything
        else takes ``_exchange``'s path, which reconnects first. A fork job's parent writes to
        a copy-on-write page for every object it touches here: this path touches few."""
        hot = self._hot
        if (
            hot is None
            or hot.pid != os.getpid()
            or hot.thread != threading.get_ident()
            or hot.sock.fileno() < 0
            or hot.poller.poll(0)
        ):
            return self._exchange(packed, (), replies, raise_on_error)
        try:
            got = hot.exchange((packed,), replies)
        except BaseException as exc:
            self._hot = None
            self._connection().disconnect()
            if isinstance(exc, UNAVAILABLE):
                raise project_error((), exc, self.pool) from exc
            raise
        if raise_on_error:
            self._raise_first_error(packed, (), got)
        return got

    def _exchange(
        self, packed: bytes | None, commands: tuple[tuple[Any, ...], ...], replies: int, raise_on_error: bool
    ) -> list[Any]:
        conn = self._connection()
        try:
            sock = self.socket_of(conn)
            # A socket the server closed (a restart, an idle timeout) polls readable: reconnect
            # before sending rather than fail after, so a restart costs no enqueue. One poll(2)
            # call; redis-py's can_read costs several system calls.
            if sock is not None and select.select([sock], [], [], 0)[0]:
                conn.disconnect()
                sock = None
            if sock is None:
                # Through the connection's own connect: one Sentinel manages asks the sentinels
                # where the master is now. (redis-py 8's send_packed_command reconnects below
                # that, to the address it had: the old master, for as long as the process ran.)
                conn.connect()
                sock = self.socket_of(conn)
            chunks = [packed] if packed is not None else conn.pack_commands(commands)
            direct = self._direct(conn, sock)
            self._hot = None
            if direct is None:
                conn.send_packed_command(chunks, check_health=False)
                got = [_read_reply(conn) for _ in range(replies)]
            else:
                got = direct.exchange(chunks, replies)
                self._hot = direct
        except UNAVAILABLE as exc:
            conn.disconnect()
            raise project_error((), exc, self.pool) from exc
        except BaseException:
            conn.disconnect()
            raise
        if raise_on_error:
            self._raise_first_error(packed, commands, got)
        return got

    def _raise_first_error(
        self, packed: bytes | None, commands: tuple[tuple[Any, ...], ...], got: list[Any]
    ) -> None:
        for i, reply in enumerate(got):
            if isinstance(reply, redis.ResponseError):
                sent = commands if packed is None else unpack(packed)
                failed = sent[i] if i < len(sent) else ()
                raise reply_error(tuple(failed), reply, self.pool)


class DirectReplies:
    """One connected socket and a hiredis reader: ``exchange`` writes the commands and reads
    their replies with no redis-py frames in between (a reserve or an enqueue is one write and
    one read; redis-py's own path is about ten Python calls around them). Error replies are
    the exceptions redis-py's parser builds (its ``parse_error``), returned in their place;
    a lost or timed-out socket raises redis-py's ``ConnectionError`` / ``TimeoutError``, and
    the sender drops the connection.

    The socket's timeout moves into the kernel (``SO_RCVTIMEO``/``SO_SNDTIMEO``) and the
    socket becomes blocking: Python polls a socket with a timeout before every send and every
    receive, two system calls a round trip that a blocking one does not make. The connection
    is this sender's alone (checked out, never released to the pool)."""

    __slots__ = ("buffer", "pid", "poller", "reader", "sock", "thread")

    def __init__(self, sock: Any, parse_error: Callable[[str], Exception]) -> None:
        assert _hiredis is not None
        self.sock = sock
        self.pid = os.getpid()
        self.thread = threading.get_ident()
        self.poller = select.poll()
        self.poller.register(sock, select.POLLIN)
        self.reader = _hiredis.Reader(protocolError=redis.exceptions.InvalidResponse, replyError=parse_error)
        self.buffer = bytearray(65536)
        timeout = sock.gettimeout()
        if timeout:
            seconds = int(timeout)
            limit = struct.pack("ll", seconds, int((timeout - seconds) * 1e6))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
            sock.settimeout(None)

    def exchange(self, chunks: Sequence[bytes], replies: int) -> list[Any]:
        sock, reader = self.sock, self.reader
        try:
            for chunk in chunks:
                sock.sendall(chunk)
            got: list[Any] = []
            while len(got) < replies:
                reply = reader.gets()
                if reply is False:  # not enough data (a RESP2 reply is never False)
                    size = sock.recv_into(self.buffer)
                    if not size:
                        raise redis.ConnectionError("Connection closed by server.")
                    reader.feed(self.buffer, 0, size)
                else:
                    got.append(reply)
            return got
        except (TimeoutError, BlockingIOError) as exc:  # BlockingIOError: the kernel's timeout
            raise redis.TimeoutError("Timeout talking to Redis") from exc
        except OSError as exc:
            raise redis.ConnectionError(f"Error while talking to Redis: {exc!r}") from exc


def reply_error(command: tuple[Any, ...], reply: Exception, pool: redis.ConnectionPool) -> Exception:
    """An error reply to ``command``, to raise: the project's error for it (``project_error``),
    caused by the reply, or the reply itself."""
    mapped = project_error(command, reply, pool)
    if mapped is not reply:
        mapped.__cause__ = reply
    return mapped


def encoder_of(client: redis.Redis) -> Callable[[Any], bytes]:
    """How ``client`` turns a key or an argument into bytes (its encoding, as it would send it)."""
    encode: Callable[[Any], bytes] = client.get_encoder().encode
    return encode


def resp(*parts: bytes) -> bytes:
    """One command in Redis's wire format (a RESP array of bulk strings), as redis-py sends it."""
    return resp_head(len(parts), *parts)


def resp_head(count: int, *parts: bytes) -> bytes:
    """The start of a command of ``count`` parts: the array header and the first ``parts``; the
    rest follow as ``resp_bulk``."""
    return b"*%d\r\n" % count + b"".join(resp_bulk(p) for p in parts)


def resp_bulk(part: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(part), part)


def unpack(packed: bytes) -> list[list[bytes]]:
    """The commands in wire format ``packed`` (RESP arrays of bulk strings, as ``resp`` writes
    them), read back to name the command an error reply answered."""
    out: list[list[bytes]] = []
    pos = 0
    while pos < len(packed) and packed[pos : pos + 1] == b"*":
        end = packed.index(b"\r\n", pos)
        count, pos = int(packed[pos + 1 : end]), end + 2
        parts = []
        for _ in range(count):
            end = packed.index(b"\r\n", pos)
            size = int(packed[pos + 1 : end])
            parts.append(packed[end + 2 : end + 2 + size])
            pos = end + 2 + size + 2
        out.append(parts)
    return out


def _read_reply(conn: Any) -> Any:
    try:
        return conn.read_response()
    except redis.ResponseError as refused:
        return refused
