"""Shared fixtures: a real redis-server started for the test session, one namespace per test.

``REDIS_URL`` points the tests at a server of yours instead (they only touch keys under
their own random namespaces). Without redis-server the Redis tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from resque_compat import Resque
from resque_compat.store import connect
from resque_compat.testing import RedisServer, RedisServerError


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis the tests may use: ``REDIS_URL`` or a throwaway server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    try:
        server = RedisServer().start()
    except RedisServerError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis for the tests: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of this test's own, so tests never see each other's keys."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_client(redis_url: str, namespace: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def resque(redis_client: redis.Redis, namespace: str) -> Resque:
    """A client on the test's own namespace with the default (json gem) profile."""
    return Resque(redis_client, namespace=namespace)
