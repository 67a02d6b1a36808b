"""Building a client from settings: ``Resque.from_env`` reads what the README lists, a plain
``Resque()`` reads only ``REDIS_URL`` (as Ruby's ``Redis.new``), and the rest of its defaults
are Resque's own."""

from __future__ import annotations

import pytest
import redis

from resque_compat import Resque
from resque_compat.config import Settings
from resque_compat.errors import ConfigError
from resque_compat.failure import RedisMultiQueueFailure
from resque_compat.protocol import Profile


def test_from_env_reads_the_url_namespace_json_profile_and_failure_backend(
    redis_url: str, redis_client: redis.Redis, namespace: str
) -> None:
    env = {
        "REDIS_URL": redis_url,
        "RESQUE_NAMESPACE": namespace,
        "RESQUE_JSON_PROFILE": "oj",
        "FAILURE_BACKEND": "redis_multi_queue",
    }
    resque = Resque.from_env(env)
    try:
        assert (resque.namespace, resque.profile) == (namespace, Profile.OJ)
        assert isinstance(resque.failure, RedisMultiQueueFailure)
        resque.enqueue_to("low", "Archive", "<b>")
        # The bytes land in this namespace on this server.
        assert redis_client.lrange(f"{namespace}:queue:low", 0, -1) == [b'{"class":"Archive","args":["<b>"]}']
    finally:
        resque.redis.close()


def test_from_settings_builds_the_same_client_the_cli_and_dashboard_use(
    redis_url: str, namespace: str
) -> None:
    resque = Resque.from_settings(
        Settings(redis_url=redis_url, namespace=namespace, json_profile=Profile.RAILS)
    )
    try:
        assert (resque.namespace, resque.profile) == (namespace, Profile.RAILS)
        assert resque.redis_id() == redis_url.rsplit("/", 1)[0] + "/0"
        assert resque.redis.ping()
    finally:
        resque.redis.close()


def test_a_plain_resque_connects_where_redis_url_points(
    redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("RESQUE_NAMESPACE", "elsewhere")  # only from_env reads this one
    resque = Resque(namespace=namespace)
    try:
        assert resque.redis_id() == redis_url.rsplit("/", 1)[0] + "/0"
        assert resque.namespace == namespace
        assert resque.redis.ping()
        plain = Resque()
        assert plain.namespace == "resque" and plain.profile == Profile.JSON_GEM
        plain.redis.close()
    finally:
        resque.redis.close()


def test_a_bad_setting_in_the_environment_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="RESQUE_JSON_PROFILE"):
        Resque.from_env({"RESQUE_JSON_PROFILE": "yaml"})
    with pytest.raises(ConfigError, match="FAILURE_BACKEND"):
        Resque.from_env({"FAILURE_BACKEND": "s3"})
