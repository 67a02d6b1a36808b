"""``resque-compat inventory | move | doctor | route``: the tools for moving job classes from Ruby to
Python one at a time (see docs/migration.md). Tables for people (rich, progress on stderr),
``--json`` for scripts."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..admin import Admin
from ..admin.workers import queue_watchers
from ..errors import ConfigError, DecodeError
from ..failure import RedisMultiQueueFailure
from ..migrate import access, doctor_delayed, doctor_plugins, doctor_run, routing
from ..migrate.doctor import Finding, examine
from ..migrate.doctor_run import RepairReport
from ..migrate.inventory import DEFAULT_BATCH, Inventory, plan_lists, take_inventory
from ..migrate.move import DEFAULT_BATCH as MOVE_BATCH
from ..migrate.move import MoveReport, Selector, Source, run_move
from ..protocol import decode
from ..runtime.app import load_app
from .common import EXIT_FAILURE, connect


def _performers(apps: tuple[str, ...]) -> Mapping[str, Any] | None:
    if not apps:
        return None
    try:
        return load_app(apps).performers
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _progress(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal or ``quiet``)."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield lambda n: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _table(*columns: str, numeric: tuple[str, ...] = (), **kwargs: Any) -> Table:
    table = Table(title_justify="left", **kwargs)
    for col in columns:
        table.add_column(col, justify="right" if col in numeric else "left", overflow="fold")
    return table


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
    with _progress(sum(r.length for r in lists), "reading", opts["as_json"]) as advance:
        result = take_inventory(
            store, lists, performers=performers, batch=max(1, opts["batch"]), advance=advance
        )
    if opts["as_json"]:
        _echo_json(result.to_json())
    else:
        _print_inventory(result)


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]?[/]"}[value]


def _print_inventory(result: Inventory) -> None:
    console = Console()
    summary = _table("class", "via", "queued", "failed", "delayed", "lists", "Python performer",
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
        table = _table("class", "count", "first", "last", "oldest", "newest",
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
        with _progress(total, "moving" if not opts["dry_run"] else "reading", opts["as_json"]) as advance:
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
        _echo_json(report.to_json())
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
        _echo_json(report.to_json())
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
    table = _table("class", "to", "count", numeric=("count",))
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

_COLOURS = {"error": "red", "warning": "yellow", "info": "dim"}


@click.command()
@click.option("--repair", is_flag=True, help="Repair what can be repaired safely (copies kept).")
@click.option("--no-payloads", is_flag=True, help="Skip reading every queue and failed list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def doctor(ctx: click.Context, repair: bool, no_payloads: bool, as_json: bool) -> None:
    """Find what breaks Ruby's tools; with --repair, fix what is safe to fix.

    Exits 1 while errors remain. Whatever a repair removes is kept: unreadable jobs go to the
    failed list with their raw text, everything else to the list resque-compat:removed.
    """
    resque = connect(ctx)
    store = access(resque)
    snap = doctor_run.snapshot(store)
    findings = examine(snap) + doctor_plugins.findings(resque)
    if not no_payloads:
        with _progress(doctor_run.list_total(store, snap), "reading", as_json) as advance:
            findings += doctor_run.scan_lists(store, snap, advance)
        findings += doctor_delayed.scan_delayed(resque.delayed_store)
    fixed = None
    if repair:
        multi = isinstance(resque.failure, RedisMultiQueueFailure)
        fixed = doctor_run.repair(store, findings, resque.profile, multi)
        doctor_plugins.repair(resque, store, findings, fixed)
    remaining = _remaining_errors(findings, fixed)
    if as_json:
        _echo_json(_doctor_json(findings, fixed))
    else:
        _print_doctor(findings, fixed)
    if remaining:
        ctx.exit(EXIT_FAILURE)


def _remaining_errors(findings: list[Finding], fixed: RepairReport | None) -> int:
    errors = [f for f in findings if f.severity == "error"]
    if fixed is None:
        return len(errors)
    missed = {id(f) for f, _ in fixed.missed}
    return sum(1 for f in errors if f.repair is None or id(f) in missed)


def _doctor_json(findings: list[Finding], fixed: RepairReport | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "findings": [
            {"check": f.check, "severity": f.severity, "key": f.key, "detail": f.detail, "repair": f.repair}
            for f in findings
        ]
    }
    if fixed is not None:
        out["repaired"] = dict(fixed.repaired)
        out["not_repaired"] = [{"check": f.check, "key": f.key, "reason": why} for f, why in fixed.missed]
        out["copied"] = fixed.copied
    return out


def _print_doctor(findings: list[Finding], fixed: RepairReport | None) -> None:
    console = Console()
    if not findings:
        console.print("[green]Nothing found that breaks Ruby's tools.[/]")
        return
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.severity, f.check, f.key), []).append(f)
    table = _table("severity", "check", "key", "count", "detail", "repair", numeric=("count",))
    order = {"error": 0, "warning": 1, "info": 2}
    for (severity, check, key), group in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1:])):
        detail = group[0].detail + (f" (and {len(group) - 1} more)" if len(group) > 1 else "")
        colour = _COLOURS[severity]
        table.add_row(f"[{colour}]{severity}[/]", check, key, str(len(group)), detail, group[0].repair or "")
    console.print(table)
    if fixed is None:
        if any(f.repair for f in findings):
            console.print("Run with --repair to apply the repairs listed.")
        return
    for check, n in sorted(fixed.repaired.items()):
        console.print(f"[green]repaired[/] {check}: {n}")
    for f, why in fixed.missed:
        console.print(f"[yellow]not repaired[/] {f.check} {f.key}: {why}")
    if fixed.copied:
        console.print(f"{fixed.copied} removed value(s) copied to {doctor_run.COPY_LIST}")


# --- route -------------------------------------------------------------------------------------


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
    workers = Admin(resque).workers()
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
        _echo_json(rows)
        return
    out = _table("class", "from (Ruby)", "to (Python)", "workers on to")
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


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(inventory)
    group.add_command(move)
    group.add_command(doctor)
    group.add_command(route)
