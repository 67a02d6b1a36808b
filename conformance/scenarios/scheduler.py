"""resque-scheduler 5.0 across languages: delayed jobs, the scheduler process, the master lock,
recurring and dynamic schedules, and resque-scheduler's own web tabs.

Needs resque-scheduler on the Ruby side (``RESQUE_SCHEDULER_LIB`` for a local reference, the
gem in the Docker image); each case skips with that reason otherwise.
"""

from __future__ import annotations

import time
from typing import Any

from ..harness import PARITY, PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Mismatch, Side, Skip
from ..reference import PROFILES, plugin_lib_problem
from . import Scenario
from .client import ARGS

JOB = "Conformance::Later"
JOB2 = "Conformance::Selected"
LATER = 4102444800  # 2100-01-01T00:00:00Z
FAST = {"RESQUE_SCHEDULER_INTERVAL": "0.2", "TZ": "UTC"}


def _need_scheduler(ctx: Ctx) -> None:
    if not ctx.lab.versions().get("resque_scheduler"):
        raise Skip(plugin_lib_problem("RESQUE_SCHEDULER_LIB") or "resque-scheduler is not installed for Ruby")


def _cls(name: str) -> dict[str, str]:
    return {"__class__": name}


def _sched(side: Side, method: str, *args: Any, **kw: Any) -> Any:
    return side.call("sched", method=method, args=list(args), **kw)


def _start(ctx: Ctx, side: Side, **env: str) -> int:
    log = f"/tmp/conformance-scheduler-{ctx.namespace}-{'py' if ctx.is_python(side) else 'rb'}.log"
    return int(side.call("scheduler", env={**FAST, **env}, log=log)["pid"])


def _stop(ctx: Ctx, side: Side, pid: int) -> None:
    side.call("signal", pid=pid, signal="TERM")
    done = side.call("wait", pid=pid, timeout=30)
    ctx.expect(not done.get("running"), f"the scheduler {pid} did not stop on TERM")


def delayed_cross(ctx: Ctx) -> None:
    """The writer delays jobs; the reader sees the same timestamps and items and removes them."""
    _need_scheduler(ctx)
    writer, reader = ctx.sides(profile=ctx.variant)
    for side in (writer, reader):
        side.call("define_job", name=JOB, queue="later", behaviour="noop")
        # Ruby's enqueue_delayed_selection constantizes the class (NameError for an unknown one)
        side.call("define_job", name=JOB2, queue="selected", behaviour="noop")
    _sched(writer, "enqueue_at", {"__time__": LATER}, _cls(JOB), *ARGS)
    _sched(writer, "enqueue_at_with_queue", "elsewhere", LATER + 1, _cls(JOB), 1, "x")
    _sched(writer, "enqueue_at_with_queue", "named", LATER + 2, _cls(JOB2), {"k": [1.5]})
    ctx.equal([LATER], _sched(reader, "scheduled_at", _cls(JOB), *ARGS), "scheduled_at of the writer's job")
    ctx.equal(3, _sched(reader, "count_all_scheduled_jobs"), "count_all_scheduled_jobs")
    ctx.equal(
        [LATER, LATER + 1, LATER + 2], _sched(reader, "delayed_queue_peek", 0, 10), "delayed_queue_peek"
    )
    ctx.equal(
        _sched(writer, "delayed_timestamp_peek", LATER, 0, 5),
        _sched(reader, "delayed_timestamp_peek", LATER, 0, 5),
        "delayed_timestamp_peek",
        "writer",
        "reader",
    )
    ctx.equal(1, _sched(reader, "remove_delayed", _cls(JOB), *ARGS), "remove_delayed of the writer's job")
    ctx.equal(
        1,
        _sched(reader, "remove_delayed_in_queue", _cls(JOB), "elsewhere", 1, "x"),
        "remove_delayed_in_queue",
    )
    found = _sched(reader, "find_delayed_selection", where={"index": 0, "equals": {"k": [1.5]}})
    ctx.equal(1, len(found), "find_delayed_selection")
    ctx.equal(
        1,
        _sched(reader, "enqueue_delayed_selection", where={"index": 0, "equals": {"k": [1.5]}}),
        "enqueue_delayed_selection",
    )
    ctx.equal(0, _sched(writer, "count_all_scheduled_jobs"), "jobs left")
    raw = writer.call("redis", argv=["LRANGE", "queue:named", 0, -1])
    ctx.equal(
        [f'{{"class":"{JOB2}","args":[{{"k":[1.5]}}]}}'], raw, "the job enqueue_delayed_selection pushed"
    )


