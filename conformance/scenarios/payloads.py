"""Payload bytes: the whole fixture corpus both ways under each JSON profile, and user payloads.

Ruby -> Python: Ruby enqueues every corpus entry; Python decodes the bytes, writes the same bytes
for the same value, and removes the job with ``Job.destroy(queue, class, *args)`` (an ``LREM`` of
its own encoding, so it only works when the bytes are identical). The live bytes are also
compared with the recorded fixture, so a stale ``fixtures/payloads.json`` shows up here.

Python -> Ruby: Python enqueues the value of every recorded entry; its bytes must be Ruby's, and
Ruby's ``Job.destroy`` with the original Ruby literal must remove it. Where Ruby refuses a value
(NaN, Infinity) Python must refuse it too. Under the ``rails`` profile Ruby writes NaN and
Infinity as ``null``; Python refuses them there too, on purpose (counted and noted, not a pass
by silence).
"""

from __future__ import annotations

import json
from typing import Any

from resque_compat.errors import DecodeError, EncodeError
from resque_compat.protocol import Profile, decode, encode, encode_job

from ..harness import PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Mismatch, Skip, iter_lines
from ..reference import PROFILES, REPO_ROOT, RubyError
from . import Scenario

QUEUE = "payloads"
JOB_CLASSES = ("PayloadJob", "Billing::Charge", "Deep::Nested::Job3")
NON_FINITE = {
    "[Float::NAN]": float("nan"),
    "[Float::INFINITY]": float("inf"),
    "[-Float::INFINITY]": float("-inf"),
}
SHOWN = 12


