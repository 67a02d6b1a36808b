"""resque-pool's configuration (``Resque::Pool::ConfigLoaders::FileOrHashLoader``, ``Pool::CLI``).

The file: ``-c PATH``, else ``RESQUE_POOL_CONFIG``, else the first of ``resque-pool.yml`` and
``config/resque-pool.yml`` that exists (none: an empty pool). Entries are
``"queue1,queue2": count``; a section named after the environment (``RACK_ENV``, ``RAILS_ENV``
or ``RESQUE_ENV``, or ``-E``) is merged over the top level, and every other section dropped.
Ruby passes the file through ERB first; here a file with ERB tags is refused with a clear
error rather than read wrongly.

``TERM`` shuts the workers down at once by default; ``--term-graceful-wait`` (also implied by
``TERM_CHILD``) and ``--term-graceful`` as in resque-pool. ``--handle-winch`` makes ``WINCH``
stop every worker (resque-pool turns it on with ``--daemon``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

CONFIG_FILES = ("resque-pool.yml", "config/resque-pool.yml")
TERM_BEHAVIORS = ("", "graceful_worker_shutdown_and_wait", "graceful_worker_shutdown")


@dataclass(frozen=True, slots=True)
class PoolSettings:
    config_path: str | None
    environment: str | None
    app_name: str
    term_behavior: str = ""
    term_child: bool = False
    single_process_group: bool = False
    handle_winch: bool = False
    spawn_delay: float | None = None

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        config: str | None = None,
        app_name: str | None = None,
        environment: str | None = None,
        term: str | None = None,
        single_process_group: bool = False,
        handle_winch: bool = False,
        spawn_delay_ms: int | None = None,
    ) -> PoolSettings:
        """``Pool::CLI#setup_environment`` and ``#set_pool_options``."""
        e = os.environ if env is None else env
        term_child = bool(e.get("TERM_CHILD"))
        behavior = term or ("graceful_worker_shutdown_and_wait" if term_child else "")
        if behavior not in TERM_BEHAVIORS:
            raise ConfigError(f"unknown TERM behaviour {behavior!r}")
        return cls(
            config_path=choose_config_file(config, e),
            environment=environment or e.get("RACK_ENV") or e.get("RAILS_ENV") or e.get("RESQUE_ENV"),
            app_name=app_name if app_name is not None else Path.cwd().name,
            term_behavior=behavior,
            term_child=term_child,
            single_process_group=single_process_group
            or e.get("RESQUE_SINGLE_PGRP", "").lower()
            in ("yes", "y", "true", "t", "1", "okay", "sure", "please"),
            handle_winch=handle_winch,
            spawn_delay=None if spawn_delay_ms is None else spawn_delay_ms / 1000,
        )


def choose_config_file(explicit: str | None, env: Mapping[str, str]) -> str | None:
    """``FileOrHashLoader#config_filename``."""
    if explicit:
        return explicit
    if env.get("RESQUE_POOL_CONFIG"):
        return env["RESQUE_POOL_CONFIG"]
    return next((f for f in CONFIG_FILES if Path(f).exists()), None)


def load_pool_config(path: str | None, environment: str | None) -> dict[str, int]:
    """``FileOrHashLoader#load_config_from_file``: queue lists to worker counts."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read pool config {path}: {exc}") from exc
    if "<%" in text:
        raise ConfigError(f"{path} uses ERB tags, which only Ruby evaluates; write the values out")
    try:
        import yaml
    except ImportError as exc:
        raise ConfigError("reading resque-pool.yml needs PyYAML: pip install 'resque-compat[pool]'") from exc
    try:
        loaded: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} must map queue lists to worker counts")
    config = dict(loaded)
    section = config.get(environment) if environment else None
    if isinstance(section, dict):
        config.update(section)
    counts: dict[str, int] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{path}: {key!r} needs a worker count, not {value!r}")
        counts[str(key)] = value
    return counts
