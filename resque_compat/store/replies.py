"""The store's typed edge: redis-py annotates every reply as ``ResponseT`` (sync or async,
any type); a client built by ``connection.connect`` (RESP2, bytes replies) gives exactly these
shapes. Each reader checks the container's type once (not every element: a bytes client never
gives anything else) and raises ``TypeError`` on anything unexpected instead of passing it on.
"""

from __future__ import annotations

from typing import Any


def optional_bytes(reply: object) -> bytes | None:
    """``GET``, ``LPOP``, ``LINDEX``, ``HGET``: a bulk string or nil."""
    if reply is None or isinstance(reply, bytes):
        return reply
    raise TypeError(f"expected bytes or nil from Redis, got {type(reply).__name__}")


def bytes_list(reply: object) -> list[bytes]:
    """``LRANGE``, ``ZRANGE``, ``ZRANGEBYSCORE``: an array of bulk strings."""
    if isinstance(reply, list):
        return reply
    raise TypeError(f"expected a list from Redis, got {type(reply).__name__}")


def optional_bytes_list(reply: object) -> list[bytes | None]:
    """``MGET``: an array of bulk strings or nils."""
    if isinstance(reply, list):
        return reply
    raise TypeError(f"expected a list from Redis, got {type(reply).__name__}")


def bytes_set(reply: object) -> set[bytes]:
    """``SMEMBERS``: redis-py gives a set."""
    if isinstance(reply, set):
        return reply
    raise TypeError(f"expected a set from Redis, got {type(reply).__name__}")


def bytes_map(reply: object) -> dict[bytes, bytes]:
    """``HGETALL``: redis-py gives a dict."""
    if isinstance(reply, dict):
        return reply
    raise TypeError(f"expected a dict from Redis, got {type(reply).__name__}")


def integer(reply: object) -> int:
    """``LLEN``, ``LREM``, ``INCRBY``...: an integer reply."""
    if isinstance(reply, int):
        return reply
    raise TypeError(f"expected an integer from Redis, got {type(reply).__name__}")


def texts(reply: object) -> list[str]:
    """A set or list of members as text (queue names, failed-queue names)."""
    if isinstance(reply, set | list):
        return [m.decode("utf-8", "replace") for m in reply]
    raise TypeError(f"expected members from Redis, got {type(reply).__name__}")


def any_list(reply: object) -> list[Any]:
    """Replies whose elements the caller unpacks itself (``XRANGE``, ``CLIENT LIST``)."""
    if isinstance(reply, list):
        return reply
    raise TypeError(f"expected a list from Redis, got {type(reply).__name__}")