def scheduler_moves(ctx: Ctx) -> None:
    """The writer's due delayed jobs are moved by the reader's scheduler, in Job.create's bytes."""
    _need_scheduler(ctx)
    writer, reader = ctx.sides(profile=ctx.variant)
    now = int(time.time())
    items = [{"class": JOB, "args": [n, *ARGS[:9]], "queue": "moved"} for n in range(120)]
    for n, item in enumerate(items):
        _sched(writer, "delayed_push", now - 30 + n % 7, item)
    _sched(writer, "enqueue_at_with_queue", "moved", LATER, JOB, "stays")
    pid = _start(ctx, reader, DELAYED_REQUEUE_BATCH_SIZE="50")
    try:
        got = ctx.take(writer, "queue:moved", len(items), timeout=30)
    finally:
        _stop(ctx, reader, pid)
    ctx.equal(len(items), len(got), "jobs moved")
    python = ctx.python(profile=ctx.variant)
    expected = [python.resque.encode({"class": JOB, "args": i["args"]}).decode() for i in items]
    order = sorted(range(len(items)), key=lambda n: (now - 30 + n % 7, n))
    ctx.equal([expected[n] for n in order], got, "moved payload bytes, in timestamp order")
    ctx.equal([LATER], _sched(writer, "delayed_queue_peek", 0, 10), "what is left delayed")
    ctx.note(f"{len(items)} jobs over 7 timestamps moved in batches of 50")


def schedulers_together(ctx: Ctx) -> None:
    """A Ruby and a Python scheduler on one Redis: every job once; the lock handed over on a kill."""
    _need_scheduler(ctx)
    ruby, python = ctx.ruby(), ctx.python()
    env = {"LOCK_TIMEOUT": "3"}
    key = f"{ctx.namespace}:resque_scheduler_master_lock"  # the driver's redis command adds one prefix
    _push(python, 0, 150, int(time.time()) - 3)  # due already: pushed before any scheduler runs
    first, second = ("python", "ruby") if ctx.variant == "python_first" else ("ruby", "python")
    sides = {"ruby": ruby, "python": python}
    pids = {first: _start(ctx, sides[first], **env)}
    _take(ctx, python, 0, 150)  # the first one alone is master and moves the due jobs
    pids[second] = _start(ctx, sides[second], **env)
    ended: set[str] = set()
    try:
        total = 150
        holder = _holder(ctx, python, key, pids)
        ctx.expect(holder == first, f"the {first} scheduler started first but {holder} holds the lock")
        owner = ruby if holder == "ruby" else python
        owner.call("signal", pid=pids[holder], signal="KILL")
        owner.call("wait", pid=pids[holder], timeout=30)
        ended = {holder}
        # not due while being pushed: resque-scheduler reads a batch before it WATCHes the list,
        # so an item pushed to a due second in between is trimmed away unmoved (see docs)
        _push(python, 1000, 150, int(time.time()) + 2)
        total += _take(ctx, python, 1000, 150)
        other = _holder(ctx, python, key, pids)
        ctx.expect(other != holder, f"the lock stayed with the killed {holder} scheduler")
        ctx.note(f"after kill -9 of the {holder} scheduler, {other} took the lock and moved the rest")
        survivor = python if other == "python" else ruby
        _stop(ctx, survivor, pids[other])
        ended.add(other)
        ctx.equal(None, python.call("redis", argv=["GET", key]), "the lock after TERM of the master")
    finally:
        for name, side in (("ruby", ruby), ("python", python)):
            if name not in ended and side.call("wait", pid=pids[name], timeout=0).get("running"):
                side.call("signal", pid=pids[name], signal="KILL")
                side.call("wait", pid=pids[name], timeout=30)
    ctx.note(f"{total} jobs, each enqueued exactly once")


def _push(side: Side, start: int, count: int, first: int) -> None:
    for n in range(start, start + count):
        _sched(side, "delayed_push", first + n % 5, {"class": JOB, "args": [n], "queue": "together"})


def _take(ctx: Ctx, side: Side, start: int, count: int) -> int:
    got = ctx.take(side, "queue:together", count, timeout=40)
    ctx.equal(count, len(got), "jobs moved by the schedulers")
    extra = side.call("redis", argv=["BLPOP", "queue:together", 1])
    ctx.equal(None, extra, "a job enqueued more than once")
    seen = sorted(int(s.split("[")[1].split("]")[0]) for s in got)
    ctx.equal(list(range(start, start + count)), seen, "each job exactly once")
    return count


def _holder(ctx: Ctx, side: Side, key: str, pids: dict[str, int]) -> str:
    value = side.call("redis", argv=["GET", key])
    for name, pid in pids.items():
        if isinstance(value, str) and value.endswith(f":{pid}"):
            return name
    raise Mismatch(f"the master lock {key} holds {value!r}, neither scheduler ({pids})")


