"""The dashboard's plugin tabs (Paused, Retry, Statuses) on plugin state, through Starlette's
test client on a real Redis: what they show, and that their POSTs need the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.plugins import StatusJob, status
from resque_compat.web import create_app


class Export(StatusJob):
    resque_class = "Export"


@pytest.fixture
def client(resque: Resque) -> Iterator[TestClient]:
    with TestClient(
        create_app(resque=resque, admin=Admin.from_client(resque)), base_url="http://testserver"
    ) as c:
        yield c


def token(client: TestClient, path: str) -> str:
    found = re.search(r'name="_csrf" value="([0-9a-f]+)"', client.get(path).text)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def test_the_paused_tab_pauses_and_unpauses_a_queue_and_every_queue(
    client: TestClient, resque: Resque
) -> None:
    resque.enqueue_to("mail", "Mailer", 1)
    page = client.get("/paused")
    assert page.status_code == 200 and "mail" in page.text and "running" in page.text
    assert 'href="/paused"' in page.text  # the tab is in the nav
    assert client.post("/paused/queue/mail/pause").status_code == 403  # no token
    assert resque.pauses.paused("mail") is False
    t = token(client, "/paused")
    assert client.post("/paused/queue/mail/pause", data={"_csrf": t}).status_code == 200
    assert resque.redis.get(resque.keys.pause_queue("mail")) == b"true"
    assert 'class="paused"' in client.get("/paused").text
    client.post("/paused/all/pause", data={"_csrf": t})
    assert resque.pauses.global_paused()
    client.post("/paused/all/unpause", data={"_csrf": t})
    client.post("/paused/queue/mail/unpause", data={"_csrf": t})
    assert not resque.pauses.paused("mail")


def test_the_retry_tab_shows_attempts_suppressed_failures_and_next_retries(
    client: TestClient, resque: Resque
) -> None:
    key = "resque-retry:Sync:0123abcd"
    resque.redis.set(resque.keys.physical(key), b"2")
    resque.redis.set(
        resque.keys.physical("failure-" + key),
        b'{"failed_at":"2026/12/01 10:00:00","payload":{"class":"Sync","args":[1]},"exception":"IOError",'
        b'"error":"disk <full>","backtrace":[],"worker":"w","queue":"sync"}',
    )
    resque.enqueue_in_with_queue("sync", 600, "Sync", 1)
    page = client.get("/retry")
    assert page.status_code == 200
    assert key in page.text and "IOError: disk &lt;full&gt;" in page.text and ">2<" in page.text
    assert "No retry is scheduled" not in page.text and "[1]" in page.text


def test_the_statuses_tab_lists_statuses_and_kills_one(client: TestClient, resque: Resque) -> None:
    uuid = status.create(resque, Export, {"file": "a.pdf"})
    assert uuid is not None
    page = client.get("/statuses")
    assert page.status_code == 200 and uuid in page.text and "queued" in page.text
    assert client.post(f"/statuses/{uuid}/kill").status_code == 403
    assert (
        client.post(f"/statuses/{uuid}/kill", data={"_csrf": token(client, "/statuses")}).status_code == 200
    )
    assert resque.statuses.kill_ids() == [uuid]
    assert "(kill asked)" in client.get("/statuses").text
