"""``resque-compat doctor``: find what breaks Ruby's tools and, with ``--repair``, fix what is
safe to fix (see docs/migration.md)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ..failure import RedisMultiQueueFailure
from ..migrate import access, doctor_delayed, doctor_plugins, doctor_run
from ..migrate.doctor import WRONG_TYPE_CHECKS, Finding, examine
from ..migrate.doctor_run import RepairReport
from ..protocol.keys import queue_key
from .common import EXIT_FAILURE, connect
from .output import echo_json, new_table, progress

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
    unreadable = {**snap.unreadable, **{queue_key(q): t for q, t in snap.queue_keys.items() if t != "list"}}
    findings = examine(snap) + doctor_plugins.findings(resque.store, resque.profile, unreadable)
    if not no_payloads:
        with progress(doctor_run.list_total(store, snap), "reading", as_json) as advance:
            findings += doctor_run.scan_lists(store, snap, advance)
        findings += doctor_delayed.scan_delayed(resque.delayed_store, unreadable=unreadable)
    unreadable |= {f.key: "" for f in findings if f.check in WRONG_TYPE_CHECKS}
    fixed = None
    if repair:
        multi = isinstance(resque.failure, RedisMultiQueueFailure)
        fixed = doctor_run.repair(store, findings, resque.profile, multi, unreadable)
        doctor_plugins.repair(resque.store.unique, store, findings, fixed)
    remaining = _remaining_errors(findings, fixed)
    if as_json:
        echo_json(_doctor_json(findings, fixed))
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
    console = Console(emoji=False)
    if not findings:
        console.print("[green]Nothing found that breaks Ruby's tools.[/]")
        return
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.severity, f.check, f.key), []).append(f)
    table = new_table("severity", "check", "key", "count", "detail", "repair", numeric=("count",))
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
        console.print(f"[yellow]not repaired[/] {f.check} {escape(f.key)}: {escape(why)}")
    if fixed.copied:
        console.print(f"{fixed.copied} removed value(s) copied to {doctor_run.COPY_LIST}")
