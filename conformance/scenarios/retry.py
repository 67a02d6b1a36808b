"""resque-retry across languages: one failing job whose attempts alternate between a Ruby and a
Python worker on one queue runs ``1 + retry_limit`` times in all, the attempt counter
``resque-retry:<Class>:<sha1>`` carried from one language to the other, and leaves the failure
records resque-retry's backends write: one per attempt with the Redis backend, only the final
one with ``MultipleWithRetrySuppression``.

Each retry goes through the delayed queue (``retry_delay`` 1 s); between attempts the scenario
moves it to the queue at once (resque-scheduler's ``enqueue_delayed``), so the next worker to
run is the other language's.
"""

from __future__ import annotations

from ..harness import PARITY, Ctx, Side
from ..plugins import need_plugin
from . import Scenario

JOB = "Retry::Flaky"
LIMIT = 2
SUPPRESSION_RUBY = (
    "Resque::Failure::MultipleWithRetrySuppression.classes = [Resque::Failure::Redis]; "
    "Resque::Failure.backend = Resque::Failure::MultipleWithRetrySuppression; nil"
)
SUPPRESSION_PY = {"RESQUE_FAILURE_BACKENDS": "resque_compat.plugins.retry_failure:suppression"}


def retry_attempts(ctx: Ctx) -> None:
    need_plugin(ctx, "retry")
    ruby, python = ctx.ruby(), ctx.python()
    suppress = ctx.variant == "suppression"
    spec = {"name": "retry", "options": {"retry_limit": LIMIT, "retry_delay": 1}}
    for side in (ruby, python):
        side.call("plugin_load", name="retry")
        side.call("define_job", name=JOB, queue="rq", behaviour="raise", record=True, plugin=spec)
    if suppress:
        ruby.call("ruby", code=SUPPRESSION_RUBY)
    try:
        ruby.call("enqueue", args=[7, "x"], **{"class": JOB})
        order: list[str] = []
        workers: list[tuple[str, Side]] = [("Ruby", ruby), ("Python", python)]
        for attempt in range(1 + LIMIT):
            name, side = workers[attempt % 2]
            if attempt:
                moved = python.resque.enqueue_delayed_with_queue(JOB, "rq", 7, "x")
                ctx.equal(1, moved, f"retry {attempt} waiting in the delayed queue")
            done = side.call(
                "work",
                queues=["rq"],
                interval=0,
                **({"env": SUPPRESSION_PY} if suppress and side is python else {}),
            )
            ctx.equal(0, done.get("exitstatus"), f"{name}'s worker exit status")
            ctx.equal(
                [[7, "x"]], [e["args"] for e in ctx.performed(side, 1)], f"attempt {attempt + 1} by {name}"
            )
            order.append(name)
        ctx.equal(0, python.resque.count_all_scheduled_jobs(), "retries left after giving up")
        keys = [k for k in python.call("keys") if k.startswith("resque-retry")]
        ctx.equal([], keys, "the attempt counter after giving up")
        failed = python.resque.failure.count()
        ctx.equal(1 if suppress else 1 + LIMIT, failed, "failure records")
        ctx.note(f"{1 + LIMIT} attempts ({' > '.join(order)}), {failed} failure record(s)")
    finally:
        if suppress:
            ruby.call("ruby", code="Resque::Failure.backend = Resque::Failure::Redis; nil")


SCENARIOS = (
    Scenario(
        "plugin_retry",
        "resque-retry: attempts across languages",
        retry_attempts,
        (PARITY,),
        ("redis", "suppression"),
    ),
)
