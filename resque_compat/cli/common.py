"""Helpers shared by the subcommand modules."""

from __future__ import annotations

from typing import Any

import click

from ..config import Settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def settings(ctx: click.Context) -> Settings:
    """The connection settings the ``resque-compat`` group was given (``-r``, ``-N``, env)."""
    found: Any = ctx.find_root().obj
    return found if isinstance(found, Settings) else Settings.from_env()
