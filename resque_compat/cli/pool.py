"""``resque-compat pool``: resque-pool's ``resque-pool`` command for Python workers. Moving a
pool from Ruby is one edited line in a Procfile or unit: ``resque-pool -c config/resque-pool.yml``
becomes ``resque-compat pool --app myapp.jobs -c config/resque-pool.yml``."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..client import Resque
from ..config.pool import PoolSettings, load_pool_config
from ..config.worker import WorkerSettings, split_queues
from ..errors import ConfigError
from ..runtime.app import load_app
from ..runtime.pool import Pool
from ..runtime.worker import Worker
from .common import settings


@click.command("pool")
@click.option("--app", "apps", multiple=True, help="Module (or module:attr) with performers; repeatable.")
@click.option("-c", "--config", help="Alternate path to config file (RESQUE_POOL_CONFIG).")
@click.option("-a", "--appname", help="Alternate appname (default: the directory's name).")
@click.option("-E", "--environment", help="Set RAILS_ENV/RACK_ENV/RESQUE_ENV.")
@click.option("-s", "--spawn-delay", type=int, help="Delay in milliseconds between spawning missing workers.")
@click.option(
    "--term-graceful-wait",
    "term",
    flag_value="graceful_worker_shutdown_and_wait",
    help="On TERM, wait for workers to shut down gracefully.",
)
@click.option(
    "--term-graceful",
    "term",
    flag_value="graceful_worker_shutdown",
    help="On TERM, shut down workers gracefully.",
)
@click.option(
    "--term-immediate", "term", flag_value="", help="On TERM, shut down workers immediately (default)."
)
@click.option(
    "--single-process-group", is_flag=True, help="Workers remain in the same process group as the master."
)
@click.option(
    "--handle-winch", is_flag=True, help="WINCH stops every worker (resque-pool does this when daemonized)."
)
@click.pass_context
def pool(ctx: click.Context, /, apps: tuple[str, ...], **options: Any) -> None:
    """Keep so many workers per queue list, as resque-pool.yml says."""
    conn = settings(ctx)
    try:
        ps = PoolSettings.from_env(
            config=options["config"],
            app_name=options["appname"],
            environment=options["environment"],
            term=options["term"],
            single_process_group=options["single_process_group"],
            handle_winch=options["handle_winch"],
            spawn_delay_ms=options["spawn_delay"],
        )
        base = WorkerSettings.from_env()
        app = load_app(base.apps + apps)
        config = load_pool_config(ps.config_path, ps.environment)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    first = [config]

    def load() -> dict[str, int]:
        # The first read is the one above; HUP reads the file again.
        return first.pop() if first else load_pool_config(ps.config_path, ps.environment)

    def run_worker(queues: str) -> int:
        ws = base.with_queues(split_queues(queues))
        return Worker.from_client(
            Resque.from_settings(conn, registry=app.performers), app.performers, ws, app.hooks
        ).work()

    try:
        manager = Pool(ps, load, run_worker)
        manager.log(f"Resque Pool running in {ps.environment or 'development'} environment")
        manager.start().join()
    except ConfigError as exc:
        click.echo(f"resque-compat pool: {exc}", err=True)
        sys.exit(1)


def register(group: click.Group) -> None:
    group.add_command(pool)
