"""resque-status across languages: the writer creates status jobs (``Klass.create(options)`` /
``status.create``), the reader's worker performs them, and each side reads the other's status
(``Status::Hash.get`` / ``status.get``); a job killed before it ran stops at its first tick.

The job reports ``at(1, 4, "one of four")``, ``tick("ticking")`` and ``{"extra": 5}``.
"""

from __future__ import annotations

from typing import Any

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Side
from ..plugins import need_plugin
from . import Scenario

JOB = "Status::Export"
OPTIONS = {"file": "a.pdf", "n": 2, "tags": ["x", None]}


def _await(ctx: Ctx, side: Side, uuid: str, state: str) -> dict[str, Any]:
    found: dict[str, Any] = ctx.until(
        lambda: (s := side.call("status", op="get", uuid=uuid)) and s.get("status") == state and s,
        f"status {uuid} to be {state}",
    )
    return found


def status_jobs(ctx: Ctx) -> None:
    need_plugin(ctx, "status")
    writer, reader = ctx.sides()
    for side in (writer, reader):
        side.call("plugin_load", name="status")
        side.call("define_job", name=JOB, queue="st", plugin={"name": "status"})
    uuid = writer.call("status", op="create", options=OPTIONS, **{"class": JOB})
    killed = writer.call("status", op="create", options={"k": 1}, **{"class": JOB})
    queued = reader.call("status", op="get", uuid=uuid)
    ctx.equal(
        ["queued", uuid, OPTIONS, 0],
        [queued[k] for k in ("status", "uuid", "options", "pct_complete")],
        "the queued status read by the reader",
    )
    writer.call("status", op="kill", uuid=killed)
    done = reader.call("work", queues=["st"], interval=0)
    ctx.equal(0, done.get("exitstatus"), "the reader's worker exit status")
    final = _await(ctx, writer, uuid, "completed")
    expected_name = 'Status::Export({"file"=>"a.pdf", "n"=>2, "tags"=>["x", nil]})'
    ctx.equal(
        ["time", "status", "uuid", "options", "name", "num", "total", "message", "extra", "pct_complete"],
        list(final),
        "the completed status's keys, in order",
    )
    ctx.equal(
        [expected_name, 1, 4, 5, 100],
        [final[k] for k in ("name", "num", "total", "extra", "pct_complete")],
        "the completed status read by the writer",
    )
    ctx.expect(str(final["message"]).startswith("Completed at "), f"message {final['message']!r}")
    ctx.equal(queued["time"], final["time"], "time stays the creation time")
    stopped = _await(ctx, writer, killed, "killed")
    ctx.expect(str(stopped["message"]).startswith("Killed at "), f"killed message {stopped['message']!r}")
    ctx.equal(0, writer.call("redis", argv=["SCARD", "_kill"]), "ids left in the kill list")
    ctx.equal(sorted([uuid, killed]), sorted(writer.call("status", op="statuses")), "the _statuses ids")
    ctx.note(f"completed: {final['name']} {final['num']}/{final['total']}; killed at its first tick")


SCENARIOS = (
    Scenario(
        "plugin_status",
        "resque-status: status jobs across languages",
        status_jobs,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
    ),
)
