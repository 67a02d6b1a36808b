"""resque-web (Ruby's ``Resque::Server``) renders every page on state written by Python.

Python enqueues jobs, its worker fails some (with the ``redis`` backend and, on another queue,
``redis_multi_queue``), a failure is requeued (so ``retried_at`` is rendered), and a Python
worker is busy on a job (``worker:<id>``, started, heartbeat, per-worker stats). Then the driver
GETs every page through Rack::Test: each must answer 200 with no error page, no ``NaN`` or
"Invalid Date", and show what Python wrote.
"""

from __future__ import annotations

import html
from typing import Any

from ..harness import PYTHON_TO_RUBY, Ctx, Mismatch
from . import Scenario
from .client import _burst

ECHO, FAIL, BLOCK = "Conformance::EchoJob", "Conformance::FailJob", "Conformance::BlockJob"
ERROR_MARKERS = (
    "Internal Server Error",
    'id="backtrace"',
    "NoMethodError",
    "undefined method",
    "NaN",
    "Invalid Date",
)


def _state(ctx: Ctx, python: Any) -> tuple[str, int]:
    python.call("define_job", name=ECHO, queue="web_high", behaviour="noop")
    python.call("define_job", name=FAIL, queue="web_low", behaviour="raise", message="bad <b>ünïcode</b>")
    for args in ([1, "x"], [{"nested": [1.5, None]}]):
        python.call("enqueue", args=args, **{"class": ECHO})
    python.call("enqueue", args=[2], **{"class": FAIL})
    _burst(ctx, python, ["web_low"])
    python.call("failures", op="requeue", id=0)
    _burst(ctx, python, ["web_low"], backend="redis_multi_queue")
    python.call("define_job", name=BLOCK, queue="web_busy", behaviour="block", record=True, seconds=60)
    python.call("enqueue", args=[3], **{"class": BLOCK})
    started = python.call("work", queues=["web_busy"], interval=0.2, wait=False)
    ctx.performed(python, 1)
    host = python.call("hello")["hostname"]
    return f"{host}:{started['pid']}:web_busy", started["pid"]


def web_pages(ctx: Ctx) -> None:
    ctx.need_python_worker()
    python, ruby = ctx.python(), ctx.ruby()
    wid, pid = _state(ctx, python)
    host = wid.split(":")[0]
    pages: list[tuple[str, str | None, list[str]]] = [
        ("/overview", None, ["web_high", wid, BLOCK]),
        ("/overview.poll", None, ["web_high"]),
        ("/working", None, ["1 of 1 Workers Working", BLOCK]),
        (f"/working/{wid}", None, [BLOCK, "web_busy"]),
        ("/queues", None, ["web_high", "web_low", "web_busy"]),
        ("/queues/web_high", None, [ECHO, "nested"]),
        ("/failed", None, [FAIL, "bad <b>ünïcode</b>", "Retried"]),
        (f"/failed?class={FAIL}", None, [FAIL]),
        ("/failed", "redis_multi_queue", ["web_low_failed"]),
        ("/failed/web_low_failed", "redis_multi_queue", [FAIL, "bad <b>ünïcode</b>"]),
        ("/workers", None, [wid, "web_busy"]),
        ("/workers.poll", None, [wid]),
        ("/workers/all", None, [wid]),
        (f"/workers/{host}", None, [wid]),
        (f"/workers/{wid}", None, [str(pid), "web_busy", BLOCK]),
        ("/stats/resque", None, ["pending", "processed"]),
        ("/stats/redis", None, ["redis_version"]),
        ("/stats/keys", None, ["queue:web_high", "workers:heartbeat"]),
        ("/stats/keys/queue:web_high", None, [ECHO]),
        ("/stats.txt", None, ["resque.pending=2", "queues.web_high=2", "resque.working=1"]),
    ]
    problems = []
    for path, backend, wanted in pages:
        problem = _check_page(ruby, path, backend, wanted)
        if problem:
            problems.append(problem)
    python.call("redis", argv=["RPUSH", "release", "go"])
    python.call("signal", pid=pid, signal="QUIT")
    python.call("wait", pid=pid, timeout=30)
    if problems:
        raise Mismatch(f"{len(problems)} of {len(pages)} pages: " + "; ".join(problems))
    ctx.note(
        f"{len(pages)} pages answered 200 showing Python's jobs, failures and worker: "
        + ", ".join(p for p, _, _ in pages)
    )


def _check_page(ruby: Any, path: str, backend: str | None, wanted: list[str]) -> str | None:
    got = ruby.call("web_get", path=path, **({"backend": backend} if backend else {}))
    label = f"GET {path}" + (f" ({backend})" if backend else "")
    if got["status"] != 200:
        return f"{label} answered {got['status']}: {_title(got['body'])}"
    body = got["body"] if isinstance(got["body"], str) else got["body"].decode("utf-8", "replace")
    text = html.unescape(body)
    bad = [m for m in ERROR_MARKERS if m in body]
    if bad:
        return f"{label} shows {bad}"
    missing = [w for w in wanted if w not in text]
    if missing:
        return f"{label} does not show {missing}"
    return None


def _title(body: Any) -> str:
    text = body if isinstance(body, str) else repr(body)
    start = text.find("<title>")
    return text[start + 7 : text.find("</title>", start)] if start >= 0 else text[:200]


SCENARIOS = (
    Scenario("web_pages", "resque-web renders every page on Python's state", web_pages, (PYTHON_TO_RUBY,)),
)
