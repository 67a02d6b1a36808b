"""The dashboard as an operator uses it, in Debian's Chromium through Playwright over a real
``resque-compat web`` process: accessibility (axe-core, from npm, run inside the page), a phone
width, dark mode, search and select-some actions, the job page, charts, worker removal, the
keyboard. axe-core comes from ``RESQUE_COMPAT_AXE`` (``make test`` installs it from npm)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import Dashboard, browser, dashboard_over, new_page, page, reseeded

from resque_compat import Resque
from resque_compat.protocol import FailureRecord
from resque_compat.protocol.history import Sample
from resque_compat.store import HistoryAccess

pytestmark = pytest.mark.browser

__all__ = ["browser", "page"]  # the fixtures

LONG = "q" + "x" * 5000


def axe_source() -> str:
    path = Path(os.environ.get("RESQUE_COMPAT_AXE") or ".venv/node/node_modules/axe-core/axe.min.js")
    if not path.is_file():
        message = f"no axe-core at {path} (make test installs it from npm: npm install axe-core)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


def seed(resque: Resque) -> None:
    for i in range(30):
        resque.enqueue_to("high", "Archive", i, "masterbrew")
    resque.enqueue_to(LONG, "Archive", 1)
    reg = resque.worker_registry
    reg.register_worker("vm:101:high", "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now("vm:101:high", "2026-11-27T16:56:53+00:00")
    reg.set_worker_payload(
        "vm:101:high",
        b'{"queue":"high","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Archive","args":[1]}}',
    )
    reg.register_worker("other:7:low", "2026-11-27 16:56:53 +0000")
    for i in range(6):
        resque.failure.save(FailureRecord(
            payload={"class": "Billing::Charge" if i % 2 else "Mailer", "args": [{"n": i}]},
            exception="RuntimeError", error=f"card declined {i}" if i % 2 else "smtp down",
            backtrace=[f"jobs.rb:{i}:in `perform'", "worker.rb:9"], worker="vm:101:high", queue="high",
        ))  # fmt: skip
    resque.enqueue_at_with_queue("high", 4_000_000_000, "Archive", "later")
    store = HistoryAccess(resque.redis, resque.keys)
    now = store.server_seconds()
    for i, total in enumerate((0, 40, 90, 150)):
        b = now // 60 - 3 + i
        store.add_once(
            60, b, Sample(b, b * 60, total, i, 31 - i, 2, 1, {"ruby": 1, "python": 1}).encode(), 120
        )


@pytest.fixture(scope="module")
def shared(redis_url: str) -> Iterator[tuple[Dashboard, Resque]]:
    with dashboard_over(redis_url, "console") as found:
        yield found


@pytest.fixture
def site(shared: tuple[Dashboard, Resque]) -> tuple[Dashboard, Resque]:
    return reseeded(shared, seed)


PAGES = [
    "/overview", "/working", "/working/vm:101:high", "/queues", "/queues/high", "/queues/high/job/0",
    "/failed", "/failed?q=declined", "/failed/job/0", "/workers", "/workers/all", "/workers/vm",
    "/workers/vm:101:high", "/classes", "/history", "/history?range=week", "/stats/resque",
    "/stats/redis", "/stats/keys", "/stats/keys/queue:high", "/delayed", "/delayed/4000000000",
    "/delayed/unmovable", "/delayed?class=Archive", "/schedule", "/search", "/search?q=declined",
    "/queues/high?q=masterbrew",
    "/nope",
]  # fmt: skip


def serious_violations(page: Any, source: str) -> list[dict[str, Any]]:
    page.evaluate(source)  # through the debugger protocol: the page's CSP does not apply
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .filter(v => v.impact === "serious" || v.impact === "critical")
             .map(v => ({id: v.id, impact: v.impact,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(
    site: tuple[Dashboard, Resque], browser: Any, scheme: str
) -> None:
    dash, _ = site
    source = axe_source()
    p = new_page(browser, color_scheme=scheme)
    try:
        report = {}
        for path in PAGES:
            p.goto(dash.url(path))
            found = serious_violations(p, source)
            if found:
                report[path] = found
        assert not report, json.dumps(report, indent=1)
        assert [e for e in p.errors if "status of 404" not in e] == []  # /nope is a 404 on purpose
    finally:
        p.context.close()


def test_at_360_px_no_page_scrolls_sideways_and_the_menu_opens(
    site: tuple[Dashboard, Resque], browser: Any
) -> None:
    dash, _ = site
    p = new_page(browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        wide = {}
        for path in [*PAGES, "/queues/" + LONG]:
            p.goto(dash.url(path))
            width = p.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide[path[:40]] = width
        assert wide == {}
        p.goto(dash.url("/overview"))
        assert not p.is_visible("nav >> text=Classes")  # collapsed
        p.click("button.menu")
        assert (
            p.is_visible("nav >> text=Classes") and p.get_attribute("button.menu", "aria-expanded") == "true"
        )
        p.click("nav >> text=Classes")
        p.wait_for_url(dash.url("/classes"))
    finally:
        p.context.close()


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(
    site: tuple[Dashboard, Resque], browser: Any
) -> None:
    dash, _ = site
    p = new_page(browser, color_scheme="dark")
    background = "getComputedStyle(document.documentElement).backgroundColor"
    try:
        p.goto(dash.url("/overview"))
        assert p.evaluate(background) == "rgb(20, 22, 27)"  # the dark --bg
        assert p.get_attribute("button.theme", "aria-pressed") == "true"
        p.click("button.theme")
        assert p.evaluate(background) == "rgb(246, 247, 249)"  # light, chosen over the system
        p.reload()
        assert p.evaluate(background) == "rgb(246, 247, 249)"
        p.click("button.theme")
        p.goto(dash.url("/failed"))
        assert p.evaluate(background) == "rgb(20, 22, 27)"
    finally:
        p.context.close()


def test_search_then_retry_only_the_chosen_failures(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, resque = site
    page.goto(dash.url("/failed"))
    page.fill("input[name=q]", "declined")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/failed?q=declined*")
    items = page.locator("li.failure-item")
    assert items.count() == 3 and "3 matching" in page.inner_text("p.searched")
    items.nth(0).locator("input[name=pick]").check()
    items.nth(2).locator("input[name=pick]").check()
    page.click("button.pick-retry")
    page.wait_for_selector(".flash-success")
    assert page.inner_text(".flash-success") == "Retried 2 selected failures."
    retried = [r for r in resque.queue_store.everything_in_queue("high") if b"Billing" in r]
    assert sorted(retried) == sorted(
        [b'{"class":"Billing::Charge","args":[{"n":5}]}', b'{"class":"Billing::Charge","args":[{"n":1}]}']
    )
    page.check("input.pick-all")
    assert page.locator("input[name=pick]:checked").count() == 3
    assert page.errors == []


def test_search_everywhere_from_the_overview_then_remove_one_chosen_failure(
    site: tuple[Dashboard, Resque], page: Any
) -> None:
    dash, resque = site
    resque.enqueue_to("low", "Billing::Notice", "card declined soon")
    page.goto(dash.url("/overview"))
    page.fill("form.search-everywhere input[name=q]", "DECLINED")
    page.press("form.search-everywhere input[name=q]", "Enter")
    page.wait_for_url("**/search?q=DECLINED*")
    rows = page.locator("tr.hit")
    assert rows.count() == 4 and "4 matching, everything" in page.inner_text("p.searched")
    assert page.locator("tr.hit-failed").count() == 3 and page.locator("tr.hit-queue").count() == 1
    assert "queue 'low'" in page.inner_text("tr.hit-queue td.where")
    chosen = page.locator("tr.hit-failed").nth(1)
    error = chosen.locator("td.error").inner_text().removeprefix("RuntimeError").strip()
    assert error.startswith("card declined ")
    chosen.locator("input[name=pick]").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button.pick-remove")
    page.wait_for_selector(".flash-success")
    assert page.inner_text(".flash-success") == "Removed 1 selected failure."
    assert page.url.endswith("/search?q=DECLINED")  # back on the same search
    assert page.locator("tr.hit-failed").count() == 2
    left = resque.redis.lrange(resque.keys.failed(), 0, -1)
    assert len(left) == 5 and not any(f'"error":"{error}"'.encode() in r for r in left)
    page.click("tr.hit-queue td.num a")
    page.wait_for_url("**/queues/low/job/0")
    assert "card declined soon" in page.inner_text("main")
    assert page.errors == []


def test_a_failure_opens_on_its_own_page_and_is_removed_there(
    site: tuple[Dashboard, Resque], page: Any
) -> None:
    dash, resque = site
    page.goto(dash.url("/failed"))
    page.click("li.failure-item >> nth=0 >> a.details")
    assert "Failure #5 of failed" in page.inner_text("h1")
    assert "jobs.rb:5:in `perform'\nworker.rb:9" in page.inner_text("pre.backtrace")
    assert '"n": 5' in page.inner_text("pre.args")
    page.once("dialog", lambda d: d.accept())
    page.click("form.remove button")
    page.wait_for_selector(".flash-success")
    assert "Removed failure 5 of failed." in page.inner_text(".flash-success")
    assert resque.failure.count() == 5


def test_history_charts_draw_the_sampled_intervals(site: tuple[Dashboard, Resque], page: Any) -> None:
    dash, _ = site
    page.goto(dash.url("/history"))
    bars = page.locator("svg rect.bar.processed")
    assert bars.count() == 3
    heights = [bars.nth(i).bounding_box()["height"] for i in range(3)]
    assert heights[0] < heights[1] < heights[2]  # 40, 50, 60 per minute
    assert page.locator("svg polyline.line.pending").count() == 1
    assert (
        page.evaluate("getComputedStyle(document.querySelector('rect.bar.processed')).fill")
        == "rgb(37, 99, 235)"
    )


def test_a_dead_worker_is_removed_from_the_workers_page_by_keyboard(
    site: tuple[Dashboard, Resque], page: Any
) -> None:
    dash, resque = site
    page.goto(dash.url("/workers/all"))
    page.once("dialog", lambda d: d.accept())
    target = "form.remove-worker button[aria-label='Remove worker other:7:low']"
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate(f'document.activeElement.matches("{target}")'):
            break
    else:
        pytest.fail("the Remove button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    assert page.inner_text(".flash-success") == "Removed worker other:7:low."
    assert not resque.worker_exists("other:7:low") and resque.worker_exists("vm:101:high")
