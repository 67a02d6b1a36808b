"""resque-pause across languages: a queue paused by one side is not drained by the other side's
worker (per queue and through the global key), and unpausing lets it take the job.

The Ruby side is resque-pause itself (``ResquePauseHelper``, its ``Job.reserve`` override in a
real Ruby worker); the Python side is ``resque.pauses`` and a ``resque-compat work`` process.
"""

from __future__ import annotations

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx
from ..plugins import need_plugin
from . import Scenario

ECHO = "Pause::Echo"


def pause_queues(ctx: Ctx) -> None:
    need_plugin(ctx, "pause")
    writer, reader = ctx.sides()
    for side in (writer, reader):
        side.call("plugin_load", name="pause")
        side.call("define_job", name=ECHO, queue="pq")
    writer.call("pause", op="pause", queue="pq")
    ctx.equal(True, reader.call("pause", op="paused?", queue="pq"), "paused? seen by the reader")
    writer.call("enqueue", queue="pq", args=["held"], **{"class": ECHO})
    writer.call("enqueue", queue="open", args=["first"], **{"class": ECHO})
    started = reader.call("work", queues=["pq", "open"], interval=0.1, wait=False)
    # pq comes first in the worker's order: taking "first" from open means pq was passed over.
    ctx.equal(["first"], ctx.performed(reader, 1)[0]["args"], "the job of the open queue")
    ctx.equal(1, writer.call("size", queue="pq"), "jobs left on the paused queue")
    writer.call("pause", op="global_pause")
    writer.call("pause", op="unpause", queue="pq")
    ctx.equal(True, reader.call("pause", op="global_paused?"), "global_paused? seen by the reader")
    writer.call("enqueue", queue="open", args=["second"], **{"class": ECHO})
    ctx.equal(
        [None, "true"],
        [
            writer.call("redis", argv=["GET", "pause:queue:pq"]),
            writer.call("redis", argv=["GET", "pause:all"]),
        ],
        "the pause keys",
    )
    writer.call("pause", op="global_unpause")
    got = sorted(json_args[0] for json_args in (e["args"] for e in ctx.performed(reader, 2)))
    ctx.equal(["held", "second"], got, "the jobs performed once unpaused")
    reader.call("signal", pid=started["pid"], signal="QUIT")
    done = reader.call("wait", pid=started["pid"], timeout=30)
    ctx.expect(not done.get("running"), "the worker stops on QUIT")
    ctx.note("pause:queue:pq held its job from the other side's worker, pause:all every queue")


SCENARIOS = (
    Scenario("plugin_pause", "resque-pause: paused queues", pause_queues, (RUBY_TO_PYTHON, PYTHON_TO_RUBY)),
)
