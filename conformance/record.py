"""Record the conformance fixtures from a real Ruby Resque.

Run as ``python -m conformance.record`` (``make fixtures``).  It finds a reference
with :func:`conformance.reference.find_reference`, starts a throwaway Redis and
writes, under ``fixtures/``:

* ``payloads.json``  -- exact queue payload bytes per JSON profile;
* ``failures.json``  -- raw failure records from real worker runs;
* ``workers.json``   -- worker id, ``worker:<id>``, started, heartbeat, stats, proclines;
* ``keyspace/*.json`` -- normalised keyspace snapshots after small scenarios.

The only rewrite applied to raw values is path normalisation in backtraces: the
Resque ``lib/`` directory becomes ``<resque_lib>`` (so no machine path is recorded).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from conformance import record_scheduler
from conformance.reference import (
    PROFILES,
    REPO_ROOT,
    RedisEndpoint,
    Reference,
    RubyDriver,
    RubyError,
    find_reference,
    reference_session,
)

from . import plugins
from .record_plugins import record_plugin_keyspace, record_unique_keys

FIXTURES = REPO_ROOT / "fixtures"
COMMAND = "make fixtures"
PAYLOAD_QUEUE = "payloads"

Json = dict[str, Any]

# --------------------------------------------------------------------------
# payload corpus: (name, Ruby literal of the args array, job class)
# --------------------------------------------------------------------------

_J = "PayloadJob"
_N = "Billing::Charge"
_D = "Deep::Nested::Job3"

PAYLOAD_CASES: list[tuple[str, str, str]] = [
    ("empty_args", "[]", _J),
    ("nil", "[nil]", _J),
    ("booleans", "[true, false]", _J),
    ("small_ints", "[0, 1, 44, -1, -42]", _J),
    ("int_2_31", "[2**31, -2**31]", _J),
    ("int_2_53", "[2**53, 2**53 + 1]", _J),
    ("int_2_63", "[2**63, 2**63 - 1, -2**63]", _J),
    ("int_2_64", "[2**64]", _J),
    ("int_neg_2_70", "[-2**70]", _J),
    ("float_1_0", "[1.0]", _J),
    ("float_0_1", "[0.1]", _J),
    ("float_100_0", "[100.0]", _J),
    ("float_neg_zero", "[-0.0]", _J),
    ("float_1e15", "[1e15]", _J),
    ("float_999999999999999_0", "[999999999999999.0]", _J),
    ("float_1e16", "[1e16]", _J),
    ("float_1_0e20", "[1.0e20]", _J),
    ("float_1e_4", "[1e-4]", _J),
    ("float_1e_5", "[1e-5]", _J),
    ("float_1_5e_7", "[1.5e-7]", _J),
    ("float_123456789_123456789", "[123456789.123456789]", _J),
    ("float_0_30000000000000004", "[0.30000000000000004]", _J),
    ("float_2_pow_62", "[2.0**62]", _J),
    ("float_2_pow_64", "[2.0**64]", _J),
    ("float_1e100", "[1e100]", _J),
    ("float_5e_324", "[5e-324]", _J),
    ("float_max", "[1.7976931348623157e308]", _J),
    ("float_12345678912345678", "[1.2345678912345678e16]", _J),
    ("float_negative", "[-1.5, -1e20, -1e-7]", _J),
    ("float_nan", "[Float::NAN]", _J),
    ("float_infinity", "[Float::INFINITY]", _J),
    ("float_neg_infinity", "[-Float::INFINITY]", _J),
    ("string_plain", '["masterbrew", ""]', _J),
    ("string_unicode", '["é ü 日本 Ωmega"]', _J),
    ("string_emoji", '["😀 👍🏽 🇳🇱"]', _J),
    ("string_nul", '["a\\u0000b"]', _J),
    ("string_ctrl_0001", '["\\u0001"]', _J),
    ("string_ctrl_001f", '["\\u001f"]', _J),
    ("string_ctrl_all", "[(0..31).map(&:chr).join]", _J),
    ("string_named_escapes", '["\\b\\f\\n\\r\\t"]', _J),
    ("string_del", '["\\u007f"]', _J),
    ("string_slash", '["a/b", "</script>"]', _J),
    ("string_backslash", '["a\\\\b"]', _J),
    ("string_quote", '["say \\"hi\\""]', _J),
    ("string_html", '["<>&\'"]', _J),
    ("string_u2028_u2029", '["a\\u2028b\\u2029c"]', _J),
    ("string_invalid_utf8", '["\\xff\\xfe"]', _J),
    ("string_iso_8859_1", '["caf\\xe9".force_encoding("ISO-8859-1")]', _J),
    ("string_binary_ascii", '["abc".b]', _J),
    ("symbols", '[:sym, :"with space", :é]', _J),
    ("hash_string_keys", '[{"a" => 1, "b" => "c"}]', _J),
    ("hash_symbol_keys", "[{a: 1, b: :c}]", _J),
    ("hash_mixed_keys", '[{a: 1, "b" => :c, 3 => 4, nil => 1, 1.5 => 2}]', _J),
    ("hash_insertion_order", '[{"z" => 1, "a" => 2, "m" => 3}]', _J),
    ("hash_nested", '[{"outer" => {inner: {"deep" => [1, {x: nil}]}}}]', _J),
    ("hash_empty", "[{}]", _J),
    ("array_nested", "[[1, [2, [3, []]], []]]", _J),
    ("array_mixed", '[1, "two", 3.0, nil, true, [:four], {"five" => 5}]', _J),
    ("archive_example", '[44, "masterbrew"]', _J),
    ("time_utc", "[Time.at(1700000000).utc]", _J),
    ("time_utc_fraction", "[Time.at(1700000000, 123456, :usec).utc]", _J),
    ("time_plus_0200", '[Time.at(1700000000).getlocal("+02:00")]', _J),
    ("time_minus_0500", '[Time.at(1700000000).getlocal("-05:00")]', _J),
    ("date", "[Date.new(2024, 1, 2)]", _J),
    ("datetime", "[DateTime.new(2024, 1, 2, 3, 4, 5)]", _J),
    ("bigdecimal", '[BigDecimal("1.23")]', _J),
    ("bigdecimal_large", '[BigDecimal("12345678901234567890.5")]', _J),
    ("range", "[1..3]", _J),
    ("range_exclusive", "[1...3]", _J),
    ("set", "[Set[1, 2]]", _J),
    ("struct", "[Struct.new(:a).new(1)]", _J),
    ("class_object", "[String]", _J),
    ("class_namespaced", "[1]", _N),
    ("class_deeply_namespaced", '["x"]', _D),
    ("class_namespaced_hash", '[{"amount" => 10.5, "currency" => "EUR"}]', _N),
]

PAYLOAD_JOBS = [_J, _N, _D]


def _error_text(exc: RubyError) -> str:
    return f"{exc.error_class}: {exc.error}"


def record_payloads(ref: Reference, endpoint: RedisEndpoint, hellos: dict[str, Json]) -> Json:
    entries: dict[str, Json] = {}
    with RubyDriver(ref, endpoint.driver_url, "rec_payload_classify", "json_gem") as drv:
        for name, ruby, klass in PAYLOAD_CASES:
            info = drv.call("inspect_args", ruby=ruby)
            entries[name] = {
                "name": name,
                "ruby": ruby,
                "class": klass,
                "native": info["native"],
                "ruby_classes": info["classes"],
                "bytes": {},
                "errors": {},
            }
    for profile in PROFILES:
        ns = f"rec_payload_{profile}"
        with RubyDriver(ref, endpoint.driver_url, ns, profile) as drv:
            hellos[profile] = drv.call("hello")
            drv.call("flush")
            for job in PAYLOAD_JOBS:
                drv.call("define_job", name=job, queue=PAYLOAD_QUEUE, behaviour="noop")
            for name, ruby, klass in PAYLOAD_CASES:
                _record_one(drv, entries[name], profile, ruby, klass)
            drv.call("flush")
    return {"entries": list(entries.values())}


def _record_one(drv: RubyDriver, entry: Json, profile: str, ruby: str, klass: str) -> None:
    key = f"queue:{PAYLOAD_QUEUE}"
    try:
        drv.call("enqueue", queue=PAYLOAD_QUEUE, **{"class": klass}, ruby=ruby)
    except RubyError as exc:
        entry["errors"][profile] = _error_text(exc)
    pushed = drv.call("redis", argv=["LRANGE", key, 0, -1])
    drv.call("redis", argv=["DEL", key])
    if len(pushed) > 1:
        raise RuntimeError(f"{entry['name']}: {len(pushed)} items pushed")
    raw = pushed[0] if pushed else None
    if isinstance(raw, bytes):
        entry.setdefault("bytes_base64", {})[profile] = base64.b64encode(raw).decode("ascii")
        entry["bytes"][profile] = None
    else:
        entry["bytes"][profile] = raw


# --------------------------------------------------------------------------
# shared scenario helpers
# --------------------------------------------------------------------------


class Scenario:
    """A driver plus the list of commands it ran (so a fixture can describe them)."""

    def __init__(self, drv: RubyDriver) -> None:
        self.drv = drv
        self.steps: list[Json] = []

    def __call__(self, cmd: str, **kw: Any) -> Any:
        self.steps.append({"cmd": cmd, **kw})
        return self.drv.call(cmd, **kw)

    def wait_for_list(self, key: str, length: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.drv.call("redis", argv=["LLEN", key]) < length:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{key} never reached {length} items")
            time.sleep(0.05)


def _path_rewriter(resque_lib: str | None) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        if resque_lib:
            text = text.replace(resque_lib, "<resque_lib>")
        return text

    return rewrite


def _failure_lists(keys: Json) -> dict[str, list[Any]]:
    return {
        k: v["value"]
        for k, v in keys.items()
        if v["type"] == "list" and (k == "failed" or k.endswith("_failed"))
    }


class FailureCollector:
    def __init__(self, sc: Scenario, rewrite: Callable[[str], str]) -> None:
        self.sc = sc
        self.rewrite = rewrite
        self.seen: set[tuple[str, str]] = set()
        self.records: list[Json] = []

    def collect(self, case: str, expect: int = 1) -> None:
        found = 0
        for key, values in _failure_lists(self.sc.drv.call("keys")).items():
            for index, raw in enumerate(values):
                if (key, raw) in self.seen:
                    continue
                self.seen.add((key, raw))
                found += 1
                self.records.append({"case": case, "key": key, "index": index, "raw": self.rewrite(raw)})
        if found != expect:
            raise RuntimeError(f"{case}: expected {expect} new failure records, saw {found}")


def _fake_dead_worker(sc: Scenario, worker_id: str, queue: str, job: Json) -> None:
    now = int(sc.drv.call("redis", argv=["TIME"])[0])
    old = dt.datetime.fromtimestamp(now - 400, dt.timezone.utc).isoformat(timespec="seconds")
    run_at = dt.datetime.fromtimestamp(now - 420, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = json.dumps({"queue": queue, "run_at": run_at, "payload": job}, separators=(",", ":"))
    sc("redis", argv=["SADD", "workers", worker_id])
    sc("redis", argv=["SET", f"worker:{worker_id}", payload])
    sc("redis", argv=["HSET", "workers:heartbeat", worker_id, old])
    sc("redis", argv=["DEL", "pruning_dead_workers_in_progress"])


# --------------------------------------------------------------------------
# failures.json
# --------------------------------------------------------------------------

FAILURE_RUNS = [
    ("utc_redis", "UTC", "redis"),
    ("new_york_redis", "America/New_York", "redis"),
    ("utc_redis_multi_queue", "UTC", "redis_multi_queue"),
    ("new_york_redis_multi_queue", "America/New_York", "redis_multi_queue"),
]

UNICODE_MESSAGE = "bad thing ünïcode 日本 😀"


def record_failures(ref: Reference, endpoint: RedisEndpoint, rewrite: Callable[[str], str]) -> Json:
    runs = []
    for name, tz, backend in FAILURE_RUNS:
        with RubyDriver(ref, endpoint.driver_url, f"rec_fail_{name}", "json_gem", env={"TZ": tz}) as drv:
            drv.call("flush")
            sc = Scenario(drv)
            records = _failure_run(sc, backend, rewrite)
            drv.call("flush")
        runs.append(
            {
                "name": name,
                "tz": tz,
                "backend": backend,
                "profile": "json_gem",
                "records": records,
                "steps": sc.steps,
            }
        )
    return {"runs": runs}


def _failure_run(sc: Scenario, backend: str, rewrite: Callable[[str], str]) -> list[Json]:
    fc = FailureCollector(sc, rewrite)
    sc("define_job", name="FailJob", queue="low", behaviour="raise", message=UNICODE_MESSAGE)
    sc("define_job", name="KillJob", queue="low", behaviour="kill_self", signal="KILL")
    sc("define_job", name="SlowJob", queue="slow", behaviour="sleep", seconds=30, record=True)
    sc("enqueue", **{"class": "FailJob"}, ruby='[3, "x"]')
    sc("work", queues=["low"], backend=backend)
    fc.collect("exception_in_perform")
    sc("push", queue="low", item={"class": "Nope::Missing", "args": [1]})
    sc("work", queues=["low"], backend=backend)
    fc.collect("unknown_class")
    sc("enqueue", **{"class": "KillJob"}, args=[1])
    sc("work", queues=["low"], backend=backend)
    fc.collect("dirty_exit_sigkill")
    sc("enqueue", **{"class": "SlowJob"}, args=[30])
    started = sc("work", queues=["slow"], backend=backend, env={"TERM_CHILD": "1"}, wait=False)
    sc.wait_for_list("performed", 1)
    sc("signal", pid=started["pid"], signal="TERM")
    sc("wait", pid=started["pid"], timeout=30)
    fc.collect("term_exception")
    _fake_dead_worker(sc, "deadhost:4242:low", "low", {"class": "FailJob", "args": [9]})
    sc("prune", queues=["low"], backend=backend)
    fc.collect("prune_dead_worker_dirty_exit")
    failed_queue = "low_failed" if backend == "redis_multi_queue" else None
    sc("failures", op="requeue", id=0, queue=failed_queue, backend=backend)
    requeued = sc("failures", op="all", offset=0, limit=1, queue=failed_queue, backend=backend)
    key = failed_queue or "failed"
    raw = sc.drv.call("redis", argv=["LINDEX", key, 0])
    fc.records.append({"case": "requeued", "key": key, "index": 0, "raw": rewrite(raw)})
    assert "retried_at" in requeued
    return fc.records


# --------------------------------------------------------------------------
# workers.json
# --------------------------------------------------------------------------


def record_workers(ref: Reference, endpoint: RedisEndpoint, rewrite: Callable[[str], str]) -> Json:
    runs = []
    for name, tz in (("utc", "UTC"), ("new_york", "America/New_York")):
        with RubyDriver(ref, endpoint.driver_url, f"rec_workers_{name}", "json_gem", env={"TZ": tz}) as drv:
            drv.call("flush")
            sc = Scenario(drv)
            run = _workers_run(sc, rewrite)
            drv.call("flush")
        runs.append({"name": name, "tz": tz, **run, "steps": sc.steps})
    return {"runs": runs}


def _workers_run(sc: Scenario, rewrite: Callable[[str], str]) -> Json:
    sc("define_job", name="FailJob", queue="slow", behaviour="raise", message="boom")
    sc("define_job", name="QuickJob", queue="slow", behaviour="noop")
    sc("define_job", name="SlowJob", queue="slow", behaviour="sleep", seconds=2, record=True)
    sc("enqueue", **{"class": "FailJob"}, args=[1])
    sc("enqueue", **{"class": "QuickJob"}, args=[2])
    sc("enqueue", **{"class": "SlowJob"}, args=[3])
    started = sc("work", queues=["slow"], wait=False)
    sc.wait_for_list("performed", 1)
    keys = sc("keys")
    working = sc("working")
    workers = sc("workers")
    heartbeats = sc("heartbeats")
    ps_busy = sc("ps", pid=started["pid"])
    finished = sc("wait", pid=started["pid"], timeout=30)
    after = sc("keys")
    worker_id = workers[0]
    idle = _idle_proclines(sc)
    return {
        "hostname": sc.drv.call("hello")["hostname"],
        "worker_pid": started["pid"],
        "worker_id": worker_id,
        "worker_value": keys[f"worker:{worker_id}"]["value"],
        "started_value": keys[f"worker:{worker_id}:started"]["value"],
        "heartbeat_value": keys["workers:heartbeat"]["value"][worker_id],
        "stat_keys_while_running": {k: v["value"] for k, v in keys.items() if k.startswith("stat:")},
        "stat_keys_after_exit": {k: v["value"] for k, v in after.items() if k.startswith("stat:")},
        "keys_after_exit": sorted(after),
        "working": working,
        "heartbeats": heartbeats,
        "exit": finished,
        "proclines_busy": [rewrite(r["command"]) for r in ps_busy],
        **idle,
    }


def _idle_proclines(sc: Scenario) -> Json:
    started = sc("work", queues=["idle_a", "idle_b"], interval=0.2, wait=False)
    time.sleep(1.0)
    waiting = sc("ps", pid=started["pid"])
    sc("pause_all", value="true")
    time.sleep(1.0)
    paused = sc("ps", pid=started["pid"])
    sc("pause_all", value=None)
    sc("signal", pid=started["pid"], signal="QUIT")
    sc("wait", pid=started["pid"], timeout=30)
    return {
        "proclines_waiting": [r["command"] for r in waiting],
        "proclines_paused": [r["command"] for r in paused],
    }


# --------------------------------------------------------------------------
# keyspace snapshots
# --------------------------------------------------------------------------

TIME_PATTERNS: list[tuple[str, str, str]] = [
    ("iso8601_utc_z", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "%Y-%m-%dT%H:%M:%SZ (UTC)"),
    ("iso8601_offset", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", "%Y-%m-%dT%H:%M:%S%:z"),
    ("ruby_time_to_s", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", "%Y-%m-%d %H:%M:%S %z"),
    ("slash_with_zone", r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]{2,5}\b", "%Y/%m/%d %H:%M:%S %Z"),
    ("slash_no_zone", r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", "%Y/%m/%d %H:%M:%S"),
]


PLACEHOLDERS: Json = {
    "<host>": "Socket.gethostname of the worker",
    "<pid>": "a process id (worker ids and DirtyExit messages)",
    "<line>": "a line number in conformance/ruby/driver.rb",
    "<resque_lib>": "the Resque lib/ directory in backtraces",
    **{f"<time:{name}>": fmt for name, _, fmt in TIME_PATTERNS},
    "expires": "true when the key has a TTL (pruning_dead_workers_in_progress: EX 60)",
    "<uuid:N>": "a resque-status job id (random), numbered by its status's contents",
    "<time:epoch>": 'a resque-status time (Time.now.to_i): its status\'s "time" and its _statuses score',
}

_STATUS_KEY = re.compile(r"^status:([0-9a-f]{32})$")
_STATUS_TIME = re.compile(r'"time":\d+')


class Normaliser:
    def __init__(self, hostname: str, rewrite: Callable[[str], str]) -> None:
        self.host = re.compile(re.escape(hostname) + r":(\d+):")
        self.rewrite = rewrite

    def text(self, value: str) -> str:
        value = self.rewrite(value)
        value = self.host.sub("<host>:<pid>:", value)
        value = re.sub(r"\bpid \d+\b", "pid <pid>", value)
        value = re.sub(r"driver\.rb:\d+:", "driver.rb:<line>:", value)
        for name, pattern, _ in TIME_PATTERNS:
            value = re.sub(pattern, f"<time:{name}>", value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        return value

    def keyspace(self, keys: Json) -> Json:
        out: Json = {}
        for key, entry in keys.items():
            value = self.value(entry["value"])
            if entry["type"] == "set":
                value = sorted(value)
            out[self.text(key)] = {
                "type": entry["type"],
                "value": value,
                "expires": entry["ttl"] >= 0,
            }
        return dict(sorted(_statuses_normalised(out).items()))


def _statuses_normalised(keys: Json) -> Json:
    """resque-status's volatile parts as placeholders: each job id (a random UUID, in
    ``status:<uuid>``, in its status, in its job's payload, in ``_statuses``) becomes
    ``<uuid:N>``, numbered in the order of the statuses' contents with ids and times left out,
    and each status's ``"time"`` and ``_statuses`` score becomes ``<time:epoch>``."""
    ids = _status_ids(keys)
    if not ids:
        return keys
    out: Json = {}
    for key, entry in keys.items():
        value = _swap(entry["value"], ids)
        if _STATUS_KEY.match(key) and isinstance(value, str):
            value = _STATUS_TIME.sub('"time":<time:epoch>', value)
        elif key == "_statuses" and entry["type"] == "zset":
            value = sorted([member, "<time:epoch>"] for member, _ in value)
        elif entry["type"] == "set":
            value = sorted(value)
        out[_swap(key, ids)] = {**entry, "value": value}
    return out


