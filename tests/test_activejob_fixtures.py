"""Replay of what Rails 6.1's ActiveJob put on a Resque queue (fixtures/activejob, recorded by
``fixtures/activejob/record.rb``): Python reads every payload to the right values, and writes
the same bytes again from those values.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from resque_compat.activejob import (
    WRAPPER_CLASS,
    Codec,
    CustomSerializer,
    Duration,
    GlobalID,
    IndifferentHash,
    KeywordArguments,
    RubyDateTime,
    RubyModule,
    RubyTime,
    Symbol,
    TimeWithZone,
    UnknownEncodingError,
    build_job_data,
    decode_wrapped,
    encode_wrapped,
    inner_class,
)
from resque_compat.protocol import Profile, decode_job

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "activejob" / "rails_enqueued.jsonl"
LINES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
VERSIONS = LINES[0]["versions"]
CASES = {c["name"]: c for c in LINES[1:]}


class Money:
    def __init__(self, cents: int, currency: str) -> None:
        self.cents, self.currency = cents, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (other.cents, other.currency) == (self.cents, self.currency)

    __hash__ = None  # type: ignore[assignment]


MONEY = CustomSerializer(
    "MoneySerializer",
    load=lambda h: Money(h["cents"], h["currency"]),
    python_type=Money,
    dump=lambda m: {"cents": m.cents, "currency": m.currency},
)
CODEC = Codec(custom=[MONEY])

UTC = timezone.utc


def fixed(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])), text)


EXPECTED: dict[str, list[Any]] = {
    "primitives": ["str", 1, 2.5, None, True, False, 2**64, -7, 1.0e20, 0.1],
    "empty": [],
    "symbol": [Symbol("sym"), [Symbol("a"), Symbol("b")]],
    "symbol_keyed_hash": [{Symbol("a"): 1, "b": 2, Symbol("c"): {Symbol("d"): Symbol("e")}}],
    "string_keyed_hash": [{"a": 1, "b": [1, 2]}],
    "keyword_arguments": [42, KeywordArguments({Symbol("notify"): True, Symbol("reason"): "late"})],
    "keywords_with_symbol_keyed_hash": [
        7,
        KeywordArguments({Symbol("options"): {Symbol("retry"): 3}, Symbol("tags"): [Symbol("vip")]}),
    ],
    "global_id": [GlobalID("gid://myapp/Person/7"), [GlobalID("gid://myapp/Person/8")]],
    "time_utc": [RubyTime.of(datetime(2024, 1, 2, 3, 4, 5, 123456, UTC), 789)],
    "time_offset": [RubyTime.of(datetime(2024, 1, 2, 3, 4, 5, tzinfo=fixed("+02:00")))],
    "time_with_zone": [TimeWithZone.of(datetime(2024, 7, 4, 12, 30, 15, tzinfo=fixed("-04:00")))],
    "date_time": [RubyDateTime.of(datetime(2024, 1, 2, 3, 4, 5, 500000, fixed("-05:00")))],
    "date": [date(2024, 1, 2)],
    # Rails 6.1 passes BigDecimal through; ActiveSupport's JSON writes it as a string.
    "big_decimal": ["1.5", "-0.000123"],
    "duration": [
        Duration(93600, (("days", 1), ("hours", 2))),
        Duration(90, (("seconds", 90),)),
        Duration(5400.0, (("hours", 1.5),)),
    ],
    "module": [RubyModule("String"), RubyModule("Billing::Charge")],
    "indifferent_hash": [IndifferentHash({"a": 1, "b": Symbol("c")})],
    "escapes": ["<b>&</b>", "é ü 日本 😀", "line\u2028sep", 'tab\tquote" slash/'],
    "queue_and_priority": [1],
    "namespaced_class": [{Symbol("amount"): 100}],
    "locale": [1],
    "custom_serializer": [Money(500, "EUR")],
}


def test_the_fixtures_come_from_rails_6_1_and_cover_every_case() -> None:
    assert VERSIONS["activejob"].startswith("6.1")
    assert set(CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_rails_payload_deserializes_to_the_expected_python_values(name: str) -> None:
    case = CASES[name]
    job = decode_job(case["raw"].encode(), case["queue"])
    data = decode_wrapped(job)
    assert job.class_name == WRAPPER_CLASS
    assert data.job_class == case["job_class"] == inner_class(job.payload)
    values = CODEC.deserialize(data.arguments, data.job_class)
    assert values == EXPECTED[name]
    assert [type(v) for v in values] == [type(v) for v in EXPECTED[name]]


def test_symbol_keys_come_back_as_symbols_and_plain_keys_as_strings() -> None:
    data = decode_wrapped(decode_job(CASES["symbol_keyed_hash"]["raw"].encode(), "default"))
    (options,) = CODEC.deserialize(data.arguments)
    assert [type(k) for k in options] == [Symbol, str, Symbol]
    assert options["a"] == 1  # a Symbol key is still found with a plain string


def test_times_keep_their_nanoseconds_and_their_offsets() -> None:
    data = decode_wrapped(decode_job(CASES["time_utc"]["raw"].encode(), "default"))
    (moment,) = CODEC.deserialize(data.arguments)
    assert (moment.microsecond, moment.nanosecond, moment.tzinfo) == (123456, 789, UTC)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_python_re_encodes_each_rails_payload_to_the_same_bytes(name: str) -> None:
    # Given what Rails wrote, and the Python values it decodes to
    case = CASES[name]
    data = decode_wrapped(decode_job(case["raw"].encode(), case["queue"]))
    values = CODEC.deserialize(data.arguments)
    kwargs = values.pop() if values and isinstance(values[-1], KeywordArguments) else None
    # When Python enqueues the same job with the same id and time
    rebuilt = build_job_data(
        data.job_class,
        values,
        kwargs,
        queue=str(data.queue_name),
        priority=data.priority,
        job_id=data.job_id,
        locale=str(data.locale),
        timezone_name=data.timezone,
        enqueued_at=datetime.strptime(data.enqueued_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        codec=CODEC,
    )
    # Then the bytes are Rails' bytes
    assert encode_wrapped(rebuilt, Profile.RAILS) == case["raw"].encode()


def test_an_encoding_python_does_not_know_fails_naming_the_serializer_and_the_job_class() -> None:
    data = decode_wrapped(decode_job(CASES["custom_serializer"]["raw"].encode(), "default"))
    with pytest.raises(UnknownEncodingError) as info:
        Codec().deserialize(data.arguments, data.job_class)
    assert info.value.encoding == "MoneySerializer"
    assert "SendInvoiceJob" in str(info.value) and "arguments[0]" in str(info.value)


def test_big_decimals_written_for_rails_6_1_are_the_strings_rails_wrote() -> None:
    data = build_job_data("SendInvoiceJob", [Decimal("1.5"), Decimal("-0.000123"), Decimal("1E+3")])
    assert data["arguments"] == ["1.5", "-0.000123", "1000.0"]
