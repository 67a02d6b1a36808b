"""resque-loner, resque-lock and resque-lock-timeout across languages.

For each plugin the writer enqueues a job of a unique class twice (the second is refused), the
reader's worker performs it, and the writer can enqueue it again: the reader released exactly
the key the writer set, so the digest (loner), ``args.inspect`` (lock) and ``args.join('-')``
(lock-timeout) agree byte for byte. No plugin key is left behind.
"""

from __future__ import annotations

from typing import Any

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Side
from ..plugins import need_plugin
from . import Scenario

ARGS: list[Any] = [1, {"b": 2, "a": 'x"y #{z}'}, 2.5, None, ["n", 1.0e20]]
CASES = (
    ("loner", "Unique::Loner", {}),
    ("lock", "Unique::Lock", {}),
    ("lock_timeout", "Unique::LockTimeout", {"loner": True}),
)


def _plugin_keys(side: Side) -> list[str]:
    return sorted(k for k in side.call("keys") if k.startswith(("loners:", "lock:", "loner:")))


def unique_jobs(ctx: Ctx) -> None:
    need_plugin(ctx, "loner", "lock", "lock_timeout")
    writer, reader = ctx.sides()
    for plugin, name, options in CASES:
        queue = f"u_{plugin}"
        for side in (writer, reader):
            side.call("plugin_load", name=plugin)
            side.call("define_job", name=name, queue=queue, plugin={"name": plugin, "options": options})
        writer.call("enqueue", args=ARGS, **{"class": name})
        writer.call("enqueue", args=ARGS, **{"class": name})
        ctx.equal(1, writer.call("size", queue=queue), f"{plugin}: jobs queued after two enqueues")
        held = _plugin_keys(writer)
        ctx.expect(len(held) == 1, f"{plugin}: one plugin key while queued, found {held}")
        done = reader.call("work", queues=[queue], interval=0)
        ctx.equal(0, done.get("exitstatus"), f"{plugin}: the reader's worker exit status")
        ctx.equal([ARGS], [e["args"] for e in ctx.performed(reader, 1)], f"{plugin}: performed arguments")
        ctx.equal([], _plugin_keys(writer), f"{plugin}: plugin keys after the reader performed it")
        writer.call("enqueue", args=ARGS, **{"class": name})
        ctx.equal(1, writer.call("size", queue=queue), f"{plugin}: the job can be enqueued again")
        ctx.note(f"{plugin}: {held[0]}")
        writer.call("flush")  # the next plugin starts from an empty namespace


SCENARIOS = (
    Scenario(
        "plugin_unique",
        "resque-loner/lock/lock-timeout: keys released across languages",
        unique_jobs,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
    ),
)
