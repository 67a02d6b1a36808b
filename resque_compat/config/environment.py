"""The deployment's environment name, as ``Resque.info`` shows it."""

from __future__ import annotations

import os


def environment_name() -> str:
    """``ENV['RAILS_ENV'] || ENV['RACK_ENV'] || 'development'`` (``Resque.info[:environment]``)."""
    return os.environ.get("RAILS_ENV") or os.environ.get("RACK_ENV") or "development"
