"""What the worker, ``Admin``, the dashboard and plugin hooks are built from: a ``DataStore``,
the failure backend they need, and a client only where a job or hook enqueues."""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import jobs_for_tests
import pytest
import redis
from worker_harness import failures, push_raw

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.config.worker import WorkerSettings
from resque_compat.plugins import Loner
from resque_compat.plugins.context import bound, current, current_store
from resque_compat.protocol.keys import Keys
from resque_compat.runtime.worker import Worker
from resque_compat.store import DataStore, connect
from resque_compat.web import create_app


def test_a_worker_records_failures_in_the_backend_it_was_given_not_the_clients(
    resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    push_raw(redis_client, namespace, "low", b'{"class":"Boom","args":[]}')
    settings = WorkerSettings(queues=("low",), interval=0.0, fork_per_job=False)
    backend = resque.failure_backend("redis_multi_queue")  # the client's own is "redis"
    worker = Worker(
        resque.store,
        backend,
        jobs_for_tests.registry,
        settings,
        client=resque,
        logger=logging.getLogger(f"composition-{namespace}"),
    )
    assert worker.work() == 0
    assert [f["exception"] for f in failures(redis_client, namespace, "low_failed")] == ["RuntimeError"]
    assert redis_client.llen(f"{namespace}:failed") == 0


def test_plugin_hooks_reach_the_store_bound_beside_the_client_and_nothing_outside(
    resque: Resque, redis_client: redis.Redis
) -> None:
    other = DataStore(redis_client, Keys("elsewhere"))
    with bound(resque, resque.store):
        with bound(resque, other):
            assert current() is resque
            assert current_store() is other
        assert current_store() is resque.store  # the enclosing binding is back
    with pytest.raises(RuntimeError, match="no Resque is bound"):
        contextvars.Context().run(current_store)  # where nothing was ever bound


def test_an_admin_built_from_a_store_removes_a_queue_with_its_loner_keys_as_resque_does(
    resque: Resque, redis_client: redis.Redis
) -> None:
    class Once(Loner):
        resque_class = "Once"
        queue = "once"

        @staticmethod
        def perform(*args: Any) -> None:
            pass

    resque.enqueue(Once, 1)
    admin = Admin(resque.store, resque.failure)
    assert admin.queue_sizes() == [("once", 1)]
    assert admin.remove_queue("once") == 1
    assert admin.queues() == []
    assert list(redis_client.scan_iter(match=f"{resque.namespace}:loners:*")) == []
    assert resque.enqueue(Once, 1) and resque.size("once") == 1  # no stale key refuses it


def test_the_dashboard_refuses_an_admin_without_the_client_it_was_built_from() -> None:
    unreachable = Resque(connect("redis://localhost:1/0"), namespace="unused")
    with pytest.raises(ValueError, match="resque="):
        create_app(admin=Admin.from_client(unreachable))
