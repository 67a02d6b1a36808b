"""Hooks firing order: the same job classes, hooks and worker hooks on both sides.

Each side, in its own namespace, enqueues and dequeues with enqueue/dequeue hooks (one vetoes
with ``false``), then a burst worker with worker hooks performs a succeeding and a failing job
whose job hooks include the bare names (``before_perform`` sorts before ``before_perform_a``)
and nested ``around_perform`` hooks. Every hook RPUSHes its name to ``hooks``: the two lists
must be identical.
"""

from __future__ import annotations

from typing import Any

from ..harness import PARITY, Ctx, Side
from . import Scenario

HOOKS = [
    "before_perform_b",
    "before_perform",
    "before_perform_a",
    "around_perform_b",
    "around_perform_a",
    "after_perform_a",
    "after_perform",
    "on_failure_a",
    "on_failure",
    "before_enqueue_a",
    "after_enqueue_a",
    "before_dequeue_a",
    "after_dequeue_a",
]
WORKER_HOOKS = ["before_first_fork", "before_fork", "after_fork", "queue_empty", "worker_exit"]
OK, FAILS, VETO = "Hooks::Ok", "Hooks::Fails", "Hooks::Veto"


def _run(ctx: Ctx, side: Side) -> dict[str, Any]:
    side.call("define_job", name=OK, queue="hq", behaviour="noop", hooks=HOOKS)
    side.call("define_job", name=FAILS, queue="hq", behaviour="raise", message="hook boom", hooks=HOOKS)
    side.call(
        "define_job",
        name=VETO,
        queue="hq",
        behaviour="noop",
        hooks=["before_enqueue_a", "before_enqueue_b", "after_enqueue_a"],
        hook_returns={"before_enqueue_a": False},
    )
    out: dict[str, Any] = {}
    out["enqueue"] = side.call("enqueue", args=[1], **{"class": OK})["returned"]
    out["dequeue"] = side.call("dequeue", args=[1], **{"class": OK})
    out["veto"] = side.call("enqueue", args=[9], **{"class": VETO})["returned"]
    out["size_after_veto"] = side.call("size", queue="hq")
    side.call("enqueue", args=[2], **{"class": OK})
    side.call("enqueue", args=[3], **{"class": FAILS})
    done = side.call("work", queues=["hq"], interval=0, worker_hooks=WORKER_HOOKS)
    out["exit"] = done.get("exitstatus")
    out["hooks"] = side.call("redis", argv=["LRANGE", "hooks", 0, -1])
    failed = side.call("failures", op="all", offset=0, limit=1)
    out["failure"] = (failed or {}).get("exception"), (failed or {}).get("error")
    return out


def hooks_order(ctx: Ctx) -> None:
    ctx.need_python_worker()
    ruby = _run(ctx, ctx.ruby(namespace=ctx.namespace + "-ruby"))
    python = _run(ctx, ctx.python(namespace=ctx.namespace + "-python"))
    for key in ("enqueue", "dequeue", "veto", "size_after_veto", "exit", "failure"):
        ctx.equal(ruby[key], python[key], key, "Ruby", "Python")
    ctx.equal(ruby["hooks"], python["hooks"], "hooks in firing order", "Ruby", "Python")
    ctx.note(f"{len(ruby['hooks'])} hook calls in the same order: " + " > ".join(ruby["hooks"]))


SCENARIOS = (Scenario("hooks_order", "Hooks firing order", hooks_order, (PARITY,)),)
