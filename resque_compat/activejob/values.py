"""Typed Python values for the Ruby values ActiveJob serializes, so nothing turns silently into
something else and every value can be written back as Rails wrote it.

======================================  ==============================================
Ruby (ActiveJob encoding)               Python
======================================  ==============================================
Symbol (``SymbolSerializer``)           ``Symbol``: a ``str`` subclass
Hash with symbol keys                   ``dict`` whose symbol keys are ``Symbol``
keyword arguments (``_aj_ruby2_keywords``) ``KeywordArguments`` (a ``dict``); the wrapper
                                        passes them as Python keyword arguments
HashWithIndifferentAccess               ``IndifferentHash`` (a ``dict``)
GlobalID reference (``_aj_globalid``)   ``GlobalID``
Time / DateTime / TimeWithZone          ``RubyTime`` / ``RubyDateTime`` / ``TimeWithZone``:
                                        aware ``datetime`` subclasses keeping nanoseconds
Date                                    ``datetime.date``
BigDecimal (``BigDecimalSerializer``)   ``decimal.Decimal``
Duration                                ``Duration`` (seconds plus Rails' parts)
Module / Class                          ``RubyModule``
Range (Rails 7.1+)                      ``RubyRange``
======================================  ==============================================

Because ``Symbol`` is a ``str``, ``Symbol("a") == "a"`` and a symbol-keyed hash is still
indexed with plain strings: ``options["retry"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote


class Symbol(str):
    """A Ruby Symbol: compares, hashes and prints as its name; written back as a symbol."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Symbol({str.__repr__(self)})"


class KeywordArguments(dict[str, Any]):
    """A hash ActiveJob marked as keyword arguments (``_aj_ruby2_keywords``); keys are ``Symbol``."""

    def __repr__(self) -> str:
        return f"KeywordArguments({dict.__repr__(self)})"


class IndifferentHash(dict[str, Any]):
    """An ``ActiveSupport::HashWithIndifferentAccess``: string keys, written back with its marker."""

    def __repr__(self) -> str:
        return f"IndifferentHash({dict.__repr__(self)})"


@dataclass(frozen=True, slots=True)
class GlobalID:
    """A ``gid://<app>/<Model>/<id>[?params]`` reference to a record (``GlobalID``).

    Ruby's worker would load the record (``GlobalID::Locator.locate``); Python receives the
    reference and looks the record up itself (or through the ``locate`` hook of the wrapper).
    """

    uri: str

    def __post_init__(self) -> None:
        if not self.uri.startswith("gid://"):
            raise ValueError(f"not a GlobalID URI: {self.uri!r}")
        path = self.uri[len("gid://") :].partition("?")[0]
        if len(path.split("/")) < 3 or not all(path.split("/")[:3]):
            raise ValueError(f"a GlobalID needs gid://<app>/<Model>/<id>: {self.uri!r}")

    @classmethod
    def build(cls, app: str, model_name: str, model_id: Any, **params: str) -> GlobalID:
        """``GlobalID.new(URI::GID.build(app:, model_name:, model_id:, params:))``."""
        query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in params.items())
        uri = f"gid://{app}/{model_name}/{quote(str(model_id), safe='')}"
        return cls(f"{uri}?{query}" if query else uri)

    @property
    def _parts(self) -> list[str]:
        return self.uri[len("gid://") :].partition("?")[0].split("/", 2)

    @property
    def app(self) -> str:
        return self._parts[0]

    @property
    def model_name(self) -> str:
        """The Ruby class name of the record, e.g. ``Person`` or ``Billing::Invoice``."""
        return self._parts[1]

    @property
    def model_id(self) -> str:
        """The record id as text (GlobalID ids are strings; ``int(gid.model_id)`` when numeric)."""
        return unquote(self._parts[2])

    @property
    def params(self) -> dict[str, str]:
        query = self.uri.partition("?")[2]
        return dict(parse_qsl(query)) if query else {}

    def __str__(self) -> str:
        return self.uri


_T = TypeVar("_T", bound="RubyTime")


class RubyTime(datetime):
    """A Ruby ``Time`` (``TimeSerializer``): an aware datetime with Ruby's nanoseconds kept.

    ``nanosecond`` holds the digits below Python's microseconds (0-999) so the value is written
    back exactly; arithmetic on it gives plain ``datetime`` objects.
    """

    nanosecond: int = 0

    @classmethod
    def of(cls: type[_T], moment: datetime, nanosecond: int = 0) -> _T:
        """This type with the fields of an aware ``moment`` and extra ``nanosecond`` (0-999)."""
        value = cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            tzinfo=moment.tzinfo,
            fold=moment.fold,
        )
        value.nanosecond = nanosecond
        return value


class RubyDateTime(RubyTime):
    """A Ruby ``DateTime`` (``DateTimeSerializer``)."""


class TimeWithZone(RubyTime):
    """An ``ActiveSupport::TimeWithZone`` (``TimeWithZoneSerializer``).

    ``zone_name`` is the Rails zone (``"Eastern Time (US & Canada)"``) when the payload carried
    one (Rails 7.1+ writes ``time_zone``); Rails 6.1 sends only the offset.
    """

    zone_name: str | None = None


@dataclass(frozen=True, slots=True)
class Duration:
    """An ``ActiveSupport::Duration``: ``value`` in seconds and the ``parts`` it was built from.

    ``parts`` are ``(unit, amount)`` pairs such as ``(("days", 1), ("hours", 2))``; a month or a
    year in ``value`` is Rails' average length, so prefer ``parts`` for calendar arithmetic.
    """

    value: int | float
    parts: tuple[tuple[str, int | float], ...] = field(default=())

    @classmethod
    def from_timedelta(cls, delta: timedelta) -> Duration:
        """A duration of plain seconds, as ``<n>.seconds`` builds it."""
        seconds = delta.total_seconds()
        amount: int | float = int(seconds) if seconds.is_integer() else seconds
        return cls(amount, (("seconds", amount),))

    def to_timedelta(self) -> timedelta:
        return timedelta(seconds=self.value)


@dataclass(frozen=True, slots=True)
class RubyModule:
    """A Ruby class or module passed by name (``ModuleSerializer``), e.g. ``Billing::Charge``."""

    name: str


@dataclass(frozen=True, slots=True)
class RubyRange:
    """A Ruby ``Range`` (``RangeSerializer``, Rails 7.1+): ``begin..end`` or ``begin...end``."""

    begin: Any
    end: Any
    exclude_end: bool = False
