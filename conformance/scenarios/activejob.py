"""Rails ActiveJob on Resque across languages: ``perform_later`` -> perform, and the payload bytes.

The Ruby side is the driver in ActiveJob mode (``CONFORMANCE_ACTIVEJOB=1``: Rails 6.1's
ActiveJob with its own Resque adapter, a Rails process so JSON goes through ActiveSupport); its
job classes record what ``#perform`` received. The Python side enqueues with
``resque_compat.activejob.enqueue`` and performs with ``resque-compat work`` running
``conformance.pyactivejob`` (performers registered through ``activejob.install``). Both record
the typed shape of the arguments (``pyactivejob.shape``), so a Symbol, a located record, a
``Time`` or a symbol-keyed hash must arrive as the same kind of value, not merely as equal JSON.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from resque_compat.activejob import (
    Duration,
    GlobalID,
    IndifferentHash,
    RubyDateTime,
    RubyModule,
    RubyTime,
    Symbol,
    TimeWithZone,
    enqueue,
)
from resque_compat.protocol import Profile

from .. import pyactivejob
from ..harness import PARITY, PYTHON_TO_RUBY, RUBY_TO_PYTHON, Ctx, Skip
from ..pyside import PythonDriver
from ..reference import RubyError
from . import Scenario
from .client import _burst

ACTIVEJOB_ENV = {"CONFORMANCE_ACTIVEJOB": "1"}
PYTHON_APP = {"RESQUE_APP": "conformance.pyactivejob"}
INVOICE, CHARGE = "SendInvoiceJob", "Billing::ChargeJob"
UTC = timezone.utc


def _offset(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


# One job in both languages: a GlobalID record, a symbol-keyed hash (nested), a Symbol, Times
# (UTC with nanoseconds, and an offset), a Date, HTML characters, an array of mixed values, and
# keyword arguments.
RUBY_ARGS = (
    '[Invoice.new(7), { copies: 2, "b" => "x", nested: { d: :e } }, :urgent, '
    'Time.utc(2024, 1, 2, 3, 4, 5, Rational(123456789, 1000)), Time.new(2024, 1, 2, 3, 4, 5, "+02:00"), '
    'Date.new(2024, 1, 2), "<b>&</b>", [Person.new(8), :a, 1.5, nil, 2**64, "é 日本 😀\u2028"]]'
)
RUBY_KWARGS = '{ notify: true, reason: "late" }'
PY_ARGS: list[Any] = [
    GlobalID.build("myapp", "Invoice", 7),
    {Symbol("copies"): 2, "b": "x", Symbol("nested"): {Symbol("d"): Symbol("e")}},
    Symbol("urgent"),
    RubyTime.of(datetime(2024, 1, 2, 3, 4, 5, 123456, UTC), 789),
    RubyTime.of(datetime(2024, 1, 2, 3, 4, 5, tzinfo=_offset(2))),
    date(2024, 1, 2),
    "<b>&</b>",
    [GlobalID.build("myapp", "Person", 8), Symbol("a"), 1.5, None, 2**64, "é 日本 😀\u2028"],
]
PY_KWARGS: dict[str, Any] = {"notify": True, "reason": "late"}

# The second job: another class and queue, a priority and a locale.
CHARGE_RUBY, CHARGE_PY = (
    "[{ amount: 100, currency: :eur }]",
    [{Symbol("amount"): 100, Symbol("currency"): Symbol("eur")}],
)
CHARGE_OPTIONS: dict[str, Any] = {"queue": "billing", "priority": 5, "locale": "fr"}

# Payload bytes only: the other values ActiveJob 6.1 serializes.
MORE_RUBY = (
    '[DateTime.new(2024, 1, 2, 3, 4, Rational(11, 2), "-05:00"), '
    'Time.find_zone("Eastern Time (US & Canada)").local(2024, 7, 4, 12, 30, 15), '
    '1.day + 2.hours, 1.5.hours, String, ActiveSupport::HashWithIndifferentAccess.new(a: 1, "b" => :c), '
    "[], {}, 1.0e20, -7, 0.1]"
)
MORE_PY: list[Any] = [
    RubyDateTime.of(datetime(2024, 1, 2, 3, 4, 5, 500000, _offset(-5))),
    TimeWithZone.of(datetime(2024, 7, 4, 12, 30, 15, tzinfo=_offset(-4))),
    Duration(93600, (("days", 1), ("hours", 2))),
    Duration(5400.0, (("hours", 1.5),)),
    RubyModule("String"),
    IndifferentHash({"a": 1, "b": Symbol("c")}),
    [],
    {},
    1.0e20,
    -7,
    0.1,
]


def _sides(ctx: Ctx) -> tuple[Any, PythonDriver]:
    """The Ruby side in ActiveJob mode with both job classes defined, and a Python side."""
    ruby = ctx.ruby(profile="rails", env=ACTIVEJOB_ENV)
    try:
        ruby.call("aj_define", name=INVOICE)
    except RubyError as exc:
        if exc.error_class == "ActiveJobUnavailable":
            raise Skip(exc.error) from exc
        raise
    ruby.call("aj_define", name=CHARGE, queue="billing")
    return ruby, ctx.python(profile="rails")


def _py_enqueue(python: PythonDriver, job_class: str, args: list[Any], **kw: Any) -> str:
    """``activejob.enqueue`` as a Rails process would write it."""
    return enqueue(python.resque, job_class, args, profile=Profile.RAILS, **kw)


def _by_class(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        out.setdefault(record["job_class"], []).append(record)
    return out


def _check_meta(ctx: Ctx, got: dict[str, Any], job_id: str, queue: str, priority: Any, locale: str) -> None:
    what = f"{got['job_class']}: job_id, queue_name, priority, locale performed"
    ctx.equal(
        [job_id, queue, priority, locale],
        [got[k] for k in ("job_id", "queue_name", "priority", "locale")],
        what,
    )


# --------------------------------------------------------------------------
# perform_later -> perform
# --------------------------------------------------------------------------


def activejob_perform(ctx: Ctx) -> None:
    if ctx.direction == RUBY_TO_PYTHON:
        _rails_to_python(ctx)
    else:
        _python_to_rails(ctx)


def _rails_to_python(ctx: Ctx) -> None:
    ruby, python = _sides(ctx)
    ctx.need_python_worker()
    sent = ruby.call("aj_enqueue", ruby=RUBY_ARGS, kwargs=RUBY_KWARGS, **{"class": INVOICE})
    more = ruby.call("aj_enqueue", ruby=MORE_RUBY, **{"class": INVOICE})
    charge = ruby.call("aj_enqueue", ruby=CHARGE_RUBY, **CHARGE_OPTIONS, **{"class": CHARGE})
    _burst(ctx, python, ["default", "billing"], env=PYTHON_APP)
    got = _by_class(ctx.performed(python, 3))
    ctx.equal(0, python.call("failures", op="count"), "failed jobs after the Python worker ran")
    (invoice, more_got), (charged,) = got[INVOICE], got[CHARGE]
    ctx.equal(
        sent["args"], invoice["args"], f"{INVOICE} arguments (typed)", "Rails passed", "Python received"
    )
    ctx.equal(sent["kwargs"], invoice["kwargs"], f"{INVOICE} keywords", "Rails passed", "Python received")
    _check_meta(ctx, invoice, sent["job_id"], "default", None, "en")
    ctx.equal(
        charge["args"], charged["args"], f"{CHARGE} arguments (typed)", "Rails passed", "Python received"
    )
    _check_meta(ctx, charged, charge["job_id"], "billing", 5, "fr")
    # The same job performed by Ruby: what a Rails worker's #perform receives for the other types.
    ruby.call("aj_enqueue", ruby=MORE_RUBY, **{"class": INVOICE})
    _burst(ctx, ruby, ["default"])
    (in_ruby,) = ctx.performed(ruby, 1)
    ctx.equal(
        more["args"],
        more_got["args"],
        "DateTime, TimeWithZone, Duration... (typed)",
        "Rails passed",
        "Python received",
    )
    pinned = _pin_time_with_zone(ctx, more_got["args"], in_ruby["args"])
    ctx.note(
        f"perform_later -> Python performer: {len(sent['args']) + len(more['args'])} arguments (GlobalID, "
        "symbol-keyed hash, Symbol, Times, Date, <b>&, DateTime, Duration, Module, indifferent hash...) and "
        "keywords arrived typed; job_id, queue, priority, locale kept"
    )
    ctx.note(pinned)


def _pin_time_with_zone(ctx: Ctx, python: list[Any], ruby: list[Any]) -> str:
    """Python's and Ruby's #perform values agree except that a TimeWithZone keeps the payload's
    offset in Python, where Rails 6.1 converts it into the job's ``timezone`` (same instant)."""
    zoned = [i for i, v in enumerate(ruby) if isinstance(v, dict) and "TimeWithZone" in v]
    ctx.expect(bool(zoned), "no TimeWithZone among the values Ruby performed")
    rest = (
        [v for i, v in enumerate(python) if i not in zoned],
        [v for i, v in enumerate(ruby) if i not in zoned],
    )
    ctx.equal(rest[1], rest[0], "the other values, as #perform receives them", "Ruby", "Python")
    for i in zoned:
        py_text, rb_text = python[i]["TimeWithZone"], ruby[i]["TimeWithZone"]
        py_at = datetime.fromisoformat(py_text[:26] + py_text[29:])
        rb_at = datetime.fromisoformat(rb_text[:26] + rb_text[29:].replace("Z", "+00:00"))
        ctx.equal(rb_at.isoformat(), py_at.astimezone(rb_at.tzinfo).isoformat(), "the TimeWithZone instant")
    return (
        f"known divergence: a TimeWithZone reaches Ruby's #perform in the job's timezone ({rb_text}), "
        f"Python's with the payload's offset ({py_text}); same instant"
    )