def _status_ids(keys: Json) -> dict[str, str]:
    bodies = []
    for key, entry in keys.items():
        found = _STATUS_KEY.match(key)
        if found and entry["type"] == "string" and isinstance(entry["value"], str):
            body = _STATUS_TIME.sub('"time":0', entry["value"].replace(found.group(1), ""))
            bodies.append((body, found.group(1)))
    return {uuid: f"<uuid:{n}>" for n, (_, uuid) in enumerate(sorted(bodies), 1)}


def _swap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for uuid, placeholder in ids.items():
            value = value.replace(uuid, placeholder)
        return value
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {_swap(k, ids): _swap(v, ids) for k, v in value.items()}
    return value


KEYSPACE_SCENARIOS: dict[str, str] = {
    "enqueue": "Three Resque.enqueue_to calls on two queues (one namespaced job class); no worker has run.",
    "burst_success_failure": "GoodJob (succeeds, no side effects) and BadJob (raises "
    "RuntimeError) on queue 'work', then one forking burst worker (interval 0) on 'work'.",
    "failure_requeue": "burst_success_failure, then Resque::Failure.requeue(0).",
    "failure_remove": "failure_requeue, then Resque::Failure.remove(0).",
    "multi_queue_failure": "BadJob on queue 'work' processed by a burst worker whose "
    "failure backend is Resque::Failure::RedisMultiQueue.",
    "multi_queue_requeue": "multi_queue_failure, then requeue(0, 'work_failed') through the "
    "RedisMultiQueue backend.",
}


