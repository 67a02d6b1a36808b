"""The dashboard in a real browser: Debian's Chromium driven by Playwright, over the real
``resque-compat web`` process on a free port and a real Redis.

Chromium comes from ``RESQUE_COMPAT_CHROMIUM`` or ``/usr/bin/chromium`` (``.ci/run`` installs it);
no browser is ever downloaded. Without it these tests skip locally and fail in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_harness import Dashboard, browser, dashboard_over, page, reseeded

from resque_compat import Resque
from resque_compat.protocol import FailureRecord

pytestmark = pytest.mark.browser

__all__ = ["browser", "page"]  # the fixtures

XSS = "<script>window.__pwned = 1</script>"
RUN_AT = "2026-11-27T16:56:53Z"


@pytest.fixture(scope="module")
def shared(redis_url: str) -> Iterator[tuple[Dashboard, Resque]]:
    with dashboard_over(redis_url, "browser") as found:
        yield found


@pytest.fixture
def site(shared: tuple[Dashboard, Resque]) -> tuple[Dashboard, Resque]:
    """The module's dashboard over freshly seeded data."""
    return reseeded(shared, seed)


def seed(resque: Resque) -> None:
    for i in range(30):
        resque.enqueue_to("high", "Archive", i, "masterbrew")
    resque.enqueue_to("low", "Billing::Charge", {"note": XSS})
    reg = resque.worker_registry
    reg.register_worker("vm:101:high,low", "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now("vm:101:high,low", "2026-11-27T16:56:53+00:00")
    reg.set_worker_payload(
        "vm:101:high,low",
        f'{{"queue":"high","run_at":"{RUN_AT}","payload":{{"class":"Archive","args":[1]}}}}'.encode(),
    )
    reg.register_worker("node-style-id", "yesterday-ish")
    resque.failure.save(
        FailureRecord(
            payload={"class": "BadJob", "args": [XSS]},
            exception="RuntimeError",
            error=f"boom {XSS}",
            backtrace=["jobs.rb:5:in `perform'"],
            worker="vm:101:high,low",
            queue="retry_here",
        )
    )
    resque.failed_store.push_to_failed_queue(b"<i>definitely not json</i>")


PAGES = [
    ("/overview", "Queues"),
    ("/working", "Workers Working"),
    ("/working/vm:101:high,low", "job"),
    ("/queues", "Queues"),
    ("/queues/high", "Pending jobs on"),
    ("/queues/high?start=20", "Pending jobs on"),
    ("/failed", "Failed Jobs"),
    ("/failed?class=BadJob", "with class 'BadJob'"),
    ("/workers", "Workers"),
    ("/workers/all", "Workers"),
    ("/workers/vm:101:high,low", "Worker vm:101:high,low"),
    ("/workers/node-style-id", "Worker node-style-id"),
    ("/stats/resque", "Resque"),
    ("/stats/redis", "redis://"),
    ("/stats/keys", "Keys owned by"),
    ("/stats/keys/queue:high", 'Key "queue:high" is a list'),
    ("/classes", "Job classes"),
]


def test_every_page_loads_without_a_script_error(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, _ = site
    for path, heading in PAGES:
        response = page.goto(dash.url(path))
        assert response is not None and response.status == 200, path
        assert heading in page.inner_text("h1"), (path, page.inner_text("h1"))
    page.goto(dash.url("/overview"))
    for tab in ("Working", "Failed", "Queues", "Workers", "Classes", "Stats", "Overview"):
        page.click(f"nav >> text={tab}")
        assert page.locator("nav li.current").inner_text() == tab
    assert page.errors == []


def test_a_failure_is_retried_then_removed_through_the_ui(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, resque = site
    page.goto(dash.url("/failed?class=BadJob"))
    item = page.locator("li.failure-item").first
    item.locator("button[rel=retry]").click()
    page.wait_for_load_state()
    assert resque.queue_store.everything_in_queue("retry_here") == [
        ('{"class":"BadJob","args":["' + XSS + '"]}').encode()
    ]
    assert "Retried" in page.locator("li.failure-item").first.inner_text()
    assert "Retried failure 0 of failed" in page.inner_text(".flash-success")
    page.locator("li.failure-item").first.locator("button[rel=remove]").click()
    page.wait_for_load_state()
    assert resque.failure.count() == 1  # only the unreadable record is left
    assert "0 matching" in page.inner_text("main")
    assert page.inner_text(".flash-success") == "Removed failure 0 of failed."


def test_a_queue_is_removed_after_confirming(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, resque = site
    page.goto(dash.url("/queues/high"))
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Remove Queue")
    assert resque.size("high") == 30  # dismissed: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Remove Queue")
    page.wait_for_url(dash.url("/queues"))
    assert resque.size("high") == 0 and "high" not in resque.queues()


def test_a_forged_token_is_refused(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, resque = site
    page.goto(dash.url("/queues/high"))
    page.eval_on_selector("form.remove-queue input[name=_csrf]", "el => el.value = '0'.repeat(64)")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Remove Queue")
    page.wait_for_load_state()
    assert "Refused" in page.content()
    assert resque.size("high") == 30


def test_basic_auth_guards_the_dashboard(
    browser: Any, redis_url: str, site: tuple[Dashboard, Resque]
) -> None:
    _, resque = site
    dash = Dashboard(redis_url, resque.namespace, "--username", "ops", "--password", "s3cret")
    try:
        from playwright.sync_api import Error

        anonymous = browser.new_context()
        assert anonymous.request.get(dash.url("/overview")).status == 401
        with pytest.raises(Error, match="AUTH"):  # headless Chromium has no prompt: it refuses
            anonymous.new_page().goto(dash.url("/overview"))
        anonymous.close()
        allowed = browser.new_context(http_credentials={"username": "ops", "password": "s3cret"})
        p = allowed.new_page()
        assert p.goto(dash.url("/overview")).status == 200
        assert "high" in p.inner_text("table.queues")
        allowed.close()
    finally:
        dash.stop()


def test_a_script_in_job_arguments_stays_text(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, _ = site
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/queues/low", "/failed"):
        page.goto(dash.url(path))
        assert page.evaluate("window.__pwned") is None
        assert XSS in page.inner_text("main")
    assert dialogs == []


def test_malformed_records_render_as_unreadable(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, _ = site
    page.goto(dash.url("/failed"))
    text = page.inner_text("main")
    assert "unreadable" in text and "<i>definitely not json</i>" in text
    page.goto(dash.url("/workers/all"))
    assert "unreadable id" in page.inner_text("main")
    page.goto(dash.url("/workers/node-style-id"))
    assert "yesterday-ish" in page.inner_text("main")


def test_the_overview_is_live_by_default_and_a_pause_is_remembered(
    site: tuple[Dashboard, Resque], page: Any
) -> None:
    dash, resque = site
    page.goto(dash.url("/overview"))
    resque.enqueue_to("fresh_queue", "Archive", 1)
    page.wait_for_selector("text=fresh_queue", timeout=15_000)
    assert "Last Updated" in page.inner_text("main")
    page.click("button.live")
    assert page.get_attribute("button.live", "aria-pressed") == "false"
    page.reload()
    assert page.get_attribute("button.live", "aria-pressed") == "false"  # remembered
    resque.enqueue_to("later_queue", "Archive", 1)
    with page.expect_request(lambda r: r.url.endswith("overview.poll"), timeout=8_000):
        page.click("button.live")  # resumed: it polls again
    page.wait_for_selector("text=later_queue", timeout=15_000)
    assert page.get_attribute("button.live", "aria-pressed") == "true"


def test_the_working_tab_pages_with_next_and_previous_and_labels_its_totals(
    redis_url: str, page: Any
) -> None:
    with dashboard_over(redis_url, "browser-working") as (dash, resque):
        reg = resque.worker_registry
        for i in range(30):
            wid = f"host:{1000 + i}:high"
            reg.register_worker(wid, "2026-11-27 16:56:53 +0000")
            payload = f'{{"queue":"high","run_at":"{RUN_AT}","payload":{{"class":"Archive","args":[{i}]}}}}'
            reg.set_worker_payload(wid, payload.encode())
        page.goto(dash.url("/working"))
        assert page.locator("table.workers tbody tr").count() == 25
        assert "Showing 1–25 of 30" in page.inner_text("main")
        assert "Totals of jobs, queues and workers counted" in page.inner_text("main")
        page.get_by_role("link", name="Next »").click()
        page.wait_for_url(dash.url("/working?start=25"))
        assert page.locator("table.workers tbody tr").count() == 5
        assert "Showing 26–30 of 30" in page.inner_text("main")
        page.get_by_role("link", name="« Previous").click()
        page.wait_for_url(dash.url("/working?start=0"))
        assert page.locator("table.workers tbody tr").count() == 25


def test_a_queue_of_the_wrong_type_is_a_notice_in_its_row_and_the_overview_renders_around_it(
    site: tuple[Dashboard, Resque], page: Any
) -> None:
    dash, resque = site
    resque.redis.sadd(resque.keys.queues(), "ahash")
    resque.redis.hset(resque.keys.queue("ahash"), "a", "b")
    response = page.goto(dash.url("/overview"))
    assert response is not None and response.status == 200
    row = page.locator("table.queues tr", has=page.locator("a.queue", has_text="ahash"))
    notice = row.locator(".wrong-type")
    assert notice.inner_text() == f"wrong type: hash (Resque keeps a list): {resque.keys.queue('ahash')}"
    assert row.locator("td.num").count() == 0  # no size where there is none to read
    high = page.locator("table.queues tr", has=page.locator("a.queue", has_text="high"))
    assert high.locator("td.size").inner_text() == "30"
    assert "Workers Working" in page.inner_text("main h2")
    assert page.locator("table.workers a", has_text="vm:101").count() == 1
    assert page.locator(".tile", has_text="failed").locator(".n").inner_text() == "2"
    notice.locator("a").click()
    page.wait_for_url("**/stats/keys/queue%3Aahash")
    assert 'Key "queue:ahash" is a hash' in page.inner_text("h1")
    assert page.errors == []
