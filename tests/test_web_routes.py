"""Every dashboard route through Starlette's test client, on a real Redis."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.web import WebSettings
from resque_compat.protocol import FailureRecord
from resque_compat.web import create_app

RUN_AT = "2026-11-27T16:56:53Z"
XSS = "<script>window.__pwned = 1</script>"


def seed(resque: Resque) -> None:
    """Queues, workers and failures, including malformed records other tools might write."""
    for i in range(25):
        resque.enqueue_to("high", "Archive", i, "masterbrew")
    resque.enqueue_to("low", "Billing::Charge", {"note": XSS})
    resque.queue_store.push_to_queue("low", b"{not json")
    reg = resque.worker_registry
    reg.register_worker("vm:101:high,low", "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now("vm:101:high,low", "2026-11-27T16:56:53+00:00")
    reg.set_worker_payload(
        "vm:101:high,low",
        f'{{"queue":"high","run_at":"{RUN_AT}","payload":{{"class":"Archive","args":[1]}}}}'.encode(),
    )
    reg.register_worker("other:202:*", "not a time")
    reg.heartbeat_now("other:202:*", "1700000000")
    reg.register_worker("node-style-id", "2026-11-27 16:56:53 +0000")
    resque.failure.save(
        FailureRecord(
            payload={"class": "BadJob", "args": [XSS]},
            exception="RuntimeError",
            error=f"boom {XSS}",
            backtrace=[f"jobs.rb:5:in `perform' {XSS}"],
            worker="vm:101:high,low",
            queue="high",
        )
    )
    resque.failed_store.push_to_failed_queue(b"<b>not json</b>")
    resque.failed_store.push_to_failed_queue(
        b'{"failed_at":1700000000,"payload":{"class":"Odd","args":[1]},"worker":"nocolons","queue":"q"}'
    )


@pytest.fixture
def admin(resque: Resque) -> Admin:
    seed(resque)
    return Admin.from_client(resque)


@pytest.fixture
def client(resque: Resque, admin: Admin) -> Iterator[TestClient]:
    with TestClient(create_app(resque=resque, admin=admin, web=WebSettings(secret="s" * 64))) as c:
        yield c


def token(client: TestClient, path: str = "/failed") -> str:
    found = re.search(r'name="_csrf" value="([0-9a-f]+)"', client.get(path).text)
    assert found, "the page carries a CSRF token"
    return found.group(1)


PAGES = [
    "/overview",
    "/overview.poll",
    "/working",
    "/working.poll",
    "/working/vm:101:high,low",
    "/queues",
    "/queues/high",
    "/queues/high?start=20",
    "/queues/low",
    "/failed",
    "/failed?start=1",
    "/failed?class=BadJob",
    "/failed?queue=high&order=asc",
    "/failed/failed",
    "/workers",
    "/workers.poll",
    "/workers/all",
    "/workers/vm",
    "/workers/vm.poll",
    "/workers/vm:101:high,low",
    "/workers/vm:101:high,low.poll",
    "/workers/node-style-id",
    "/workers/other:202:*",
    "/stats/resque",
    "/stats/redis",
    "/stats/keys",
    "/stats/keys/queue:high",
    "/stats/keys/queue:high?start=20",
    "/stats/keys/workers:heartbeat",
    "/stats/keys/worker:vm:101:high,low",
    "/classes",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_resque_webs_cache_header(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[-500:]
    if not path.endswith(".poll"):
        assert response.headers["cache-control"] == "max-age=0, private, must-revalidate"
        assert '<nav aria-label="Dashboard">' in response.text


def test_the_root_and_stats_redirect_as_in_resque_web(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/overview"
    assert client.get("/stats", follow_redirects=False).headers["location"] == "/stats/resque"


def test_the_overview_shows_queues_failed_count_and_who_works_on_what(client: TestClient) -> None:
    html = client.get("/overview").text
    assert 'href="/queues/high"' in html and ">25<" in html
    assert 'href="/failed"' in html and ">3<" in html
    assert "1 of 3 Workers Working" in html
    assert "Archive" in html and "Live Poll" in html


def test_polling_returns_the_page_without_its_layout(client: TestClient) -> None:
    html = client.get("/overview.poll").text
    assert "Last Updated:" in html and "<html" not in html


def test_a_script_in_arguments_errors_and_backtraces_renders_inert(client: TestClient) -> None:
    for path in ("/failed", "/queues/low"):
        html = client.get(path).text
        assert XSS not in html
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html


def test_malformed_records_render_as_unreadable_with_their_raw_value(client: TestClient) -> None:
    failed = client.get("/failed").text
    assert "&lt;b&gt;not json&lt;/b&gt;" in failed and "unreadable" in failed
    assert "1700000000" in failed
    queue = client.get("/queues/low").text
    assert "{not json" in queue and "unreadable" in queue
    workers = client.get("/workers/all").text
    assert "node-style-id" in workers and "unreadable id" in workers
    other = client.get("/workers/other:202:*").text
    assert "not a time" in other and "1700000000" in other and "unreadable" in other


def test_workers_show_language_and_heartbeat(client: TestClient) -> None:
    html = client.get("/workers/all").text
    assert "lang-ruby" in html  # vm:101 has no resque-compat connection: Ruby, inferred
    assert "beat-stale" in html and "beat-unreadable" in html and "beat-missing" in html


def test_nothing_changes_on_get(client: TestClient, resque: Resque) -> None:
    for path in ("/failed/requeue/0", "/failed/remove/0", "/queues/high/remove", "/failed/clear"):
        # no route, or (/queues/high/remove) the page of a queue named "high/remove"
        assert client.get(path, follow_redirects=False).status_code in (200, 404, 405)
    assert resque.size("high") == 25 and resque.failure.count() == 3


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(client: TestClient, resque: Resque) -> None:
    client.get("/queues")
    assert client.post("/queues/high/remove").status_code == 403
    assert client.post("/queues/high/remove", data={"_csrf": "0" * 64}).status_code == 403
    good = token(client)
    cross = client.post(
        "/queues/high/remove", data={"_csrf": good}, headers={"Origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    other_browser = TestClient(client.app)
    assert other_browser.post("/queues/high/remove", data={"_csrf": good}).status_code == 403
    assert resque.size("high") == 25


def test_remove_queue_with_a_token_removes_it_and_redirects(client: TestClient, resque: Resque) -> None:
    response = client.post("/queues/high/remove", data={"_csrf": token(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/queues"
    assert "high" not in resque.queues() and resque.size("high") == 0


def test_retry_and_remove_a_failure(client: TestClient, resque: Resque, admin: Admin) -> None:
    t = token(client)
    bad = admin.failures.record("failed", 0)
    assert bad is not None
    response = client.post(
        "/failed/requeue/0", data={"_csrf": t, "digest": bad.digest}, follow_redirects=False
    )
    assert response.status_code == 303
    assert (
        resque.queue_store.everything_in_queue("high")[-1]
        == b'{"class":"BadJob","args":["' + XSS.encode() + b'"]}'
    )
    xhr = client.post("/failed/requeue/0", data={"_csrf": t}, headers={"X-Requested-With": "XMLHttpRequest"})
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \S+", xhr.text)
    stale = client.post("/failed/remove/0", data={"_csrf": t, "digest": bad.digest})
    assert stale.status_code == 409 and resque.failure.count() == 3  # the record changed (retried_at)
    assert client.post("/failed/remove/0", data={"_csrf": t}).status_code == 200
    assert resque.failure.count() == 2


def test_clear_retried_retry_all_and_clear(client: TestClient, resque: Resque) -> None:
    t = token(client)
    client.post("/failed/requeue/0", data={"_csrf": t})
    client.post("/failed/clear_retried", data={"_csrf": t})
    assert resque.failure.count() == 2
    client.post("/failed/clear", data={"_csrf": t})
    assert resque.failure.count() == 0


def test_bulk_actions_need_a_filter_and_act_on_the_filtered_set(client: TestClient, resque: Resque) -> None:
    for i in range(3):
        resque.failure.save(
            FailureRecord(
                payload={"class": "Py::Job", "args": [i]},
                exception="E",
                error="e",
                backtrace=[],
                worker="vm:1:q",
                queue="py",
            )
        )
    t = token(client)
    assert client.post("/failed/bulk", data={"_csrf": t, "action": "retry"}).status_code == 400
    client.post("/failed/bulk", data={"_csrf": t, "action": "retry", "class": "Py::Job"})
    assert resque.size("py") == 3
    client.post("/failed/bulk", data={"_csrf": t, "action": "remove", "queue": "py"})
    assert resque.failure.count() == 3


def test_the_multi_queue_layout_has_an_overview_and_per_queue_pages(
    redis_client: object, namespace: str
) -> None:
    resque = Resque(redis_client, namespace=namespace, failure_backend="redis_multi_queue")  # type: ignore[arg-type]
    for q in ("low", "high", "high"):
        resque.failure.save(
            FailureRecord(
                payload={"class": "J", "args": [q]},
                exception="E",
                error="e",
                backtrace=[],
                worker="vm:1:q",
                queue=q,
            )
        )
    with TestClient(create_app(resque=resque, admin=Admin.from_client(resque))) as c:
        overview = c.get("/failed").text
        assert "All Failed Queues: 2 total" in overview and 'href="/failed/high_failed"' in overview
        assert c.get("/failed/high_failed").status_code == 200
        assert c.get("/failed/nope_failed").status_code == 404
        t = token(c, "/failed/high_failed")
        r = c.post("/failed/high_failed/requeue/all", data={"_csrf": t}, follow_redirects=False)
        assert r.headers["location"] == "/failed/high_failed"
        assert resque.size("high") == 2
        c.post("/failed/low_failed/clear", data={"_csrf": t})
        assert resque.failure.count() == 2


def test_read_only_mode_refuses_changes_and_hides_buttons(admin: Admin, resque: Resque) -> None:
    with TestClient(create_app(resque=resque, admin=admin, web=WebSettings(read_only=True))) as c:
        html = c.get("/failed").text
        assert 'name="_csrf"' not in html and "read-only" in html  # no action forms at all
        assert c.post("/failed/clear", data={"_csrf": "x"}).status_code == 403
        assert c.post("/api/failed/clear", json={}).status_code == 403
    assert resque.failure.count() == 3


def test_basic_auth_is_required_when_configured(resque: Resque, admin: Admin) -> None:
    app = create_app(resque=resque, admin=admin, web=WebSettings(username="ops", password="s3cret"))
    with TestClient(app) as c:
        refused = c.get("/overview")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert c.get("/overview", auth=("ops", "wrong")).status_code == 401
        assert c.get("/api/stats", headers={"Authorization": "Basic !!!"}).status_code == 401
        good = base64.b64encode(b"ops:s3cret").decode()
        assert c.get("/overview", headers={"Authorization": f"Basic {good}"}).status_code == 200


def test_stats_txt_is_resque_webs_lines(client: TestClient) -> None:
    text = client.get("/stats.txt").text
    assert text.splitlines()[:5] == [
        "resque.pending=27",
        "resque.processed+=0",
        "resque.failed+=3",
        "resque.workers=3",
        "resque.working=1",
    ]
    assert "queues.high=25" in text


def test_the_app_mounts_under_a_prefix_and_links_follow_it(resque: Resque, admin: Admin) -> None:
    outer = Starlette(routes=[Mount("/ops/resque", app=create_app(resque=resque, admin=admin))])
    with TestClient(outer) as c:
        html = c.get("/ops/resque/overview").text
        assert 'href="/ops/resque/queues/high"' in html and 'href="/ops/resque/static/style.css"' in html
        assert c.get("/ops/resque/", follow_redirects=False).headers["location"] == "/ops/resque/overview"
        t = token(c, "/ops/resque/failed")
        r = c.post("/ops/resque/failed/clear", data={"_csrf": t}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/ops/resque/failed"


def test_the_json_api_reads_and_acts(client: TestClient, resque: Resque) -> None:
    assert client.get("/api/stats").json()["failed"] == 3
    assert client.get("/api/queues").json() == {"high": 25, "low": 2}
    jobs = client.get("/api/queues/low").json()["jobs"]
    assert jobs[0]["args"] == [{"note": XSS}] and jobs[1]["unreadable"] and jobs[1]["raw"] == "{not json"
    workers = {w["id"]: w for w in client.get("/api/workers").json()}
    assert workers["vm:101:high,low"]["processing"]["job"]["class"] == "Archive"
    assert workers["node-style-id"]["unreadable"]
    failures = client.get("/api/failed?class=BadJob").json()
    assert len(failures["failures"]) == 1 and failures["next_at"] is None and failures["total"] == 3
    first = failures["failures"][0]
    assert client.post("/api/failed/retry", content=b'{"index":0}').status_code == 403  # not JSON
    done = client.post("/api/failed/retry", json={"index": first["index"], "digest": first["digest"]})
    assert done.status_code == 200 and done.json()["retried_at"]
    again = client.post("/api/failed/remove", json={"index": first["index"], "digest": first["digest"]})
    assert again.status_code == 409
    assert client.post("/api/failed/bulk", json={"action": "remove", "class": "Odd"}).json() == {"count": 1}
    assert client.get("/api/classes").json()["classes"]
    assert resque.failure.count() == 2
