"""The Delayed and Schedule tabs (resque-scheduler's routes) through Starlette's test client on a
real Redis, and once in a real Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_harness import Dashboard, browser, page
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app

__all__ = ["browser", "page"]  # the fixtures

LATER = 4102444800
XSS = "<script>window.__pwned = 1</script>"


@pytest.fixture
def client(resque: Resque) -> Iterator[TestClient]:
    for n in range(3):
        resque.enqueue_at_with_queue("files", LATER, "Archive", n, XSS)
    resque.enqueue_at_with_queue("mail", LATER + 60, "Mailer", "x")
    resque.redis.rpush(resque.keys.delayed(LATER + 60), b"{not json")
    resque.set_schedule(
        "nightly",
        {"cron": "0 3 * * * UTC", "class": "Cleanup", "queue": "maint", "args": [1], "persist": True},
    )
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64))
    ) as c:
        yield c


def token(client: TestClient, path: str) -> str:
    found = re.search(r'name="_csrf" value="([0-9a-f]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_the_delayed_tab_lists_timestamps_with_counts_and_one_timestamp_its_items(client: TestClient) -> None:
    page = client.get("/delayed")
    assert page.status_code == 200
    assert "2100-01-01T00:00:00+00:00" in page.text and "2100-01-01T00:01:00+00:00" in page.text
    assert XSS not in page.text
    one = client.get(f"/delayed/{LATER + 60}")
    assert one.status_code == 200 and "Mailer" in one.text and "unreadable" in one.text
    assert client.get("/api/delayed").json()["items"] == [
        {"timestamp": LATER, "at": "2100-01-01T00:00:00+00:00", "size": 3},
        {"timestamp": LATER + 60, "at": "2100-01-01T00:01:00+00:00", "size": 2},
    ]
    api = client.get(f"/api/delayed/{LATER}?count=2").json()
    assert api["total"] == 3 and [i["args"] for i in api["items"]] == [[0, XSS], [1, XSS]]
    found = client.get("/delayed?class=Mailer")
    assert "Delayed Mailer jobs" in found.text and "1 found" in found.text


def test_delayed_actions_need_the_csrf_token_and_move_or_remove_exactly_what_they_name(
    client: TestClient, resque: Resque
) -> None:
    assert client.post("/delayed/queue_now", data={"timestamp": str(LATER)}).status_code == 403
    assert resque.count_all_scheduled_jobs() == 5
    t = token(client, "/delayed")
    item = '{"class":"Archive","args":[0,"<script>window.__pwned = 1</script>"],"queue":"files"}'
    done = client.post("/delayed/queue_now", data={"_csrf": t, "item": item}, follow_redirects=False)
    assert done.status_code == 303
    assert resque.size("files") == 1 and resque.delayed_timestamp_size(LATER) == 2
    client.post("/delayed/cancel_now", data={"_csrf": t, "timestamp": str(LATER)})
    assert resque.delayed_queue_peek(0, 10) == [LATER + 60]
    assert client.post("/delayed/queue_now", data={"_csrf": t, "timestamp": "soon"}).status_code == 400
    client.post("/delayed/clear", data={"_csrf": t})
    assert resque.delayed_queue_schedule_size() == 0


def test_the_schedule_tab_shows_interval_next_run_and_last_run_and_queues_or_removes(
    client: TestClient, resque: Resque
) -> None:
    page = client.get("/schedule")
    assert page.status_code == 200
    assert "nightly" in page.text and "cron 0 3 * * * UTC" in page.text and "T03:00:00+00:00" in page.text
    [row] = client.get("/api/schedule").json()
    assert (row["name"], row["class"], row["last"]) == ("nightly", "Cleanup", None)
    t = token(client, "/schedule")
    client.post("/schedule/requeue", data={"_csrf": t, "job_name": "nightly"})
    assert resque.peek("maint") == {"class": "Cleanup", "args": [1]}
    resque.set_schedule("queueless", {"every": "1h", "class": "Nowhere", "persist": True})
    refused = client.post("/schedule/requeue", data={"_csrf": t, "job_name": "queueless"})
    assert refused.status_code == 400 and "queue" in refused.text  # Ruby: NoQueueError, a 500
    resque.remove_schedule("queueless")
    client.post("/schedule/remove", data={"_csrf": t, "job_name": "nightly"})
    assert resque.all_schedules() == {}


@pytest.mark.browser
def test_a_browser_queues_a_delayed_job_now_from_the_delayed_tab(
    page: Any, redis_url: str, namespace: str, resque: Resque
) -> None:
    resque.enqueue_at_with_queue("files", LATER, "Archive", 7)
    dash = Dashboard(redis_url, namespace)
    try:
        page.goto(dash.url("/delayed"))
        page.get_by_role("link", name="2100-01-01T00:00:00+00:00").click()
        page.get_by_role("button", name="Queue now").click()
        page.wait_for_selector(".flash-success")
        assert "Enqueued 1 job now." in page.inner_text(".flash-success")
        assert resque.size("files") == 1 and resque.count_all_scheduled_jobs() == 0
        assert page.errors == []
    finally:
        dash.stop()


UNMOVABLE_ITEMS = [b"not json \xff\xfe", b'{"args":[1]}', b'{"class":"NoQueue","args":[]}', XSS.encode()]


def _seed_unmovable(resque: Resque) -> None:
    resque.redis.rpush(resque.keys.scheduler_unmovable(), *UNMOVABLE_ITEMS)


def test_the_items_the_scheduler_could_not_enqueue_are_shown_raw_with_why(
    client: TestClient, resque: Resque
) -> None:
    import base64

    assert 'href="/delayed/unmovable"' not in client.get("/delayed").text
    _seed_unmovable(resque)
    assert 'href="/delayed/unmovable"' in client.get("/delayed").text
    page = client.get("/delayed/unmovable")
    assert page.status_code == 200
    assert "not json \\xff\\xfe" in page.text and "(not UTF-8)" in page.text
    assert "no queue" in page.text and XSS not in page.text
    api = client.get("/api/delayed/unmovable?count=3").json()
    assert api["total"] == 4 and len(api["items"]) == 3
    assert [base64.b64decode(i["raw_base64"]) for i in api["items"]] == UNMOVABLE_ITEMS[:3]
    assert [i["bytes"] for i in api["items"]] == [len(r) for r in UNMOVABLE_ITEMS[:3]]
    assert api["items"][1]["reason"] and api["items"][2]["reason"].startswith("no queue")
    # reading changes nothing: the raw bytes stay on the list
    assert resque.delayed_store.unmovable(0, 10) == UNMOVABLE_ITEMS


@pytest.mark.browser
def test_a_browser_follows_the_delayed_tab_to_the_items_kept_raw(
    page: Any, redis_url: str, namespace: str, resque: Resque
) -> None:
    _seed_unmovable(resque)
    dash = Dashboard(redis_url, namespace)
    try:
        page.goto(dash.url("/delayed"))
        page.get_by_role("link", name="4 item(s) the scheduler could not enqueue").click()
        page.wait_for_selector("table.delayed-unmovable")
        rows = page.locator("table.delayed-unmovable tbody tr")
        assert rows.count() == 4
        assert "not json \\xff\\xfe" in rows.nth(0).inner_text()
        assert rows.nth(3).locator("code").inner_text() == XSS
        assert page.evaluate("window.__pwned") is None
        assert page.errors == []
    finally:
        dash.stop()


def _continue_link(text: str) -> str | None:
    found = re.search(r'<a class="continue" href="([^"]+)"', text)
    return None if found is None else found.group(1).replace("&amp;", "&")


def test_the_class_search_reads_500_items_a_request_and_finds_a_later_match_by_following_continue(
    client: TestClient, resque: Resque
) -> None:
    resque.redis.delete(resque.keys.delayed(LATER), resque.keys.delayed(LATER + 60))
    resque.redis.delete(resque.keys.delayed_queue_schedule())
    first = LATER + 1000
    item = b'{"class":"Archive","args":[%d],"queue":"files"}'
    resque.redis.rpush(resque.keys.delayed(first), *[item % i for i in range(700)])
    pipe = resque.redis.pipeline(transaction=False)
    for ts in range(first + 1, first + 401):
        pipe.rpush(resque.keys.delayed(ts), item % ts)
    pipe.rpush(resque.keys.delayed(first + 400), b'{"class":"Mailer","args":["late"],"queue":"mail"}')
    pipe.zadd(resque.keys.delayed_queue_schedule(), {str(ts): ts for ts in range(first, first + 401)})
    pipe.execute()
    pages, path = [], "/delayed?class=Mailer"
    while path is not None and len(pages) < 6:
        text = client.get(path).text
        pages.append(text)
        path = _continue_link(text)
    # Stopped by the item budget inside a list, then by the window of 200 timestamps.
    assert len(pages) == 4
    assert "Searched 500 items over 1 timestamps" in pages[0] and "0 found so far" in pages[0]
    assert f"from={first}&amp;at=500" in pages[0] and "item 501" in pages[0]
    assert "Searched 399 items over 200 timestamps" in pages[1] and "from the start" in pages[1]
    assert f"from={first + 200}&amp;at=0" in pages[1]
    assert "Searched 200 items over 200 timestamps" in pages[2]
    assert "Searched 2 items over 1 timestamps" in pages[3]
    assert "1 found, the end of the delayed queue" in pages[3] and "late" in pages[3]
    assert "late" not in "".join(pages[:3])
