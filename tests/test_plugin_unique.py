"""resque-loner, resque-lock and resque-lock-timeout: the keys Python writes and clears, and
when, as the plugins do (bytes checked against Ruby in fixtures/plugins/)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_compat import Profile, Registry, Resque
from resque_compat.config.worker import WorkerSettings
from resque_compat.plugins import Lock, LockTimeout, Loner
from resque_compat.plugins.loner import loner_digest
from resque_compat.runtime.worker import Worker


def drain(resque: Resque, registry: Registry, queues: str) -> int:
    settings = WorkerSettings(queues=tuple(queues.split(",")), interval=0.0, fork_per_job=False)
    return Worker.from_client(resque, registry, settings, logger=logging.getLogger("unique-test")).work()


def performed(resque: Resque) -> list[Any]:
    return [json.loads(v) for v in resque.redis.lrange(resque.keys.physical("performed"), 0, -1)]  # type: ignore[union-attr]


def recording(resque: Resque, base: type, name: str, **attrs: Any) -> type:
    def perform(*args: Any) -> None:
        resque.redis.rpush(resque.keys.physical("performed"), json.dumps(list(args)))

    return type(
        name, (base,), {"resque_class": name, "queue": "uq", "perform": staticmethod(perform), **attrs}
    )


def test_the_loner_digest_is_the_md5_of_rubys_encoding_with_hash_arguments_as_sorted_pairs() -> None:
    # Recorded from resque-loner on Resque 3.0 (Uniq.redis_key, MultiJson on Oj).
    args = [1, {"b": 2, "a": [1, {"z": 1, "y": 2}]}, "x", 1.5, None]
    assert loner_digest("Uniq", args) == "5d59f9dbd71714ccc18ca21d61de2764"


def test_a_loner_is_pushed_once_until_a_worker_takes_it(resque: Resque, redis_client: redis.Redis) -> None:
    uniq = recording(resque, Loner, "Uniq")
    args = (1, {"b": 2, "a": [1, {"z": 1, "y": 2}]}, "x", 1.5, None)
    key = f"{resque.namespace}:loners:queue:uq:job:5d59f9dbd71714ccc18ca21d61de2764"
    assert resque.enqueue(uniq, *args) is True
    assert resque.enqueue(uniq, *args) is True  # Ruby's enqueue answers true for 'EXISTED' too
    assert resque.size("uq") == 1
    assert redis_client.get(key) == b"1" and redis_client.ttl(key) == -1
    assert resque.enqueued(uniq, *args) is True and resque.enqueued(uniq, 2) is False
    registry = Registry()
    registry.register(uniq)
    assert drain(resque, registry, "uq") == 0
    assert performed(resque) == [list(args)] and redis_client.exists(key) == 0
    resque.enqueue(uniq, *args)
    assert resque.size("uq") == 1


def test_a_loner_ttl_expires_the_key_and_a_lock_period_keeps_it_after_the_job_is_taken(
    resque: Resque, redis_client: redis.Redis
) -> None:
    uniq = recording(resque, Loner, "Timed", loner_ttl=40, loner_lock_after_execution_period=25)
    resque.enqueue(uniq, 7)
    key = resque.keys.loner("uq", loner_digest("Timed", [7]))
    assert 0 < redis_client.ttl(key) <= 40
    registry = Registry()
    registry.register(uniq)
    drain(resque, registry, "uq")
    assert redis_client.get(key) == b"1" and 0 < redis_client.ttl(key) <= 25
    resque.enqueue(uniq, 7)
    assert resque.size("uq") == 0  # held for the period after execution


def test_destroy_and_remove_queue_clear_the_loner_keys(resque: Resque, redis_client: redis.Redis) -> None:
    uniq = recording(resque, Loner, "Gone")
    resque.enqueue(uniq, 1)
    resque.enqueue(uniq, 2)
    assert resque.destroy("uq", uniq, 1) == 1
    assert resque.enqueued(uniq, 1) is False and resque.enqueued(uniq, 2) is True
    resque.remove_queue("uq")
    assert list(redis_client.scan_iter(match=f"{resque.namespace}:loners:*")) == []


def test_a_lock_refuses_a_second_enqueue_and_goes_after_the_job_even_when_it_raised(
    resque: Resque, redis_client: redis.Redis
) -> None:
    def boom(*args: Any) -> None:
        raise ValueError("no")

    locked = type("Locked", (Lock,), {"resque_class": "Locked", "queue": "uq", "perform": staticmethod(boom)})
    before = int(time.time())
    assert resque.enqueue(locked, 1, {"a": "b"}) is True
    assert resque.enqueue(locked, 1, {"a": "b"}) is None
    key = f'{resque.namespace}:lock:Locked-[1, {{"a"=>"b"}}]'
    assert before + 3601 <= int(redis_client.get(key) or 0) <= int(time.time()) + 3601
    redis_client.set(key, str(before - 10))  # an expired lock is taken over
    assert resque.enqueue(locked, 1, {"a": "b"}) is True
    assert resque.size("uq") == 2
    registry = Registry()
    registry.register(locked)
    drain(resque, registry, "uq")
    assert redis_client.exists(key) == 0 and resque.failure.count() == 2


def test_a_lock_timeout_job_is_skipped_while_another_holds_its_lock(
    resque: Resque, redis_client: redis.Redis
) -> None:
    job = recording(resque, LockTimeout, "Exclusive")
    key = f"{resque.namespace}:lock:Exclusive:1-a-2"
    registry = Registry()
    registry.register(job)
    redis_client.set(key, "true")  # held by a job running elsewhere
    resque.enqueue(job, 1, ["a", 2])
    drain(resque, registry, "uq")
    assert performed(resque) == [] and redis_client.get(key) == b"true"
    redis_client.delete(key)
    resque.enqueue(job, 1, ["a", 2])
    drain(resque, registry, "uq")
    assert performed(resque) == [[1, ["a", 2]]] and redis_client.exists(key) == 0


def test_a_lock_timeout_loner_holds_its_enqueue_lock_until_the_job_starts(
    resque: Resque, redis_client: redis.Redis
) -> None:
    job = recording(resque, LockTimeout, "Single", loner=True, lock_timeout=30)
    loner_key = f"{resque.namespace}:loner:lock:Single:5"
    assert resque.enqueue(job, 5) is True
    assert resque.enqueue(job, 5) is None
    assert int(time.time()) < int(redis_client.get(loner_key) or 0) <= int(time.time()) + 30
    registry = Registry()
    registry.register(job)
    drain(resque, registry, "uq")
    assert performed(resque) == [[5]]
    assert redis_client.exists(loner_key, f"{resque.namespace}:lock:Single:5") == 0


@pytest.mark.parametrize(
    ("args", "inspected", "joined"),
    [
        ([None, True, 1.0e20, 'q"#{x}'], '[nil, true, 1.0e+20, "q\\"\\#{x}"]', '-true-1.0e+20-q"#{x}'),
        ([[1, [2]], {}], "[[1, [2]], {}]", "1-2-{}"),
    ],
)
def test_lock_keys_carry_rubys_inspect_and_join_of_the_arguments(
    resque: Resque, args: list[Any], inspected: str, joined: str
) -> None:
    lock = type("K", (Lock,), {"resque_class": "K"})
    timeout = type("K", (LockTimeout,), {"resque_class": "K"})
    assert lock.lock(*args) == f"lock:K-{inspected}"
    assert timeout.redis_lock_key(*args) == f"lock:K:{joined}"


UNIQUE_KEYS = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "plugins" / "unique_keys.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", UNIQUE_KEYS["cases"], ids=lambda c: json.dumps(c["args"])[:40])
def test_python_computes_the_keys_the_plugins_computed_in_ruby(case: dict[str, Any]) -> None:
    args = case["args"]
    for profile, digest in case["loner"].items():
        assert loner_digest("Uniq", args, Profile(profile)) == digest, profile
    assert type("Locked", (Lock,), {"resque_class": "Locked"}).lock(*args) == case["lock"]
    timed = type("Timed", (LockTimeout,), {"resque_class": "Timed"})
    assert timed.redis_lock_key(*args) == case["lock_timeout"]


def test_doctor_reports_stale_plugin_locks_and_repairs_them_keeping_a_copy(
    resque: Resque, redis_client: redis.Redis, redis_url: str, namespace: str
) -> None:
    uniq = recording(resque, Loner, "Uniq")
    resque.enqueue(uniq, 1)  # queued: its loner key is live
    resque.enqueue(uniq, 2)
    resque.redis.lpop(resque.keys.queue("uq"))  # a job taken by something that left its key behind
    redis_client.set(f"{namespace}:lock:Gone:1", "true")  # a lock-timeout lock nobody holds
    redis_client.set(f"{namespace}:lock:Old-[1]", str(int(time.time()) - 100))  # an expired resque-lock
    base = [
        sys.executable,
        "-m",
        "resque_compat.cli",
        "-r",
        redis_url,
        "-N",
        namespace,
        "doctor",
        "--no-payloads",
    ]
    seen = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=60, check=False)
    found = {
        (f["check"], f["key"])
        for f in json.loads(seen.stdout)["findings"]
        if "lock" in f["check"] or "loner" in f["check"]
    }
    assert found == {
        ("stale-loner", resque.keys.strip(resque.keys.loner("uq", loner_digest("Uniq", [1])))),
        ("stale-lock", "lock:Gone:1"),
        ("expired-lock", "lock:Old-[1]"),
    }
    fixed = subprocess.run([*base, "--repair"], capture_output=True, text=True, timeout=60, check=False)
    assert "repaired stale-loner: 1" in fixed.stdout, fixed.stdout + fixed.stderr
    assert redis_client.exists(f"{namespace}:lock:Gone:1", f"{namespace}:lock:Old-[1]") == 0
    assert resque.enqueued(uniq, 2) is True and resque.enqueued(uniq, 1) is False
    assert redis_client.llen(f"{namespace}:resque-compat:removed") == 3