def record_keyspace(ref: Reference, endpoint: RedisEndpoint, norm: Normaliser) -> dict[str, Json]:
    snaps: dict[str, Json] = {}

    def snap(name: str, sc: Scenario, description: str | None = None) -> None:
        keys = sc.drv.call("keys")
        snaps[name] = {
            "scenario": name,
            "description": description or KEYSPACE_SCENARIOS.get(name) or record_scheduler.SCENARIOS[name],
            "namespace": sc.drv.namespace,
            "profile": sc.drv.profile,
            "tz": "UTC",
            "steps": list(sc.steps),
            "placeholders": PLACEHOLDERS,
            "keyspace": norm.keyspace(keys),
        }

    with _fresh(ref, endpoint, "rec_ks_enqueue") as sc:
        sc("define_job", name="GoodJob", queue="work", behaviour="noop")
        sc("define_job", name="Billing::Charge", queue="billing", behaviour="noop")
        sc("enqueue", queue="work", **{"class": "GoodJob"}, ruby='[1, "two"]')
        sc("enqueue", queue="work", **{"class": "GoodJob"}, ruby="[{a: 1.5, b: nil}]")
        sc("enqueue", queue="billing", **{"class": "Billing::Charge"}, ruby="[44, :eur]")
        snap("enqueue", sc)
    with _fresh(ref, endpoint, "rec_ks_burst") as sc:
        sc("define_job", name="GoodJob", queue="work", behaviour="noop")
        sc("define_job", name="BadJob", queue="work", behaviour="raise", message="boom")
        sc("enqueue", **{"class": "GoodJob"}, ruby='[1, "two"]')
        sc("enqueue", **{"class": "BadJob"}, ruby="[3]")
        sc("work", queues=["work"], interval=0)
        snap("burst_success_failure", sc)
        sc("failures", op="requeue", id=0)
        snap("failure_requeue", sc)
        sc("failures", op="remove", id=0)
        snap("failure_remove", sc)
    record_scheduler.record(lambda ns: _fresh(ref, endpoint, ns), snap)
    with _fresh(ref, endpoint, "rec_ks_multi") as sc:
        sc("define_job", name="BadJob", queue="work", behaviour="raise", message="boom")
        sc("enqueue", **{"class": "BadJob"}, ruby="[3]")
        sc("work", queues=["work"], interval=0, backend="redis_multi_queue")
        snap("multi_queue_failure", sc)
        sc("failures", op="requeue", id=0, queue="work_failed", backend="redis_multi_queue")
        snap("multi_queue_requeue", sc)
    missing = plugins.all_missing()
    if missing:
        print("plugin keyspace fixtures not recorded: " + "; ".join(missing), file=sys.stderr)
    else:
        record_plugin_keyspace(
            lambda ns: _fresh(ref, endpoint, ns), lambda name, text, sc: snap(name, sc, text)
        )
    return snaps


