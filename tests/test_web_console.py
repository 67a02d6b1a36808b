"""The dashboard as an operator's console, through Starlette's test client on a real Redis:
clamped windows, bounded key views, security headers, flash messages, the /api 404s, the
workers table across hosts and removing a dead worker. Each defect test failed before its fix."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from test_web_routes import seed, token

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app

HUGE = "9223372036854775807"  # 2^63 - 1: LRANGE's own limit; anything past it answered 500
PAST = "99999999999999999999999"


@pytest.fixture
def admin(resque: Resque) -> Admin:
    seed(resque)
    return Admin.from_client(resque)


@pytest.fixture
def client(resque: Resque, admin: Admin) -> Iterator[TestClient]:
    with TestClient(create_app(resque=resque, admin=admin, web=WebSettings(secret="s" * 64))) as c:
        yield c


@pytest.mark.parametrize("start", [HUGE, PAST, "-5", "12abc"])
def test_a_start_past_any_list_gives_an_empty_window_not_a_500(
    client: TestClient, resque: Resque, start: str
) -> None:
    resque.redis.zadd(resque.keys.physical("delayed_queue_schedule"), {"a": 1, "b": 2})
    for path in ("/queues/high", "/stats/keys/queue:high", "/stats/keys/delayed_queue_schedule",
                 "/failed", "/failed?order=asc", "/api/queues/high", "/api/failed"):  # fmt: skip
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}start={start}")
        assert response.status_code == 200, (path, response.text[-300:])
    assert client.get(f"/api/queues/high?start={PAST}&count={PAST}").json()["jobs"] == []


def test_the_queue_page_counts_from_one_as_the_failed_page_does(client: TestClient) -> None:
    assert "Showing 1–20 of <b>25</b> jobs" in client.get("/queues/high").text
    assert "Showing 21–25 of <b>25</b> jobs" in client.get("/queues/high?start=20").text


def test_a_stream_shows_its_length_and_entries_and_continues_by_id(
    client: TestClient, resque: Resque
) -> None:
    key = resque.keys.physical("events")
    for i in range(45):
        resque.redis.xadd(key, {"n": str(i)})
    html = client.get("/stats/keys/events").text
    assert "size: 45" in html and "n=0" in html and "n=19" in html and "n=20" not in html
    after = re.search(r'href="/stats/keys/events\?at=([0-9-]+)"', html)
    assert after, "a continuation link names the last id shown"
    more = client.get(f"/stats/keys/events?at={after.group(1)}").text
    assert "n=20" in more and "n=39" in more and "n=19<" not in more


def test_a_long_string_says_it_was_cut_and_continues(client: TestClient, resque: Resque) -> None:
    resque.redis.set(resque.keys.physical("blob"), b"a" * 70_000 + b"TAIL")
    html = client.get("/stats/keys/blob").text
    assert "size: 70,004 bytes" in html and "showing bytes 0–65,536" in html and "cut" in html
    assert "TAIL" not in html
    tail = client.get("/stats/keys/blob?at=65536").text
    assert "TAIL" in tail and "cut" not in tail


def test_a_hash_is_read_by_cursor_one_window_at_a_time(client: TestClient, resque: Resque) -> None:
    key = resque.keys.physical("big")
    resque.redis.hset(key, mapping={f"f{i}": str(i) for i in range(1000)})  # hashtable encoding
    seen: set[str] = set()
    at, windows = "0", 0
    while at is not None and windows < 200:
        html = client.get(f"/stats/keys/big?at={at}").text
        seen.update(re.findall(r"<code>(f\d+)</code>", html))
        found = re.search(r'href="/stats/keys/big\?at=(\d+)"', html)
        at, windows = (found.group(1) if found else None), windows + 1
    assert seen == {f"f{i}" for i in range(1000)} and windows > 5
    assert client.get(f"/stats/keys/big?start={PAST}").status_code == 200


def test_redis_info_sections_read_as_fields_not_a_dict(client: TestClient) -> None:
    html = client.get("/stats/redis").text
    assert "{&#39;" not in html and '{"' not in html and "{&#34;" not in html
    assert re.search(r"keys: <b>\d+</b>", html)


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/overview", "/api/stats", "/static/style.css", "/nope"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert headers["x-frame-options"] == "DENY"


def test_frame_ancestors_can_allow_embedding(resque: Resque, admin: Admin) -> None:
    web = WebSettings(frame_ancestors="'self' https://ops.example")
    with TestClient(create_app(resque=resque, admin=admin, web=web)) as c:
        headers = c.get("/overview").headers
    assert "frame-ancestors 'self' https://ops.example" in headers["content-security-policy"]
    assert "x-frame-options" not in headers
    assert WebSettings.from_env({"RESQUE_WEB_FRAME_ANCESTORS": "'self'"}).frame_ancestors == "'self'"


def test_behind_basic_auth_nothing_but_static_files_may_be_stored(resque: Resque, admin: Admin) -> None:
    web = WebSettings(username="ops", password="s3cret")
    with TestClient(create_app(resque=resque, admin=admin, web=web)) as c:
        assert c.get("/overview", auth=("ops", "s3cret")).headers["cache-control"] == "no-store"
        assert c.get("/api/stats", auth=("ops", "s3cret")).headers["cache-control"] == "no-store"
        assert c.get("/overview").headers["cache-control"] == "no-store"  # the 401 too
        assert "no-store" not in c.get("/static/style.css", auth=("ops", "s3cret")).headers.get(
            "cache-control", ""
        )


def test_api_404s_match_the_pages(client: TestClient) -> None:
    assert client.get("/failed/nope").status_code == 404
    assert client.get("/api/failed/nope").status_code == 404
    assert client.get("/api/failed/nope").json() == {"error": "no failed queue 'nope'"}
    assert client.get("/workers/nope:1:q").status_code == 404
    assert client.get("/api/workers/nope:1:q").status_code == 404


def test_an_action_leaves_a_flash_message_shown_once(client: TestClient, resque: Resque) -> None:
    landed = client.post("/queues/high/remove", data={"_csrf": token(client)})
    assert landed.url.path == "/queues"
    assert "Removed queue &#39;high&#39; and its 25 jobs." in landed.text and 'class="flash' in landed.text
    assert 'class="flash' not in client.get("/queues").text


def test_a_refused_action_says_why_on_a_page_with_its_status(client: TestClient, resque: Resque) -> None:
    refused = client.post("/failed/remove/0", data={"_csrf": token(client), "digest": "0" * 16})
    assert refused.status_code == 409
    assert "flash-error" in refused.text and "changed since the page was shown" in refused.text
    forged = client.post("/failed/clear", data={"_csrf": "0" * 64})
    assert forged.status_code == 403 and "Refused: invalid CSRF token" in forged.text
    assert resque.failure.count() == 3


def test_a_forged_flash_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set("resque_flash", "WyJzdWNjZXNzIiwgIkhhY2tlZCJd.0000")
    assert "Hacked" not in client.get("/overview").text


def test_retrying_does_not_claim_it_cannot_be_undone(client: TestClient) -> None:
    html = client.get("/failed").text
    retry = re.search(r'class="inline retry-all">.*?data-confirm="([^"]*)"', html, re.S)
    assert retry and "cannot be undone" not in retry.group(1)
    clear = re.search(r'class="inline clear">.*?data-confirm="([^"]*)"', html, re.S)
    assert clear and "cannot be undone" in clear.group(1)


def test_several_hosts_still_list_every_worker_in_one_table(client: TestClient) -> None:
    html = client.get("/workers").text
    assert html.count('<tr class="') >= 3 and "vm:101" in html and "other:202" in html
    assert 'href="/workers/vm"' in html  # hosts stay reachable as tabs


def test_a_workers_page_shows_the_arguments_of_its_job(client: TestClient, resque: Resque) -> None:
    resque.worker_registry.set_worker_payload(
        "vm:101:high,low",
        b'{"queue":"high","run_at":"2026-11-27T16:56:53Z","payload":{"class":"Archive","args":[{"id":77}]}}',
    )
    assert "&#34;id&#34;: 77" in client.get("/workers/vm:101:high,low").text


def test_a_stale_worker_is_removed_and_a_fresh_one_refused(client: TestClient, resque: Resque) -> None:
    reg = resque.worker_registry
    reg.register_worker("live:1:q", "2026-11-27 16:56:53 +0000")
    now = resque.redis.time()[0]
    import datetime as dt

    beat = dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    reg.heartbeat_now("live:1:q", beat)
    t = token(client, "/workers")
    html = client.get("/workers/all").text
    assert 'action="/workers/vm%3A101%3Ahigh%2Clow/remove"' in html
    assert 'action="/workers/live%3A1%3Aq/remove"' not in html  # fresh: no button
    refused = client.post("/workers/live:1:q/remove", data={"_csrf": t})
    assert refused.status_code == 409 and "alive" in refused.text and resque.worker_exists("live:1:q")
    done = client.post("/workers/vm:101:high,low/remove", data={"_csrf": t, "back": "/workers/all"})
    assert done.url.path == "/workers/all" and "Removed worker vm:101:high,low" in done.text
    assert "DirtyExit" in done.text and not resque.worker_exists("vm:101:high,low")
    assert resque.failure.count() == 4  # its job in flight became a failure, as workers remove does
    assert client.post("/workers/gone:1:q/remove", data={"_csrf": t}).status_code == 409


def test_queues_and_workers_are_listed_a_page_at_a_time(client: TestClient, resque: Resque) -> None:
    for i in range(60):
        resque.enqueue_to(f"q{i:02d}", "Archive", i)
    for i in range(30):
        resque.worker_registry.register_worker(f"farm:{i}:q00", "2026-11-27 16:56:53 +0000")
    queues = client.get("/queues").text
    assert queues.count('<td class="queue"><a') == 50 and 'href="/queues?start=50"' in queues
    assert client.get("/queues?start=50").text.count('<td class="queue"><a') == 12  # + high, low
    api = client.get("/api/queues?start=50&count=5")
    assert api.headers["x-total-count"] == "62" and len(api.json()) == 5
    overview = client.get("/overview").text
    assert "The first 20 of 62 queues by name" in overview and "pending in 62 queues" in overview
    assert "1 of 33 Workers Working" in overview
    workers = client.get("/workers/all").text
    assert "33 Workers" in workers and "(showing 1–25)" in workers and "?start=25" in workers
    assert len(client.get("/api/workers?count=10").json()) == 10
    assert "more queues or failed lists were not counted" in client.get("/classes").text


def test_the_keys_page_lists_a_page_of_keys_and_continues_from_the_scan_cursor(
    client: TestClient, resque: Resque
) -> None:
    resque.redis.mset({resque.keys.physical(f"k{i:03d}"): "x" for i in range(120)})
    seen: set[str] = set()
    html = client.get("/stats/keys").text
    for _ in range(20):
        seen |= set(re.findall(r'href="/stats/keys/(k\d{3})"', html))
        found = re.search(r'href="/stats/keys\?cursor=(\d+)"', html)
        if found is None:
            break
        html = client.get(f"/stats/keys?cursor={found.group(1)}").text
    assert seen == {f"k{i:03d}" for i in range(120)}
    assert len(re.findall(r'href="/stats/keys/k\d{3}"', client.get("/stats/keys").text)) < 120
