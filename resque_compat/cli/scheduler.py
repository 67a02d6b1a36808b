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
    run_scheduler(resque.store, resque, ss, schedule, performers)


def _json_args(values: tuple[str, ...]) -> list[Any]:
    import json

    try:
        return [json.loads(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(f"each argument is one JSON value: {exc}") from exc


def _when(ts: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


@click.group("delayed")
def delayed() -> None:
    """resque-scheduler's delayed queue: list, show, remove, enqueue-now."""


@delayed.command("list")
@click.option("--start", default=0, show_default=True, help="First timestamp (0 = the soonest).")
@click.option("--count", default=20, show_default=True, help="How many timestamps.")
@click.pass_context
def delayed_list(ctx: click.Context, start: int, count: int) -> None:
    """Timestamps with their job counts (a window of delayed_queue_schedule)."""
    resque = connect(ctx)
    stamps = resque.delayed_queue_peek(start, count)
    sizes = resque.delayed_store.timestamp_sizes(stamps)
    for ts, size in zip(stamps, sizes, strict=True):
        click.echo(f"{ts}\t{_when(ts)}\t{size}")
    total = resque.delayed_queue_schedule_size()
    click.echo(f"{len(stamps)} of {total} timestamps", err=True)


@delayed.command("show")
@click.argument("timestamp", type=int)
@click.option("--start", default=0, show_default=True)
@click.option("--count", default=50, show_default=True)
@click.pass_context
def delayed_show(ctx: click.Context, timestamp: int, start: int, count: int) -> None:
    """The items of one timestamp, raw."""
    for raw in connect(ctx).delayed_store.timestamp_items(timestamp, start, count):
        click.echo(raw.decode("utf-8", "backslashreplace"))


@delayed.command("remove")
@click.argument("job_class")
@click.argument("args", nargs=-1)
@click.option("--queue", help="The queue the item names (remove_delayed_in_queue); default: none.")
@click.option("--timestamp", type=int, help="Only from this timestamp (remove_delayed_job_from_timestamp).")
@click.pass_context
def delayed_remove(
    ctx: click.Context, job_class: str, args: tuple[str, ...], queue: str | None, timestamp: int | None
) -> None:
    """Remove delayed JOB_CLASS jobs with exactly these ARGS (JSON values)."""
    resque = connect(ctx)
    values = _json_args(args)
    if timestamp is not None:
        count = resque.remove_delayed_job_from_timestamp(timestamp, job_class, *values)
    else:
        count = resque.remove_delayed_in_queue(job_class, queue, *values)
    click.echo(f"removed {count}")


@delayed.command("enqueue-now")
@click.argument("job_class", required=False)
@click.argument("args", nargs=-1)
@click.option("--queue", help="The queue the item names.")
@click.option("--timestamp", type=int, help="Every job of this timestamp instead.")
@click.pass_context
def delayed_enqueue_now(
    ctx: click.Context, job_class: str | None, args: tuple[str, ...], queue: str | None, timestamp: int | None
) -> None:
    """Enqueue delayed jobs now: JOB_CLASS with ARGS (enqueue_delayed), or a whole --timestamp."""
    resque = connect(ctx)
    if timestamp is not None:
        count = sum(
            resque.enqueue_delayed_item(raw) for raw in resque.delayed_store.timestamp_items(timestamp)
        )
    elif job_class:
        count = resque.enqueue_delayed_with_queue(job_class, queue, *_json_args(args))
    else:
        raise click.UsageError("name a JOB_CLASS (and ARGS) or give --timestamp")
    click.echo(f"enqueued {count}")


@click.group("schedule")
def schedule() -> None:
    """Recurring schedules: list, next, set, remove."""


@schedule.command("list")
@click.option("--schedule", "schedule_file", type=click.Path(), help="Also the schedules of this file.")
@click.pass_context
def schedule_list(ctx: click.Context, schedule_file: str | None) -> None:
    """Every schedule (the file's and persistent_schedules) with its interval and last run."""
    import json

    resque = connect(ctx)
    configs = load_schedule_file(schedule_file) if schedule_file else {}
    configs.update(resque.all_schedules())
    for name, config in sorted(configs.items()):
        last = resque.get_last_enqueued_at(name) or "-"
        interval = config.get("cron") or config.get("every") if isinstance(config, dict) else None
        click.echo(f"{name}\t{json.dumps(interval)}\t{json.dumps(config)}\tlast: {last}")


@schedule.command("next")
@click.argument("schedule_file", type=click.Path(exists=True))
@click.option("-n", "count", default=3, show_default=True, help="Runs per schedule.")
def schedule_next(schedule_file: str, count: int) -> None:
    """The next run times of every schedule of a file (checks it as rufus-scheduler reads it)."""
    from datetime import datetime, timezone

    from ..protocol.cron import ScheduleSyntaxError
    from ..protocol.schedule import load_recurring

    try:
        configs = load_schedule_file(schedule_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    bad = 0
    for name, config in configs.items():
        try:
            job = load_recurring(name, config)
        except ScheduleSyntaxError as exc:
            click.echo(f"{name}\terror: {exc}")
            bad += 1
            continue
        if job is None:
            click.echo(f"{name}\tno cron / every: skipped")
            continue
        now = datetime.now(timezone.utc)
        job.start(now)
        runs = []
        for _ in range(count):
            assert job.next_at is not None
            runs.append(job.next_at.isoformat(timespec="seconds"))
            job.advance(job.next_at)
        click.echo(f"{name}\t{job.kind} {job.text}\t" + "  ".join(runs))
    if bad:
        raise SystemExit(1)


@schedule.command("set")
@click.argument("name")
@click.argument("config")
@click.pass_context
def schedule_set(ctx: click.Context, name: str, config: str) -> None:
    """Set a persistent schedule (CONFIG: a JSON object with cron/every, class, queue, args)."""
    import json

    from ..protocol.cron import ScheduleSyntaxError
    from ..protocol.schedule import load_recurring

    try:
        parsed = json.loads(config)
        if load_recurring(name, parsed) is None:
            raise click.BadParameter("a schedule needs cron or every")
    except (ValueError, ScheduleSyntaxError) as exc:
        raise click.BadParameter(str(exc)) from exc
    connect(ctx).set_schedule(name, {**parsed, "persist": True})


@schedule.command("remove")
@click.argument("name")
@click.pass_context
def schedule_remove(ctx: click.Context, name: str) -> None:
    """Remove a schedule from persistent_schedules (a dynamic scheduler drops it)."""
    connect(ctx).remove_schedule(name)


def register(group: click.Group) -> None:
    group.add_command(scheduler)
    group.add_command(delayed)
    group.add_command(schedule)
