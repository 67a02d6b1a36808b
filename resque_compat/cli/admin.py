"""``resque-compat`` subcommands for the client and admin side: enqueue, queues, peek,
remove-queue, destroy, info, stats and failures."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import ResqueError
from ..failure import FailureEntry
from ..protocol import decode
from .common import connect


def _args(values: tuple[str, ...]) -> list[Any]:
    """Each argument is JSON (``44``, ``'"text"'``, ``'{"a":1}'``); anything else is a string."""
    out: list[Any] = []
    for v in values:
        try:
            out.append(decode(v))
        except ResqueError:
            out.append(v)
    return out


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


@click.command()
@click.argument("queue")
@click.argument("job_class")
@click.argument("args", nargs=-1)
@click.pass_context
def enqueue(ctx: click.Context, queue: str, job_class: str, args: tuple[str, ...]) -> None:
    """Enqueue JOB_CLASS (a Ruby class name) on QUEUE; ARGS are JSON values (Resque.enqueue_to)."""
    try:
        connect(ctx).enqueue_to(queue, job_class, *_args(args))
    except ResqueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def queues(ctx: click.Context, as_json: bool) -> None:
    """Every queue with its size (Resque.queue_sizes); paused ones (resque-pause) are marked."""
    if ctx.invoked_subcommand is not None:
        return
    resque = connect(ctx)
    sizes = resque.queue_sizes()
    paused = resque.pauses.paused_queues(list(sizes))
    if as_json:
        _print_json(sizes)
        return
    for name, size in sizes.items():
        click.echo(f"{name}\t{size}" + ("\tpaused" if paused.get(name) else ""))
    if resque.pauses.global_paused():
        click.echo(f"every queue is paused ({resque.pauses.global_key})")


def _pause_command(pause: bool) -> click.Command:
    verb = "pause" if pause else "unpause"

    @click.command(verb)
    @click.argument("names", nargs=-1)
    @click.option("--all", "every", is_flag=True, help="The global pause key (every queue).")
    @click.pass_context
    def command(ctx: click.Context, names: tuple[str, ...], every: bool) -> None:
        if not names and not every:
            raise click.UsageError(f"name the queues to {verb}, or give --all")
        store = connect(ctx).pauses
        for name in names:
            store.pause(name) if pause else store.unpause(name)
        if every:
            store.global_pause() if pause else store.global_unpause()

    command.help = (
        f"{verb.capitalize()} queues as resque-pause does (ResquePauseHelper.{verb}; --all: "
        f"global_{verb}): Ruby and Python workers {'skip' if pause else 'take jobs from'} them."
    )
    return command


queues.add_command(_pause_command(True))
queues.add_command(_pause_command(False))


@click.command()
@click.argument("queue")
@click.option("--start", default=0, show_default=True)
@click.option("--count", default=10, show_default=True)
@click.pass_context
def peek(ctx: click.Context, queue: str, start: int, count: int) -> None:
    """Print jobs of QUEUE as stored, one per line (Resque.peek)."""
    for job in connect(ctx).peek_jobs(queue, start, count):
        click.echo(job.raw.decode("utf-8", "replace"))


@click.command("remove-queue")
@click.argument("queue")
@click.pass_context
def remove_queue(ctx: click.Context, queue: str) -> None:
    """Delete QUEUE and its jobs (Resque.remove_queue)."""
    connect(ctx).remove_queue(queue)


@click.command()
@click.argument("queue")
@click.argument("job_class")
@click.argument("args", nargs=-1)
@click.pass_context
def destroy(ctx: click.Context, queue: str, job_class: str, args: tuple[str, ...]) -> None:
    """Remove jobs of JOB_CLASS (with exactly ARGS, if given) from QUEUE (Resque::Job.destroy)."""
    click.echo(connect(ctx).destroy(queue, job_class, *_args(args)))


@click.command()
@click.pass_context
def info(ctx: click.Context) -> None:
    """Resque.info as JSON."""
    _print_json(connect(ctx).info())


@click.group()
def failures() -> None:
    """List, requeue and remove failed jobs (Resque::Failure)."""


def _entry_line(entry: FailureEntry) -> str:
    if entry.record is None:
        return f"{entry.index}\tunreadable ({entry.error})\t{entry.raw.decode('utf-8', 'replace')}"
    r = entry.record
    return f"{entry.index}\t{r.get('failed_at')}\t{entry.class_name}\t{r.get('exception')}: {r.get('error')}"


@failures.command("list")
@click.option("--queue", help="A failed queue (multi-queue backend), e.g. low_failed.")
@click.option("--start", default=0, show_default=True)
@click.option("--count", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def failures_list(ctx: click.Context, queue: str | None, start: int, count: int, as_json: bool) -> None:
    """Failures from START, oldest first, with their index."""
    entries = connect(ctx).failure.all(start, count, queue)
    for e in entries:
        if as_json:
            _print_json({"index": e.index, "record": e.record, "raw": e.raw.decode("utf-8", "replace")})
        else:
            click.echo(_entry_line(e))


@failures.command("count")
@click.option("--queue")
@click.option("--class", "class_name")
@click.pass_context
def failures_count(ctx: click.Context, queue: str | None, class_name: str | None) -> None:
    """How many failures (Failure.count)."""
    click.echo(connect(ctx).failure.count(queue, class_name))


@failures.command("requeue")
@click.argument("index", type=int, required=False)
@click.option("--all", "all_", is_flag=True, help="Requeue every failure (Failure.requeue_all).")
@click.option("--queue")
@click.pass_context
def failures_requeue(ctx: click.Context, index: int | None, all_: bool, queue: str | None) -> None:
    """Requeue the failure at INDEX, or all of them."""
    backend = connect(ctx).failure
    if all_:
        backend.requeue_all()
    elif index is None:
        raise click.UsageError("give an INDEX or --all")
    else:
        backend.requeue(index, queue)


@failures.command("remove")
@click.argument("index", type=int)
@click.option("--queue")
@click.pass_context
def failures_remove(ctx: click.Context, index: int, queue: str | None) -> None:
    """Remove the failure at INDEX (Failure.remove)."""
    connect(ctx).failure.remove(index, queue)


@failures.command("clear")
@click.option("--queue")
@click.pass_context
def failures_clear(ctx: click.Context, queue: str | None) -> None:
    """Delete every failure (Failure.clear)."""
    connect(ctx).failure.clear(queue)


def register(group: click.Group) -> None:
    """Add the client and admin commands to ``group``."""
    for command in (enqueue, queues, peek, remove_queue, destroy, info, failures):
        group.add_command(command)