def _python_to_rails(ctx: Ctx) -> None:
    ruby, python = _sides(ctx)
    python_ids = [
        _py_enqueue(python, INVOICE, PY_ARGS, kwargs=PY_KWARGS),
        ruby.call("aj_enqueue", ruby=RUBY_ARGS, kwargs=RUBY_KWARGS, **{"class": INVOICE})["job_id"],
        _py_enqueue(python, INVOICE, MORE_PY),
        ruby.call("aj_enqueue", ruby=MORE_RUBY, **{"class": INVOICE})["job_id"],
    ]
    charge_id = _py_enqueue(python, CHARGE, CHARGE_PY, **CHARGE_OPTIONS)
    _burst(ctx, ruby, ["default", "billing"])
    got = _by_class(ctx.performed(ruby, 5))
    ctx.equal(0, ruby.call("failures", op="count"), "failed jobs after the Ruby worker ran")
    ctx.equal(python_ids, [r["job_id"] for r in got[INVOICE]], f"{INVOICE} jobs performed, in order")
    for n, (from_python, from_rails) in enumerate(zip(got[INVOICE][::2], got[INVOICE][1::2], strict=True)):
        for key in ("args", "kwargs", "inspect", "kwargs_inspect"):
            ctx.equal(
                from_rails[key],
                from_python[key],
                f"job {n + 1}: {key} in Ruby's #perform",
                "Rails' own perform_later gave",
                "Python's enqueue gave",
            )
    first = got[INVOICE][0]
    ctx.equal(
        pyactivejob.shape(PY_ARGS), first["args"], "Python's arguments as Ruby performed them", "sent", "got"
    )
    ctx.equal(
        pyactivejob.keyword_shape(PY_KWARGS), first["kwargs"], "Python's keywords in Ruby", "sent", "got"
    )
    _check_meta(ctx, first, python_ids[0], "default", None, "en")
    (charged,) = got[CHARGE]
    ctx.equal(pyactivejob.shape(CHARGE_PY), charged["args"], f"{CHARGE} arguments in Ruby", "sent", "got")
    _check_meta(ctx, charged, charge_id, "billing", 5, "fr")
    ctx.note(
        "activejob.enqueue -> Rails 6.1 worker: #perform got what Rails' own perform_later of the same "
        f"values gives, inspect included ({first['inspect'][:60]}...)"
    )


