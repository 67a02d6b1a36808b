"""ActiveJob's object serializers (``ActiveJob::Serializers::*``): one decoder and one encoder each.

A serialized object is a hash ``{"_aj_serialized": "<Ruby serializer class>", ...fields}``.
Rails 6.1 ships Symbol, Duration, DateTime, Date, TimeWithZone, Time and Module serializers;
Rails 7.1 adds Range (and an opt-in BigDecimal serializer, the default from 7.2). Every one of
them is read whatever ``RailsFormat`` is chosen; writing follows the chosen Rails version, so a
Rails 6.1 worker is never sent an encoding it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from .errors import ArgumentDecodeError
from .values import Duration, RubyDateTime, RubyModule, RubyRange, RubyTime, Symbol, TimeWithZone

SERIALIZER_KEY = "_aj_serialized"
_NS = "ActiveJob::Serializers::"
SYMBOL = _NS + "SymbolSerializer"
DURATION = _NS + "DurationSerializer"
DATE_TIME = _NS + "DateTimeSerializer"
DATE = _NS + "DateSerializer"
TIME_WITH_ZONE = _NS + "TimeWithZoneSerializer"
TIME = _NS + "TimeSerializer"
MODULE = _NS + "ModuleSerializer"
RANGE = _NS + "RangeSerializer"
BIG_DECIMAL = _NS + "BigDecimalSerializer"


class RailsFormat(str, Enum):
    """Which Rails version's ActiveJob payloads to write (reading accepts all of them)."""

    RAILS_6_1 = "6.1"
    """Rails 6.1 and 7.0: ``enqueued_at`` in whole seconds, no ``scheduled_at``; BigDecimal as a
    JSON string; no Range encoding."""
    RAILS_7_1 = "7.1"
    """Rails 7.1: nanosecond ``enqueued_at``, ``scheduled_at``, ``RangeSerializer``,
    ``time_zone`` on TimeWithZone."""
    RAILS_7_2 = "7.2"
    """Rails 7.2 and 8.x: as 7.1, plus ``BigDecimalSerializer``."""


@dataclass(frozen=True, slots=True)
class CustomSerializer:
    """An app's own ActiveJob serializer (a subclass of ``ActiveJob::Serializers::ObjectSerializer``).

    ``name`` is the Ruby serializer class (``"MoneySerializer"``); ``load`` turns its hash into a
    Python value; ``dump`` (with ``python_type``) writes a Python value as that hash's fields.
    """

    name: str
    load: Callable[[dict[str, Any]], Any]
    python_type: type | None = None
    dump: Callable[[Any], dict[str, Any]] | None = None


Deserialize = Callable[[Any, str], Any]
"""Deserialize a nested argument at a path (for Duration parts and Range ends)."""


# --- times --------------------------------------------------------------------------------------

_ISO8601 = re.compile(
    r"^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$"
)


def parse_iso8601(text: Any, path: str) -> tuple[datetime, int]:
    """``Time.iso8601``: an aware datetime and the nanoseconds below its microseconds.

    ``Z`` gives ``timezone.utc``; a numeric offset (``+00:00`` included) a fixed-offset zone that
    keeps its text, so the value is written back with the same suffix.
    """
    m = _ISO8601.match(text) if isinstance(text, str) else None
    if m is None:
        raise ArgumentDecodeError(path, f"not an ISO 8601 time with a zone: {text!r}")
    year, month, day, hour, minute, second, frac, zone = m.groups()
    digits = (frac or "").ljust(9, "0")[:9]
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), int(digits[:6])
        )
    except ValueError as exc:
        raise ArgumentDecodeError(path, f"not a valid time: {text!r} ({exc})") from exc
    return moment.replace(tzinfo=_zone(zone)), int(digits[6:])


def _zone(text: str) -> timezone:
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds), text)


