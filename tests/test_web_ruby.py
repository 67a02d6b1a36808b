"""The dashboard beside the real Ruby Resque: resque-web rendered through Rack::Test on the same
Redis state, and a mixed fleet of a Ruby and a Python worker.

Needs ``RESQUE_REF_LIB`` (a Resque 3.0 ``lib/`` directory) and a Ruby with redis,
redis-namespace, sinatra and rack-test; skipped otherwise (see DEVELOPERS.md).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.protocol import FailureRecord
from resque_compat.web import create_app

RENDER = r"""
require "resque"
require "resque/server"
require "rack/test"
require "json"
Resque.redis = ENV.fetch("RESQUE_REDIS")
Resque.redis.namespace = ENV.fetch("RESQUE_NS")
include Rack::Test::Methods
def app; Resque::Server; end
out = {}
ARGV.each do |path|
  get path
  out[path] = {"status" => last_response.status, "body" => last_response.body}
end
puts JSON.generate(out)
"""

RUBY_WORKER = r"""
require "resque"
require "redis"
Resque.redis = ENV.fetch("RESQUE_REDIS")
Resque.redis.namespace = ENV.fetch("RESQUE_NS")
class RubyHold
  def self.perform(url, started, gate)
    r = Redis.new(url: url)
    r.rpush(started, "started")
    r.blpop(gate, timeout: 30)
  end
end
class RubyPing
  def self.perform(url, key)
    Redis.new(url: url).rpush(key, "ruby")
  end
