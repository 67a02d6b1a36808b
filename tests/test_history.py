"""The History tab's samples: one per bucket whatever the number of samplers, capped, turned
into per-interval counts, drawn as SVG; on a real Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.admin.history import Sampler
from resque_compat.config.web import WebSettings
from resque_compat.protocol.history import RESOLUTIONS, Sample, series
from resque_compat.runtime.registry import Heartbeat, history_sampler
from resque_compat.store import HistoryAccess
from resque_compat.web import create_app


def sizes(resque: Resque) -> list[int]:
    return [int(resque.redis.zcard(resque.keys.history(r.step))) for r in RESOLUTIONS]  # type: ignore[arg-type]


def test_several_samplers_fill_each_bucket_once(resque: Resque) -> None:
    resque.redis.set(resque.keys.stat("processed"), 41)
    resque.enqueue_to("high", "Archive", 1)
    first, second = Sampler(Admin.from_client(resque)), Sampler(Admin.from_client(resque))
    assert first.sample() == 3  # one bucket in each resolution
    assert second.sample() == 0 and first.sample() == 0
    assert sizes(resque) == [1, 1, 1]
    raw = resque.redis.zrange(resque.keys.history(60), 0, -1)[0]
    sample = Sample.decode(raw)  # type: ignore[arg-type]
    assert sample.processed == 41 and sample.pending == 1 and sample.queues == {"high": 1}
    assert resque.keys.history(60) == f"{resque.namespace}:resque-compat:history:60"


def test_the_history_keeps_a_capped_number_of_buckets(resque: Resque) -> None:
    store = HistoryAccess(resque.redis, resque.keys)
    for b in range(1000, 1010):
        assert store.add_once(60, b, Sample(b, b * 60, b, 0).encode(), keep=4)
    assert not store.add_once(60, 1009, Sample(1009, 0, 999_999, 0).encode(), keep=4)
    kept = [Sample.decode(r).bucket for r in store.window(60, 0, 10**9)]
    assert kept == [1006, 1007, 1008, 1009]


def test_intervals_are_differences_of_totals_and_a_reset_starts_from_zero() -> None:
    samples = [Sample(10, 600, 100, 5), Sample(11, 660, 130, 5), Sample(13, 780, 20, 6)]
    points = series(samples, 13, 4)
    assert [p.processed if p else "gap" for p in points] == [None, 30, "gap", 20]
    assert [p.failed if p else "gap" for p in points] == [None, 0, "gap", 1]


def test_a_python_workers_heartbeat_samples_the_history(resque: Resque) -> None:
    errors: list[str] = []
    Heartbeat(
        resque.worker_registry, "vm:1:q", 60, errors.append, history_sampler(resque.store, resque.failure)
    ).beat()
    assert errors == [] and sizes(resque) == [1, 1, 1]


@pytest.fixture
def client(resque: Resque) -> Iterator[TestClient]:
    admin = Admin.from_client(resque)
    store = HistoryAccess(resque.redis, resque.keys)
    now = store.server_seconds() // 60
    for i, total in enumerate([0, 10, 25, 25, 70]):
        b = now - 4 + i
        sample = Sample(b, b * 60, total, i, pending=100 - i, languages={"ruby": 2, "python": i})
        store.add_once(60, b, sample.encode(), 120)
    with TestClient(create_app(resque=resque, admin=admin, web=WebSettings(history=False))) as c:
        yield c


def test_the_history_page_draws_sampled_throughput_as_svg(client: TestClient) -> None:
    html = client.get("/history").text
    assert len(re.findall(r'<rect class="bar processed"', html)) == 3  # 10, 15, 45: the zero is not drawn
    assert len(re.findall(r'<rect class="bar failed"', html)) == 4
    assert "Jobs per minute: processed 70, failed 4" in html
    assert '<polyline class="line pending"' in html and "latest: pending 96" in html
    assert "<script" not in html.split("<main", 1)[1]  # drawn on the server
    points = client.get("/api/history?range=hour").json()["points"]
    assert [p["processed"] for p in points if p][-4:] == [10, 15, 0, 45]
    assert client.get("/history?range=week").status_code == 200
    assert "no samples yet" in client.get("/history?range=day").text
