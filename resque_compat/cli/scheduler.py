"""``resque-compat scheduler``: ``rake resque:scheduler`` / ``resque-scheduler`` in Python.

resque-scheduler's environment variables work as for Ruby (``DYNAMIC_SCHEDULE=1
RESQUE_SCHEDULER_INTERVAL=1 resque-compat scheduler --schedule config/schedule.yml``); options
given on the command line win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config.scheduler import SchedulerSettings
from ..errors import ConfigError
from .common import connect


def load_schedule_file(path: str) -> dict[str, Any]:
    """A resque-scheduler YAML schedule (``Resque.schedule = YAML.load_file(path)``)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the schedule {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(f"{path}: a schedule is a mapping of names to mappings (cron/every, class, ...)")
    return {str(k): v for k, v in data.items()}


@click.command("scheduler")
@click.option("--schedule", "schedule_file", type=click.Path(), help="A resque-scheduler YAML schedule.")
@click.option(
    "--app", "-a", "apps", multiple=True, help="Module with performers whose hooks run; repeatable."
)
@click.option("-n", "--app-name", help="Application name for the process title (APP_NAME).")
@click.option("-B", "--background", is_flag=True, default=None, help="Run in the background (BACKGROUND).")
@click.option("-D", "--dynamic-schedule", "dynamic", is_flag=True, default=None, help="DYNAMIC_SCHEDULE.")
@click.option("-E", "--environment", "env", help="Environment name (RAILS_ENV).")
@click.option("-i", "--interval", "poll_sleep_amount", type=float, help="RESQUE_SCHEDULER_INTERVAL.")
@click.option("-l", "--logfile", help="Log file name (LOGFILE).")
@click.option("-F", "--logformat", type=click.Choice(["text", "json", "logfmt"]), help="LOGFORMAT.")
@click.option("-P", "--pidfile", help="PID file name (PIDFILE).")
@click.option("-q", "--quiet", is_flag=True, default=None, help="QUIET.")
@click.option("-v", "--verbose", is_flag=True, default=None, help="VERBOSE.")
@click.option("--lock-timeout", type=int, help="The master lock's expiry in seconds (LOCK_TIMEOUT).")
@click.pass_context
def scheduler(
    ctx: click.Context, /, schedule_file: str | None, apps: tuple[str, ...], **options: Any
) -> None:
    """Move due delayed jobs and fire recurring schedules, sharing the master lock with Ruby's."""
    from ..runtime.app import load_app
    from ..runtime.scheduler_main import run_scheduler

    try:
        ss = SchedulerSettings.from_env(schedule_file=schedule_file, **options)
        schedule = load_schedule_file(ss.schedule_file) if ss.schedule_file else None
        performers = load_app(apps).performers if apps else {}
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    resque = connect(ctx)
    resque.registry = performers
    run_scheduler(resque, ss, schedule, performers)


def register(group: click.Group) -> None:
    group.add_command(scheduler)