class _fresh:  # a context manager used like a function
    def __init__(self, ref: Reference, endpoint: RedisEndpoint, ns: str) -> None:
        self.drv = RubyDriver(ref, endpoint.driver_url, ns, "json_gem", env={"TZ": "UTC"})

    def __enter__(self) -> Scenario:
        self.drv.start()
        self.drv.call("flush")
        return Scenario(self.drv)

    def __exit__(self, *exc: object) -> None:
        try:
            self.drv.call("flush")
        finally:
            self.drv.close()


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

VERSION_KEYS = (
    "ruby",
    "resque",
    "redis_rb",
    "redis_namespace",
    "multi_json",
    "oj",
    "json",
    "activesupport",
    "resque_scheduler",
)


def provenance(ref: Reference, hellos: dict[str, Json], redis_version: str) -> Json:
    versions: Json = {}
    for key in VERSION_KEYS:
        versions[key] = next((h[key] for h in hellos.values() if h.get(key)), None)
    return {
        **versions,
        "redis_server": redis_version,
        "multi_json_adapters": {p: h["multi_json_adapter"] for p, h in hellos.items()},
        "hostname": next(iter(hellos.values()))["hostname"],
        "reference": ref.kind,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "command": COMMAND,
    }


def write_json(path: Path, data: Json) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _parse(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m conformance.record", description=__doc__)
    parser.add_argument("--out", type=Path, default=FIXTURES, help="fixtures directory")
    parser.add_argument(
        "--only",
        choices=("payloads", "failures", "workers", "keyspace", "plugins", "scheduler"),
        action="append",
        help="record only these fixture sets (repeatable)",
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    args = _parse(argv)
    only = set(args.only or ("payloads", "failures", "workers", "keyspace", "plugins", "scheduler"))
    found = find_reference()
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return 2
    print(f"recording against {found.describe()}", file=sys.stderr)
    with reference_session(found) as (ref, endpoint, server):
        hellos: dict[str, Json] = {}
        for profile in PROFILES:
            with RubyDriver(ref, endpoint.driver_url, "rec_hello", profile) as drv:
                hellos[profile] = drv.call("hello")
        prov = provenance(ref, hellos, server.version())
        lib = hellos["json_gem"].get("resque_lib")
        rewrite = _path_rewriter(lib if isinstance(lib, str) else None)
        out: Path = args.out
        if "payloads" in only:
            write_json(out / "payloads.json", {"provenance": prov, **record_payloads(ref, endpoint, {})})
        if "failures" in only:
            write_json(out / "failures.json", {"provenance": prov, **record_failures(ref, endpoint, rewrite)})
        if "workers" in only:
            write_json(out / "workers.json", {"provenance": prov, **record_workers(ref, endpoint, rewrite)})
        if "plugins" in only and not plugins.all_missing():
            unique = record_unique_keys(ref, endpoint)
            write_json(out / "plugins" / "unique_keys.json", {"provenance": prov, **unique})
        if "keyspace" in only:
            norm = Normaliser(prov["hostname"], rewrite)
            for name, snap in record_keyspace(ref, endpoint, norm).items():
                write_json(out / "keyspace" / f"{name}.json", {"provenance": prov, **snap})
        if "scheduler" in only:
            with RubyDriver(ref, endpoint.driver_url, "rec_parse", "json_gem", env={"TZ": "UTC"}) as drv:
                parsed = record_scheduler.record_parsing(drv)
            write_json(out / "scheduler" / "parsing.json", {"provenance": prov, "tz": "UTC", **parsed})
    print(f"fixtures written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