# --------------------------------------------------------------------------
# payload bytes
# --------------------------------------------------------------------------

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ENQUEUED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# (name, class, Ruby args, Ruby kwargs, Python args, Python kwargs, options)
PAYLOAD_CASES: tuple[
    tuple[str, str, str, str | None, list[Any], dict[str, Any] | None, dict[str, Any]], ...
] = (
    ("perform_args", INVOICE, RUBY_ARGS, RUBY_KWARGS, PY_ARGS, PY_KWARGS, {}),
    ("queue_priority_locale", CHARGE, CHARGE_RUBY, None, CHARGE_PY, None, CHARGE_OPTIONS),
    ("more_types", INVOICE, MORE_RUBY, None, MORE_PY, None, {}),
)


def _normalise(raw: str) -> tuple[str, str, str]:
    """``raw`` with job_id and enqueued_at replaced, and the two values."""
    data = json.loads(raw)["args"][0]
    job_id, at = data["job_id"], data["enqueued_at"]
    text = raw.replace(f'"job_id":"{job_id}"', '"job_id":"<job_id>"', 1)
    return text.replace(f'"enqueued_at":"{at}"', '"enqueued_at":"<enqueued_at>"', 1), job_id, at


def _last(python: PythonDriver, queue: str) -> str:
    raw = python.resque.queue_store.everything_in_queue(queue)[-1]
    return raw.decode("utf-8")


