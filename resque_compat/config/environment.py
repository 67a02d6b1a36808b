"""The two settings a plain ``Resque()`` reads: the deployment's environment name, as
``Resque.info`` shows it, and ``REDIS_URL``, as Ruby's ``Redis.new`` reads it."""

from __future__ import annotations

import os

from ..store import DEFAULT_URL


def default_redis_url() -> str:
    """``REDIS_URL``, else ``redis://localhost:6379/0`` (``Redis.new`` with no arguments)."""
    return os.environ.get("REDIS_URL") or DEFAULT_URL


def environment_name() -> str:
    """``ENV['RAILS_ENV'] || ENV['RACK_ENV'] || 'development'`` (``Resque.info[:environment]``)."""
    return os.environ.get("RAILS_ENV") or os.environ.get("RACK_ENV") or "development"
