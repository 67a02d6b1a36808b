"""Smaller fault paths: CSRF refusal on every POST route the app lists (Origin: null too),
pause/resume signals to a COUNT supervisor, and a payload whose "args" is null."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import pytest
import redis
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from worker_harness import Workers, push_raw, workers

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.protocol import FailureRecord
from resque_compat.web import create_app

__all__ = ["workers"]


def post_routes(routes: list[object], prefix: str = "") -> list[str]:
    """Every POST path of the app, read from its own route table, parameters filled in."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += post_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            path = re.sub(r"\{index:int\}", "0", route.path)
            path = re.sub(r"\{verb\}", "clear", path)
            found.append(prefix + re.sub(r"\{[^}]+\}", "failed", path))
    return found


@pytest.fixture
def web(resque: Resque) -> Iterator[TestClient]:
    resque.enqueue_to("failed", "Archive", 1)
    resque.failure.save(FailureRecord({"class": "Archive", "args": [1]}, "E", "e", [], "w:1:q", "q"))
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64))
    ) as client:
        yield client


def test_every_post_route_in_the_route_table_refuses_a_forged_request(
    web: TestClient, resque: Resque
) -> None:
    routes = post_routes(list(web.app.routes))  # type: ignore[attr-defined]
    assert len(routes) >= 10, routes
    page = web.get("/failed").text
    good = re.search(r'name="_csrf" value="([0-9a-f]+)"', page)
    assert good
    forged = [
        ({}, {}),
        ({"_csrf": "0" * 64}, {}),
        ({"_csrf": good.group(1)}, {"Origin": "null"}),
        ({"_csrf": good.group(1)}, {"Origin": "http://evil.example"}),
    ]
    for path in routes:
        for data, headers in forged:
            response = web.post(path, data=data, headers=headers, follow_redirects=False)
            assert response.status_code in (403, 415), (path, data, headers, response.status_code)
    assert resque.size("failed") == 1
    assert resque.redis.llen(resque.keys.failed()) == 1


def test_usr2_and_cont_to_a_count_supervisor_pause_and_resume_its_workers(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(wait_ready=False, QUEUE="q", COUNT="2", INTERVAL="0.1")
    assert {workers.next("ready"), workers.next("ready")} != {None}
    proc.send_signal(signal.SIGUSR2)
    assert [workers.next("hooks", timeout=15) for _ in range(4)].count("before_pause") == 2
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":["after"]}')
    proc.send_signal(signal.SIGUSR1)  # no child to kill: nothing happens, nobody dies
    proc.send_signal(signal.SIGCONT)
    assert workers.next("echo") == '["after"]'
    assert proc.poll() is None
    proc.send_signal(signal.SIGQUIT)
    assert proc.wait(timeout=15) == 0
    assert "after_pause" in workers.all("hooks")
    assert redis_client.smembers(f"{namespace}:workers") == set()


def test_a_payload_with_null_args_runs_with_no_arguments_as_ruby_does(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    # Ruby 3.0's Job#perform: job_args = args || []
    push_raw(redis_client, namespace, "q", b'{"class":"Echo","args":null}', b'{"class":"Echo"}')
    proc = workers.start(wait_ready=False, QUEUE="q", INTERVAL="0")
    assert proc.wait(timeout=30) == 0
    assert workers.all("echo") == ["[]", "[]"]
    assert redis_client.llen(f"{namespace}:failed") == 0