def activejob_payload_bytes(ctx: Ctx) -> None:
    ruby, python = _sides(ctx)
    for name, job_class, ruby_args, ruby_kwargs, py_args, py_kwargs, options in PAYLOAD_CASES:
        extra = {"kwargs": ruby_kwargs} if ruby_kwargs else {}
        sent = ruby.call("aj_enqueue", ruby=ruby_args, **extra, **options, **{"class": job_class})
        shapes = [pyactivejob.shape(py_args), pyactivejob.keyword_shape(py_kwargs or {})]
        ctx.equal([sent["args"], sent["kwargs"]], shapes, f"{name}: the values", "Ruby's", "Python's")
        queue = sent["queue_name"]
        rails_raw, job_id, at = _normalise(sent["raw"])
        moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        _py_enqueue(
            python, job_class, py_args, kwargs=py_kwargs, job_id=job_id, enqueued_at=moment, **options
        )
        ctx.equal(
            sent["raw"],
            _last(python, queue),
            f"{name}: payload bytes with Rails' job_id and time",
            "Rails",
            "Python",
        )
        _py_enqueue(python, job_class, py_args, kwargs=py_kwargs, **options)
        own, own_id, own_at = _normalise(_last(python, queue))
        ctx.equal(
            rails_raw, own, f"{name}: payload bytes, job_id and enqueued_at normalised", "Rails", "Python"
        )
        ctx.expect(
            bool(UUID4.match(own_id)), f"{name}: Python's job_id {own_id!r} is not a UUID v4 like Rails'"
        )
        ctx.expect(
            bool(ENQUEUED_AT.match(own_at)),
            f"{name}: Python's enqueued_at {own_at!r} is not Rails 6.1's format",
        )
    ctx.note(f"{len(PAYLOAD_CASES)} jobs: Python's JobWrapper payload equals Rails' byte for byte")


SCENARIOS = (
    Scenario(
        "activejob_perform",
        "ActiveJob perform_later -> perform, typed arguments",
        activejob_perform,
        (RUBY_TO_PYTHON, PYTHON_TO_RUBY),
    ),
    Scenario("activejob_payload", "ActiveJob JobWrapper payload bytes", activejob_payload_bytes, (PARITY,)),
)
