"""Keys of the wrong type (a ``queues`` member naming a hash, ``workers`` written as a string...)
on a real Redis: every reading CLI command and every GET route of the dashboard (listed from
the app's own route table, so a new route is covered) names the key and its type instead of
crashing, and nothing in Redis changes. A page reading the key beside others renders around
it (an inline notice where the key's part would be); only a page about the key itself, and
those in ``LIMITS`` and ``ALWAYS_REFUSING`` (the README's limits), answer 409."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

import click
import pytest
import redis
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.cli import main
from resque_compat.config.web import WebSettings
from resque_compat.protocol import FailureRecord
from resque_compat.store import connect
from resque_compat.web import create_app

WORKER = "host:101:q1"
TS = 1_900_000_000
STATUS = "0123456789abcdef0123456789abcdef"

PLANTED = {
    # case: (the logical key of the wrong type, the type it gets)
    "a queues member naming a hash": ("queue:ahash", "hash"),
    "queues as a hash": ("queues", "hash"),
    "a queue as a hash": ("queue:q1", "hash"),
    "workers as a hash": ("workers", "hash"),
    "workers:heartbeat as a string": ("workers:heartbeat", "string"),
    "a worker's key as a hash": (f"worker:{WORKER}", "hash"),
    "a worker's started as a set": (f"worker:{WORKER}:started", "set"),
    "failed as a hash": ("failed", "hash"),
    "failed_queues as a string": ("failed_queues", "string"),
    "stat:processed as a hash": ("stat:processed", "hash"),
    "stat:failed as a set": ("stat:failed", "set"),
    "delayed_queue_schedule as a string": ("delayed_queue_schedule", "string"),
    "a delayed list as a hash": (f"delayed:{TS}", "hash"),
    "persistent_schedules as a string": ("persistent_schedules", "string"),
    "schedules_changed as a string": ("schedules_changed", "string"),
    "the routes as a list": ("resque-compat:routes", "list"),
    "_statuses as a string": ("_statuses", "string"),
    "the history as a string": ("resque-compat:history:10", "string"),
}
WRITE: dict[str, Callable[[redis.Redis, str], object]] = {
    "hash": lambda c, k: c.hset(k, "a", "b"),
    "set": lambda c, k: c.sadd(k, "x"),
    "list": lambda c, k: c.rpush(k, "x"),
    "string": lambda c, k: c.set(k, "x"),
}

READS = [
    ["queues"], ["info"], ["inventory"], ["doctor"], ["workers", "list"], ["failures", "list"],
    ["failures", "count"], ["delayed", "list"], ["delayed", "show", str(TS)], ["schedule", "list"],
    ["route", "list"], ["peek", "q1"], ["peek", "ahash"],
]  # fmt: skip
"""Every command that only reads, run on each planted key."""
OTHERS = {
    "delayed enqueue-now", "delayed remove", "destroy", "enqueue", "failures clear",
    "failures remove", "failures requeue", "move", "pool", "queues pause", "queues unpause",
    "remove-queue", "route add", "route remove", "route sweep", "schedule next", "schedule remove",
    "schedule set", "scheduler", "web", "work", "workers alive", "workers kill", "workers prune",
    "workers remove",
}  # fmt: skip
"""Commands that change Redis, serve or run: not part of the read sweep."""

NOT_ON_PAGES = (
    ":history:10", ":started", ":failed_queues", ":schedules_changed", ":resque-compat:routes",
    ":stat:failed",
)  # fmt: skip
"""Keys no page reads as such: the History tab reads its finest step, the start time and
``stat:failed`` come in one ``MGET`` (nil for another type), ``failed_queues`` only with the
multi-queue backend, the other two only the scheduler and ``route``."""

WORKER_PAGES = (f"/working/{WORKER}", f"/workers/{WORKER}", f"/api/workers/{WORKER}")
REFUSES: dict[str, tuple[str, ...]] = {
    # The pages whose main subject is the key itself: they answer 409 naming it.
    "queue:q1": ("/queues/q1", "/queues/q1/job/0", "/api/queues/q1"),
    "queues": ("/queues", "/api/queues"),
    f"worker:{WORKER}": WORKER_PAGES,
    f"worker:{WORKER}:started": WORKER_PAGES,
    "failed": ("/failed", "/failed/job/0", "/failed/failed", "/failed/failed/job/0", "/api/failed",
               "/api/failed/failed"),
    "workers": ("/working", "/working.poll", "/workers", "/workers.poll", "/api/workers", *WORKER_PAGES),
    "delayed_queue_schedule": ("/delayed", "/api/delayed"),
    f"delayed:{TS}": (f"/delayed/{TS}", f"/api/delayed/{TS}"),
    "persistent_schedules": ("/schedule", "/api/schedule"),
    "_statuses": ("/statuses",),
}  # fmt: skip
LIMITS: dict[str, tuple[str, ...]] = {
    # README, Reliability: pages that still refuse as a whole for a key they read beside others.
    "workers:heartbeat": ("/working", "/working.poll", "/workers", "/workers.poll", "/api/workers",
                          *WORKER_PAGES),
    f"delayed:{TS}": ("/delayed", "/api/delayed"),
}  # fmt: skip
ALWAYS_REFUSING = ("/metrics", "/paused", "/retry")
"""Pages that still answer 409 for any key of the wrong type they read (README's limits)."""
THE_REST = {
    "/overview": ("Workers Working", '<h1 class="wi">Queues</h1>', "processed"),
    "/queues": ("Queues", "first_failure"),
    "/classes": ("Job classes", "workers listening"),
    "/stats/resque": ("pending", "servers", "environment"),
}
"""Text each page renders around a key of the wrong type: its other parts are there."""

PARAMS = {
    "name": "q1", "index": "0", "worker_id": WORKER, "failed_queue": "failed", "section": "resque",
    "timestamp": str(TS), "uuid": STATUS,
}  # fmt: skip


def seed(resque: Resque) -> None:
    """One of everything the readers show, so each planted key sits among good data."""
    resque.enqueue_to("q1", "Archive", 1)
    reg = resque.worker_registry
    reg.register_worker(WORKER, "2026-11-27 16:56:53 +0000")
    reg.heartbeat_now(WORKER, "2026-11-27T16:56:53+00:00")
    reg.set_worker_payload(
        WORKER, b'{"queue":"q1","run_at":"2026-11-27T16:56:53Z","payload":{"class":"A","args":[]}}'
    )
    record = FailureRecord(
        payload={"class": "BadJob", "args": [1]}, exception="RuntimeError", error="boom",
        backtrace=["x.rb:1"], worker=WORKER, queue="q1",
    )  # fmt: skip
    resque.failure.save(record)
    resque.enqueue_at_with_queue("q1", TS, "Archive", 2)
    resque.set_schedule("nightly", {"cron": "0 0 * * *", "class": "Archive", "queue": "q1"})


def snapshot(client: redis.Redis, namespace: str) -> dict[bytes, tuple[bytes, object]]:
    """Every key of the namespace with its type and value (``DUMP``: any type, exact)."""
    return {
        k: (client.type(k), client.dump(k))  # type: ignore[misc]
        for k in sorted(client.scan_iter(match=f"{namespace}:*", count=1000))
    }


def get_paths() -> list[str]:
    """Every GET route of the dashboard, its parameters filled in (from the app's route table)."""
    unreachable = Resque(connect("redis://localhost:1/0"), namespace="unused")
    app = create_app(resque=unreachable, admin=Admin.from_client(unreachable))
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            paths.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), route.path))
    return paths


