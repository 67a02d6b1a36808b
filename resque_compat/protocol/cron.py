"""Cron strings and durations as rufus-scheduler 3.8 reads them (through fugit 1.5).

``cron``: 5 fields (minute first) or 6 (seconds first, fugit's order), optionally followed by a
time zone (``Europe/Paris``, ``UTC``, ``+05:30``); without one, the process's local zone, as
fugit uses ``ENV['TZ']``. ``L``, ``#n``, names (``mon-fri``), ``@daily`` and friends are read by
croniter. Where croniter and fugit differ, fugit is followed: a time in a spring-forward gap is
skipped (fugit does not fire at 03:00 for ``0 2 * * *``). ``tests/test_cron.py`` checks this
against a table recorded from the Ruby (``fixtures/scheduler/parsing.json``).

``every``: rufus durations (``1h30m``, ``2w``, ``1M`` = 30 days, ``1y`` = 365 days, ``1.5h``,
``90``, ``1 hour``, ISO 8601 ``PT1H``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from dateutil.tz import tzlocal


class ScheduleSyntaxError(ValueError):
    """A cron string or duration rufus-scheduler would refuse too."""


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _zone(token: str) -> tzinfo | None:
    if token in ("UTC", "Z", "GMT"):
        return timezone.utc
    m = _OFFSET.match(token)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    if "/" in token or (token.isalpha() and token.isupper()):
        try:
            return ZoneInfo(token)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


@dataclass(frozen=True)
class Cron:
    """A parsed cron line: the expression for croniter, its zone, whether seconds come first."""

    text: str
    expression: str
    zone: tzinfo | None
    seconds: bool

    def next_time(self, after: datetime) -> datetime:
        """The first time strictly after ``after`` (aware) that the cron names, in its zone."""
        zone = self.zone or tzlocal()
        start = after.astimezone(zone)
        it = croniter(self.expression, start, second_at_beginning=self.seconds)
        for _ in range(1000):
            found: datetime = it.get_next(datetime)
            # croniter moves a wall time that falls in a DST gap to after the gap; fugit skips it.
            if croniter.match(self.expression, found.replace(tzinfo=None)) or self.seconds:
                return found
        raise ScheduleSyntaxError(f"cron {self.text!r} names no time")  # pragma: no cover

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        out = []
        t = after
        for _ in range(count):
            t = self.next_time(t)
            out.append(t)
        return out


_SHORTCUTS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def parse_cron(text: str) -> Cron:
    """``Fugit.parse_cron``: raises ``ScheduleSyntaxError`` for what fugit refuses."""
    tokens = text.split()
    zone = None
    if (len(tokens) >= 2 and len(tokens) != 5) or (len(tokens) == 2 and tokens[0] in _SHORTCUTS):
        zone = _zone(tokens[-1])
        if zone is not None:
            tokens = tokens[:-1]
    if len(tokens) == 1 and tokens[0] in _SHORTCUTS:
        return Cron(text, tokens[0], zone, False)
    if len(tokens) not in (5, 6):
        raise ScheduleSyntaxError(f"not a cron string: {text!r} (5 or 6 fields and an optional time zone)")
    expression = " ".join(tokens)
    seconds = len(tokens) == 6
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=timezone.utc), second_at_beginning=seconds)
    except (ValueError, KeyError) as exc:
        raise ScheduleSyntaxError(f"not a cron string: {text!r} ({exc})") from exc
    return Cron(text, expression, zone, seconds)


_UNITS = {
    "y": 365 * 86400,
    "M": 30 * 86400,
    "w": 7 * 86400,
    "d": 86400,
    "h": 3600,
    "H": 3600,
    "m": 60,
    "s": 1,
    "S": 1,
}
_LONG = {
    "year": "y",
    "month": "M",
    "week": "w",
    "day": "d",
    "hour": "h",
    "minute": "m",
    "min": "m",
    "second": "s",
    "sec": "s",
}
_PART = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """``Rufus::Scheduler.parse_duration``: seconds (an int when whole)."""
    s = text.strip()
    if not text:
        return 0  # fugit reads the empty string as no time at all
    iso = _ISO.match(s)
    if iso and s != "P":
        factors = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
        return _whole(sum(float(g) * f for g, f in zip(iso.groups(), factors, strict=True) if g))
    pos, total, parts = 0, 0.0, 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m or m.end() == pos:
            raise ScheduleSyntaxError(f"not a duration {text!r}")
        number, unit = m.group(1), m.group(2)
        if unit and unit not in _UNITS:
            unit = _LONG.get(unit.lower().removesuffix("s"), "")
            if not unit:
                raise ScheduleSyntaxError(f"not a duration {text!r}")
        total += float(number) * _UNITS[unit or "s"]
        pos, parts = m.end(), parts + 1
    if not parts:
        raise ScheduleSyntaxError(f"not a duration {text!r}")
    return _whole(total)


def _whole(value: float) -> float:
    return int(value) if value == int(value) else value
