"""Replies checked for their shape, and error replies named. ``typed.py`` states the replies a
client built by ``connection.connect`` (RESP2, bytes replies) gives; the readers here check it
where a store module reads through them: each checks the container's type once (not every
element: a bytes client never gives anything else) and raises ``TypeError`` on anything
unexpected (a client that decodes replies) instead of passing it on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import UnreadableKey
from ..protocol.keys import key_type


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


# Error replies. Redis answers WRONGTYPE without naming the key; the edge names it (the first
# key of the command whose type is not the one expected) and asks Redis for its actual type.

_COMMAND_TYPES = {
    **dict.fromkeys(
        ("LLEN", "LPOP", "RPOP", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LRANGE", "LINDEX", "LREM", "LSET",
         "LTRIM", "LINSERT", "LPOS", "LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH", "BLPOP", "BRPOP"),
        "list",
    ),
    **dict.fromkeys(
        ("SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SMOVE", "SPOP",
         "SRANDMEMBER", "SSCAN", "SINTER", "SUNION", "SDIFF"),
        "set",
    ),
    **dict.fromkeys(
        ("HGET", "HSET", "HSETNX", "HMSET", "HMGET", "HGETALL", "HDEL", "HLEN", "HEXISTS", "HKEYS",
         "HVALS", "HINCRBY", "HINCRBYFLOAT", "HSCAN", "HSTRLEN"),
        "hash",
    ),
    **dict.fromkeys(
        ("ZADD", "ZREM", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYSCORE", "ZCARD", "ZSCORE",
         "ZCOUNT", "ZINCRBY", "ZRANK", "ZSCAN", "ZREMRANGEBYSCORE", "ZPOPMIN", "ZMSCORE"),
        "zset",
    ),
    **dict.fromkeys(
        ("GET", "GETSET", "GETDEL", "GETEX", "INCR", "INCRBY", "DECR", "DECRBY", "INCRBYFLOAT", "STRLEN",
         "APPEND", "GETRANGE", "SETRANGE"),
        "string",
    ),
}  # fmt: skip
_SCRIPTS = ("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO")
NAMED = "WRONGTYPE at key "
"""How a script of the store names the key of the wrong type it met (``redis.error_reply``)."""
_PROBED = 8
"""At most this many of a command's arguments are asked for their type."""


def is_wrong_type(error: Exception) -> bool:
    """Whether an error reply is Redis' ``WRONGTYPE`` (also inside a script or a pipeline)."""
    return "WRONGTYPE" in str(error)


def key_candidates(command: Sequence[object]) -> list[str]:
    """The arguments of ``command`` that may name its keys: a script's ``KEYS``, any other
    command's arguments after its name (the keys come first)."""
    parts = [_text(p) for p in command]
    if not parts:
        return []
    if parts[0].upper() in _SCRIPTS and len(parts) > 2 and parts[2].isdigit():
        return parts[3 : 3 + int(parts[2])][:_PROBED]
    return parts[1 : 1 + _PROBED]


def expected_type(command: Sequence[object], physical_key: str) -> str | None:
    """The type ``command`` needs at ``physical_key``: its command family's, or for a script
    the type Resque keeps at that key (namespace unknown here: each ``:``-suffix is tried)."""
    name = _text(command[0]).upper() if command else ""
    found = None if name in _SCRIPTS else _COMMAND_TYPES.get(name)
    if found is not None:
        return found
    suffixes = [physical_key] + [physical_key[i + 1 :] for i, ch in enumerate(physical_key) if ch == ":"]
    return next((t for t in map(key_type, suffixes) if t is not None), None)


def unreadable_key(
    command: Sequence[object], error: Exception, types: Callable[[list[str]], list[str]]
) -> UnreadableKey:
    """The project error for a ``WRONGTYPE`` reply to ``command``: ``types`` asks Redis the
    type of each candidate key (the one a script named, or ``key_candidates``). The first
    candidate holding another type than expected is the one named; failing that, the first
    that exists."""
    named = str(error).partition(NAMED)[2]
    candidates = [named] if named else key_candidates(command)
    try:
        actual = types(candidates) if candidates else []
    except Exception:  # the key is still named, its type unknown
        actual = ["value of another type"] * len(candidates)
    existing = [(k, t) for k, t in zip(candidates, actual, strict=True) if t != "none"]
    for key, kind in existing:
        wanted = expected_type(command, key)
        if wanted is not None and kind != wanted:
            return UnreadableKey(key, kind, wanted)
    if existing:
        return UnreadableKey(existing[0][0], existing[0][1], expected_type(command, existing[0][0]))
    return UnreadableKey(candidates[0] if candidates else "(unknown)", "value of another type")


def _text(part: object) -> str:
    if isinstance(part, bytes):
        return part.decode("utf-8", "replace")
    return str(part)
