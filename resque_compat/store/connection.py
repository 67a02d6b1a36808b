"""The one place that builds Redis connections (RESP2, bytes replies, timeouts, a client name).

Accepts ``redis://``, ``rediss://``, ``unix://`` and ``redis+sentinel://host:port[,host:port]/
<service>[/db]`` URLs, or an existing ``redis.Redis``. Redis Cluster is refused: Resque's keys
are not hash-tagged, so its pipelines and MGETs would cross slots.
"""

from __future__ import annotations

import os
from typing import Any, cast
from urllib.parse import unquote, urlparse

import redis
from redis.sentinel import Sentinel

from ..errors import ConfigError, RedisOutOfMemory, RedisReadOnly, RedisRefused, RedisUnavailable
from ..protocol import keys
from .replies import is_wrong_type, unreadable_key

DEFAULT_URL = "redis://localhost:6379/0"
_TIMEOUTS: dict[str, Any] = {"socket_timeout": 30.0, "socket_connect_timeout": 5.0}
_REDIS_LINE = tuple(int(part) for part in redis.__version__.split(".")[:2])
"""The installed redis-py's major and minor version (``pyproject.toml`` allows 5.0.1 to 8.x)."""


def connect(url: str = DEFAULT_URL, *, client_name: str | None = None, **options: Any) -> redis.Redis:
    """Build a client for ``url``. Extra ``options`` go to redis-py (e.g. ``socket_timeout``)."""
    name = client_name or keys.client_name(os.getpid())
    settings = {
        **_TIMEOUTS,
        **options,
        "protocol": 2,
        "decode_responses": False,
        "client_name": name,
    }
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        return StoreClient.from_url(url, **settings)
    if parsed.scheme == "redis+sentinel":
        return _sentinel(parsed.netloc, parsed.path, settings)
    if parsed.scheme in ("redis+cluster", "rediss+cluster"):
        raise ConfigError(cluster_refusal())
    raise ConfigError(f"unsupported Redis URL scheme {parsed.scheme!r} in {url!r}")


def _sentinel(netloc: str, path: str, settings: dict[str, Any]) -> redis.Redis:
    auth, _, hosts = netloc.rpartition("@")
    password = unquote(auth.partition(":")[2]) if auth else None
    nodes = []
    for host in hosts.split(","):
        h, _, p = host.rpartition(":")
        nodes.append((h or host, int(p) if h else 26379))
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise ConfigError("a Sentinel URL names its service: redis+sentinel://host:26379/mymaster")
    db = int(parts[1]) if len(parts) > 1 else 0
    sentinel = Sentinel(nodes, sentinel_kwargs={"password": password} if password else None)
    master = sentinel.master_for(parts[0], redis_class=StoreClient, db=db, password=password, **settings)
    return cast("StoreClient", master)


UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)
"""redis-py's errors for a Redis that cannot be reached or did not answer in time."""


def project_error(command: tuple[Any, ...], error: Exception, pool: redis.ConnectionPool) -> Exception:
    """The project's error for what redis-py raised running ``command``: ``RedisUnavailable``
    for a lost or silent Redis, ``RedisOutOfMemory`` / ``RedisReadOnly`` for a write it refused
    (``maxmemory``, a read-only replica), ``UnreadableKey`` for a ``WRONGTYPE`` reply (naming
    the key and its type, asked on another connection of ``pool``); anything else as it is."""
    if isinstance(error, UNAVAILABLE):
        return RedisUnavailable(f"Redis is unavailable: {type(error).__name__}: {error}")
    refused = refusal(error)
    if refused is not None:
        return refused
    if isinstance(error, redis.ResponseError) and is_wrong_type(error):
        return unreadable_key(command, error, lambda names: _types(pool, names))
    return error


def refusal(error: Exception) -> RedisRefused | None:
    """The project's error for a write Redis refused (``OOM``, ``READONLY``), else ``None``."""
    if isinstance(error, redis.exceptions.OutOfMemoryError):
        return RedisOutOfMemory(f"Redis refused the write: it is full (maxmemory, noeviction): {error}")
    if isinstance(error, redis.exceptions.ReadOnlyError):
        return RedisReadOnly(
            f"Redis refused the write: the server is a read-only replica (a failover, or a URL "
            f"naming a replica): {error}"
        )
    return None


def _types(pool: redis.ConnectionPool, names: list[str]) -> list[str]:
    probe = redis.Redis(connection_pool=pool)
    pipe = probe.pipeline(transaction=False)
    for name in names:
        pipe.type(name)
    return [t.decode() if isinstance(t, bytes) else str(t) for t in pipe.execute()]


class StoreClient(redis.Redis):
    """The client ``connect`` builds: redis-py's, with its errors raised as the project's
    (``project_error``), for single commands, pipelines and scripts alike."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            # The base class named, not super(): redis-py leaves it unannotated, and mypy's
            # untyped_calls_exclude (pyproject.toml) matches a call by the function's name.
            return redis.Redis.execute_command(self, *args, **options)
        except (redis.ResponseError, *UNAVAILABLE) as exc:
            mapped = project_error(args, exc, self.connection_pool)
            if mapped is exc:
                raise
            raise mapped from exc

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> StorePipeline:
        return StorePipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


class StorePipeline(redis.client.Pipeline):
    """A ``StoreClient``'s pipeline: the first error reply raised (or a lost connection) is the
    project's error, naming the command that failed."""

    _failed: tuple[Any, ...] = ()

    def raise_first_error(self, commands: Any, response: Any) -> None:
        for i, reply in enumerate(response):
            if isinstance(reply, redis.ResponseError):
                self._failed = tuple(commands[i][0])
                break
        redis.client.Pipeline.raise_first_error(self, commands, response)  # as in StoreClient

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        self._failed = ()
        try:
            return super().execute(raise_on_error)
        except (redis.ResponseError, *UNAVAILABLE) as exc:
            mapped = project_error(self._failed, exc, self.connection_pool)
            if mapped is exc:
                raise
            raise mapped from exc


def cluster_refusal() -> str:
    return (
        "Redis Cluster is not supported: Resque's keys are not hash-tagged, so its multi-key "
        "pipelines would cross slots. Point resque-compat at a single Redis or a Sentinel group."
    )


def refuse_cluster(client: Any) -> None:
    """Raise ``ConfigError`` when ``client`` is a cluster client or talks to a cluster node."""
    if type(client).__name__ in ("RedisCluster", "ClusterPipeline"):
        raise ConfigError(cluster_refusal())
    info = client.info("cluster")
    if str(info.get("cluster_enabled", 0)) == "1":
        raise ConfigError(cluster_refusal())
