"""Hostile values in Redis (JSON nested deeper than Python's stack, keys of the wrong type)
become failure records with their raw bytes or an "unreadable" rendering: never a crashed
worker, pruner, CLI command or dashboard page."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient
from worker_harness import Workers, push_raw, workers

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app

__all__ = ["workers"]


def deep(levels: int) -> bytes:
    """A 2 KB job payload whose arguments nest ``levels`` arrays deep (cjson accepts 1000)."""
    return b'{"class":"Echo","args":[' + b"[" * levels + b"]" * levels + b"]}"


def raw_of(record: dict[str, Any]) -> bytes:
    arg = record["payload"]["args"][0]
    return arg.encode() if isinstance(arg, str) else base64.b64decode(arg["base64"])


def failed(client: redis.Redis, namespace: str) -> list[dict[str, Any]]:
    return [json.loads(r) for r in client.lrange(f"{namespace}:failed", 0, -1)]  # type: ignore[union-attr]


def cli(redis_url: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("fork", ["true", "false"])
def test_a_payload_nested_a_thousand_levels_is_a_failure_with_its_bytes_and_the_worker_goes_on(
    workers: Workers, redis_client: redis.Redis, namespace: str, fork: str
) -> None:
    bad = [deep(996), deep(5000), b"[" * 100_000]
    push_raw(
        redis_client, namespace, "q1", b'{"class":"Echo","args":[1]}', *bad, b'{"class":"Echo","args":[2]}'
    )
    proc = workers.start(QUEUE="q1", FORK_PER_JOB=fork, INTERVAL="0", wait_ready=False)
    assert proc.wait(timeout=30) == 0
    assert workers.all("echo") == ["[1]", "[2]"]
    records = failed(redis_client, namespace)
    assert [raw_of(r) for r in records] == bad
    assert {r["exception"] for r in records} == {"Resque::Helpers::DecodeException"}
    assert redis_client.smembers(f"{namespace}:workers") == set()


def test_a_dead_worker_holding_a_deep_payload_is_pruned_into_a_record_and_every_reader_answers(
    workers: Workers, redis_client: redis.Redis, namespace: str, resque: Resque, redis_url: str
) -> None:
    # What a worker killed while holding such a job leaves: Lua's cjson marked it (<= 1000 levels).
    dead = "elsewhere:4242:q1"
    value = b'{"queue":"q1","run_at":"2026-11-27T16:56:53Z","payload":' + deep(996) + b"}"
    resque.worker_registry.register_worker(dead, "2026-11-27 16:56:53 +0000")
    resque.worker_registry.heartbeat_now(dead, "2020-01-01T00:00:00+00:00")
    resque.worker_registry.set_worker_payload(dead, value)
    # Every reader renders it as unreadable instead of crashing.
    for args in (("info",), ("workers", "list"), ("queues",), ("inventory",)):
        done = cli(redis_url, namespace, *args)
        assert done.returncode == 0, (args, done.stderr[-800:])
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64))
    ) as web:
        for path in (
            "/overview",
            "/workers",
            "/working",
            f"/workers/{dead}",
            f"/working/{dead}",
            "/api/workers",
        ):
            assert web.get(path).status_code == 200, path
    # The next worker's pruner records it with the raw bytes and removes the ghost; jobs run.
    push_raw(redis_client, namespace, "q1", b'{"class":"Echo","args":[3]}')
    proc = workers.start(QUEUE="q1", INTERVAL="0", wait_ready=False)
    assert proc.wait(timeout=30) == 0
    assert workers.all("echo") == ["[3]"]
    (record,) = failed(redis_client, namespace)
    assert raw_of(record) == value
    assert record["exception"] == "Resque::PruneDeadWorkerDirtyExit"
    assert record["worker"] == dead
    assert redis_client.smembers(f"{namespace}:workers") == set()