PATHS = get_paths()


@pytest.fixture(params=sorted(PLANTED))
def planted(request: pytest.FixtureRequest, resque: Resque, redis_client: redis.Redis) -> Iterator[str]:
    logical, kind = PLANTED[request.param]
    seed(resque)
    key = resque.keys.physical(logical)
    redis_client.delete(key)
    WRITE[kind](redis_client, key)
    if logical == "queue:ahash":
        redis_client.sadd(resque.keys.queues(), "ahash")
    yield key


def named(text: str, key: str, kind: str) -> bool:
    return key in text and f"holds a {kind}" in text


def test_every_reading_command_names_a_key_of_the_wrong_type_and_changes_nothing(
    planted: str, redis_url: str, namespace: str, redis_client: redis.Redis
) -> None:
    kind = redis_client.type(planted).decode()  # type: ignore[union-attr]
    before = snapshot(redis_client, namespace)
    runner = CliRunner()
    for command in READS:
        result = runner.invoke(main, ["-r", redis_url, "-N", namespace, *command])
        output = result.output + (result.stderr if result.stderr_bytes else "")
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            command, repr(result.exception), output[-800:],
        )  # fmt: skip
        assert "Traceback" not in output, (command, output[-800:])
        if result.exit_code != 0 and "holds a" in output and command != ["doctor"]:
            assert named(output, planted, kind), (command, output[-800:])
        # doctor lists the key among its findings (its logical name): its own test below
    assert snapshot(redis_client, namespace) == before


def refuses(logical: str, path: str) -> bool:
    """Whether ``path`` may answer 409 for ``logical`` (``REFUSES``, ``LIMITS``)."""
    return path in REFUSES.get(logical, ()) + LIMITS.get(logical, ()) or path in ALWAYS_REFUSING


def test_every_dashboard_page_renders_around_a_key_of_the_wrong_type_and_changes_nothing(
    planted: str, resque: Resque, redis_client: redis.Redis, namespace: str
) -> None:
    kind = redis_client.type(planted).decode()  # type: ignore[union-attr]
    logical = resque.keys.strip(planted)
    before = snapshot(redis_client, namespace)
    app = create_app(
        resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64, history=False)
    )
    seen = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in PATHS:
            response = client.get(path, follow_redirects=False)
            text = response.text
            assert response.status_code < 500, (path, text[-800:])
            if response.status_code == 409:
                assert refuses(logical, path), (path, "answered 409 but reads the key beside others")
                assert named(text, planted, kind), (path, text[-800:])
                seen += 1
                continue
            if planted in text:  # the page read the key: an inline notice names it, its type and Resque's
                if path.startswith("/api/"):
                    assert f'"type":"{kind}"' in text and '"expected":' in text, (path, text[-800:])
                elif path == "/stats.txt":
                    assert f"# {planted}: wrong type: {kind}" in text, text
                else:
                    assert f"wrong type: {kind}" in text, (path, text[-800:])
                    link = f'href="/stats/keys/{quote(logical, safe="")}"'
                    assert link in text, (path, text[-800:])
                seen += 1
            for part in THE_REST.get(path, ()) if response.status_code == 200 else ():
                assert part in text, (path, part, text[-1500:])
    assert snapshot(redis_client, namespace) == before
    if not planted.endswith(NOT_ON_PAGES):
        assert seen, "no page read the planted key"


