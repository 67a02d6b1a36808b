"""Keyspace dumps and their comparison, shared by the live suite and ``tests/test_keyspace_replay.py``.

A dump has the driver's ``keys`` shape: ``{logical key: {"type", "value", "ttl"}}`` with lists in
order, sets sorted, hashes as objects and zsets as ``[member, score]`` pairs. ``normalise`` turns
a dump into the fixtures' form (``fixtures/keyspace/*.json``): host names, pids, driver line
numbers and times become placeholders (``conformance.record.Normaliser``), and a TTL becomes
``expires``. ``for_parity`` additionally blanks what legitimately differs between a Ruby and a
Python process running the same scenario: backtrace frames (Ruby files versus Python files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from resque_compat import Keys, Resque
from resque_compat.protocol.keys import HISTORY_PREFIX

from . import rubylit
from .record import Normaliser

Json = dict[str, Any]

BACKTRACE_PLACEHOLDER = "<frames>"


def text(raw: bytes) -> str | bytes:
    """Bytes as text when they are UTF-8 (as the driver does), else the bytes themselves."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def dump(resque: Resque) -> Json:
    """Every key of ``resque``'s namespace, as the Ruby driver's ``keys`` command dumps it."""
    client: Any = resque.redis
    out: Json = {}
    found = sorted(set(client.scan_iter(match=resque.keys.all_pattern(), count=1000)))
    for physical in found:
        logical = resque.keys.strip(physical.decode("utf-8", "replace"))
        out[logical] = _dump_key(client, physical)
    return out


def _dump_key(client: Any, key: bytes) -> Json:
    kind = client.type(key).decode()
    value: Any = None
    if kind == "string":
        value = text(client.get(key))
    elif kind == "list":
        value = [text(v) for v in client.lrange(key, 0, -1)]
    elif kind == "set":
        value = sorted(text(v) for v in client.smembers(key))
    elif kind == "hash":
        value = {text(k): text(v) for k, v in client.hgetall(key).items()}
    elif kind == "zset":
        value = [[text(m), s] for m, s in client.zrange(key, 0, -1, withscores=True)]
    return {"type": kind, "value": value, "ttl": int(client.ttl(key))}


def normaliser(hostname: str, resque_lib: str | None = None) -> Normaliser:
    """The fixtures' normaliser for a worker host (and the Ruby lib path, for backtraces)."""

    def rewrite(value: str) -> str:
        return value.replace(resque_lib, "<resque_lib>") if resque_lib else value

    return Normaliser(hostname, rewrite)


def normalise(keys: Json, hostname: str, resque_lib: str | None = None) -> Json:
    """A dump in the fixtures' normalised form."""
    return normaliser(hostname, resque_lib).keyspace(keys)


_FAILURE_KEY = re.compile(r"^(failed|.+_failed)$")


def for_parity(snapshot: Json) -> Json:
    """A normalised snapshot with backtrace frames blanked in failure records.

    A Ruby job's frames name Ruby files, a Python job's frames Python files; both sides must
    still agree on whether there are frames at all (``[]`` for a dirty exit or a prune).
    The dashboard's sampled history, which Python workers add to at their heartbeat, is
    resque-compat's own (Ruby keeps none) and is left out.
    """
    out: Json = {}
    for key, entry in snapshot.items():
        if key.startswith(HISTORY_PREFIX):
            continue
        if entry["type"] == "list" and _FAILURE_KEY.match(key):
            entry = {**entry, "value": [_blank_backtrace(v) for v in entry["value"]]}
        out[key] = entry
    return out


def _blank_backtrace(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw.startswith("{"):
        return raw
    try:
        record = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(record, dict) and isinstance(record.get("backtrace"), list) and record["backtrace"]:
        record["backtrace"] = [BACKTRACE_PLACEHOLDER]
        # The same compact form the record had (Ruby's key order is kept by json.loads).
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return raw


def differences(expected: Json, actual: Json, left: str = "ruby", right: str = "python") -> list[str]:
    """Human-readable differences between two normalised snapshots (empty when equal)."""
    out: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            out.append(f"{key}: only {left} has it ({_short(expected[key])})")
        elif key not in expected:
            out.append(f"{key}: only {right} has it ({_short(actual[key])})")
        elif expected[key] != actual[key]:
            path, a, b = first_difference(expected[key], actual[key])
            out.append(f"{key}{path}: {left} {_short(a)} != {right} {_short(b)}")
    return out


def first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any]:
    """Where two values first differ (descending into objects, arrays and JSON text)."""
    if isinstance(a, str) and isinstance(b, str) and a.startswith("{") and b.startswith("{"):
        try:
            da, db = json.loads(a), json.loads(b)
        except ValueError:
            return path, a, b
        return first_difference(da, db, path)
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return path + " keys", list(a), list(b)
        for k in a:
            if a[k] != b[k]:
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path + " length", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return path, a, b


def _short(value: Any, limit: int = 400) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def clone(resque: Resque, source: str, target: str) -> int:
    """Copy every key of namespace ``source`` into ``target`` (``DUMP``/``RESTORE``, TTLs kept)."""
    client: Any = resque.redis
    src, dst = Keys(source), Keys(target)
    copied = 0
    for physical in client.scan_iter(match=src.all_pattern(), count=1000):
        logical = src.strip(physical.decode("utf-8", "replace"))
        ttl = int(client.pttl(physical))
        client.restore(dst.physical(logical), max(ttl, 0), client.dump(physical), replace=True)
        copied += 1
    return copied


# --------------------------------------------------------------------------
# replaying recorded scenarios (fixtures/keyspace/*.json)
# --------------------------------------------------------------------------

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "keyspace"


def fixture_names() -> list[str]:
    """The recorded keyspace scenarios, by file stem."""
    return sorted(p.stem for p in FIXTURE_DIR.glob("*.json"))


def load_fixture(name: str) -> Json:
    data: Json = json.loads((FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def python_step(step: Json) -> tuple[str, Json]:
    """A recorded driver step as the Python side takes it: Ruby-literal args read as JSON values."""
    kw = {k: v for k, v in step.items() if k != "cmd"}
    if "ruby" in kw:
        kw["args"] = rubylit.parse(kw.pop("ruby"))
    return str(step["cmd"]), kw


def replay(side: Any, steps: list[Json], python: bool) -> None:
    """Run recorded steps on a driver (``python``: translate Ruby literals first)."""
    for step in steps:
        cmd, kw = (
            python_step(step) if python else (str(step["cmd"]), {k: v for k, v in step.items() if k != "cmd"})
        )
        result = side.call(cmd, **kw)
        if cmd == "work" and isinstance(result, dict) and result.get("exitstatus") != 0:
            raise RuntimeError(f"the worker of step {step} ended with {result}")
