"""Redis Sentinel failover under load, on loopback: three sentinels, a master and a replica
started by the test, two workers and an enqueuer through ``redis+sentinel://``, the master
killed with ``SIGKILL`` after 100 jobs. The workers and the dashboard follow the new master,
and what asynchronous replication lost is only what was in flight at the kill."""

from __future__ import annotations

import contextlib
import shutil

import pytest
from starlette.testclient import TestClient

from chaos.cluster import NAMESPACE
from chaos.failover import IN_FLIGHT, sentinel_failover
from chaos.ledger import table
from resque_compat.config import Settings
from resque_compat.config.web import WebSettings
from resque_compat.web import create_app


class Overview:
    """One dashboard through Sentinel, made on first use and kept: ``(url)`` is its /overview
    status, so the answers after the failover come from connections made before it."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.client: TestClient | None = None

    def __call__(self, url: str) -> int:
        if self.client is None:
            app = create_app(Settings(redis_url=url, namespace=NAMESPACE), web=WebSettings(history=False))
            self.client = self.stack.enter_context(TestClient(app, raise_server_exceptions=False))
        return self.client.get("/overview").status_code


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="the sentinels and servers are redis-servers"
)
@pytest.mark.timeout(300)  # every wait of the scenario is bounded; together at most about 200 s
def test_workers_follow_a_sentinel_failover_and_only_jobs_in_flight_at_the_kill_are_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    overview = Overview()
    with overview.stack:
        result = sentinel_failover(seed=17, dashboard=overview)
    row = result.row
    with capsys.disabled():
        print("\n" + table([row]) + "\n" + result.summary())
    assert row.trials == 1, "\n".join(row.notes)[-4000:]
    assert not [n for n in row.notes[:-1] if n.endswith(" s")], row.notes
    assert result.dashboard == [200, 200]
    assert result.within(IN_FLIGHT), result.summary()
    assert row.performed > 200
