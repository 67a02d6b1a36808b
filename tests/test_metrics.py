"""GET /metrics in Prometheus' text format, read fresh from a real Redis on every scrape."""

from __future__ import annotations

import json
import socket
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
    seed_scheduler(resque)


def seed_scheduler(resque: Resque) -> None:
    """Three delayed jobs over two timestamps, a persisted schedule, a master lock."""
    resque.enqueue_at_with_queue("later", 4_000_000_000, "Archive", 1)
    resque.enqueue_at_with_queue("later", 4_000_000_000, "Archive", 2)
    resque.enqueue_at_with_queue("later", 4_000_000_100, "Archive", 3)
    resque.set_schedule("nightly", {"class": "Archive", "cron": "0 3 * * *", "persist": True}, reload=False)
    resque.redis.set(resque.keys.scheduler_master_lock(), "sched-host:77", ex=180)


def test_metrics_report_queues_failures_totals_and_workers(resque: Resque) -> None:
    seed(resque)
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(history=False))
    ) as c:
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


def test_metrics_report_the_delayed_queue_the_schedules_and_the_master_lock(resque: Resque) -> None:
    seed(resque)
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(history=False))
    ) as c:
        got = samples(c.get("/metrics").text)
        resque.redis.delete(resque.keys.scheduler_master_lock())
        resque.delayed_store.reset()
        after = samples(c.get("/metrics").text)
    assert got[("resque_delayed_timestamps", ())] == 2
    assert got[("resque_delayed_jobs", ())] == 3
    assert got[("resque_delayed_timestamps_counted", ())] == 2
    assert got[("resque_delayed_next_timestamp_seconds", ())] == 4_000_000_000
    assert got[("resque_schedules", ())] == 1
    assert got[("resque_scheduler_master", (("holder", "sched-host:77"),))] == 1
    assert 0 < got[("resque_scheduler_master_lock_ttl_seconds", ())] <= 180
    assert after[("resque_delayed_jobs", ())] == 0
    assert ("resque_delayed_next_timestamp_seconds", ()) not in after
    assert not any(name == "resque_scheduler_master" for name, _ in after)


def test_a_scrape_caps_its_queue_and_heartbeat_series_but_counts_everything(resque: Resque) -> None:
    pipe = resque.redis.pipeline()
    for i in range(130):
        pipe.sadd(resque.keys.queues(), f"q{i:03d}")
        pipe.rpush(resque.keys.queue(f"q{i:03d}"), *([b"{}"] * (1 + i % 7)))
    # Another host's workers: pids on this machine's host name would be looked up in /proc,
    # where a live process with one of them is told apart by what it runs.
    host = f"not-{socket.gethostname()}"
    for i in range(60):
        wid = f"{host}:{1000 + i}:q000"
        pipe.sadd(resque.keys.workers(), wid)
        pipe.hset(resque.keys.heartbeats(), wid, f"2020-01-01T00:{i:02d}:00+00:00")
    pipe.execute()
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(history=False))
    ) as c:
        got = samples(c.get("/metrics").text)
    sizes = {dict(labels)["queue"]: v for (name, labels), v in got.items() if name == "resque_queue_size"}
    assert len(sizes) == 100
    everything = {f"q{i:03d}": 1 + i % 7 for i in range(130)}
    longest = sorted(everything.items(), key=lambda kv: (-kv[1], kv[0]))[:100]
    assert sizes == dict(longest)
    assert got[("resque_queues", ())] == 130
    assert got[("resque_jobs_pending", ())] == sum(everything.values())
    ages = {
        dict(labels)["worker"]
        for (name, labels), _ in got.items()
        if name == "resque_worker_heartbeat_age_seconds"
    }
    assert ages == {f"{host}:{1000 + i}:q000" for i in range(50)}  # the 50 oldest beats
    assert got[("resque_workers_stale", ())] == 60
    assert got[("resque_workers", (("language", "ruby"), ("state", "idle")))] == 60


def test_metrics_sit_behind_the_dashboards_auth_and_mount_alone(resque: Resque) -> None:
    seed(resque)
    web = WebSettings(username="ops", password="pw", history=False)
    with TestClient(create_app(resque=resque, admin=Admin.from_client(resque), web=web)) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", auth=("ops", "pw")).status_code == 200
    outer = Starlette(routes=[Mount("/ops", app=metrics_app(Admin.from_client(resque), web))])
    with TestClient(outer) as c:
        assert c.get("/ops/metrics").status_code == 401
        assert "resque_queue_size" in c.get("/ops/metrics", auth=("ops", "pw")).text


def test_the_grafana_dashboard_queries_only_metrics_that_exist(resque: Resque) -> None:
    seed(resque)
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(history=False))
    ) as c:
        names = {name for name, _ in samples(c.get("/metrics").text)}
    board = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert exprs
    for expr in exprs:
        assert any(n in expr for n in names), expr
