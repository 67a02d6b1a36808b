"""Search across every failed list and queue at once (``/search``, ``/api/search``): bounded as
the per-list searches are, continued from a named list, with select-some actions on the
failures it finds, through Starlette's test client on a real Redis."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from test_web_routes import token
from test_web_search import record

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.admin.search import BUDGET
from resque_compat.admin.sweep import LISTS
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app


def app(resque: Resque) -> TestClient:
    return TestClient(
        create_app(
            resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64, history=False)
        )
    )


@pytest.fixture
def multi(redis_client: object, namespace: str) -> Resque:
    return Resque(redis_client, namespace=namespace, failure_backend="redis_multi_queue")  # type: ignore[arg-type]


@pytest.fixture
def client(resque: Resque) -> Iterator[TestClient]:
    with app(resque) as c:
        yield c


def hits(page: str) -> list[tuple[str, str]]:
    """(where, number) of each row the search page shows."""
    rows = re.findall(
        r'<td class="where"><a [^>]*>([^<]*)</a></td>\s*<td class="num"><a [^>]*>(\d+)</a>', page
    )
    return [(html.unescape(w), n) for w, n in rows]


def test_one_search_finds_text_in_queued_jobs_and_in_failures_of_every_list(multi: Resque) -> None:
    multi.enqueue_to("mail", "Mailer", "to acme-42")
    multi.enqueue_to("mail", "Mailer", "to someone else")
    multi.enqueue_to("billing", "Billing::Charge", {"customer": "ACME-42"})
    r = multi.redis
    for fq, rec in [("mail_failed", record("Mailer", ["x"], error="relay refused ACME-42")),
                    ("billing_failed", record("Billing::Charge", ["nothing here"]))]:  # fmt: skip
        r.sadd(multi.keys.failed_queues(), fq)
        r.rpush(multi.keys.failed_list(fq), rec)
    with app(multi) as c:
        page = c.get("/search?q=acme-42").text
        api = c.get("/api/search?q=acme-42").json()
    assert hits(page) == [("failed 'mail_failed'", "0"), ("queue 'billing'", "1"), ("queue 'mail'", "1")]
    assert "Searched 5 of <b>5</b> records in 4 lists" in page and "everything" in page
    assert [(h["kind"], h["list"], h["index"]) for h in api["hits"]] == [
        ("failed", "mail_failed", 0), ("queue", "billing", 0), ("queue", "mail", 0)]  # fmt: skip
    assert api["hits"][0]["failure"]["error"] == "relay refused ACME-42" and api["next"] is None


def test_a_search_reads_one_budget_then_continues_from_the_named_list_and_position(
    client: TestClient, resque: Resque
) -> None:
    resque.redis.rpush(resque.keys.failed(), *[record("Hay", [i]) for i in range(BUDGET + 10)])
    resque.enqueue_to("late", "Needle", 1)
    first = client.get("/search?q=needle").text
    assert f"Searched {BUDGET:,} of <b>{BUDGET + 11:,}</b> records in 2 lists" in first
    assert "0 matching so far" in first
    link = re.search(r'class="continue" href="/search\?q=needle&from=failed%3Afailed&at=(\d+)"', first)
    assert link and link.group(1) == str(BUDGET)
    second = client.get(f"/search?q=needle&from=failed:failed&at={BUDGET}").text
    assert hits(second) == [("queue 'late'", "1")]
    assert "Searched 11 of" in second and "the end of the last list" in second
    assert 'class="continue"' not in second
    # a named list that is gone: the walk resumes at the next list after it
    assert hits(client.get("/search?q=needle&from=queue:aaa-gone&at=5").text) == [("queue 'late'", "1")]


def test_a_search_visits_a_bounded_number_of_lists_per_request(client: TestClient, resque: Resque) -> None:
    for i in range(LISTS + 5):
        resque.enqueue_to(f"q{i:03d}", "Hay", i)
    resque.enqueue_to(f"q{LISTS + 4:03d}", "Needle", 0)
    first = client.get("/api/search?q=needle").json()
    assert first["hits"] == [] and first["lists"] == LISTS + 6  # the single failed list too
    assert first["next"] == {"from": f"queue:q{LISTS - 1:03d}", "at": 0}
    second = client.get("/api/search", params={"q": "needle", **first["next"]}).json()
    assert [(h["list"], h["index"]) for h in second["hits"]] == [(f"q{LISTS + 4:03d}", 1)]


def test_failures_ticked_on_the_search_page_are_retried_or_removed_each_checked_by_digest(
    multi: Resque,
) -> None:
    r = multi.redis
    for fq in ("a_failed", "b_failed"):
        r.sadd(multi.keys.failed_queues(), fq)
        r.rpush(
            multi.keys.failed_list(fq),
            record("Needle", [fq], queue=fq[0]),
            record("Needle", [fq, 2], queue=fq[0]),
        )
    with app(multi) as c:
        page = c.get("/search?q=needle").text
        picks = re.findall(r'name="pick" value="([^"]+)"', page)
        assert len(picks) == 4 and all("@" in p for p in picks)
        chosen = [p for p in picks if p.endswith("@a_failed")][:1] + [
            p for p in picks if p.endswith("@b_failed")
        ]
        r.lset(multi.keys.failed_list("b_failed"), 0, record("Changed", ["b"]))  # one changes meanwhile
        csrf = token(c, "/search?q=needle")
        done = c.post("/search/selected", data={"_csrf": csrf, "action": "remove", "pick": chosen})
        assert done.status_code == 200
        assert "Removed 2 selected failures; 1 failure had changed or gone and was left alone." in done.text
        assert r.llen(multi.keys.failed_list("a_failed")) == 1
        assert r.llen(multi.keys.failed_list("b_failed")) == 1
        refused = c.post("/search/selected", data={"_csrf": csrf, "action": "remove", "pick": ["0:abc"]})
        assert refused.status_code == 400 and r.llen(multi.keys.failed_list("a_failed")) == 1


def test_the_overview_offers_the_search_outside_its_live_region(client: TestClient) -> None:
    page = client.get("/overview").text
    main = page.index('<main id="main"')
    box = page.index('action="/search"')
    assert box < main
    assert 'action="/search"' not in client.get("/overview.poll").text
    assert client.get("/api/search").status_code == 400