def corpus() -> list[dict[str, Any]]:
    data = json.loads((REPO_ROOT / "fixtures" / "payloads.json").read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    return entries


def payload_bytes(ctx: Ctx) -> None:
    profile = ctx.variant
    ruby = ctx.ruby(profile=profile)
    python = ctx.python(profile=profile)
    for name in JOB_CLASSES:
        ruby.call("define_job", name=name, queue=QUEUE, behaviour="noop")
    problems: list[str] = []
    counts = {"checked": 0, "refused": 0, "not_utf8": 0, "refused_where_ruby_writes_null": 0}
    for entry in corpus():
        if ctx.direction == RUBY_TO_PYTHON:
            outcome = _ruby_writes(ruby, python, entry, profile)
        else:
            outcome = _python_writes(ruby, python, entry, profile)
        if outcome in counts:
            counts[outcome] += 1
        else:
            problems.append(f"{entry['name']}: {outcome}")
    ctx.note(
        f"{counts['checked']} payloads byte-identical and destroyed across sides; "
        f"{counts['refused']} refused by both; {counts['not_utf8']} not UTF-8 (Ruby's Oj writes raw bytes)"
        + (
            f"; {counts['refused_where_ruby_writes_null']} non-finite floats refused by Python "
            "where a Rails process writes null (deliberate)"
            if counts["refused_where_ruby_writes_null"]
            else ""
        )
    )
    if problems:
        shown = "; ".join(problems[:SHOWN]) + (
            f"; ... {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        )
        raise Mismatch(f"{len(problems)} of {len(corpus())} corpus entries differ under {profile}: {shown}")


def _ruby_writes(ruby: Any, python: Any, entry: dict[str, Any], profile: str) -> str:
    recorded = entry["bytes"].get(profile)
    klass = entry["class"]
    try:
        ruby.call("enqueue", queue=QUEUE, ruby=entry["ruby"], **{"class": klass})
    except RubyError as exc:
        if profile not in entry["errors"]:
            return f"Ruby now raises {exc.error_class} where the fixture recorded bytes (re-record fixtures)"
        return "refused"
    items = python.resque.queue_store.everything_in_queue(QUEUE)
    python.resque.queue_store.remove_queue(QUEUE)
    if len(items) != 1:
        return f"Ruby pushed {len(items)} items"
    raw = items[0]
    if recorded is not None and raw != recorded.encode():
        return f"live Ruby bytes {raw!r} differ from the recorded fixture {recorded!r} (re-record fixtures)"
    try:
        value = decode(raw)
    except DecodeError:
        if recorded is None:
            return "not_utf8"  # Oj's raw invalid UTF-8: Python reports it with the bytes kept
        raise
    return _python_round_trip(python, raw, value, profile)


def _python_round_trip(python: Any, raw: bytes, value: dict[str, Any], profile: str) -> str:
    args = value.get("args", [])
    mine = encode_job(value["class"], args, Profile(profile))
    if mine != raw:
        return f"Python writes {mine!r} for Ruby's {raw!r}"
    python.resque.queue_store.push_to_queue(QUEUE, raw)
    removed = python.resque.destroy(QUEUE, value["class"], *args)
    left = python.resque.size(QUEUE)
    python.resque.queue_store.remove_queue(QUEUE)
    if removed != 1 or left:
        return f"Python's Job.destroy removed {removed} (queue left with {left})"
    return "checked"


def _python_writes(ruby: Any, python: Any, entry: dict[str, Any], profile: str) -> str:
    recorded = entry["bytes"].get(profile)
    ruby_error = entry["errors"].get(profile)
    if entry["ruby"] in NON_FINITE:
        args: list[Any] = [NON_FINITE[entry["ruby"]]]
    elif recorded is not None:
        args = decode(recorded.encode())["args"]
    elif "bytes_base64" in entry or "invalid" in entry["name"]:
        return "not_utf8"  # a Ruby String that is not valid UTF-8 has no Python str
    else:
        return "refused"
    try:
        python.resque.enqueue_to(QUEUE, entry["class"], *args)
    except EncodeError as exc:
        if ruby_error:
            return "refused"
        if entry["ruby"] in NON_FINITE and recorded is not None and '"args":[null]' in recorded:
            return "refused_where_ruby_writes_null"
        return f"Python refuses ({exc.reason}) where Ruby writes {recorded!r}"
    if ruby_error:
        python.resque.remove_queue(QUEUE)
        return f"Python writes a payload where Ruby raises {ruby_error}"
    pushed = python.resque.queue_store.everything_in_queue(QUEUE)
    if pushed != [recorded.encode()]:
        python.resque.remove_queue(QUEUE)
        return f"Python writes {pushed!r} where Ruby writes {recorded!r}"
    removed = ruby.call("destroy", queue=QUEUE, ruby=entry["ruby"], **{"class": entry["class"]})
    left = ruby.call("size", queue=QUEUE)
    python.resque.remove_queue(QUEUE)
    if removed != 1 or left:
        return f"Ruby's Job.destroy removed {removed} of what Python enqueued ({left} left)"
    return "checked"


# --------------------------------------------------------------------------
# user payloads (--payloads FILE)
# --------------------------------------------------------------------------


def user_payloads(ctx: Ctx) -> None:
    path = ctx.options.get("payloads")
    if not path:
        raise Skip("no --payloads FILE given")
    profile = ctx.variant
    ruby = ctx.ruby(profile=profile)
    python = ctx.python(profile=profile)
    problems: list[str] = []
    total = 0
    for number, raw in iter_lines(str(path)):
        total += 1
        problem = _one_user_payload(ruby, python, raw, profile)
        if problem:
            problems.append(f"line {number}: {problem}")
    if total == 0:
        raise Skip(f"{path} holds no payloads")
    ctx.note(
        f"{total - len(problems)} of {total} payloads from {path} reproduced byte for byte "
        "and destroyed by Ruby"
    )
    if problems:
        shown = "; ".join(problems[:SHOWN]) + (
            f"; ... {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        )
        raise Mismatch(f"{len(problems)} of {total} payloads differ under {profile}: {shown}")


def _one_user_payload(ruby: Any, python: Any, raw: bytes, profile: str) -> str | None:
    try:
        value = decode(raw)
    except DecodeError as exc:
        return f"not JSON ({exc.reason})"
    if not isinstance(value, dict) or not isinstance(value.get("class"), str):
        return 'not a Resque payload (a JSON object with a string "class")'
    mine = encode(value, Profile(profile))
    if mine != raw:
        others = [p for p in PROFILES if p != profile and encode(value, Profile(p)) == raw]
        hint = f"; the {'/'.join(others)} profile writes these bytes" if others else ""
        return f"Python writes {mine[:120]!r} for {raw[:120]!r}{hint}"
    pure = list(value) == ["class", "args"] and isinstance(value["args"], list)
    python.resque.remove_queue(QUEUE)
    if pure:
        python.resque.enqueue_to(QUEUE, value["class"], *value["args"])
        removed = ruby.call("destroy", queue=QUEUE, args=value["args"], **{"class": value["class"]})
    else:
        python.resque.push(QUEUE, value)
        removed = ruby.call("destroy", queue=QUEUE, **{"class": value["class"]})
    left = python.resque.size(QUEUE)
    python.resque.remove_queue(QUEUE)
    if removed != 1 or left:
        form = "Job.destroy(queue, class, *args)" if pure else "Job.destroy(queue, class)"
        return f"Ruby's {form} removed {removed} of what Python enqueued"
    return None


SCENARIOS = (
    Scenario(
        "payload_bytes",
        "Payload bytes, whole fixture corpus",
        payload_bytes,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
        PROFILES,
    ),
    Scenario(
        "user_payloads",
        "User payloads (--payloads FILE)",
        user_payloads,
        (PYTHON_TO_RUBY,),
        PROFILES,
        when=lambda options: bool(options.get("payloads")),
    ),
)
