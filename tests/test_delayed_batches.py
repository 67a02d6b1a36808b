"""The scheduler's batches: an item leaves its ``delayed:<ts>`` list in the same transaction
that pushes its job; a class with its own ``scheduled`` method is called once the batch is
committed, and one that raises costs no other item of the batch."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import redis

from resque_compat import Resque
from resque_compat.runtime.delayed_mover import DelayedMover


def test_a_scheduled_method_that_raises_costs_no_other_item_of_its_batch(
    resque: Resque, redis_client: redis.Redis, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[Any] = []

    class Custom:
        @staticmethod
        def scheduled(queue: str, name: str, *args: Any) -> None:
            if args == (1,):
                raise RuntimeError("scheduled refused")
            called.append(args)
            resque.enqueue_to(queue, "Done", *args)

    now = int(time.time())
    resque.delayed_store.delayed_push_many(
        (now - 1, b'{"class":"Custom","args":[%d],"queue":"q"}' % n) for n in range(3)
    )
    mover = DelayedMover(resque.delayed_store, resque.profile, {"Custom": Custom}, logging.getLogger("t"), 50)
    with caplog.at_level(logging.ERROR, logger="t"):
        stats = mover.handle_delayed_items()
    assert called == [(0,), (2,)]
    assert [resque.decode(r)["args"] for r in redis_client.lrange(f"{namespace}:queue:q", 0, -1)] == [
        [0],
        [2],
    ]
    assert stats.moved == 3
    assert "Custom.scheduled('q', [1]) raised; not enqueued" in caplog.text
    assert resque.delayed_queue_schedule_size() == 0
