"""`resque-compat` subcommands: work (filled in by its own module)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