def dynamic_schedule(ctx: Ctx) -> None:
    """A persistent schedule set by the writer fires from the reader's dynamic scheduler."""
    _need_scheduler(ctx)
    writer, reader = ctx.sides()
    config = {
        "every": ["1s", {"first_in": "0.5s"}],
        "class": JOB,
        "queue": "recurring",
        "args": [1, "x"],
        "persist": True,
    }
    _sched(writer, "set_schedule", "every_second", config)
    pid = _start(ctx, reader, DYNAMIC_SCHEDULE="true")
    try:
        got = ctx.take(writer, "queue:recurring", 2, timeout=20)
    finally:
        _stop(ctx, reader, pid)
    ctx.equal([f'{{"class":"{JOB}","args":[1,"x"]}}'] * 2, got, "jobs of the dynamic schedule")
    last = writer.call("redis", argv=["HGET", "delayed:last_enqueued_at", "every_second"])
    ctx.expect(isinstance(last, str) and len(last) == 25, f"last_enqueued_at is Time#to_s, got {last!r}")


def web_tabs(ctx: Ctx) -> None:
    """resque-scheduler's own Delayed and Schedule tabs render Python-written state."""
    _need_scheduler(ctx)
    python, ruby = ctx.python(), ctx.ruby()
    for side in (python, ruby):  # resque-scheduler's tabs constantize the classes they show
        side.call("define_job", name=JOB, queue="later", behaviour="noop")
    _sched(python, "enqueue_at", LATER, _cls(JOB), 1, "<b>x</b>")
    _sched(
        python, "set_schedule", "nightly", {"cron": "0 3 * * *", "class": JOB, "args": [2], "persist": True}
    )
    for path, wanted in (("/delayed", JOB), (f"/delayed/{LATER}", JOB), ("/schedule", "nightly")):
        page = ruby.call("sched_web_get", path=path)
        ctx.equal(200, page["status"], f"GET {path} status")
        ctx.expect(wanted in page["body"], f"GET {path} does not show {wanted}")
        ctx.expect("NoMethodError" not in page["body"], f"GET {path} shows an error")


def rails_wait(ctx: Ctx) -> None:
    """``perform_later`` after ``set(wait:)``: the job waits in the delayed queue, the other side's
    scheduler moves it and the other side's worker performs it with its typed arguments."""
    _need_scheduler(ctx)
    from resque_compat.activejob import enqueue as aj_enqueue
    from resque_compat.protocol import Profile

    from .activejob import ACTIVEJOB_ENV, INVOICE, PYTHON_APP, _sides
    from .client import _burst

    ruby, python = _sides(ctx)
    values = [1, "x", {"a": [1.5, None]}]
    if ctx.direction == RUBY_TO_PYTHON:
        ctx.need_python_worker()
        sent = ruby.call("aj_enqueue", args=values, wait=1, **{"class": INVOICE})
        job_id, mover, worker, env = sent["job_id"], python, python, PYTHON_APP
    else:
        job_id = aj_enqueue(python.resque, INVOICE, values, profile=Profile.RAILS, wait=1)
        mover, worker, env = ruby, ruby, {}
    ctx.equal(1, _sched(python, "delayed_queue_schedule_size"), "timestamps delayed by wait:")
    pid = _start(ctx, mover, **(ACTIVEJOB_ENV if mover is ruby else {}))
    try:
        for _ in range(30):
            if not _sched(python, "delayed_queue_schedule_size"):
                break
            python.call("redis", argv=["BLPOP", "never", 1])  # a bounded wait on Redis
    finally:
        _stop(ctx, mover, pid)
    ctx.equal(0, _sched(python, "count_all_scheduled_jobs"), "delayed jobs left")
    _burst(ctx, worker, ["default"], **({"env": env} if env else {}))
    (got,) = ctx.performed(worker, 1)
    ctx.equal(job_id, got["job_id"], "job_id performed")
    typed = [1, "x", {"Hash": [["a", [1.5, None]]]}]  # the drivers' typed shape of the values
    ctx.equal(typed, got["args"], "arguments performed")


SCENARIOS = (
    Scenario(
        "sched_delayed",
        "resque-scheduler: delayed jobs across",
        delayed_cross,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
        PROFILES,
    ),
    Scenario(
        "sched_moves",
        "resque-scheduler: the other scheduler moves them",
        scheduler_moves,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
        ("json_gem", "oj"),
    ),
    Scenario(
        "sched_together",
        "resque-scheduler: Ruby and Python schedulers on one Redis",
        schedulers_together,
        (PARITY,),
        ("ruby_first", "python_first"),
    ),
    Scenario(
        "sched_dynamic",
        "resque-scheduler: dynamic schedules across",
        dynamic_schedule,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
    ),
    Scenario(
        "sched_rails_wait",
        "resque-scheduler: Rails perform_later(wait:) across",
        rails_wait,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
    ),
    Scenario("sched_web", "resque-scheduler: its web tabs on Python state", web_tabs, (PYTHON_TO_RUBY,)),
)
