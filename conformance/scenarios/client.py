"""Queues across languages: enqueue -> perform, ``Job.destroy``, and a custom namespace.

Each runs in both directions: the writer enqueues with its own library (``Resque.enqueue`` /
``enqueue_to``), the reader acts on the same Redis (performs with a real worker, destroys,
lists) and the results are compared with what the writer meant.
"""

from __future__ import annotations

from typing import Any

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Side
from ..reference import PROFILES
from . import Scenario

ECHO = "Conformance::EchoJob"

# Arguments a Ruby and a Python job must both receive unchanged: big integers, floats in
# Ruby's exponent form, unicode, HTML and line-separator characters, nesting, empties.
ARGS: list[Any] = [
    44,
    "masterbrew",
    1.5,
    None,
    True,
    False,
    {"a": [1, 2], "b": {"c": "d"}, "z": None},
    "é ü 日本 😀",
    2**64,
    -(2**63),
    1.0e20,
    0.1,
    "<b>&amp;</b>\u2028",
    [],
    {},
]
ARGS_2: list[Any] = [[1, [2, [3]]], "second"]


def _burst(ctx: Ctx, side: Side, queues: list[str], **kw: Any) -> None:
    """Run a burst worker (interval 0) on ``side`` and check it ended cleanly."""
    if ctx.is_python(side):
        ctx.need_python_worker()
    done = side.call("work", queues=queues, interval=0, **kw)
    ctx.equal(0, done.get("exitstatus"), f"exit status of the {_name(ctx, side)} burst worker")


def _name(ctx: Ctx, side: Side) -> str:
    return "Python" if ctx.is_python(side) else "Ruby"


def enqueue_perform(ctx: Ctx) -> None:
    writer, reader = ctx.sides(profile=ctx.variant)
    if ctx.is_python(reader):
        ctx.need_python_worker()
    for side in (writer, reader):
        side.call("define_job", name=ECHO, queue="echo")
    writer.call("enqueue", args=ARGS, **{"class": ECHO})  # Resque.enqueue: the class's queue
    writer.call("enqueue", queue="echo", args=ARGS_2, **{"class": ECHO})  # enqueue_to
    _burst(ctx, reader, ["echo"])
    got = ctx.performed(reader, 2)
    ctx.equal(ECHO, got[0]["class"], "class performed")
    ctx.equal(ARGS, got[0]["args"], "arguments the job received", "enqueued", "performed with")
    ctx.equal(ARGS_2, got[1]["args"], "arguments of the second job", "enqueued", "performed with")
    info = writer.call("info")
    ctx.equal(2, info["processed"], "stat:processed after the burst, as the writer reads it")
    ctx.equal(0, info["failed"], "failures after the burst")
    ctx.equal(0, writer.call("size", queue="echo"), "jobs left on the queue")
    ctx.note(f"{len(ARGS)} arguments of {len({type(a) for a in ARGS})} JSON types arrived unchanged")


def destroy(ctx: Ctx) -> None:
    writer, reader = ctx.sides(profile=ctx.variant)
    charge, refund = "Destroy::Charge", "Destroy::Refund"
    for side in (writer, reader):
        side.call("define_job", name=charge, queue="dq", behaviour="noop")
        side.call("define_job", name=refund, queue="dq", behaviour="noop")
    for args in ([1], [2], [1, "x"], [1.0e16], [1]):
        writer.call("enqueue", queue="dq", args=args, **{"class": charge})
    writer.call("enqueue", queue="dq", args=[1], **{"class": refund})
    writer.call("push", queue="dq", item={"class": charge, "args": [1], "extra": 1})
    writer.call("push", queue="dq", item={"args": [1], "class": charge})

    ctx.equal(2, reader.call("destroy", queue="dq", args=[1], **{"class": charge}), "destroy(Charge, 1)")
    ctx.equal(
        1,
        reader.call("destroy", queue="dq", args=[1.0e16], **{"class": charge}),
        f"destroy(Charge, 1.0e16): the float's bytes under {ctx.variant}",
    )
    ctx.equal(0, reader.call("destroy", queue="dq", args=[3], **{"class": charge}), "destroy(Charge, 3)")
    ctx.equal(4, reader.call("destroy", queue="dq", **{"class": charge}), "destroy(Charge) without args")
    ctx.equal(1, writer.call("size", queue="dq"), "jobs left, as the writer reads them")
    ctx.equal({"class": refund, "args": [1]}, writer.call("peek", queue="dq"), "the job left")
    ctx.note(
        "class+args removed exact-byte matches only (extra keys, other key order kept); "
        "class-only removed the rest"
    )


def custom_namespace(ctx: Ctx) -> None:
    ns = f"{ctx.namespace}:GitHub"  # a namespace holding ':', like Redis::Namespace "resque:GitHub"
    writer, reader = ctx.sides(namespace=ns)
    outsider = ctx.python(namespace=ctx.namespace)
    for side in (writer, reader):
        side.call("define_job", name=ECHO, queue="nsq")
    writer.call("enqueue", queue="nsq", args=[1, "x"], **{"class": ECHO})
    ctx.equal(["nsq"], reader.call("queues"), f"queues the reader sees in {ns}")
    ctx.equal({"class": ECHO, "args": [1, "x"]}, reader.call("peek", queue="nsq"), "the job the reader sees")
    ctx.equal([], outsider.call("queues"), f"queues in the enclosing namespace {ctx.namespace}")
    physical = sorted(k.decode() for k in outsider.resque.redis.scan_iter(match=f"{ctx.namespace}:*"))
    ctx.equal([f"{ns}:queue:nsq", f"{ns}:queues"], physical, "physical keys written")
    if ctx.is_python(reader):
        ctx.need_python_worker()
    _burst(ctx, reader, ["nsq"])
    ctx.equal([1, "x"], ctx.performed(reader, 1)[0]["args"], "arguments performed in the custom namespace")
    ctx.equal(1, writer.call("info")["processed"], f"stat:processed in {ns}")
    ctx.note(f"namespace {ns!r}: keys, queue listing and a worker all agree")


BOTH = (RUBY_TO_PYTHON, PYTHON_TO_RUBY)

SCENARIOS = (
    Scenario("enqueue_perform", "Enqueue -> perform, identical arguments", enqueue_perform, BOTH, PROFILES),
    Scenario("destroy", "Job.destroy by class and by class+args", destroy, BOTH, PROFILES),
    Scenario("custom_namespace", "A custom namespace", custom_namespace, BOTH),
)
