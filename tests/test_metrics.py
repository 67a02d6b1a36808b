"""GET /metrics in Prometheus' text format, read fresh from a real Redis on every scrape."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.protocol import FailureRecord
from resque_compat.web import create_app, metrics_app

DOCS = Path(__file__).resolve().parent.parent / "docs"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def seed(resque: Resque) -> None:
    for i in range(3):
        resque.enqueue_to("high", "Archive", i)
    resque.redis.set(resque.keys.stat("processed"), 12)
    resque.failure.save(
        FailureRecord(
            payload={"class": "Bad", "args": []},
            exception="E",
            error="e",
            backtrace=[],
            worker="vm:1:high",
            queue="high",
        )
    )
    reg = resque.worker_registry
    reg.register_worker("vm:101:high", "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now("vm:101:high", "2020-01-01T00:00:00+00:00")


def test_metrics_report_queues_failures_totals_and_workers(resque: Resque) -> None:
    seed(resque)
    with TestClient(create_app(admin=Admin(resque), web=WebSettings(history=False))) as c:
        response = c.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain; version=")
        got = samples(response.text)
        resque.enqueue_to("high", "Archive", 9)
        again = samples(c.get("/metrics").text)
    assert got[("resque_jobs_processed_total", ())] == 12
    assert got[("resque_jobs_failed_total", ())] == 1
    assert got[("resque_queue_size", (("queue", "high"),))] == 3
    assert again[("resque_queue_size", (("queue", "high"),))] == 4  # fresh on every scrape
    assert got[("resque_failed_list_size", (("failed_queue", "failed"),))] == 1
    assert got[("resque_workers", (("language", "ruby"), ("state", "idle")))] == 1
    assert got[("resque_worker_heartbeat_age_seconds", (("worker", "vm:101:high"),))] > 86400
    assert got[("resque_workers_stale", ())] == 1


def test_metrics_sit_behind_the_dashboards_auth_and_mount_alone(resque: Resque) -> None:
    seed(resque)
    web = WebSettings(username="ops", password="pw", history=False)
    with TestClient(create_app(admin=Admin(resque), web=web)) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", auth=("ops", "pw")).status_code == 200
    outer = Starlette(routes=[Mount("/ops", app=metrics_app(Admin(resque), web))])
    with TestClient(outer) as c:
        assert c.get("/ops/metrics").status_code == 401
        assert "resque_queue_size" in c.get("/ops/metrics", auth=("ops", "pw")).text


def test_the_grafana_dashboard_queries_only_metrics_that_exist(resque: Resque) -> None:
    seed(resque)
    with TestClient(create_app(admin=Admin(resque), web=WebSettings(history=False))) as c:
        names = {name for name, _ in samples(c.get("/metrics").text)}
    board = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert exprs
    for expr in exprs:
        assert any(n in expr for n in names), expr
