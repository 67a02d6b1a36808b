"""The dashboard under hostile use, every route read from the app's own route table: no
redirect leaves the site whatever a parameter or the Referer says (mounted or not), and 20
slow-loris connections held open do not stop the real server answering /overview."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.protocol import FailureRecord
from resque_compat.testing import free_port
from resque_compat.web import create_app

EVIL = [
    "http://evil.example/", "https:evil.example", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/%2F%2Fevil.example", "javascript:alert(1)", " //evil.example", "/.//evil.example",
]  # fmt: skip
"""Values that send a browser off the site if a Location carries them (a browser reads ``\\``
as ``/`` and drops tabs)."""
FIELDS = ("next", "back", "redirect", "redirect_to", "return_to", "url", "to", "target", "from")
PARAMS = {
    "name": "high", "index": "0", "worker_id": "vm:101:high", "failed_queue": "failed",
    "section": "resque", "timestamp": "1900000000", "uuid": "0" * 32, "verb": "clear", "key": "queues",
}  # fmt: skip


def paths(routes: list[object], method: str, prefix: str = "") -> list[str]:
    """Every path of ``method`` in the route table, its parameters filled in."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += paths(list(route.routes), method, prefix + route.path)
        elif isinstance(route, Route) and method in (route.methods or ()):
            found.append(
                prefix + re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), route.path)
            )
    return found


def seed(resque: Resque) -> None:
    for i in range(3):
        resque.enqueue_to("high", "Archive", i)
    resque.worker_registry.register_worker("vm:101:high", "2026-11-27 16:56:53 +0000")
    for i in range(3):
        record = FailureRecord({"class": "Archive", "args": [i]}, "E", "e", [], "vm:101:high", "high")
        resque.failure.save(record)


def leaves_the_site(location: str, prefix: str) -> bool:
    """Whether a browser following ``location`` would leave the site or this app's prefix."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").lstrip()
    parts = urlsplit(seen)
    return bool(parts.scheme or parts.netloc) or not seen.startswith(prefix + "/") or seen.startswith("//")


@pytest.fixture(params=["", "/ops/resque"], ids=["at the root", "mounted"])
def site(request: pytest.FixtureRequest, resque: Resque) -> Iterator[tuple[TestClient, str]]:
    seed(resque)
    app = create_app(
        resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64, history=False)
    )
    prefix: str = request.param
    outer = Starlette(routes=[Mount(prefix, app=app)]) if prefix else app
    with TestClient(outer, raise_server_exceptions=False) as client:
        yield client, prefix


def test_no_route_redirects_off_the_site_whatever_a_parameter_or_the_referer_says(
    site: tuple[TestClient, str], resque: Resque
) -> None:
    client, prefix = site
    app = create_app(resque=resque, admin=Admin.from_client(resque))
    gets, posts = paths(list(app.routes), "GET", prefix), paths(list(app.routes), "POST", prefix)
    assert len(gets) >= 30 and len(posts) >= 10, (gets, posts)
    page = client.get(f"{prefix}/failed").text
    found = re.search(r'name="_csrf" value="([0-9a-f]+)"', page)
    assert found, "the page carries a CSRF token"
    redirects = 0
    for evil in EVIL:
        hostile = dict.fromkeys(FIELDS, evil)
        headers = {"Referer": evil}
        for path in gets:
            response = client.get(path, params=hostile, headers=headers, follow_redirects=False)
            location = response.headers.get("location")
            assert response.status_code < 500, (path, response.status_code)
            if location is not None:
                redirects += 1
                assert not leaves_the_site(location, prefix), (path, evil, location)
        seed(resque)  # the posts of the round before removed and retried what they could
        for path in posts:
            data = {**hostile, "_csrf": found.group(1)}
            response = client.post(path, data=data, headers=headers, follow_redirects=False)
            location = response.headers.get("location")
            assert response.status_code < 500, (path, response.status_code, response.text[-300:])
            if location is not None:
                redirects += 1
                assert not leaves_the_site(location, prefix), (path, evil, location)
    assert redirects >= len(EVIL) * 10, "the sweep met too few redirects to mean anything"


def slow_loris(port: int, count: int) -> list[socket.socket]:
    """``count`` connections each holding a request open: a request line and one header, and
    never the blank line that ends the headers."""
    held = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /overview HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(s)
    return held


def timed_get(port: int, path: str, timeout: float) -> tuple[int, float]:
    """One plain HTTP/1.1 GET; its status and how long the whole answer took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks).split(b"\r\n", 1)[0]
    return int(head.split()[1]), time.monotonic() - started


def test_the_dashboard_answers_overview_while_20_slow_clients_hold_connections_open(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    seed(resque)
    port = free_port()
    cmd = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, "web",
           "-o", "127.0.0.1", "-p", str(port), "--strict-port"]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while True:  # the server is starting: wait until it answers
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if timed_get(port, "/overview", 5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the dashboard did not come up in 30 s"
            time.sleep(0.1)  # polling a starting server's socket
        held = slow_loris(port, 20)
        answers = [timed_get(port, "/overview", 10) for _ in range(5)]
        for s in held:  # one more byte each: they are still open, still not done
            s.sendall(b"x")
        answers += [timed_get(port, "/overview", 10) for _ in range(5)]
        for s in held:
            s.setblocking(False)
            with pytest.raises(BlockingIOError):  # open, and nothing answered to them yet
                s.recv(1)
        print(f"/overview with 20 slow clients open: {max(t for _, t in answers) * 1000:.0f} ms at most")
        assert all(status == 200 for status, _ in answers), answers
        assert max(took for _, took in answers) < 3.0, answers
    finally:
        for s in held:
            s.close()
        server.terminate()
        server.wait(timeout=15)
        if server.stderr is not None:
            server.stderr.close()
