"""Coroutine jobs in both modes: ``async def`` performers and hooks are awaited, on one event
loop for an in-process worker's life, in the child in fork mode; what cannot run is refused at
registration; nothing counts as processed that did not run."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
import redis
from worker_harness import Workers, failures, in_process_worker, push_raw, told, workers

from resque_compat import Resque
from resque_compat.jobs import Registry
from resque_compat.runtime import aio
from resque_compat.runtime.hooks import WorkerHooks

__all__ = ["workers"]


@pytest.fixture
def env(redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", namespace)


def test_async_def_jobs_run_in_process_on_the_loop_the_worker_hooks_ran_on(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(
        redis_client,
        namespace,
        "aq",
        b'{"class":"AsyncEcho","args":[1]}',
        b'{"class":"AsyncEcho","args":[2]}',
    )
    assert in_process_worker(resque, namespace).work() == 0
    echoes = [json.loads(v) for v in told(redis_client, namespace, "echo")]
    assert [e["args"] for e in echoes] == [[1], [2]]
    assert all(e["loop_of_the_hook"] for e in echoes)
    assert told(redis_client, namespace, "hooks") == ["async before_first_fork"]
    assert redis_client.get(f"{namespace}:stat:processed") == b"2"
    assert failures(redis_client, namespace) == []


def test_an_async_jobs_exception_is_a_ruby_shaped_failure_with_its_frames(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "aq", b'{"class":"AsyncBoom","args":["x"]}')
    in_process_worker(resque, namespace).work()
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"], record["queue"]) == ("ValueError", "async boom ['x']", "aq")
    assert re.fullmatch(r".*/async_jobs_for_tests\.py:\d+:in `async_boom'", record["backtrace"][0])
    assert not any("/resque_compat/" in f for f in record["backtrace"])
    assert redis_client.mget(f"{namespace}:stat:processed", f"{namespace}:stat:failed") == [b"1", b"1"]


@pytest.mark.parametrize("outcome", ["ok", "fail"])
def test_async_job_hooks_run_in_rubys_order(
    env: None, resque: Resque, redis_client: redis.Redis, namespace: str, outcome: str
) -> None:
    push_raw(redis_client, namespace, "aq", b'{"class":"Async::Hooked","args":["%s"]}' % outcome.encode())
    in_process_worker(resque, namespace).work()
    expected = ["async before_first_fork", "before_perform", "around before", "perform"]
    if outcome == "ok":
        expected += ["around after", "after_perform"]
    else:
        expected += ["on_failure RuntimeError"]
    assert told(redis_client, namespace, "hooks") == expected
    assert len(failures(redis_client, namespace)) == (outcome == "fail")


def test_async_def_jobs_and_hooks_run_in_the_forked_child(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start("--app", "async_jobs_for_tests", QUEUE="aq")
    push_raw(
        redis_client,
        namespace,
        "aq",
        b'{"class":"AsyncEcho","args":[1]}',
        b'{"class":"AsyncEcho","args":[2]}',
    )
    first, second = (json.loads(workers.next("echo") or "null") for _ in range(2))
    assert [first["args"], second["args"]] == [[1], [2]]
    assert first["pid"] != proc.pid and second["pid"] != first["pid"]
    assert workers.stop(proc) == 0
    hooks = [h for h in workers.all("hooks") if h.startswith("async ")]
    assert hooks == [
        "async before_first_fork",
        f"async after_fork {first['pid']}",
        f"async after_fork {second['pid']}",
    ]
    assert redis_client.get(f"{namespace}:stat:processed") == b"2"
    assert failures(redis_client, namespace) == []


def test_what_cannot_run_is_refused_at_registration() -> None:
    registry = Registry()

    def gen() -> Any:
        yield 1

    async def agen() -> Any:
        yield 1

    with pytest.raises(TypeError, match="generator function"):
        registry.job("Gen")(gen)
    with pytest.raises(TypeError, match="generator function"):
        registry.job("AGen")(agen)

    class AsyncEnqueueHook:
        @staticmethod
        async def before_enqueue_check(*args: Any) -> None: ...

        @staticmethod
        def perform() -> None: ...

    with pytest.raises(TypeError, match="before_enqueue hooks run in the synchronous client"):
        registry.job("AsyncEnqueueHook")(AsyncEnqueueHook)

    class PlainAround:
        @staticmethod
        def around_perform_x(*args: Any, job: Any) -> None:
            job()

        @staticmethod
        async def perform() -> None: ...

    with pytest.raises(TypeError, match="around_perform_x must be async def"):
        registry.job("PlainAround")(PlainAround)
    assert len(registry) == 0
    with pytest.raises(TypeError, match="generator function"):
        WorkerHooks().after_fork(gen)


def test_the_job_loop_is_uvloops_when_installed_and_asyncios_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uvloop = pytest.importorskip("uvloop", reason="the uvloop extra is not installed")
    job_loop = aio.JobLoop()
    assert isinstance(job_loop.loop(), uvloop.Loop)
    job_loop.close()
    monkeypatch.setitem(__import__("sys").modules, "uvloop", None)  # as if not installed
    plain = aio.JobLoop()
    loop = plain.loop()
    assert isinstance(loop, asyncio.AbstractEventLoop) and not isinstance(loop, uvloop.Loop)
    assert plain.run(asyncio.sleep(0, "done")) == "done"
    plain.close()
