"""``resque-compat work`` (``rake resque:work`` / ``rake resque:workers``), ``resque-compat
workers list|remove|kill`` (Ruby's ``bin/resque``) and ``workers prune`` (``prune_dead_workers``).

Every Resque environment variable works as it does for Ruby (``QUEUE=high,low INTERVAL=0.5
resque-compat work --app myapp.jobs``); options given on the command line win.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import click

from ..client import Resque
from ..config.worker import WorkerSettings, split_queues
from ..errors import ConfigError, NoQueueError
from ..runtime.app import load_app
from ..runtime.pruning import heartbeat_ages, prune
from ..runtime.registry import kill_worker, remove_worker
from ..runtime.supervisor import prepare, supervise
from ..runtime.worker import Worker
from .common import EXIT_FAILURE, EXIT_USAGE, connect, settings


@click.command("work")
@click.option(
    "--app", "-a", "apps", multiple=True, help="Module (or module:attr) with performers; repeatable."
)
@click.option("--queue", "-q", "queue", help="Queue spec, as QUEUE: critical,high,* or !low.")
@click.option("--count", "-c", type=int, help="Run this many workers (COUNT).")
@click.option("--interval", "-i", type=float, help="Polling interval in seconds (INTERVAL).")
@click.option("--blocking/--polling", default=None, help="Wait with BLPOP instead of polling.")
@click.option("--fork/--no-fork", "fork_per_job", default=None, help="Fork per job (FORK_PER_JOB).")
@click.option(
    "--unknown-class", type=click.Choice(["fail", "requeue"]), help="What to do with jobs nobody registered."
)
@click.option(
    "--failure-backend", "failure_backends", multiple=True, help="redis, redis_multi_queue or module:attr."
)
@click.pass_context
def work(ctx: click.Context, /, apps: tuple[str, ...], queue: str | None, **options: Any) -> None:
    """Run a Resque worker that Ruby's tools cannot tell from a Ruby one."""
    conn = settings(ctx)
    try:
        ws = WorkerSettings.from_env(
            queues=split_queues(queue) if queue else None,
            failure_backends=options.pop("failure_backends") or None,
            **{k: v for k, v in options.items() if v is not None},
        )
        if apps:
            ws = WorkerSettings.from_env(**{**_fields(ws), "apps": ws.apps + apps})
        ws.require_queues()
        app = load_app(ws.apps)
    except NoQueueError:
        raise click.UsageError("set QUEUE env var, e.g. $ QUEUE=critical,high resque-compat work") from None
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if ws.count < 1:
        raise click.UsageError("COUNT must be at least 1")

    def run_one() -> int:
        worker = Worker.from_client(
            Resque.from_settings(conn, registry=app.performers), app.performers, ws, app.hooks
        )
        return worker.work()

    prepare(ws.background, ws.pidfile)
    code = run_one() if ws.count == 1 else supervise(ws.count, run_one)
    sys.exit(code)


def _fields(ws: WorkerSettings) -> dict[str, Any]:
    return {name: getattr(ws, name) for name in ws.__dataclass_fields__}


@click.group("workers")
def workers() -> None:
    """List, remove or kill registered workers (Ruby's ``bin/resque``)."""


@workers.command("list")
@click.pass_context
def list_workers(ctx: click.Context) -> None:
    """Print ``<id> (idle|working)`` for every registered worker, or ``None``."""
    resque = connect(ctx)
    ids = resque.workers()
    if not ids:
        click.echo("None")
    for worker_id in ids:
        click.echo(f"{worker_id} ({resque.worker_state(worker_id)})")


@workers.command("remove")
@click.argument("worker_id")
@click.pass_context
def remove(ctx: click.Context, worker_id: str) -> None:
    """Unregister WORKER_ID (its job in flight becomes a DirtyExit failure)."""
    resque = connect(ctx)
    if not remove_worker(
        resque.worker_registry, resque.failure, {}, worker_id, lambda m: click.echo(m, err=True)
    ):
        click.echo(f"** no worker {worker_id}", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(f"** removed {worker_id}")


@workers.command("kill")
@click.argument("worker_id")
@click.pass_context
def kill(ctx: click.Context, worker_id: str) -> None:
    """KILL WORKER_ID's process (on this host) and unregister it."""
    resque = connect(ctx)
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    outcome = kill_worker(resque.worker_registry, resque.failure, {}, worker_id, socket.gethostname(), log)
    click.echo(f"** {outcome}")
    click.echo(f"** removed {worker_id}")


@workers.command("prune")
@click.option("--queue", "-q", "queue", default="*", show_default=True, help="The queue set to prune for.")
@click.option("--app", "-a", "apps", multiple=True, help="Module with performers whose on_failure hooks run.")
@click.pass_context
def prune_command(ctx: click.Context, queue: str, apps: tuple[str, ...]) -> None:
    """Prune dead workers now, as Ruby's ``Worker#prune_dead_workers`` (a worker's start-up) does.

    Workers whose heartbeat is older than RESQUE_PRUNE_INTERVAL (300 s), on any host, and
    workers registered on this host for the same queues (any, with ``*``) whose process is
    gone. Nothing happens while the ``pruning_dead_workers_in_progress`` lock is held (up to
    RESQUE_HEARTBEAT_INTERVAL, 60 s, after a worker started or another prune)."""
    try:
        ws = WorkerSettings.from_env(queues=split_queues(queue))
        queues = ws.require_queues()
        performers = load_app(ws.apps + apps).performers if (ws.apps or apps) else {}
    except (ConfigError, NoQueueError) as exc:
        raise click.UsageError(str(exc)) from None
    pruned = prune(
        connect(ctx),
        queues,
        performers=performers,
        heartbeat_interval=ws.heartbeat_interval,
        prune_interval=ws.prune_interval,
        log=lambda m: click.echo(m, err=True),
    )
    if pruned is None:
        click.echo(
            "** another worker or prune holds pruning_dead_workers_in_progress; nothing pruned", err=True
        )
        sys.exit(EXIT_FAILURE)
    for worker_id in pruned:
        click.echo(f"** pruned {worker_id}")
    if not pruned:
        click.echo("** no dead workers")


@workers.command("alive")
@click.option("--max-age", type=float, default=180.0, show_default=True, help="Seconds.")
@click.option("--host", help="The workers' host name (default: this host's).")
@click.pass_context
def alive(ctx: click.Context, max_age: float, host: str | None) -> None:
    """Exit 0 while a worker of this host has a heartbeat younger than --max-age (a liveness
    probe for a container whose worker heartbeats every RESQUE_HEARTBEAT_INTERVAL)."""
    resque = connect(ctx)
    prefix = f"{host or socket.gethostname()}:"
    fresh = {
        w: age
        for w, age in heartbeat_ages(resque.worker_registry).items()
        if w.startswith(prefix) and age < max_age
    }
    for worker_id, age in sorted(fresh.items()):
        click.echo(f"** {worker_id} heartbeat {age} s ago")
    if not fresh:
        click.echo(f"** no worker of {prefix[:-1]} with a heartbeat younger than {max_age:g} s", err=True)
        sys.exit(EXIT_FAILURE)


def register(group: click.Group) -> None:
    """Add ``work`` and ``workers`` to ``group``."""
    group.add_command(work)
    group.add_command(workers)


__all__ = ["EXIT_USAGE", "register"]
