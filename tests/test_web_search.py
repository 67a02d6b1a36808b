"""Search, bounded filters, select-some actions and the page per job, through Starlette's test
client on a real Redis."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from test_web_routes import token

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.admin.search import BUDGET
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app


def record(cls: str, args: list[object], error: str = "boom", queue: str = "low") -> bytes:
    return json.dumps(
        {"failed_at": "2026/11/27 16:56:53 UTC", "payload": {"class": cls, "args": args},
         "exception": "RuntimeError", "error": error, "backtrace": ["a.rb:1"], "worker": "vm:1:low",
         "queue": queue}, separators=(",", ":"),
    ).encode()  # fmt: skip


@pytest.fixture
def client(resque: Resque) -> Iterator[TestClient]:
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64))
    ) as c:
        yield c


def test_a_filter_on_a_long_list_reads_one_budget_and_offers_to_continue(
    client: TestClient, resque: Resque
) -> None:
    key = resque.keys.failed()
    resque.redis.rpush(key, record("Needle", [0]))  # the oldest: found only at the end of the walk
    resque.redis.rpush(key, *[record("Hay", [i]) for i in range(BUDGET + BUDGET // 2)])
    first = client.get("/failed?class=Needle").text
    total = BUDGET + BUDGET // 2 + 1
    assert f"Searched {BUDGET:,} of <b>{total:,}</b>" in first and "0 matching so far" in first
    link = re.search(r'class="continue" href="/failed\?at=(\d+)&amp;class=Needle"', first)
    assert link and link.group(1) == str(BUDGET)
    second = client.get(f"/failed?at={link.group(1)}&class=Needle").text
    assert "1 matching" in second and "Failure #0" in second and 'class="continue"' not in second
    api = client.get("/api/failed?class=Needle").json()
    assert api["failures"] == [] and api["next_at"] == BUDGET and api["scanned_to"] == BUDGET
    assert client.get(f"/api/failed?class=Needle&at={BUDGET}").json()["failures"][0]["index"] == 0


def test_search_finds_text_in_class_arguments_and_error_case_blind(
    client: TestClient, resque: Resque
) -> None:
    key = resque.keys.failed()
    resque.redis.rpush(key, record("Billing::Charge", [{"customer": "ACME-42"}]),
                       record("Mailer", ["x"], error="SMTP timeout at relay"),
                       record("Other", ["y"]))  # fmt: skip
    assert re.findall(r"Failure #(\d)", client.get("/failed?q=acme-42").text) == ["0"]
    assert re.findall(r"Failure #(\d)", client.get("/failed?q=smtp+TIMEOUT").text) == ["1"]
    assert re.findall(r"Failure #(\d)", client.get("/failed?q=billing::").text) == ["0"]
    assert "0 matching" in client.get("/failed?q=nothing-like-it").text


def test_selected_failures_are_retried_or_removed_each_checked_by_digest(
    client: TestClient, resque: Resque
) -> None:
    key = resque.keys.failed()
    resque.redis.rpush(key, *[record("Job", [i]) for i in range(5)])
    html = client.get("/failed").text
    by_index = {int(i): v for v, i in re.findall(r'name="pick" value="((\d+):[0-9a-f]{16})"', html)}
    t = token(client)
    stale = by_index[3].split(":")[0] + ":" + "0" * 16
    done = client.post(
        "/failed/selected", data={"_csrf": t, "action": "remove", "pick": [by_index[1], by_index[4], stale]}
    )
    assert "Removed 2 selected failures; 1 failure had changed or gone and was left alone." in done.text
    left = [json.loads(r)["payload"]["args"] for r in resque.redis.lrange(key, 0, -1)]
    assert left == [[0], [2], [3]]
    html = client.get("/failed").text
    first = re.search(r'name="pick" value="(0:[0-9a-f]{16})"', html)
    assert first
    client.post("/failed/selected", data={"_csrf": t, "action": "retry", "pick": first.group(1)})
    assert resque.size("low") == 1
    assert client.post("/failed/selected", data={"_csrf": t, "action": "retry"}).status_code == 400


def test_a_failure_has_its_own_page_with_backtrace_raw_bytes_and_actions(
    client: TestClient, resque: Resque
) -> None:
    raw = record("Billing::Charge", [{"id": 7, "note": "<b>x</b>"}])
    resque.redis.rpush(resque.keys.failed(), raw)
    html = client.get("/failed").text
    link = re.search(r'href="(/failed/job/0\?digest=[0-9a-f]{16})"', html)
    assert link
    page = client.get(link.group(1).replace("&amp;", "&")).text
    assert "Failure #0 of failed" in page and "a.rb:1" in page and "&#34;id&#34;: 7" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and f"{len(raw):,} bytes" in page
    assert 'action="/failed/requeue/0"' in page and 'action="/failed/remove/0"' in page
    assert "no longer the one you followed" in client.get("/failed/job/0?digest=" + "0" * 16).text
    assert client.get("/failed/job/5").status_code == 404


def test_a_waiting_job_has_its_own_page(client: TestClient, resque: Resque) -> None:
    resque.enqueue_to("low", "Archive", {"path": "/srv/x"}, 3)
    html = client.get("/queues/low").text
    assert 'href="/queues/low/job/0"' in html
    page = client.get("/queues/low/job/0").text
    assert "Job #1 waiting on low" in page and "&#34;path&#34;: &#34;/srv/x&#34;" in page
    assert client.get("/queues/low/job/1").status_code == 404


def test_a_queue_is_searched_in_bounded_slices_from_the_head(client: TestClient, resque: Resque) -> None:
    hay = [b'{"class":"Hay","args":[%d]}' % i for i in range(BUDGET + 10)]
    resque.redis.rpush(resque.keys.queue("big"), *hay, b'{"class":"Needle","args":["x"]}')
    resque.redis.sadd(resque.keys.queues(), "big")
    first = client.get("/queues/big?q=needle").text
    assert f"Searched {BUDGET:,} of <b>{BUDGET + 11:,}</b> jobs" in first and "0 matching so far" in first
    more = client.get(f"/queues/big?q=needle&at={BUDGET}").text
    assert "1 matching" in more and f'href="/queues/big/job/{BUDGET + 10}"' in more
