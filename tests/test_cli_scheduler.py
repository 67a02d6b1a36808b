"""``resque-compat delayed ...`` and ``resque-compat schedule ...`` as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from resque_compat import Resque

LATER = 4102444800


def cli(redis_url: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_delayed_jobs_are_listed_shown_removed_and_enqueued_now_from_the_command_line(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    resque.enqueue_at_with_queue("files", LATER, "Archive", 1, "a")
    resque.enqueue_at_with_queue("files", LATER, "Archive", 2, "b")
    resque.enqueue_at_with_queue("files", LATER + 60, "Archive", 3, "c")
    listed = cli(redis_url, namespace, "delayed", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{LATER}\t2100-01-01T00:00:00+00:00\t2",
        f"{LATER + 60}\t2100-01-01T00:01:00+00:00\t1",
    ]
    shown = cli(redis_url, namespace, "delayed", "show", str(LATER))
    assert shown.stdout.splitlines()[0] == '{"class":"Archive","args":[1,"a"],"queue":"files"}'
    removed = cli(redis_url, namespace, "delayed", "remove", "Archive", "1", '"a"', "--queue", "files")
    assert removed.stdout.strip() == "removed 1"
    now = cli(redis_url, namespace, "delayed", "enqueue-now", "--timestamp", str(LATER + 60))
    assert now.stdout.strip() == "enqueued 1"
    assert resque.peek("files") == {"class": "Archive", "args": [3, "c"]}
    assert resque.count_all_scheduled_jobs() == 1


def test_schedule_next_prints_run_times_and_fails_on_a_bad_line(
    tmp_path: Path, redis_url: str, namespace: str
) -> None:
    good = tmp_path / "good.yml"
    good.write_text("nightly:\n  cron: '0 3 * * * UTC'\n  class: Cleanup\n")
    out = cli(redis_url, namespace, "schedule", "next", str(good), "-n", "2")
    assert out.returncode == 0, out.stderr
    name, kind, runs = out.stdout.strip().split("\t")
    assert (name, kind) == ("nightly", "cron 0 3 * * * UTC")
    assert [r[11:] for r in runs.split("  ")] == ["03:00:00+00:00", "03:00:00+00:00"]
    bad = tmp_path / "bad.yml"
    bad.write_text("broken:\n  every: 'soon'\n  class: X\n")
    out = cli(redis_url, namespace, "schedule", "next", str(bad))
    assert out.returncode == 1 and "not a duration" in out.stdout


def test_schedule_set_and_remove_write_persistent_schedules(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    done = cli(redis_url, namespace, "schedule", "set", "hourly", '{"every":"1h","class":"Tick","queue":"t"}')
    assert done.returncode == 0, done.stderr
    assert resque.all_schedules() == {"hourly": {"every": "1h", "class": "Tick", "queue": "t"}}
    listed = cli(redis_url, namespace, "schedule", "list")
    assert listed.stdout.startswith('hourly\t"1h"\t')
    assert (
        cli(redis_url, namespace, "schedule", "set", "bad", '{"cron":"not cron","class":"X"}').returncode == 2
    )
    cli(redis_url, namespace, "schedule", "remove", "hourly")
    assert resque.all_schedules() == {}
