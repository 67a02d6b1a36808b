"""``resque-compat inventory``: jobs per class per list, positions and times, Python coverage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from resque_compat import Registry, Resque
from resque_compat.activejob import build_job_data, encode_wrapped, install
from resque_compat.cli import main
from resque_compat.migrate import access
from resque_compat.migrate.inventory import Inventory, plan_lists, take_inventory
from resque_compat.protocol import Profile
from resque_compat.store.migration import MigrationAccess


def active_job(resque: Resque, queue: str, job_class: str, enqueued_at: str) -> None:
    moment = datetime.strptime(enqueued_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    data = build_job_data(job_class, [1], queue=queue, enqueued_at=moment)
    resque.queue_store.push_to_queue(queue, encode_wrapped(data, Profile.RAILS))


def inventory_of(resque: Resque, **kwargs: object) -> Inventory:
    store = access(resque)
    return take_inventory(store, plan_lists(store), **kwargs)  # type: ignore[arg-type]


def rows(result: Inventory, key: str) -> dict[tuple[str, bool], tuple[int, int, int, str | None, str | None]]:
    (tally,) = [t for t in result.lists if t.ref.key == key]
    return {k: (t.count, t.first_index, t.last_index, t.oldest, t.newest) for k, t in tally.classes.items()}


def test_queued_jobs_are_counted_per_class_with_active_job_jobs_under_their_inner_class(
    resque: Resque,
) -> None:
    # Given a queue mixing plain jobs, ActiveJob jobs and entries Ruby cannot read
    resque.enqueue_to("default", "Archive", 1)
    active_job(resque, "default", "SendInvoiceJob", "2026-01-02T10:00:00Z")
    active_job(resque, "default", "SendInvoiceJob", "2026-01-01T09:00:00Z")
    resque.enqueue_to("default", "Archive", 2)
    resque.queue_store.push_to_queue("default", b"not json")
    resque.queue_store.push_to_queue("default", b'{"class":"NoArgs","args":"x"}')
    # When the inventory reads it
    result = inventory_of(resque)
    # Then each class has its count, first and last position, and ActiveJob's times
    assert rows(result, "queue:default") == {
        ("Archive", False): (2, 0, 3, None, None),
        ("SendInvoiceJob", True): (2, 1, 2, "2026-01-01T09:00:00Z", "2026-01-02T10:00:00Z"),
        ("(unreadable)", False): (2, 4, 5, None, None),
    }
    (tally,) = result.lists[:1]
    assert dict(tally.problems) == {"not JSON": 1, '"args" is not an array': 1}


def test_failures_are_counted_per_class_with_the_oldest_and_newest_failure(resque: Resque) -> None:
    for when in ("2026/01/02 10:00:00 UTC", "2026/01/01 23:30:00 -0500", "2026/01/02 09:00:00 CET"):
        record = {"failed_at": when, "payload": {"class": "Archive", "args": []}, "exception": "E",
                  "error": "", "backtrace": [], "worker": "h:1:q", "queue": "q"}  # fmt: skip
        resque.failed_store.push_to_failed_queue(resque.encode(record))
    result = inventory_of(resque)
    # 23:30 -0500 is 04:30 UTC on the 2nd; 09:00 CET is 08:00 UTC: the newest is the UTC one.
    assert rows(result, "failed") == {
        ("Archive", False): (3, 0, 2, "2026/01/01 23:30:00 -0500", "2026/01/02 10:00:00 UTC")
    }


def test_the_app_tells_which_classes_have_a_python_performer(resque: Resque) -> None:
    registry = Registry()
    registry.job("Archive")(lambda *a: None)
    install(registry).register(lambda *a: None, "SendInvoiceJob")
    resque.enqueue_to("default", "Archive", 1)
    resque.enqueue_to("default", "Report", 1)
    active_job(resque, "default", "SendInvoiceJob", "2026-01-01T00:00:00Z")
    active_job(resque, "default", "Archive", "2026-01-01T00:00:00Z")  # an ActiveJob class of the same name
    performers = {r["class"] + ("/aj" if r["active_job"] else ""): r["python_performer"]
                  for r in inventory_of(resque, performers=registry).classes()}  # fmt: skip
    assert performers == {"Archive": True, "Report": False, "SendInvoiceJob/aj": True, "Archive/aj": False}
    unknown = {r["python_performer"] for r in inventory_of(resque).classes()}
    assert unknown == {None}


def test_lists_missing_from_queues_and_multi_queue_failure_lists_are_included(resque: Resque) -> None:
    resque.redis.rpush(resque.keys.queue("orphan"), b'{"class":"Lost","args":[]}')
    resque.redis.set(resque.keys.queue("not-a-list"), b"x")
    resque.failed_store.add_failed_queue("low_failed")
    resque.failed_store.push_to_failed_queue(
        b'{"payload":{"class":"A","args":[]},"queue":"low"}', "low_failed"
    )
    lists = {(r.key, r.kind, r.length, r.registered) for r in plan_lists(access(resque))}
    assert lists == {("queue:orphan", "queue", 1, False), ("failed", "failed", 0, True),
                     ("low_failed", "failed", 1, True)}  # fmt: skip


class CountingAccess(MigrationAccess):
    """The real store, recording the size of every window asked for."""

    windows: list[int]

    def window(self, logical: str, start: int, count: int) -> list[bytes]:
        self.windows.append(count)
        return super().window(logical, start, count)


def test_a_long_queue_is_read_in_windows_never_whole(resque: Resque) -> None:
    resque.enqueue_many("big", "Archive", ([i] for i in range(2_500)))
    store = CountingAccess(resque.redis, resque.keys)
    store.windows = []
    advanced: list[int] = []
    result = take_inventory(
        store, plan_lists(store, ["big"], failed=False), batch=1000, advance=advanced.append
    )
    assert store.windows == [1000, 1000, 1000]
    assert advanced == [1000, 1000, 500] and result.lists[0].scanned == 2_500


def test_the_command_prints_json_for_scripts_and_a_table_for_people(
    redis_url: str, namespace: str, resque: Resque, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = "from resque_compat import Registry\nregistry = Registry()\nregistry.job('Archive')(print)\n"
    (tmp_path / "inv_app.py").write_text(app)
    resque.enqueue_to("default", "Archive", 1)
    resque.enqueue_to("default", "Report", 1)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200"}
    base = [
        sys.executable,
        "-m",
        "resque_compat.cli",
        "-r",
        redis_url,
        "-N",
        namespace,
        "inventory",
        "-a",
        "inv_app",
    ]
    out = subprocess.run([*base, "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    classes = {c["class"]: (c["queued"], c["python_performer"]) for c in json.loads(out.stdout)["classes"]}
    assert classes == {"Archive": (1, True), "Report": (1, False)}
    monkeypatch.syspath_prepend(str(tmp_path))
    table = CliRunner().invoke(main, base[3:], terminal_width=200)
    assert table.exit_code == 0, table.output
    assert "Report" in table.stdout and "queue:default: 2 of 2" in table.stdout


def test_a_namespace_with_glob_characters_only_sees_its_own_lists(
    redis_client: redis.Redis, namespace: str
) -> None:
    odd = Resque(redis_client, namespace=f"{namespace}[x]")
    other = Resque(redis_client, namespace=f"{namespace}x")
    odd.redis.rpush(odd.keys.queue("mine"), b'{"class":"A","args":[]}')
    other.redis.rpush(other.keys.queue("theirs"), b'{"class":"B","args":[]}')
    try:
        assert [r.key for r in plan_lists(access(odd), failed=False)] == ["queue:mine"]
    finally:
        redis_client.delete(odd.keys.queue("mine"), other.keys.queue("theirs"))


def test_delayed_jobs_are_counted_per_class_across_every_timestamp(resque: Resque) -> None:
    # Given resque-scheduler delayed jobs over many timestamps, ActiveJob's wait: among them
    later = 4102444800
    for n in range(250):
        resque.enqueue_at_with_queue("files", later + n % 120, "Archive", n)
    resque.enqueue_at_with_queue("mail", later + 7, "Mailer", 1)
    resque.redis.rpush(resque.keys.delayed(later + 7), b"not json")
    resque.redis.zadd(resque.keys.delayed_queue_schedule(), {str(later + 7): later + 7})
    resque.enqueue_to("files", "Archive", "queued")
    # When the inventory reads them in small windows
    result = take_inventory(access(resque), plan_lists(access(resque)), batch=7)
    # Then the delayed jobs are one list, counted per class, and the class rows say delayed
    counts = {k: v[0] for k, v in rows(result, "delayed_queue_schedule").items()}
    assert counts == {("Archive", False): 250, ("Mailer", False): 1, ("(unreadable)", False): 1}
    archive = next(r for r in result.classes() if r["class"] == "Archive")
    assert (archive["queued"], archive["delayed"], archive["failed"]) == (1, 250, 0)
    assert (
        take_inventory(access(resque), plan_lists(access(resque), delayed=False)).classes()[0]["delayed"] == 0
    )