def format_iso8601(moment: datetime, nanosecond: int = 0, *, z_for_zero: bool | None = None) -> str:
    """``Time#iso8601(9)``: nine fractional digits, ``Z`` for UTC times, else ``+HH:MM``.

    ``z_for_zero`` forces the choice for a zero offset (TimeWithZone always writes ``Z``, DateTime
    never does); by default ``Z`` is written for ``timezone.utc`` and zones named ``UTC``.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a naive datetime has no UTC offset: attach a tzinfo")
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{moment.microsecond:06d}{nanosecond:03d}"
    if offset == timedelta(0):
        utc = moment.tzinfo is timezone.utc or moment.tzname() == "UTC"
        if z_for_zero if z_for_zero is not None else utc:
            return f"{base}.{frac}Z"
    return f"{base}.{frac}{_offset_text(offset)}"


def _offset_text(offset: timedelta) -> str:
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


# --- BigDecimal ---------------------------------------------------------------------------------


def ruby_decimal(value: Decimal) -> str:
    """``BigDecimal#to_s`` under ActiveSupport (``"F"`` format): ``1.5``, ``1000.0``, ``0.0000001``."""
    if not value.is_finite():
        raise ValueError(f"{value} has no JSON form (Rails writes null for it)")
    text = format(value, "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac or '0'}"


# --- decoding -----------------------------------------------------------------------------------


def _value(data: Mapping[str, Any], path: str, kind: type | tuple[type, ...] = str) -> Any:
    value = data.get("value")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ArgumentDecodeError(path, f"{data.get(SERIALIZER_KEY)} needs a {kind} 'value', got {value!r}")
    return value


def _time(kind: type[RubyTime]) -> Callable[[Mapping[str, Any], str, Deserialize], Any]:
    def load(data: Mapping[str, Any], path: str, _: Deserialize) -> Any:
        moment, nanos = parse_iso8601(data.get("value"), path)
        value = kind.of(moment, nanos)
        if isinstance(value, TimeWithZone):
            zone = data.get("time_zone")
            value.zone_name = zone if isinstance(zone, str) else None
        return value

    return load


def _date(data: Mapping[str, Any], path: str, _: Deserialize) -> date:
    text = _value(data, path)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentDecodeError(path, f"not an ISO 8601 date: {text!r}") from exc


def _duration(data: Mapping[str, Any], path: str, deserialize: Deserialize) -> Duration:
    value = _value(data, path, (int, float))
    raw_parts = data.get("parts", [])
    parts = deserialize(raw_parts, f"{path}['parts']")
    if not isinstance(parts, list):
        raise ArgumentDecodeError(path, f"Duration parts must be a list, got {raw_parts!r}")
    out: list[tuple[str, int | float]] = []
    for i, part in enumerate(parts):
        if not (isinstance(part, list) and len(part) == 2 and isinstance(part[0], str)):
            raise ArgumentDecodeError(f"{path}['parts'][{i}]", f"not a [unit, amount] pair: {part!r}")
        out.append((str(part[0]), part[1]))
    return Duration(value, tuple(out))


def _range(data: Mapping[str, Any], path: str, deserialize: Deserialize) -> RubyRange:
    exclude = deserialize(data.get("exclude_end", False), f"{path}['exclude_end']")
    return RubyRange(
        deserialize(data.get("begin"), f"{path}['begin']"),
        deserialize(data.get("end"), f"{path}['end']"),
        bool(exclude),
    )


def _big_decimal(data: Mapping[str, Any], path: str, _: Deserialize) -> Decimal:
    text = _value(data, path)
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ArgumentDecodeError(path, f"not a decimal: {text!r}") from exc


LOADERS: Mapping[str, Callable[[Mapping[str, Any], str, Deserialize], Any]] = {
    SYMBOL: lambda data, path, _: Symbol(_value(data, path)),
    TIME: _time(RubyTime),
    DATE_TIME: _time(RubyDateTime),
    TIME_WITH_ZONE: _time(TimeWithZone),
    DATE: _date,
    DURATION: _duration,
    MODULE: lambda data, path, _: RubyModule(_value(data, path)),
    RANGE: _range,
    BIG_DECIMAL: _big_decimal,
}
"""The serializers Rails ships, by Ruby class name."""


# --- encoding -----------------------------------------------------------------------------------


def symbol(name: str) -> dict[str, Any]:
    return {SERIALIZER_KEY: SYMBOL, "value": str(name)}


def dump_time(value: datetime, fmt: RailsFormat) -> dict[str, Any]:
    """Time, DateTime or TimeWithZone by the value's type (a plain aware datetime is a Time)."""
    nanos = getattr(value, "nanosecond", 0)
    if isinstance(value, RubyDateTime):
        return {SERIALIZER_KEY: DATE_TIME, "value": format_iso8601(value, nanos, z_for_zero=False)}
    if isinstance(value, TimeWithZone):
        out: dict[str, Any] = {
            SERIALIZER_KEY: TIME_WITH_ZONE,
            "value": format_iso8601(value, nanos, z_for_zero=True),
        }
        if fmt is not RailsFormat.RAILS_6_1 and value.zone_name:
            out["time_zone"] = value.zone_name
        return out
    return {SERIALIZER_KEY: TIME, "value": format_iso8601(value, nanos)}


def dump_duration(value: Duration, serialize_parts: Callable[[Any], Any]) -> dict[str, Any]:
    parts = [[Symbol(unit), amount] for unit, amount in value.parts]
    return {SERIALIZER_KEY: DURATION, "value": value.value, "parts": serialize_parts(parts)}