end
Resque::Worker.new("mixed_rb").work(0.1)
"""


def reference() -> tuple[str, str]:
    lib, ruby = os.environ.get("RESQUE_REF_LIB"), shutil.which(os.environ.get("RESQUE_REF_RUBY", "ruby"))
    if not lib or not ruby:
        pytest.skip("no Ruby Resque reference: set RESQUE_REF_LIB to a Resque 3.0 lib/ directory")
    return ruby, lib


def host_port(redis_url: str) -> str:
    return redis_url.removeprefix("redis://").split("/")[0]


def resque_web(redis_url: str, namespace: str, tmp_path: Path, *paths: str) -> dict[str, dict[str, object]]:
    ruby, lib = reference()
    script = tmp_path / "render.rb"
    script.write_text(RENDER)
    env = {**os.environ, "RESQUE_REDIS": host_port(redis_url), "RESQUE_NS": namespace}
    done = subprocess.run(
        [ruby, "-I", lib, str(script), *paths], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"resque-web does not run here: {done.stderr[-300:]}")
    result: dict[str, dict[str, object]] = json.loads(done.stdout)
    return result


def text(body: object) -> str:
    cleaned = re.sub(r"<(script|style).*?</\1>", " ", str(body), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cleaned))).strip()


def seed(resque: Resque) -> None:
    for i in range(25):
        resque.enqueue_to("high", "Archive", i, "masterbrew")
    wrapper = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
    resque.push("rails", {"class": wrapper, "args": [{"job_class": "HelloJob", "arguments": [1]}]})
    reg = resque.worker_registry
    reg.register_worker("vm:101:high,low", "2026-11-27 16:56:53 +0000")
    reg.set_worker_payload(
        "vm:101:high,low",
        b'{"queue":"high","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Archive","args":[1]}}',
    )
    reg.register_worker("box2:7:*", "2026-11-27 16:56:53 +0000")
    for i in range(23):
        resque.failure.save(
            FailureRecord(
                payload={"class": "BadJob" if i % 2 else "Other", "args": [i]},
                exception="RuntimeError",
                error=f"boom {i}",
                backtrace=["a.rb:1"],
                worker="vm:101:high,low",
                queue="high",
            )
        )


def test_resque_web_and_the_dashboard_show_the_same_state(
    resque: Resque, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    seed(resque)
    paths = ["/overview", "/working", "/workers/all", "/failed?class=BadJob", "/queues/rails", "/stats.txt"]
    ruby = resque_web(redis_url, namespace, tmp_path, *paths)
    ours = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    for path in paths:
        assert ruby[path]["status"] == 200, path
        assert ours.get(path).status_code == 200, path
    r_over, p_over = text(ruby["/overview"]["body"]), text(ours.get("/overview").text)
    for fact in ("high 25", "rails 1", "failed 23", "1 of 2 Workers Working", "vm:101", "Archive"):
        assert fact in r_over and fact in p_over, fact
    for fact in ("box2:7", "vm:101", "Waiting for a job"):
        assert fact in text(ruby["/workers/all"]["body"]) and fact in text(ours.get("/workers/all").text)
    r_failed, p_failed = (
        text(ruby["/failed?class=BadJob"]["body"]),
        text(ours.get("/failed?class=BadJob").text),
    )
    assert r_failed.count("Class BadJob") == p_failed.count("Class BadJob") == 11
    assert "HelloJob (via ActiveJob)" in text(ruby["/queues/rails"]["body"])
    assert "HelloJob (via ActiveJob)" in text(ours.get("/queues/rails").text)
    # stats.txt: the same lines; Ruby lists queues in SMEMBERS order, we sort them.
    assert sorted(str(ruby["/stats.txt"]["body"]).splitlines()) == sorted(
        ours.get("/stats.txt").text.splitlines()
    )


def test_records_that_crash_resque_web_render_as_unreadable_here(
    resque: Resque, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    resque.failed_store.push_to_failed_queue(b"not json")
    resque.worker_registry.register_worker("node-style-id", "2026-11-27 16:56:53 +0000")
    ruby = resque_web(redis_url, namespace, tmp_path, "/failed", "/workers/all")
    assert ruby["/failed"]["status"] == 500 and ruby["/workers/all"]["status"] == 500
    ours = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    assert "unreadable" in ours.get("/failed").text
    assert "unreadable id" in ours.get("/workers/all").text


@pytest.fixture
def fleet(redis_url: str, namespace: str) -> Iterator[None]:
    """One Ruby worker on ``mixed_rb`` and one Python worker on ``mixed_py``."""
    ruby, lib = reference()
    env = {**os.environ, "RESQUE_REDIS": host_port(redis_url), "RESQUE_NS": namespace}
    python_worker = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, "work",
                     "--app", "demo:jobs", "-q", "mixed_py", "-i", "0.1"]  # fmt: skip
    procs = [
        subprocess.Popen([ruby, "-I", lib, "-e", RUBY_WORKER], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen(python_worker),
    ]
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)


def test_a_mixed_fleet_shows_both_languages_and_a_retry_reaches_the_side_that_runs_the_class(
    resque: Resque, redis_url: str, fleet: None
) -> None:
    raw = resque.redis
    tag = uuid.uuid4().hex
    started, gate = f"started-{tag}", f"gate-{tag}"
    # Given each worker holding a job (so both show as working)...
    resque.enqueue_to("mixed_rb", "RubyHold", redis_url, started, gate)
    resque.enqueue_to("mixed_py", "Demo::Hold", redis_url, started, gate)
    assert raw.blpop([started], timeout=60) and raw.blpop([started], timeout=60)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    working = {w["language"]: w for w in client.get("/api/workers").json() if w["state"] == "working"}
    assert set(working) == {"ruby", "python"}
    assert working["ruby"]["processing"]["job"]["class"] == "RubyHold"
    assert working["python"]["processing"]["job"]["class"] == "Demo::Hold"
    assert all(w["heartbeat_state"] == "fresh" for w in working.values())
    page = client.get("/working").text
    assert "lang-ruby" in page and "lang-python" in page
    raw.rpush(gate, "go", "go")
    # ...when failures of a Ruby class and of a Python class are retried from the dashboard...
    for cls, queue, key in (("RubyPing", "mixed_rb", f"rb-{tag}"), ("Demo::Ping", "mixed_py", f"py-{tag}")):
        payload = {"class": cls, "args": [redis_url, key]}
        resque.failure.save(
            FailureRecord(
                payload=payload,
                exception="RuntimeError",
                error="earlier failure",
                backtrace=[],
                worker="elsewhere:1:q",
                queue=queue,
            )
        )
    token = re.search(r'name="_csrf" value="([0-9a-f]+)"', client.get("/failed").text)
    assert token
    assert client.post("/failed/requeue/all", data={"_csrf": token.group(1)}).status_code == 200
    # ...then each job is run by the side that has its class.
    assert raw.blpop([f"rb-{tag}"], timeout=60) == (f"rb-{tag}".encode(), b"ruby")
    assert raw.blpop([f"py-{tag}"], timeout=60) == (f"py-{tag}".encode(), b"pong")
