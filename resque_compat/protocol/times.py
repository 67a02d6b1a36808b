"""Resque's time formats, written and parsed (spec section 14, quirk 3).

* ``run_at`` (``worker:<id>``): UTC ``2026-11-27T16:56:53Z`` (``Time.now.utc.iso8601``)
* ``started`` (``worker:<id>:started``): local ``2026-11-27 11:58:49 -0500`` (``Time#to_s``)
* heartbeat: Redis server time in the local zone, ``2026-11-27T11:58:52-05:00`` (``Time#iso8601``)
* ``failed_at`` / ``retried_at``: local ``2026/11/27 11:58:49 EST`` (``"%Y/%m/%d %H:%M:%S %Z"``);
  the multi-queue backend's ``retried_at`` has no zone.

Parsing is lenient like Ruby's ``Time.parse`` for these shapes (a zone abbreviation, a numeric
offset, ``Z``, or none meaning UTC) and strict about everything else.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import TimeFormatError

UTC = timezone.utc


def _local(moment: datetime | None) -> datetime:
    return (moment or datetime.now(UTC)).astimezone()


def format_run_at(moment: datetime | None = None) -> str:
    """``run_at`` of ``Worker#working_on``: ``Time.now.utc.iso8601``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_started(moment: datetime | None = None) -> str:
    """``worker:<id>:started``: ``Time.now.to_s`` in the local zone."""
    return _local(moment).strftime("%Y-%m-%d %H:%M:%S %z")


def format_heartbeat(moment: datetime) -> str:
    """Heartbeat value: ``Time#iso8601`` of the Redis server time, rendered in the local zone."""
    return _local(moment).isoformat(timespec="seconds")


def format_failed_at(moment: datetime | None = None) -> str:
    """``failed_at``/``retried_at`` of ``Failure::Redis``: ``"%Y/%m/%d %H:%M:%S %Z"``."""
    return _local(moment).strftime("%Y/%m/%d %H:%M:%S %Z")


def format_multi_queue_retried_at(moment: datetime | None = None) -> str:
    """``retried_at`` of ``Failure::RedisMultiQueue``: ``"%Y/%m/%d %H:%M:%S"`` (no zone)."""
    return _local(moment).strftime("%Y/%m/%d %H:%M:%S")


def from_redis_time(seconds: int, microseconds: int = 0) -> datetime:
    """A ``TIME`` reply as an aware datetime."""
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=microseconds)


# Zone abbreviations Ruby's Time.parse knows (Date::Format::ZONES, the common subset).
_ZONES = {
    "UTC": 0,
    "UT": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "IST": 5.5,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "AEST": 10,
    "AEDT": 11,
    "ACST": 9.5,
    "AWST": 8,
    "NZST": 12,
    "NZDT": 13,
}

_TIME_RE = re.compile(
    r"""^\s*(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})
        (?:[T\s]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?P<frac>[.,]\d+)?)?)?
        \s*(?P<zone>Z|[+-]\d{2}:?\d{2}|[+-]\d{2}|[A-Za-z]{1,5})?\s*$""",
    re.VERBOSE,
)


def parse_time(text: str | bytes) -> datetime:
    """Parse any of Resque's time strings into an aware datetime.

    A missing zone means UTC, as resque-web assumes. Raises ``TimeFormatError`` for anything
    else, including bare epoch numbers, which crash Ruby's pruning (spec section 8).
    """
    s = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if len(s) == 25 and s[10] == "T" and s[19] in "+-" and s[22] == ":" and s[:4].isdigit():
        try:  # the ISO 8601 form heartbeats are written in: the C parser, same result
            return datetime.fromisoformat(s)
        except ValueError:
            pass
    m = _TIME_RE.match(s)
    if not m:
        raise TimeFormatError(f"not a Resque time: {s!r}")
    try:
        frac = m["frac"]
        micro = round(float("0." + frac[1:]) * 1_000_000) if frac else 0
        naive = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
        ) + timedelta(microseconds=micro)
    except ValueError as exc:
        raise TimeFormatError(f"not a Resque time: {s!r} ({exc})") from exc
    return naive.replace(tzinfo=_zone(m["zone"], s))


def _zone(zone: str | None, text: str) -> timezone:
    if zone is None:
        return UTC
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        offset = timedelta(hours=hours, minutes=minutes)
        return timezone(-offset if zone[0] == "-" else offset)
    hours_off = _ZONES.get(zone.upper())
    if hours_off is None:
        raise TimeFormatError(f"unknown time zone {zone!r} in {text!r}")
    return timezone(timedelta(hours=hours_off))
