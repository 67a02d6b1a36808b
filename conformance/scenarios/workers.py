"""Workers across languages: info and stats, workers/working/heartbeats, pruning, pause-all.

The writer runs real worker processes (Ruby's ``Resque::Worker#work`` forked by the driver, or
``resque-compat work``); the reader looks at them, prunes them or pauses them with its own
library. Jobs that must stay "working" block on the list ``release`` until the scenario pushes
to it, so nothing here waits on a fixed sleep.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from resque_compat.protocol import parse_worker_id
from resque_compat.protocol.times import format_heartbeat, parse_time

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Side
from . import Scenario
from .client import _burst

ECHO, FAIL, BLOCK = "Conformance::EchoJob", "Conformance::FailJob", "Conformance::BlockJob"
FRESH = 300  # seconds: how far a just-written time may be from Redis TIME (clock skew allowance)


def _need_workers(ctx: Ctx, *sides: Side) -> None:
    if any(ctx.is_python(s) for s in sides):
        ctx.need_python_worker()


def _start_blocked(ctx: Ctx, side: Side, queue: str, args: list[Any], **kw: Any) -> tuple[int, str]:
    """Start a worker on ``queue`` that is working on a ``BlockJob``; returns (pid, worker id)."""
    side.call("define_job", name=BLOCK, queue=queue, behaviour="block", record=True, seconds=60)
    side.call("enqueue", queue=queue, args=args, **{"class": BLOCK})
    started = side.call("work", queues=[queue], interval=0.2, wait=False, **kw)
    ctx.performed(side, 1)
    host = side.call("hello")["hostname"]
    return started["pid"], f"{host}:{started['pid']}:{queue}"


def _stop(ctx: Ctx, side: Side, pid: int) -> None:
    side.call("signal", pid=pid, signal="QUIT")
    done = side.call("wait", pid=pid, timeout=30)
    ctx.expect(not done.get("running"), f"worker {pid} did not stop on QUIT")


def _now(side: Side) -> dt.datetime:
    seconds = int(side.call("redis", argv=["TIME"])[0])
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _recent(ctx: Ctx, text: str, now: dt.datetime, what: str) -> None:
    age = abs((now - parse_time(text)).total_seconds())
    ctx.expect(age < FRESH, f"{what} {text!r} is {age:.0f}s away from Redis TIME")


# --------------------------------------------------------------------------
# Resque.info and stats
# --------------------------------------------------------------------------

INFO_KEYS = ("pending", "processed", "queues", "workers", "working", "failed")


def info_stats(ctx: Ctx) -> None:
    writer, reader = ctx.sides()
    _need_workers(ctx, writer)
    writer.call("define_job", name=ECHO, queue="a", behaviour="noop")
    writer.call("define_job", name=FAIL, queue="a", behaviour="raise", message="boom")
    for klass in (ECHO, ECHO, FAIL):
        writer.call("enqueue", args=[1], **{"class": klass})
    _burst(ctx, writer, ["a"])
    for queue, n in (("b", 2), ("c", 1)):
        for i in range(n):
            writer.call("enqueue", queue=queue, args=[i], **{"class": ECHO})
    pid, wid = _start_blocked(ctx, writer, "busy", [1])
    expected = {"pending": 3, "processed": 3, "queues": 4, "workers": 1, "working": 1, "failed": 1}
    _compare_info(ctx, writer, reader, expected, "with one worker busy")
    for name, value in (("processed", "3"), ("failed", "1")):
        ctx.equal(value, reader.call("redis", argv=["GET", f"stat:{name}"]), f"stat:{name}")
    leftovers = [k for k in reader.call("keys") if k.startswith("stat:") and k.count(":") > 1]
    ctx.equal([], leftovers, "per-worker stat keys left by the burst worker after it unregistered")
    writer.call("redis", argv=["RPUSH", "release", "go"])
    ctx.until(lambda: reader.call("redis", argv=["GET", f"stat:processed:{wid}"]), "the busy job to finish")
    ctx.equal("1", reader.call("redis", argv=["GET", f"stat:processed:{wid}"]), f"stat:processed:{wid}")
    _stop(ctx, writer, pid)
    expected.update(processed=4, workers=0, working=0)
    _compare_info(ctx, writer, reader, expected, "after the worker stopped")
    ctx.note("Resque.info agrees on both sides while a worker runs and after it stops; stat keys agree")


def _compare_info(ctx: Ctx, writer: Side, reader: Side, expected: dict[str, int], when: str) -> None:
    mine, theirs = writer.call("info"), reader.call("info")
    ctx.equal(expected, {k: theirs[k] for k in INFO_KEYS}, f"Resque.info {when}, as the reader computes it")
    ctx.equal(expected, {k: mine[k] for k in INFO_KEYS}, f"Resque.info {when}, as the writer computes it")


# --------------------------------------------------------------------------
# workers, working, heartbeats
# --------------------------------------------------------------------------


def workers_visible(ctx: Ctx) -> None:
    writer, reader = ctx.sides()
    _need_workers(ctx, writer)
    pid, wid = _start_blocked(ctx, writer, "slow", [7, "x"])
    host = writer.call("hello")["hostname"]
    ctx.equal([wid], reader.call("workers"), "Resque.workers")
    parsed = parse_worker_id(wid)
    ctx.equal((host, pid, ("slow",)), (parsed.hostname, parsed.pid, parsed.queues), "worker id parts")
    working = reader.call("working")
    ctx.equal(writer.call("working"), working, "Resque.working", "the writer sees", "the reader sees")
    ctx.equal(1, len(working), "workers working")
    job = working[0]["job"]
    ctx.equal(["queue", "run_at", "payload"], list(job), "keys of worker:<id>, in order")
    ctx.equal({"class": BLOCK, "args": [7, "x"]}, job["payload"], "the payload being worked on")
    ctx.equal("working", working[0]["state"], "worker state")
    now = _now(reader)
    _recent(ctx, job["run_at"], now, "run_at")
    ctx.expect(job["run_at"].endswith("Z"), f"run_at is UTC with Z: {job['run_at']!r}")
    beats = reader.call("heartbeats")
    ctx.equal([wid], list(beats), "workers with a heartbeat")
    _recent(ctx, beats[wid], now, "heartbeat")
    ctx.equal(beats[wid], format_heartbeat(parse_time(beats[wid])), "heartbeat re-rendered in Ruby's format")
    started = reader.call("redis", argv=["GET", f"worker:{wid}:started"])
    _recent(ctx, started, now, "worker:<id>:started")
    writer.call("redis", argv=["RPUSH", "release", "go"])
    _stop(ctx, writer, pid)
    ctx.equal([], reader.call("workers"), "Resque.workers after QUIT")
    ctx.equal({}, reader.call("heartbeats"), "heartbeats after QUIT")
    left = sorted(k for k in reader.call("keys") if k.startswith("worker"))
    ctx.equal([], left, "worker keys after QUIT")
    ctx.note(f"{wid}: id, working payload, run_at, heartbeat and started read alike; all gone after QUIT")


# --------------------------------------------------------------------------
# pruning
# --------------------------------------------------------------------------


def pruning(ctx: Ctx) -> None:
    writer, pruner = ctx.sides()
    _need_workers(ctx, writer, pruner)
    dead_pid, dead = _start_blocked(ctx, writer, "pq", [1])
    for row in sorted(writer.call("ps", pid=dead_pid), key=lambda r: -r["pid"]):
        writer.call("signal", pid=row["pid"], signal="KILL")
    writer.call("wait", pid=dead_pid, timeout=30)
    live = writer.call("work", queues=["pq"], interval=0.2, wait=False)
    host = writer.call("hello")["hostname"]
    live_id = f"{host}:{live['pid']}:pq"
    ctx.until(lambda: live_id in pruner.call("workers"), f"{live_id} to register")
    same_host = host == pruner.call("hello")["hostname"]
    if not same_host:
        # Different hosts (the Docker reference): the pid check cannot apply, so the dead
        # worker's heartbeat is aged past the prune interval instead.
        old = format_heartbeat(_now(writer) - dt.timedelta(seconds=400))
        writer.call("redis", argv=["HSET", "workers:heartbeat", dead, old])
    pruner.call("redis", argv=["DEL", "pruning_dead_workers_in_progress"])
    pruner.call("prune", queues=["pq"])
    workers = pruner.call("workers")
    ctx.expect(dead not in workers, f"the killed worker {dead} was not pruned: {workers}")
    ctx.expect(live_id in workers, f"the live worker {live_id} was pruned: {workers}")
    ctx.expect(live_id in writer.call("heartbeats"), "the live worker lost its heartbeat")
    ctx.expect(dead not in writer.call("heartbeats"), "the killed worker's heartbeat is still there")
    records = writer.call("failures", op="all", offset=0, limit=1)
    ctx.expect(records is not None, "no failure recorded for the killed worker's job")
    assert records is not None
    expected = (
        ("Resque::DirtyExit", "Job still being processed")
        if same_host
        else (
            "Resque::PruneDeadWorkerDirtyExit",
            f"Worker {dead} did not gracefully exit while processing {BLOCK}",
        )
    )
    ctx.equal(expected, (records["exception"], records["error"]), "the pruned job's failure")
    ctx.equal(
        (dead, "pq", {"class": BLOCK, "args": [1]}),
        (records["worker"], records["queue"], records["payload"]),
        "worker, queue and payload of the pruned job's failure",
    )
    ctx.equal([], records["backtrace"], "backtrace of a pruned job")
    _stop(ctx, writer, live["pid"])
    how = "pid gone from ps" if same_host else "heartbeat older than the prune interval"
    ctx.note(f"killed worker pruned ({how}) with its job failed as {expected[0]}; live worker spared")


def pruning_hosts(ctx: Ctx) -> None:
    """Workers of other hosts, as pods on one Redis leave them (pids colliding, pid 1), planted
    beside a dead worker of the pruner's own host: only the expired heartbeat and the local pid
    that is no worker go; the same pid on another host, pid 1 and a worker that never sent a
    heartbeat stay."""
    writer, pruner = ctx.sides()
    _need_workers(ctx, pruner)
    me = pruner.call("hello")
    pid = me["pid"]  # alive, but no Resque worker: dead as a worker id of this host
    local, twin = f"{me['hostname']}:{pid}:hq", f"other-host:{pid}:hq"
    pod, expired, silent = "other-host:1:hq", "gone-host:1:hq", "gone-host:2:hq"
    now = _now(writer)
    beats = {local: now, twin: now, pod: now, expired: now - dt.timedelta(seconds=400)}
    for n, wid in enumerate((local, twin, pod, expired, silent)):
        writer.call("redis", argv=["SADD", "workers", wid])
        if wid in beats:
            writer.call("redis", argv=["HSET", "workers:heartbeat", wid, format_heartbeat(beats[wid])])
        job = {"queue": "hq", "run_at": "2026-11-27T16:56:53Z", "payload": {"class": BLOCK, "args": [n]}}
        writer.call("redis", argv=["SET", f"worker:{wid}", json.dumps(job, separators=(",", ":"))])
    pruner.call("redis", argv=["DEL", "pruning_dead_workers_in_progress"])
    pruner.call("prune", queues=["hq"])
    ctx.equal(sorted([twin, pod, silent]), writer.call("workers"), "the workers left after pruning")
    ctx.equal(sorted([twin, pod]), sorted(writer.call("heartbeats")), "the heartbeats left after pruning")
    records = writer.call("failures", op="all", offset=0, limit=10)
    found = sorted((r["worker"], r["exception"], r["error"], r["payload"]["args"]) for r in records)
    gone = f"Worker {expired} did not gracefully exit while processing {BLOCK}"
    expected = [
        (expired, "Resque::PruneDeadWorkerDirtyExit", gone, [3]),
        (local, "Resque::DirtyExit", "Job still being processed", [0]),
    ]
    ctx.equal(sorted(expected), found, "the pruned workers' failures")
    ctx.note(
        f"expired {expired} and this host's {local} pruned; {twin}, {pod} and {silent} (no heartbeat) kept"
    )


# --------------------------------------------------------------------------
# pause-all
# --------------------------------------------------------------------------


def pause_all(ctx: Ctx) -> None:
    writer, reader = ctx.sides()
    _need_workers(ctx, reader)
    for side in (writer, reader):
        side.call("define_job", name=ECHO, queue="pz")
    writer.call("pause_all", value=" TRUE\n")  # stripped and lower-cased by Ruby
    writer.call("enqueue", args=[1], **{"class": ECHO})
    started = reader.call("work", queues=["pz"], interval=0.1, wait=False)

    def paused() -> bool:
        return any(r["command"].endswith(": Paused") for r in reader.call("ps", pid=started["pid"]))

    ctx.until(paused, "the worker's process title to read Paused")
    ctx.equal(1, writer.call("size", queue="pz"), "jobs on the queue while paused")
    ctx.equal(0, writer.call("redis", argv=["LLEN", "performed"]), "jobs performed while paused")
    ctx.equal(1, len(reader.call("workers")), "a paused worker stays registered")
    writer.call("pause_all", value=None)
    ctx.equal([1], ctx.performed(reader, 1)[0]["args"], "the job performed once unpaused")
    _stop(ctx, reader, started["pid"])
    ctx.note("pause-all-workers ' TRUE\\n' held the job (title Paused); deleting it let the worker take it")


BOTH = (RUBY_TO_PYTHON, PYTHON_TO_RUBY)

SCENARIOS = (
    Scenario("info_stats", "Resque.info and stats parity", info_stats, BOTH),
    Scenario("workers_visible", "Workers, working, heartbeats visible", workers_visible, BOTH),
    Scenario("pruning", "Pruning a killed worker, sparing a live one", pruning, BOTH),
    Scenario("pruning_hosts", "Pruning workers of many hosts (colliding pids, pid 1)", pruning_hosts, BOTH),
    Scenario("pause_all", "Pause-all", pause_all, BOTH),
)
