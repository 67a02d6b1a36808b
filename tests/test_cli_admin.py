"""The admin commands of the real ``resque-compat`` CLI, run as a subprocess."""

from __future__ import annotations

import subprocess
import sys

from resque_compat import Resque
from resque_compat.protocol import FailureRecord


def cli(redis_url: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_enqueue_from_the_command_line_writes_ruby_bytes(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    done = cli(redis_url, namespace, "enqueue", "file_serve", "Archive", "44", "masterbrew", '{"a":1.0e20}')
    assert done.returncode == 0, done.stderr
    assert resque.redis.lrange(resque.keys.queue("file_serve"), 0, -1) == [
        b'{"class":"Archive","args":[44,"masterbrew",{"a":1.0e+20}]}'
    ]
    listed = cli(redis_url, namespace, "queues")
    assert listed.stdout == "file_serve\t1\n"


def test_failures_can_be_listed_requeued_and_removed_from_the_command_line(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    resque.failure.save(
        FailureRecord(
            payload={"class": "BadJob", "args": [3]},
            exception="ArgumentError",
            error="bad",
            backtrace=[],
            worker="",
            queue="low",
        )
    )
    resque.redis.rpush(resque.keys.failed(), b"not json")
    listed = cli(redis_url, namespace, "failures", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("0\t") and "BadJob\tArgumentError: bad" in lines[0]
    assert lines[1].startswith("1\tunreadable") and lines[1].endswith("not json")
    assert cli(redis_url, namespace, "failures", "requeue", "0").returncode == 0
    assert resque.peek("low") == {"class": "BadJob", "args": [3]}
    assert cli(redis_url, namespace, "failures", "remove", "1").returncode == 0
    assert cli(redis_url, namespace, "failures", "count").stdout.strip() == "1"


def test_a_bad_redis_url_is_a_clear_error_not_a_traceback(namespace: str) -> None:
    done = cli("ftp://nowhere", namespace, "queues")
    assert done.returncode == 1
    assert "unsupported Redis URL scheme" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_command_a_module_registers_is_reachable_from_the_top_level_group() -> None:
    import importlib

    import click

    from resque_compat.cli import COMMANDS, main

    for module in set(COMMANDS.values()):
        family = click.Group()
        importlib.import_module(f"resque_compat.cli.{module}").register(family)
        for name in family.commands:
            assert COMMANDS.get(name) == module, f"{name} ({module}) is missing from cli.COMMANDS"
            assert main.get_command(click.Context(main), name) is not None
