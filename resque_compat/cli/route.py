"""``resque-compat route``: send chosen classes to Python-only queues, and back to Ruby in one
step (see docs/migration.md)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import click
from rich.console import Console

from ..admin import Admin
from ..admin.workers import queue_watchers
from ..migrate import access, routing
from .common import connect
from .output import echo_json, new_table


@click.group()
def route() -> None:
    """Send chosen classes to Python-only queues, and back to Ruby in one step."""


@route.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def route_list(ctx: click.Context, as_json: bool) -> None:
    """The routes, and which workers (by language) take from each queue."""
    resque = connect(ctx)
    table = routing.load(access(resque))
    workers = Admin.from_client(resque).workers()
    specs = {w.id: w.name.queues for w in workers}
    langs = {w.id: w.language for w in workers}

    def listeners(queue: str) -> dict[str, int]:
        return dict(Counter(langs[w] for w in queue_watchers(queue, specs)))

    rows: list[dict[str, Any]] = [
        {"class": r.job_class, "from": r.from_queue, "to": r.to_queue,
         "from_listeners": listeners(r.from_queue), "to_listeners": listeners(r.to_queue)}
        for r in sorted(table.routes.values(), key=lambda r: r.job_class)
    ]  # fmt: skip
    if as_json:
        echo_json(rows)
        return
    out = new_table("class", "from (Ruby)", "to (Python)", "workers on to")
    for row in rows:
        on_to = ", ".join(f"{n} {lang}" for lang, n in sorted(row["to_listeners"].items())) or "none"
        if row["to_listeners"].get("ruby"):
            on_to += " [yellow](a Ruby worker may take these jobs)[/]"
        out.add_row(row["class"], row["from"], row["to"], on_to)
    Console().print(out if rows else "No routes.")


@route.command("add")
@click.argument("job_class")
@click.option("--from", "from_queue", required=True, metavar="QUEUE", help="The queue Ruby enqueues it on.")
@click.option("--to", "to_queue", required=True, metavar="QUEUE", help="The Python-only queue.")
@click.option("--no-move", is_flag=True, help="Only write the route; leave waiting jobs where they are.")
@click.pass_context
def route_add(ctx: click.Context, job_class: str, from_queue: str, to_queue: str, no_move: bool) -> None:
    """Route JOB_CLASS (ActiveJob: the job class) to a Python-only queue; move its waiting jobs."""
    resque = connect(ctx)
    try:
        report = routing.add(access(resque), routing.Route(job_class, from_queue, to_queue),
                             move=not no_move, profile=resque.profile)  # fmt: skip
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    moved = f"; moved {report.total} waiting job(s)" if report else ""
    click.echo(f"{job_class}: {from_queue} -> {to_queue}{moved}")


@route.command("remove")
@click.argument("job_class")
@click.option("--no-move", is_flag=True, help="Only delete the route; leave jobs on the Python queue.")
@click.pass_context
def route_remove(ctx: click.Context, job_class: str, no_move: bool) -> None:
    """Turn JOB_CLASS back to Ruby: delete its route and move its waiting jobs back."""
    resque = connect(ctx)
    found, report = routing.remove(access(resque), job_class, move=not no_move, profile=resque.profile)
    if found is None:
        raise click.ClickException(f"no route for {job_class}")
    moved = f"; moved {report.total} waiting job(s) back" if report else ""
    click.echo(f"{job_class}: back to {found.from_queue}{moved}")


@route.command("sweep")
@click.option("--every", type=float, help="Keep sweeping every this many seconds (until interrupted).")
@click.pass_context
def route_sweep(ctx: click.Context, every: float | None) -> None:
    """Move jobs of routed classes that were enqueued on the Ruby queue anyway."""
    resque = connect(ctx)
    store = access(resque)
    while True:
        for r, report in routing.sweep(store, resque.profile):
            if report.total:
                click.echo(f"{r.job_class}: moved {report.total} from {r.from_queue} to {r.to_queue}")
        if every is None:
            return
        time.sleep(every)
