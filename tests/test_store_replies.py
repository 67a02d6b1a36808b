"""The store's typed edge: replies of the shapes a bytes client gives pass through, anything
else is a ``TypeError`` naming what came instead of a wrong value handed upward."""

from __future__ import annotations

import pytest
import redis

from resque_compat.protocol import Keys
from resque_compat.store import QueueAccess, WorkerRegistry
from resque_compat.store.replies import bytes_list, bytes_set, optional_bytes, texts


def test_a_bytes_client_s_replies_come_through_as_bytes(redis_client: redis.Redis, namespace: str) -> None:
    queues = QueueAccess(redis_client, Keys(namespace))
    queues.push_to_queue("low", b'{"class":"A","args":[]}')
    assert queues.list_range(queues.keys.queue("low"), 0, 5) == [b'{"class":"A","args":[]}']
    assert queues.queue_names() == ["low"]
    assert queues.pop_from_queue("low") == b'{"class":"A","args":[]}'
    assert queues.pop_from_queue("low") is None


def test_a_client_that_decodes_replies_is_refused_at_the_edge(redis_url: str, namespace: str) -> None:
    text_client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        text_client.set(f"{namespace}:worker:h:1:q", "{}")
        with pytest.raises(TypeError, match="expected bytes or nil from Redis, got str"):
            WorkerRegistry(text_client, Keys(namespace)).get_worker_payload("h:1:q")
    finally:
        text_client.delete(f"{namespace}:worker:h:1:q")
        text_client.close()


def test_each_reader_names_the_shape_it_expected() -> None:
    assert optional_bytes(None) is None and texts({b"a"}) == ["a"]
    with pytest.raises(TypeError, match="a list"):
        bytes_list({b"a"})
    with pytest.raises(TypeError, match="a set"):
        bytes_set([b"a"])
