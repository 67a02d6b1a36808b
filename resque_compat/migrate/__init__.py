"""Tools for moving job classes from Ruby to Python one at a time: ``inventory`` (what waits
where, and who can run it), ``move`` (jobs between queues, or failures back to a queue, atomic
per job), ``doctor`` (what breaks Ruby's tools, and safe repairs) and ``routing`` (chosen classes
to Python-only queues, and back).

Each tool plans first (pure: what would happen) and applies separately, so every one has a
dry run that shows exactly what the real run would do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..store.migration import MigrationAccess

if TYPE_CHECKING:
    from ..client import Resque


def access(resque: Resque) -> MigrationAccess:
    """The migration tools' Redis access for a ``Resque`` client (same connection and namespace)."""
    return resque.store.migration
