"""Replay of what the real Ruby Resque 3.0 wrote (fixtures/, recorded by ``make fixtures``).

Runs on every ``make test``, with no Ruby: Python must write the same bytes for the same values
under each JSON profile, read Ruby's bytes back to the same values, and parse every time and
worker id Ruby wrote.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from resque_compat.errors import EncodeError
from resque_compat.protocol import FailureRecord, Profile, decode, encode, parse_worker_id
from resque_compat.protocol.records import held_payload, working_on_prefix
from resque_compat.protocol.times import (
    format_failed_at,
    format_heartbeat,
    format_multi_queue_retried_at,
    format_run_at,
    format_started,
    parse_time,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAYLOADS = json.loads((FIXTURES / "payloads.json").read_text(encoding="utf-8"))
FAILURES = json.loads((FIXTURES / "failures.json").read_text(encoding="utf-8"))
WORKERS = json.loads((FIXTURES / "workers.json").read_text(encoding="utf-8"))
PROFILES = [p.value for p in Profile]


def recorded(entries: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    for e in entries:
        for profile, raw in e["bytes"].items():
            if raw is not None:
                yield e["name"], profile, raw


def test_the_fixture_corpus_is_the_size_the_issue_asks_for() -> None:
    assert len(PAYLOADS["entries"]) >= 40
    assert PAYLOADS["provenance"]["resque"].startswith("3.")


@pytest.mark.parametrize(("name", "profile", "raw"), list(recorded(PAYLOADS["entries"])))
def test_ruby_payload_bytes_decode_and_re_encode_to_the_same_bytes(name: str, profile: str, raw: str) -> None:
    value = decode(raw.encode())
    assert encode(value, Profile(profile)) == raw.encode(), name


NATIVE = [e for e in PAYLOADS["entries"] if e["native"] and e["bytes"].get("json_gem")]


@pytest.mark.parametrize("entry", NATIVE, ids=[e["name"] for e in NATIVE])
@pytest.mark.parametrize("profile", PROFILES)
def test_python_writes_what_each_ruby_backend_writes_for_the_same_value(
    entry: dict[str, Any], profile: str
) -> None:
    # The json gem's bytes are lossless, so they give the value Ruby enqueued.
    value = decode(entry["bytes"]["json_gem"].encode())
    expected = entry["bytes"].get(profile)
    assert expected is not None
    assert encode(value, Profile(profile)) == expected.encode()


REFUSED = [e for e in PAYLOADS["entries"] if any("GeneratorError" in err for err in e["errors"].values())]


@pytest.mark.parametrize("entry", REFUSED, ids=[e["name"] for e in REFUSED])
def test_what_ruby_refuses_to_encode_python_refuses_too(entry: dict[str, Any]) -> None:
    ruby = entry["ruby"]
    floats = {"Float::NAN": float("nan"), "Float::INFINITY": float("inf"), "-Float::INFINITY": float("-inf")}
    found = [v for k, v in floats.items() if k in ruby]
    if not found:
        pytest.skip(f"{entry['name']}: Ruby refuses a value Python cannot hold ({ruby})")
    with pytest.raises(EncodeError):
        encode([found[0]])


def failure_records() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for run in FAILURES["runs"]:
        for rec in run["records"]:
            yield f"{run['name']}-{rec['case']}", run, rec


@pytest.mark.parametrize(
    ("name", "run", "rec"), list(failure_records()), ids=[n for n, _, _ in failure_records()]
)
def test_python_writes_a_failure_record_byte_for_byte_as_ruby_did(
    name: str, run: dict[str, Any], rec: dict[str, Any]
) -> None:
    raw = rec["raw"].encode()
    value = decode(raw)
    rebuilt = FailureRecord(
        failed_at=value["failed_at"],
        payload=value["payload"],
        exception=value["exception"],
        error=value["error"],
        backtrace=value["backtrace"],
        worker=value["worker"],
        queue=value["queue"],
    ).to_dict()
    if "retried_at" in value:
        rebuilt["retried_at"] = value["retried_at"]
    assert encode(rebuilt, Profile(run["profile"])) == raw
    parse_time(value["failed_at"])
    if value["worker"]:
        parse_worker_id(value["worker"])


@pytest.fixture
def zone(request: pytest.FixtureRequest) -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("zone", sorted({r["tz"] for r in FAILURES["runs"]}), indirect=True)
def test_failed_at_and_retried_at_are_written_in_ruby_s_format_for_the_zone(zone: None) -> None:
    tz = os.environ["TZ"]
    for name, run, rec in failure_records():
        if run["tz"] != tz:
            continue
        value = decode(rec["raw"].encode())
        moment = parse_time(value["failed_at"])
        assert format_failed_at(moment) == value["failed_at"], name
        if "retried_at" in value:
            retried = parse_time(value["retried_at"])
            fmt = format_multi_queue_retried_at if run["backend"] == "redis_multi_queue" else format_failed_at
            if run["backend"] == "redis_multi_queue":
                # zone-less: Ruby wrote local time; read it back in the local zone
                retried = retried.replace(tzinfo=moment.tzinfo)
            assert fmt(retried) == value["retried_at"], name


@pytest.mark.parametrize("zone", sorted({r["tz"] for r in WORKERS["runs"]}), indirect=True)
def test_worker_entries_are_written_in_ruby_s_formats_for_the_zone(zone: None) -> None:
    for run in (r for r in WORKERS["runs"] if r["tz"] == os.environ["TZ"]):
        assert format_started(parse_time(run["started_value"])) == run["started_value"]
        assert format_heartbeat(parse_time(run["heartbeat_value"])) == run["heartbeat_value"]
        value = decode(run["worker_value"].encode())
        assert format_run_at(parse_time(value["run_at"])) == value["run_at"]
        payload = encode(value["payload"])
        rebuilt = working_on_prefix(encode(value["queue"]), value["run_at"]) + payload + b"}"
        assert rebuilt == run["worker_value"].encode()
        assert held_payload(rebuilt) == (value["queue"], payload)
        wid = parse_worker_id(run["worker_id"])
        assert (wid.hostname, wid.pid) == (run["hostname"], run["worker_pid"])
