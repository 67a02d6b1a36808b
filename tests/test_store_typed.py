"""store/typed.py, the store's typed view of redis-py, against the installed redis-py: every
command it declares exists on redis-py's client and pipeline with the parameters declared (in
the same places), and a bytes client's replies have the shapes declared.

tests/test_redis_versions.py runs this module again under each supported redis-py line.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
import redis

from resque_compat.store.connection import StorePipeline
from resque_compat.store.typed import bytes_client, watching

SOURCE = Path(__file__).resolve().parent.parent / "resque_compat" / "store" / "typed.py"
TARGETS = {"Client": redis.Redis, "Pipeline": redis.client.Pipeline, "Watched": redis.client.Pipeline}


def declared() -> list[tuple[str, str, ast.arguments]]:
    """``(protocol, method, parameters)`` of each method typed.py declares, overloads included
    (read from the source: ``typing.get_overloads`` is Python 3.11+)."""
    tree = ast.parse(SOURCE.read_text())
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in TARGETS:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    out.append((node.name, item.name, item.args))
    return out


DECLARED = declared()


def redis_own(cls: type, method: str) -> object:
    """redis-py's own ``cls.method``, through a patch another library put over it (sentry-sdk's
    Redis integration, which the error-reporting tests start, wraps ``execute_command`` and
    ``Pipeline.execute``, keeping the original in its closure)."""
    found = getattr(cls, method, None)
    for _ in range(5):
        if found is None or getattr(found, "__module__", "").startswith("redis"):
            return found
        cells = getattr(found, "__closure__", None) or ()
        inner = [c.cell_contents for c in cells if getattr(c.cell_contents, "__name__", "") == method]
        found = inner[0] if inner else None
    return found


def test_the_typed_view_declares_the_commands_the_store_sends() -> None:
    names = {(protocol, method) for protocol, method, _ in DECLARED}
    assert {("Client", "lrange"), ("Client", "pipeline"), ("Pipeline", "lrem"), ("Watched", "get")} <= names
    assert len(names) > 60


@pytest.mark.parametrize(("protocol", "method", "args"), DECLARED, ids=lambda v: getattr(v, "__name__", v))
def test_each_declared_command_takes_the_declared_arguments_on_this_redis_py(
    protocol: str, method: str, args: ast.arguments
) -> None:
    real = redis_own(TARGETS[protocol], method)
    assert callable(real), f"redis-py {redis.__version__} has no {TARGETS[protocol].__name__}.{method}"
    params = list(inspect.signature(real).parameters.values())[1:]  # after self
    by_name = {p.name: p for p in params}
    positional = [a.arg for a in args.args[1:]]
    for i, name in enumerate(positional):
        assert i < len(params) and params[i].name == name, f"{method}: argument {i + 1} is not {name!r}"
    for a in args.kwonlyargs:
        assert a.arg in by_name and by_name[a.arg].kind is not inspect.Parameter.POSITIONAL_ONLY, (
            method,
            a.arg,
        )
    kinds = {p.kind for p in params}
    if args.vararg is not None:
        assert inspect.Parameter.VAR_POSITIONAL in kinds, f"{method} takes no *{args.vararg.arg}"
    if args.kwarg is not None:
        assert inspect.Parameter.VAR_KEYWORD in kinds, f"{method} takes no **{args.kwarg.arg}"
    given = set(positional) | {a.arg for a in args.kwonlyargs}
    required = {
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    assert required <= given, f"{method} also requires {sorted(required - given)}"


def test_a_bytes_client_answers_in_the_shapes_declared(redis_client: redis.Redis, namespace: str) -> None:
    client = bytes_client(redis_client)
    k = f"{namespace}:typed"
    client.rpush(f"{k}:list", b"a", b"\xff", b"a")
    client.sadd(f"{k}:set", b"m")
    client.hset(f"{k}:hash", "f", b"v")
    client.zadd(f"{k}:zset", {"7": 7})
    client.set(f"{k}:string", b"\x00x")
    client.execute_command("XADD", f"{k}:stream", "1-1", "f", "v")
    assert client.get(f"{k}:string") == b"\x00x" and client.get(f"{k}:none") is None
    assert client.mget([f"{k}:string", f"{k}:none"]) == [b"\x00x", None]
    assert client.lrange(f"{k}:list", 0, -1) == [b"a", b"\xff", b"a"]
    assert client.lset(f"{k}:list", 1, b"\xfe") is True
    assert client.lrem(f"{k}:list", 0, b"a") == 2
    assert client.lindex(f"{k}:list", 0) == b"\xfe"
    assert client.smembers(f"{k}:set") == {b"m"} and client.sismember(f"{k}:set", b"m")
    assert client.hgetall(f"{k}:hash") == {b"f": b"v"} and client.hmget(f"{k}:hash", ["f"]) == [b"v"]
    assert client.zrange(f"{k}:zset", 0, -1) == [b"7"]
    assert [tuple(r) for r in client.zrange(f"{k}:zset", 0, -1, withscores=True)] == [(b"7", 7.0)]
    assert [tuple(r) for r in client.zrangebyscore(f"{k}:zset", "-inf", "+inf", 0, 1, withscores=True)] == [
        (b"7", 7.0)
    ]
    assert client.zrangebyscore(f"{k}:zset", "-inf", 7, start=0, num=1) == [b"7"]
    assert client.type(f"{k}:zset") == b"zset"
    assert client.scan(0, match=f"{k}:s*", count=1000)[1] != [] and isinstance(client.scan()[0], int)
    assert client.sscan(f"{k}:set", 0, count=10) == (0, [b"m"])
    assert client.hscan(f"{k}:hash", 0, count=10) == (0, {b"f": b"v"})
    assert [(eid, fields) for eid, fields in client.xrange(f"{k}:stream")] == [(b"1-1", {b"f": b"v"})]
    assert isinstance(client.script_load("return 1"), str)
    assert client.spop(f"{k}:set") == b"m"


def test_a_watched_pipeline_answers_at_once_until_multi(redis_client: redis.Redis, namespace: str) -> None:
    key = f"{namespace}:typed:watched"
    redis_client.rpush(key, b"x")
    with bytes_client(redis_client).pipeline(transaction=True) as pipe:
        assert isinstance(pipe, StorePipeline)
        now = watching(pipe, key)
        assert now.llen(key) == 1 and now.lrange(key, 0, -1) == [b"x"]
        assert now.execute_command("LPOS", key, b"x") == 0
        now.multi()
        pipe.delete(key)
        assert pipe.execute() == [1]
    assert redis_client.exists(key) == 0