def test_the_overview_shows_workers_and_failures_beside_a_queue_of_the_wrong_type(
    resque: Resque, redis_client: redis.Redis
) -> None:
    seed(resque)
    redis_client.sadd(resque.keys.queues(), "ahash")
    redis_client.hset(resque.keys.queue("ahash"), "a", "b")
    app = create_app(
        resque=resque, admin=Admin.from_client(resque), web=WebSettings(secret="s" * 64, history=False)
    )
    with TestClient(app) as client:
        page = client.get("/overview")
        queues = client.get("/api/queues").json()
        stats = client.get("/api/stats").json()
    assert page.status_code == 200
    key = resque.keys.queue("ahash")
    row = re.search(
        r'<a class="queue" href="/queues/ahash">ahash</a></td><td class="size wrong">(.*?)</td>', page.text
    )
    assert row and "wrong type: hash (Resque keeps a list)" in row[1] and key in row[1], page.text[-3000:]
    assert '<a class="queue" href="/queues/q1">q1</a></td><td class="num size">1</td>' in page.text
    assert "1 of 1 Workers Working" in page.text and "host:101" in page.text
    assert '<span class="n">1</span><span class="label">failed</span>' in page.text
    assert queues == {"ahash": {"error": f"key {key!r} holds a hash where Resque keeps a list", "key": key,
                                "type": "hash", "expected": "list"}, "q1": 1}  # fmt: skip
    assert stats["pending"] == 1 and stats["queues"] == 2 and stats["failed"] == 1
    assert [w["key"] for w in stats["left_out"]] == [key]


def test_the_read_sweep_knows_every_command_of_the_cli() -> None:
    ctx = click.Context(main)
    found = set()
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            found |= {f"{name} {sub}" for sub in command.list_commands(ctx)}
        found.add(name)
    groups = {"delayed", "failures", "route", "schedule", "workers"}
    reads = {" ".join(c[:2]) if c[0] in groups else c[0] for c in READS}
    assert found - reads - OTHERS - groups == set(), "a command neither in READS nor in OTHERS"


def plant_unrelated_problems(resque: Resque, redis_client: redis.Redis) -> None:
    """A ghost worker's leftover keys and an unreadable delayed item: problems doctor must
    still find beside the wrong-typed key (when their family is not the wrong-typed one)."""
    redis_client.set(resque.keys.worker_started("ghost:9:q1"), "2026-11-27 16:56:53 +0000")
    if redis_client.type(resque.keys.delayed_queue_schedule()) == b"zset":
        redis_client.zadd(resque.keys.delayed_queue_schedule(), {str(TS + 1): TS + 1})
        redis_client.rpush(resque.keys.delayed(TS + 1), b"{not json")


def test_doctor_lists_a_key_of_the_wrong_type_runs_its_other_checks_and_repairs_none_of_it(
    planted: str, resque: Resque, redis_url: str, namespace: str, redis_client: redis.Redis
) -> None:
    plant_unrelated_problems(resque, redis_client)
    kind = redis_client.type(planted).decode()  # type: ignore[union-attr]
    logical = resque.keys.strip(planted)
    runner = CliRunner()
    result = runner.invoke(main, ["-r", redis_url, "-N", namespace, "doctor", "--json"])
    assert result.exit_code == 1, result.output[-800:]
    found = json.loads(result.output)["findings"]
    check = "queue-type" if logical.startswith("queue:") else "key-type"  # doctor's own check of queues
    wrong = [f for f in found if f["check"] in ("key-type", "queue-type")]
    assert [(f["check"], f["key"], f["severity"], f["repair"]) for f in wrong] == [
        (check, logical, "error", None)
    ], found
    assert f"a {kind}" in wrong[0]["detail"], wrong
    others = {f["check"] for f in found}
    if not logical.startswith("worker"):
        assert "stale-worker-keys" in others, found
    if logical != "delayed_queue_schedule":
        assert "delayed-item-unreadable" in others, found
    before = snapshot(redis_client, namespace)
    result = runner.invoke(main, ["-r", redis_url, "-N", namespace, "doctor", "--repair"])
    assert "Traceback" not in result.output, result.output[-800:]
    assert f"not repaired {check} {logical}" in " ".join(result.output.split()), result.output[-1500:]
    after = snapshot(redis_client, namespace)
    assert after[planted.encode()] == before[planted.encode()]
