"""CommandSender, the one class below redis-py's public client, on the installed redis-py.

tests/test_redis_versions.py runs this module again under each supported redis-py line.
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import pytest
import redis

from resque_compat.errors import RedisUnavailable
from resque_compat.store import connect
from resque_compat.store.sender import CommandSender, encoder_of, resp
from resque_compat.testing import RedisServer

EXPECTED = os.environ.get("RESQUE_COMPAT_EXPECT_REDIS_PY")


@pytest.mark.skipif(not EXPECTED, reason="run by test_redis_versions.py, which names the redis-py wanted")
def test_the_redis_py_under_test_is_the_one_asked_for() -> None:
    assert redis.__version__ == EXPECTED


def test_a_batch_goes_out_together_and_the_replies_come_back_raw_and_in_order(
    redis_client: redis.Redis, namespace: str
) -> None:
    key = f"{namespace}:counter"
    sender = CommandSender(redis_client)
    replies = sender.send((("SET", key, "41"), ("INCR", key), ("GET", key), ("RPUSH", f"{key}:l", b"\xff")))
    assert replies == [b"OK", 42, b"42", 1]
    assert redis_client.lrange(f"{key}:l", 0, -1) == [b"\xff"]


def test_commands_in_wire_format_go_out_as_they_are(redis_client: redis.Redis, namespace: str) -> None:
    encode = encoder_of(redis_client)
    key = encode(f"{namespace}:packed")
    assert (encode(7), encode("é")) == (b"7", "é".encode())
    packed = resp(b"SET", key, b"\x00\xff") + resp(b"GET", key)
    assert CommandSender(redis_client).send_packed(packed, 2) == [b"OK", b"\x00\xff"]


# Both ways in: ``send`` (commands as tuples) and ``send_packed`` (wire format), which reuses the
# last direct socket for the next call from the same thread and process (the enqueue and reserve
# hot path). Each way that socket can go stale is taken on both.
PATHS = ("send", "send_packed")


def exchange(sender: CommandSender, path: str, *commands: tuple[bytes, ...], **options: bool) -> list[Any]:
    if path == "send":
        return sender.send(commands, **options)
    return sender.send_packed(b"".join(resp(*c) for c in commands), len(commands), **options)


@pytest.mark.parametrize("path", PATHS)
def test_an_error_reply_is_raised_after_every_reply_is_read_and_the_connection_goes_on(
    redis_client: redis.Redis, namespace: str, path: str
) -> None:
    key = f"{namespace}:text".encode()
    redis_client.set(key, "not a number")
    sender = CommandSender(redis_client)
    with pytest.raises(redis.ResponseError):
        exchange(sender, path, (b"INCR", key), (b"SET", key + b":2", b"x"))
    assert redis_client.get(key + b":2") == b"x"  # the command after the refused one ran
    refused, ok = exchange(sender, path, (b"INCR", key), (b"GET", key), raise_on_error=False)
    assert isinstance(refused, redis.ResponseError) and ok == b"not a number"
    assert exchange(sender, path, (b"GET", key)) == [b"not a number"]


@pytest.mark.parametrize("path", PATHS)
def test_a_connection_the_server_closed_is_replaced_before_the_next_batch(
    redis_client: redis.Redis, path: str
) -> None:
    sender = CommandSender(redis_client)
    (first,) = exchange(sender, path, (b"CLIENT", b"ID"))
    assert redis_client.client_kill_filter(_id=first) == 1  # the server hangs up (an idle timeout)
    (second,) = exchange(sender, path, (b"CLIENT", b"ID"))
    assert second != first


def test_closing_the_client_closes_the_held_connection(redis_url: str) -> None:
    client = connect(redis_url)
    sender = CommandSender(client)
    sender.send((("PING",),))
    conn = sender._connection()
    assert CommandSender.socket_of(conn) is not None
    client.close()
    assert CommandSender.socket_of(conn) is None


@pytest.mark.parametrize("path", PATHS)
def test_a_send_after_the_client_was_closed_connects_again(redis_url: str, path: str) -> None:
    client = connect(redis_url)
    sender = CommandSender(client)
    (first,) = exchange(sender, path, (b"CLIENT", b"ID"))
    client.close()
    (second,) = exchange(sender, path, (b"CLIENT", b"ID"))
    assert second != first
    client.close()


@pytest.mark.parametrize("path", PATHS)
def test_a_server_restart_costs_no_batch(path: str) -> None:
    with RedisServer() as server:
        client = connect(server.url)
        try:
            sender = CommandSender(client)
            assert exchange(sender, path, (b"SET", b"k", b"before")) == [b"OK"]
            server.restart()  # the held connection is now closed by the server
            assert exchange(sender, path, (b"SET", b"k", b"after"), (b"GET", b"k")) == [b"OK", b"after"]
        finally:
            client.close()


@pytest.mark.parametrize("path", PATHS)
def test_each_thread_and_each_forked_child_sends_on_a_connection_of_its_own(
    redis_client: redis.Redis, namespace: str, path: str
) -> None:
    sender = CommandSender(redis_client)
    ids = f"{namespace}:{uuid.uuid4().hex}".encode()
    (parent,) = exchange(sender, path, (b"CLIENT", b"ID"))

    def record_own_id() -> None:
        (own,) = exchange(sender, path, (b"CLIENT", b"ID"))
        exchange(sender, path, (b"RPUSH", ids, b"%d" % own))

    thread = threading.Thread(target=record_own_id)
    thread.start()
    thread.join(timeout=30)
    assert exchange(sender, path, (b"CLIENT", b"ID")) == [parent]  # the thread's did not stay
    pid = os.fork()
    if pid == 0:  # the child must not write on the parent's socket
        code = 1
        try:
            record_own_id()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert exchange(sender, path, (b"CLIENT", b"ID")) == [parent]  # the parent still has its own
    others = [int(v) for v in redis_client.lrange(ids, 0, -1)]
    assert len(others) == 2 and parent not in others and others[0] != others[1]


def test_a_send_redis_does_not_answer_ends_at_the_socket_timeout_and_the_next_reconnects(
    redis_url: str,
) -> None:
    client = connect(redis_url, socket_timeout=0.3)
    sender = CommandSender(client)
    assert sender.send_packed(resp(b"PING"), 1) == [b"PONG"]
    redis.Redis.from_url(redis_url).execute_command("CLIENT", "PAUSE", "1500", "ALL")
    with pytest.raises((redis.TimeoutError, RedisUnavailable)):
        sender.send_packed(resp(b"PING"), 1)
    # Answered once the pause is over (the server holds the command until then).
    assert redis.Redis.from_url(redis_url, socket_timeout=10).ping()
    assert sender.send_packed(resp(b"PING"), 1) == [b"PONG"]
    client.close()
