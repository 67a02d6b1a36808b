"""The dashboard's settings (``resque-compat web``), read from the environment here and only here.

==============================  ========================================================
``RESQUE_WEB_HOST``             address to listen on (default ``0.0.0.0``, as resque-web)
``RESQUE_WEB_PORT``             port (default ``5678``, as resque-web)
``RESQUE_WEB_USERNAME``         with ``RESQUE_WEB_PASSWORD``: require HTTP basic auth
``RESQUE_WEB_PASSWORD``
``RESQUE_WEB_READ_ONLY``        ``1``/``true``/``yes``: every change refused, no buttons shown
``RESQUE_WEB_SECRET``           key for CSRF tokens (default: random per process)
``RESQUE_WEB_POLL_INTERVAL``    seconds between live-poll refreshes (default 2, as resque-web)
``RESQUE_WEB_HISTORY``          ``0``/``false``: do not sample the History tab's counters from
                                this process (workers and other dashboards still may)
``RESQUE_WEB_TOTALS_TTL``       seconds the totals over every queue and worker (pending jobs,
                                queues, workers, working) are kept between counts; the pages
                                show their age (default 5; ``0``: count on every request)
``RESQUE_WEB_FRAME_ANCESTORS``  who may embed the pages in a frame: the CSP ``frame-ancestors``
                                sources (default ``'none'``; e.g. ``'self' https://ops.example``)
==============================  ========================================================

Connection settings (``REDIS_URL``, ``RESQUE_NAMESPACE``, ...) are the library's ``Settings``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConfigError

DEFAULT_PORT = 5678
DEFAULT_HOST = "0.0.0.0"  # resque-web's default; -o narrows it


def _random_secret() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the dashboard serves: address, auth, read-only mode, CSRF key, poll interval."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = None
    read_only: bool = False
    secret: str = field(default_factory=_random_secret, repr=False)
    poll_interval: float = 2.0
    frame_ancestors: str = "'none'"
    history: bool = True
    totals_ttl: float = 5.0

    @property
    def auth(self) -> tuple[str, str] | None:
        """``(username, password)`` when basic auth is on."""
        if self.username is None and self.password is None:
            return None
        return (self.username or "", self.password or "")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
        """Read ``RESQUE_WEB_*`` (``os.environ`` by default); ``overrides`` that are not ``None`` win."""
        e = os.environ if env is None else env
        try:
            port = int(e.get("RESQUE_WEB_PORT") or DEFAULT_PORT)
            poll = float(e.get("RESQUE_WEB_POLL_INTERVAL") or 2.0)
            ttl = float(e.get("RESQUE_WEB_TOTALS_TTL") or 5.0)
        except ValueError as exc:
            raise ConfigError(
                f"RESQUE_WEB_PORT, RESQUE_WEB_POLL_INTERVAL and RESQUE_WEB_TOTALS_TTL must be numbers: {exc}"
            ) from exc
        base = cls(
            host=e.get("RESQUE_WEB_HOST") or DEFAULT_HOST,
            port=port,
            username=e.get("RESQUE_WEB_USERNAME") or None,
            password=e.get("RESQUE_WEB_PASSWORD") or None,
            read_only=_flag(e.get("RESQUE_WEB_READ_ONLY")),
            secret=e.get("RESQUE_WEB_SECRET") or _random_secret(),
            poll_interval=poll,
            frame_ancestors=(e.get("RESQUE_WEB_FRAME_ANCESTORS") or "'none'").strip(),
            history=(e.get("RESQUE_WEB_HISTORY") or "1").strip().lower() not in ("0", "false", "no", "off"),
            totals_ttl=max(0.0, ttl),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        result = replace(base, **given)
        if (result.username is None) != (result.password is None):
            raise ConfigError("basic auth needs both a username and a password")
        return result


def demo_ruby_lib(env: Mapping[str, str] | None = None) -> str | None:
    """``RESQUE_REF_LIB``: a Resque ``lib/`` directory the demo's Ruby worker may load."""
    return (os.environ if env is None else env).get("RESQUE_REF_LIB") or None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
