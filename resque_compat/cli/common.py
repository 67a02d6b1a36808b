"""Helpers shared by the subcommand modules."""

from __future__ import annotations

from typing import Any

import click

from ..client import Resque
from ..config import Settings
from ..errors import ResqueError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def settings(ctx: click.Context) -> Settings:
    """The connection settings the ``resque-compat`` group was given (``-r``, ``-N``, env)."""
    found: Any = ctx.find_root().obj
    return found if isinstance(found, Settings) else Settings.from_env()


def connect(ctx: click.Context) -> Resque:
    """A ``Resque`` client for the group's settings; a bad setting is a clean CLI error."""
    try:
        found = Resque.from_settings(settings(ctx))
    except ResqueError as exc:
        raise click.ClickException(str(exc)) from exc
    return found
