"""Settings: the only place that reads the environment. Settings are immutable once built.

Connection settings shared by the library, the worker, the dashboard and the CLI:

============================  =====================================================
``REDIS_URL``                 redis://, rediss://, unix://, redis+sentinel:// URL
``RESQUE_NAMESPACE``          key namespace (default ``resque``)
``RESQUE_JSON_PROFILE``       ``json_gem`` (default), ``oj`` or ``rails`` (spec 3.2)
``FAILURE_BACKEND``           ``redis`` (default) or ``redis_multi_queue``
``RESQUE_PAUSE_GLOBAL_KEY``   resque-pause's global pause key (default ``pause:all``;
                              Ruby: ``ResquePauseHelper.global_pause_key=``)
``RESQUE_STATUS_EXPIRE_IN``   seconds resque-status keeps a status (default: forever;
                              Ruby: ``Resque::Plugins::Status::Hash.expire_in=``)
============================  =====================================================

``Resque.from_settings(settings)`` (or ``Resque.from_env()``) builds a client for them; this
package imports nothing above ``store/``. The worker's settings (QUEUE, INTERVAL, ...) live in
``config.worker``, the dashboard's in ``config.web``; each module there reads only its own
variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError
from ..protocol import Profile
from ..protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, DEFAULT_NAMESPACE
from ..store import DEFAULT_URL

Env = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Settings:
    """Where Resque lives and how its bytes look."""

    redis_url: str = DEFAULT_URL
    namespace: str = DEFAULT_NAMESPACE
    json_profile: Profile = Profile.JSON_GEM
    failure_backend: str = "redis"
    global_pause_key: str = DEFAULT_GLOBAL_PAUSE_KEY
    status_expire_in: int | None = None

    @classmethod
    def from_env(cls, env: Env | None = None, **overrides: Any) -> Settings:
        """Read the environment (``os.environ`` by default); ``overrides`` that are not ``None`` win."""
        e = os.environ if env is None else env
        try:
            profile = Profile(e.get("RESQUE_JSON_PROFILE", Profile.JSON_GEM.value))
        except ValueError as exc:
            raise ConfigError(f"RESQUE_JSON_PROFILE must be one of json_gem, oj, rails: {exc}") from exc
        backend = e.get("FAILURE_BACKEND") or "redis"
        if backend not in ("redis", "redis_multi_queue"):
            raise ConfigError(f"FAILURE_BACKEND must be redis or redis_multi_queue, not {backend!r}")
        base = cls(
            redis_url=e.get("REDIS_URL") or DEFAULT_URL,
            namespace=e.get("RESQUE_NAMESPACE") or DEFAULT_NAMESPACE,
            json_profile=profile,
            failure_backend=backend,
            global_pause_key=e.get("RESQUE_PAUSE_GLOBAL_KEY") or DEFAULT_GLOBAL_PAUSE_KEY,
            status_expire_in=_seconds(e, "RESQUE_STATUS_EXPIRE_IN"),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "json_profile" in given:
            given["json_profile"] = Profile(given["json_profile"])
        return replace(base, **given)


def _seconds(env: Env, name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of seconds, not {value!r}") from exc


def parse_resque_web_redis(value: str) -> tuple[str, str | None]:
    """resque-web's ``-r`` forms: ``host:port``, ``host:port:db``, ``host:port/ns``, or a URL.

    Returns a URL and the namespace it carried (``None`` if none), as ``Resque.redis=`` does.
    """
    if "://" in value:
        return value, None
    server, _, namespace = value.partition("/")
    parts = server.split(":")
    host = parts[0] or "localhost"
    port = parts[1] if len(parts) > 1 and parts[1] else "6379"
    db = parts[2] if len(parts) > 2 and parts[2] else "0"
    return f"redis://{host}:{port}/{db}", namespace or None
