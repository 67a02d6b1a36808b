"""Where the conformance suite finds each Resque plugin's Ruby code, and the check that skips a
scenario with the setting's name when it is missing.

| setting | plugin (its ``lib/`` directory) |
|---|---|
| ``RESQUE_PAUSE_LIB`` | resque-pause |
| ``RESQUE_LONER_LIB`` | resque-loner |
| ``RESQUE_LOCK_LIB`` | resque-lock |
| ``RESQUE_LOCK_TIMEOUT_LIB`` | resque-lock-timeout |
| ``RESQUE_RETRY_LIB`` | resque-retry |
| ``RESQUE_STATUS_LIB`` | resque-status |

The Ruby driver puts the directory on its load path and requires the plugin
(``conformance/ruby/plugins.rb``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # harness imports the drivers, which import this module through record
    from .harness import Ctx

SETTINGS = {
    "pause": "RESQUE_PAUSE_LIB",
    "loner": "RESQUE_LONER_LIB",
    "lock": "RESQUE_LOCK_LIB",
    "lock_timeout": "RESQUE_LOCK_TIMEOUT_LIB",
    "retry": "RESQUE_RETRY_LIB",
    "status": "RESQUE_STATUS_LIB",
}


def missing(name: str) -> str | None:
    """Why the plugin ``name`` cannot be loaded, or ``None`` (resque-retry also needs
    resque-scheduler, ``RESQUE_SCHEDULER_LIB``)."""
    if name == "retry":
        from .reference import plugin_lib_problem

        scheduler = plugin_lib_problem("RESQUE_SCHEDULER_LIB")
        if scheduler:
            return f"resque-retry needs resque-scheduler: {scheduler}"
    setting = SETTINGS[name]
    value = os.environ.get(setting, "")
    if not value:
        return f"{setting} is not set (the {name} plugin's lib/ directory)"
    if not Path(value).is_dir():
        return f"{setting}={value} is not a directory"
    return None


def all_missing() -> list[str]:
    """One line per plugin setting that is missing (the run's header prints them)."""
    return [reason for reason in (missing(n) for n in SETTINGS) if reason]


def need_plugin(ctx: Ctx, *names: str) -> None:
    """Skip the case, naming each missing setting, unless every plugin in ``names`` is there."""
    from .harness import Skip

    reasons = [r for r in (missing(n) for n in names) if r]
    if reasons:
        raise Skip("; ".join(reasons))
    ctx.need_python_worker()
