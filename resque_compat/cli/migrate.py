"""``resque-compat inventory | move | doctor | route``: the tools for moving job classes from Ruby to
Python one at a time (see docs/migration.md). ``inventory`` and ``move`` are here, ``doctor`` and
``route`` in their own modules; tables for people, ``--json`` for scripts (``output.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from rich.console import Console

from ..errors import ConfigError, DecodeError
from ..migrate import access
from ..migrate.inventory import DEFAULT_BATCH, Inventory, plan_lists, take_inventory
from ..migrate.move import DEFAULT_BATCH as MOVE_BATCH
from ..migrate.move import MoveReport, Selector, Source, run_move
from ..protocol import decode
from ..runtime.app import load_app
from .common import EXIT_FAILURE, connect
from .doctor import doctor
from .output import echo_json, new_table, progress
from .route import route


def _performers(apps: tuple[str, ...]) -> Mapping[str, Any] | None:
    if not apps:
        return None
    try:
        return load_app(apps).performers
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


APP_OPTION = click.option(
    "--app", "-a", "apps", multiple=True, help="Module (or module:attr) with your performers, as for `work`."
)


# --- inventory ---------------------------------------------------------------------------------


@click.command()
@APP_OPTION
@click.option("--queue", "-q", "queues", multiple=True, help="Only these queues (default: all).")
@click.option("--no-failed", is_flag=True, help="Leave the failed lists out.")
@click.option("--no-delayed", is_flag=True, help="Leave resque-scheduler's delayed jobs out.")
@click.option("--batch", default=DEFAULT_BATCH, show_default=True, help="Entries read per LRANGE.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def inventory(ctx: click.Context, /, **opts: Any) -> None:
    """Jobs per class in every queue and failed list, and which classes Python can run."""
    performers = _performers(opts["apps"])
    store = access(connect(ctx))
    lists = plan_lists(
        store, list(opts["queues"]) or None, failed=not opts["no_failed"], delayed=not opts["no_delayed"]
    )
    with progress(sum(r.length for r in lists), "reading", opts["as_json"]) as advance:
        result = take_inventory(
            store, lists, performers=performers, batch=max(1, opts["batch"]), advance=advance
        )
    if opts["as_json"]:
        echo_json(result.to_json())
    else:
        _print_inventory(result)


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]?[/]"}[value]


def _print_inventory(result: Inventory) -> None:
    console = Console()
    summary = new_table("class", "via", "queued", "failed", "delayed", "lists", "Python performer",
                     numeric=("queued", "failed", "delayed"), title="Job classes")  # fmt: skip
    for row in result.classes():
        via = "ActiveJob" if row["active_job"] else ""
        lists = ", ".join(dict.fromkeys(row["lists"]))
        summary.add_row(
            row["class"],
            via,
            str(row["queued"]),
            str(row["failed"]),
            str(row["delayed"]),
            lists,
            _mark(row["python_performer"]),
        )
    console.print(summary)
    for tally in result.lists:
        if not tally.classes:
            continue
        ref = tally.ref
        note = "" if ref.registered else " [yellow](not in `queues`: run doctor)[/]"
        title = f"{ref.key}: {tally.scanned} of {ref.length}{note}"
        table = new_table("class", "count", "first", "last", "oldest", "newest",
                       numeric=("count", "first", "last"), title=title)  # fmt: skip
        for (name, aj), t in sorted(tally.classes.items(), key=lambda kv: -kv[1].count):
            label = f"{name} [dim](ActiveJob)[/]" if aj else name
            table.add_row(
                label, str(t.count), str(t.first_index), str(t.last_index), t.oldest or "", t.newest or ""
            )
        console.print(table)
    if result.coverage.plain is None:
        console.print("[dim]Give --app <module> to see which classes have a Python performer.[/]")


# --- move --------------------------------------------------------------------------------------


@click.command()
@click.option("--from", "from_queue", metavar="QUEUE", help="Take jobs from this queue.")
@click.option(
    "--from-failed", "from_failed", metavar="LIST", is_flag=False, flag_value="failed",
    help="Take failures from a failed list (default list: failed; multi-queue: <queue>_failed).",
)  # fmt: skip
@click.option(
    "--from-delayed", is_flag=True, help="Re-target resque-scheduler's delayed jobs (with --class and --to)."
)
@click.option(
    "--to", "to_queue", metavar="QUEUE", help="Destination queue (failures: default is their own queue)."
)
@click.option("--class", "classes", multiple=True, help="Ruby class (ActiveJob: the job class); repeatable.")
@click.option("--args", "args_json", metavar="JSON", help="Only jobs whose arguments equal this JSON array.")
@click.option("--grep", metavar="TEXT", help="Only jobs whose stored payload contains TEXT.")
@click.option(
    "--exception", "exceptions", multiple=True, help="Only failures with this exception; repeatable."
)
@click.option("--limit", type=int, help="Move at most this many jobs.")
@click.option("--batch", default=MOVE_BATCH, show_default=True, help="Jobs per atomic batch.")
@click.option("--dry-run", is_flag=True, help="Show what would move; move nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def move(ctx: click.Context, /, **opts: Any) -> None:
    """Move jobs of chosen classes between queues, or failures back onto a queue.

    Atomic per job: a job is always in exactly one list, even if this process is killed.
    Interrupted? Run the same command again; what moved is no longer in the source.
    """
    if opts.pop("from_delayed"):
        _move_delayed(ctx, opts)
        return
    if bool(opts["from_queue"]) == bool(opts["from_failed"]):
        raise click.UsageError("give exactly one of --from QUEUE, --from-failed [LIST] or --from-delayed")
    if opts["from_queue"] and not opts["to_queue"]:
        raise click.UsageError("--to QUEUE is required when moving from a queue")
    if opts["from_queue"] and opts["exceptions"]:
        raise click.UsageError("--exception selects failures: use it with --from-failed")
    source = Source(opts["from_failed"], failed=True) if opts["from_failed"] else Source(opts["from_queue"])
    selector = Selector(
        classes=frozenset(opts["classes"]),
        args=_json_array(opts["args_json"]),
        grep=opts["grep"].encode() if opts["grep"] else None,
        exceptions=frozenset(opts["exceptions"]),
    )
    resque = connect(ctx)
    store = access(resque)
    total = store.list_length(source.key)
    try:
        with progress(total, "moving" if not opts["dry_run"] else "reading", opts["as_json"]) as advance:
            report = run_move(
                store,
                source,
                selector,
                opts["to_queue"],
                profile=resque.profile,
                batch=max(1, opts["batch"]),
                limit=opts["limit"],
                dry_run=opts["dry_run"],
                advance=advance,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if opts["as_json"]:
        echo_json(report.to_json())
    else:
        _print_move(report)
    if report.skipped:
        ctx.exit(EXIT_FAILURE)


def _move_delayed(ctx: click.Context, opts: dict[str, Any]) -> None:
    from ..migrate.move_delayed import move_delayed

    if not opts["to_queue"] or not opts["classes"] or opts["from_queue"] or opts["from_failed"]:
        raise click.UsageError("--from-delayed takes --class CLASS and --to QUEUE (and no --from)")
    resque = connect(ctx)
    report = move_delayed(
        resque.delayed_store,
        frozenset(opts["classes"]),
        opts["to_queue"],
        args=_json_array(opts["args_json"]),
        profile=resque.profile,
        dry_run=opts["dry_run"],
    )
    if opts["as_json"]:
        echo_json(report.to_json())
    else:
        verb, count = (
            ("would re-target", report.matched) if opts["dry_run"] else ("re-targeted", report.moved)
        )
        click.echo(f"{verb} {count} delayed job(s) to {opts['to_queue']}")
        if report.skipped:
            click.echo(f"{report.skipped} changed meanwhile (moved by a scheduler?) and were left alone")
    if report.skipped:
        ctx.exit(EXIT_FAILURE)


def _json_array(text: str | None) -> list[Any] | None:
    if text is None:
        return None
    try:
        value = decode(text)
    except DecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.reason}", param_hint="--args") from None
    if not isinstance(value, list):
        raise click.BadParameter("must be a JSON array", param_hint="--args")
    return value


def _print_move(report: MoveReport) -> None:
    console = Console()
    verb = "would move" if report.dry_run else "moved"
    console.print(f"{report.source.key}: {verb} {report.total} job(s), {report.scanned} read")
    table = new_table("class", "to", "count", numeric=("count",))
    for (cls, queue), n in sorted(report.moved.items()):
        table.add_row(cls, queue, str(n))
    if report.moved:
        console.print(table)
    for sample in report.samples[:5] if report.dry_run else []:
        click.echo(f"  #{sample.index} -> {sample.queue}: {sample.out.decode('utf-8', 'replace')[:120]}")
    if report.vanished:
        console.print(f"{report.vanished} selected job(s) were taken by workers before they could move")
    for skip in report.skipped:
        console.print(f"[yellow]skipped[/] #{skip.index} {skip.label}: {skip.reason}")


# --- doctor ------------------------------------------------------------------------------------


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(inventory)
    group.add_command(move)
    group.add_command(doctor)
    group.add_command(route)
