"""Totals over every queue and worker kept a few seconds (``admin.recent``), labelled with their
age, and the Working tab a page at a time, on a real Redis."""

from __future__ import annotations

from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.admin.recent import Recent
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app

RUN_AT = "2026-11-27T16:56:53Z"


def busy_workers(resque: Resque, n: int) -> None:
    reg = resque.worker_registry
    for i in range(n):
        wid = f"host:{1000 + i}:high"
        reg.register_worker(wid, "2026-11-27 16:56:53 +0000")
        payload = f'{{"queue":"high","run_at":"{RUN_AT}","payload":{{"class":"Archive","args":[{i}]}}}}'
        reg.set_worker_payload(wid, payload.encode())


def test_a_kept_value_is_computed_again_once_older_than_its_ttl() -> None:
    now = [100.0]
    recent, calls = Recent(5.0, clock=lambda: now[0]), []

    def compute() -> int:
        calls.append(now[0])
        return len(calls)

    assert recent.get("x", compute) == (1, 0.0)
    now[0] = 103.0
    assert recent.get("x", compute) == (1, 3.0)
    now[0] = 105.0
    assert recent.get("x", compute) == (2, 0.0)
    recent.clear()
    assert recent.get("x", compute) == (3, 0.0)
    assert Recent(0).get("y", compute) == (4, 0.0) and len(calls) == 4


def test_the_overview_labels_its_kept_totals_with_their_age(resque: Resque) -> None:
    resque.enqueue_to("high", "Archive", 1)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque, totals_ttl=60)))
    assert '1</span><span class="label">pending in 1 queues' in client.get("/overview").text
    resque.enqueue_to("high", "Archive", 2)
    html = client.get("/overview").text
    assert "pending in 1 queues" in html and ">1</span>" in html  # kept, not counted again
    assert "Totals of jobs, queues and workers counted" in html and "at most every 60 s" in html
    stats = client.get("/api/stats").json()
    assert stats["pending"] == 1 and stats["counted_seconds_ago"] >= 0


def test_an_action_counts_again_at_once(resque: Resque) -> None:
    resque.enqueue_to("high", "Archive", 1)
    resque.enqueue_to("low", "Archive", 1)
    client = TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque, totals_ttl=60), web=WebSettings(secret="s"))
    )
    assert client.get("/api/stats").json()["queues"] == 2
    html = client.get("/queues/low").text
    token = html.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/queues/low/remove", data={"_csrf": token}).status_code == 200
    assert client.get("/api/stats").json()["queues"] == 1


def test_without_a_ttl_every_request_counts_and_no_age_is_shown(resque: Resque) -> None:
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    resque.enqueue_to("high", "Archive", 1)
    assert "pending in 1 queues" in client.get("/overview").text
    resque.enqueue_to("other", "Archive", 1)
    html = client.get("/overview").text
    assert "pending in 2 queues" in html and "Totals of jobs" not in html


def test_the_working_tab_pages_through_every_working_worker(resque: Resque) -> None:
    busy_workers(resque, 30)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    first = client.get("/working").text
    assert "30 of 30 Workers Working" in first and "Showing 1–25 of 30" in first
    assert (
        'href="/working?start=25"' in first and "host%3A1024%3Ahigh" in first and "host%3A1025" not in first
    )
    second = client.get("/working?start=25").text
    assert "Showing 26–30 of 30" in second and "host%3A1029%3Ahigh" in second and "host%3A1024" not in second
    assert 'href="/working?start=0"' in second
    assert client.get("/working?start=9999999999999999999999").status_code == 200


def test_the_overview_links_to_the_working_tab_when_it_shows_only_the_first(resque: Resque) -> None:
    busy_workers(resque, 22)
    html = TestClient(create_app(resque=resque, admin=Admin.from_client(resque))).get("/overview").text
    assert "22 of 22 Workers Working" in html and "Showing the 20 first by id" in html
    assert "all working workers</a>" in html


def test_the_workers_api_answers_a_page_of_25_by_default_and_says_how_many_there_are(
    resque: Resque,
) -> None:
    busy_workers(resque, 30)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque)))
    first = client.get("/api/workers")
    assert len(first.json()) == 25 and first.headers["x-total-count"] == "30"
    assert [w["id"] for w in client.get("/api/workers?start=25").json()][-1] == "host:1029:high"
    assert len(client.get("/api/workers?count=30").json()) == 30


def test_the_queue_list_is_kept_with_its_age_and_its_sizes_are_read_on_every_request(
    resque: Resque,
) -> None:
    resque.enqueue_to("high", "Archive", 1)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque, totals_ttl=60)))
    assert "The list of queue names was read just now" in client.get("/queues").text
    resque.enqueue_to("high", "Archive", 2)
    resque.enqueue_to("brand-new", "Archive", 1)
    api = client.get("/api/queues")
    assert api.json() == {"high": 2} and float(api.headers["x-counted-seconds-ago"]) >= 0
    html = client.get("/queues").text
    assert "brand-new" not in html and "at most every 60 s" in html


def test_metrics_say_how_old_their_kept_totals_are(resque: Resque) -> None:
    resque.enqueue_to("high", "Archive", 1)
    client = TestClient(create_app(resque=resque, admin=Admin.from_client(resque, totals_ttl=60)))
    assert "resque_jobs_pending 1.0" in client.get("/metrics").text
    resque.enqueue_to("high", "Archive", 2)
    text = client.get("/metrics").text
    assert "resque_jobs_pending 1.0" in text  # kept
    assert "resque_totals_age_seconds " in text and "resque_workers_census_age_seconds " in text
    assert "resque_delayed_age_seconds " in text
    fresh = TestClient(create_app(resque=resque, admin=Admin.from_client(resque))).get("/metrics").text
    assert "resque_jobs_pending 2.0" in fresh and "resque_totals_age_seconds 0.0" in fresh
