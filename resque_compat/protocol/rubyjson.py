"""Ruby-exact JSON: the bytes ``Resque.encode`` (MultiJson.dump) writes, per JSON backend.

msgspec writes compact JSON with raw UTF-8 and the same string escapes as Ruby's json gem
(``\\"``, ``\\\\``, ``\\b\\f\\n\\r\\t``, ``\\u00XX`` in lowercase hex for other control
characters; ``/``, DEL and U+2028/9 raw). What differs is fixed here (spec section 3.2):

* floats follow Ruby's ``Float#to_s`` (``1.0e+20``, ``1.0e-05``, ``100.0``);
* NaN and Infinity are refused, as the json gem and Oj refuse them. A Rails process writes
  them as ``null`` (ActiveSupport's ``Float#as_json``); the ``rails`` profile refuses them all
  the same, on purpose: a Python caller gets an error naming the argument instead of a job
  whose value silently became ``nil``;
* the ``oj`` profile writes integral floats that fit an int64 in fixed notation
  (``10000000000000000.0``) and ``-0.0`` as ``0.0``, as Oj's compat mode does;
* the ``rails`` profile escapes ``<``, ``>``, ``&``, U+2028 and U+2029 as ActiveSupport does.

Decoding accepts any valid JSON nested at most ``MAX_DEPTH`` levels, keeps object key order
and integers of any size. Deeper JSON is a ``DecodeError`` like any other unreadable value: a
value nested ~1,000 levels would otherwise exhaust Python's stack in whichever reader (worker,
pruner, CLI, dashboard) met it first, and Redis' Lua ``cjson`` accepts up to 1,000. Ruby's json
gem refuses beyond 100 levels (``JSON::NestingError``); Oj accepts any depth.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import msgspec

from ..errors import DecodeError, EncodeError


class Profile(str, Enum):
    """Which Ruby JSON backend the bytes must match."""

    JSON_GEM = "json_gem"
    """A plain ``gem install resque``: MultiJson on the json gem."""
    OJ = "oj"
    """MultiJson on Oj (Debian's ruby-multi-json, many bundled apps)."""
    RAILS = "rails"
    """A Rails process: the json gem with ActiveSupport's escaping."""


_INT64_MIN = -(2**63)
_INT64_MAX = 2**63

_RAILS_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

MAX_DEPTH = 200
"""Deepest nesting of arrays and objects ``decode`` accepts. Low enough that every reader can
walk, re-encode and ``repr`` a decoded value from any depth of its own stack."""


def ruby_float(value: float) -> str:
    """``Float#to_s``: fixed notation for moderate magnitudes, else ``d.ddde+XX``.

    Ruby's rule (numeric.c ``flo_to_s``), with ``decpt`` the decimal exponent of the shortest
    round-trip digits: fixed when ``0 < decpt <= 16`` and the number has a fraction, or when
    ``decpt <= 15`` for integral values; ``0.000ddd`` when ``-4 < decpt <= 0``; otherwise
    exponent form with at least one fractional digit and a two-digit signed exponent.
    """
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, decpt = _shortest_digits(abs(value))
    if 0 < decpt <= 16 and (decpt < len(digits) or decpt <= 15):
        if decpt < len(digits):
            return f"{sign}{digits[:decpt]}.{digits[decpt:]}"
        return f"{sign}{digits}{'0' * (decpt - len(digits))}.0"
    if -4 < decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    exponent = decpt - 1
    frac = digits[1:] or "0"
    esign = "+" if exponent >= 0 else "-"
    return f"{sign}{digits[0]}.{frac}e{esign}{abs(exponent):02d}"


def oj_float(value: float) -> str:
    """Oj's compat-mode float: integral values within int64 as ``<int>.0``, else ``Float#to_s``."""
    if value.is_integer() and _INT64_MIN <= value < _INT64_MAX:
        return f"{int(value)}.0"
    return ruby_float(value)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of a positive float and its decimal exponent (``0.d1d2... x 10^e``)."""
    mantissa, _, exp = repr(value).partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    significant = all_digits.lstrip("0")
    decpt = len(whole) - (len(all_digits) - len(significant)) + (int(exp) if exp else 0)
    return significant.rstrip("0") or "0", decpt


class _Refused(Exception):
    """Internal: a value JSON cannot carry; ``where`` collects its path from the inside out."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.where: list[str] = []


def _prepare(value: Any, float_text: Any) -> Any:
    """Walk a value, turning floats into Ruby's text and refusing what JSON cannot carry.

    Paths are built only on the way out of an error, so the common case costs one type check
    per element.
    """
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        if math.isnan(value) or math.isinf(value):
            raise _Refused(f"{value!r} is not allowed in JSON (Ruby raises JSON::GeneratorError)")
        return msgspec.Raw(float_text(value).encode())
    if t is list or t is tuple:
        out = []
        for i, v in enumerate(value):
            try:
                out.append(_prepare(v, float_text))
            except _Refused as r:
                r.where.append(f"[{i}]")
                raise
        return out
    if t is dict:
        return _prepare_dict(value, float_text)
    if isinstance(value, msgspec.Raw):
        return value
    base = _base_value(value)
    if base is not None:
        return _prepare(base, float_text)
    raise _Refused(
        f"cannot encode {t.__name__} as JSON (allowed: None, bool, int, float, str, list, tuple, dict)"
    )


def _prepare_dict(value: dict[Any, Any], float_text: Any) -> dict[str, Any]:
    out = {}
    for k, v in value.items():
        try:
            out[_key_text(k, float_text)] = _prepare(v, float_text)
        except _Refused as r:
            r.where.append(f"[{k!r}]")
            raise
    return out


def _base_value(value: Any) -> Any:
    """Subclasses (IntEnum, str mixins, OrderedDict, named tuples) are written as their base type."""
    if isinstance(value, str):
        return "" + value  # str() would call an overridden __str__
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _key_text(key: Any, float_text: Any) -> str:
    """Hash keys are written with ``to_s`` in Ruby: ``3`` -> ``"3"``, ``nil`` -> ``""``."""
    if type(key) is str:
        return key
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        return float_text(float(key)) if math.isfinite(key) else str(key)
    if isinstance(key, str):
        return str(key)
    raise _Refused(
        f"a hash key must be str, int, float, bool or None, not {type(key).__name__}",
    )


def prepare(value: Any, profile: Profile = Profile.JSON_GEM, path: str = "value") -> Any:
    """Check ``value`` and turn its floats into Ruby's text, ready for ``encode_prepared``.

    Raises ``EncodeError`` naming the offending part of ``value`` (``path``) for NaN,
    Infinity and types JSON cannot carry.
    """
    try:
        return _prepare(value, oj_float if profile is Profile.OJ else ruby_float)
    except _Refused as r:
        raise EncodeError(path + "".join(reversed(r.where)), r.reason) from None
    except RecursionError:
        raise EncodeError(path, f"nested too deeply to encode (decode accepts {MAX_DEPTH} levels)") from None


def encode_prepared(prepared: Any, profile: Profile = Profile.JSON_GEM, path: str = "value") -> bytes:
    """Encode a value made by ``prepare`` (or holding only JSON-native values)."""
    try:
        out = _encoder.encode(prepared)
    except RecursionError:
        raise EncodeError(path, "nested too deeply to encode") from None
    except (UnicodeEncodeError, msgspec.EncodeError) as exc:
        raise EncodeError(path, f"not encodable as UTF-8 JSON ({exc})") from exc
    if profile is Profile.RAILS:
        for raw, escaped in _RAILS_ESCAPES:
            if raw in out:
                out = out.replace(raw, escaped)
    return out


def encode(value: Any, profile: Profile = Profile.JSON_GEM, path: str = "value") -> bytes:
    """Encode ``value`` to exactly the bytes ``Resque.encode`` writes under ``profile``.

    Raises ``EncodeError`` naming the offending part of ``value`` (``path``) for NaN,
    Infinity, unsupported types and strings that are not valid Unicode.
    """
    return encode_prepared(prepare(value, profile, path), profile, path)


def decode(raw: bytes | str, key: str | None = None) -> Any:
    """Decode JSON as ``Resque.decode`` does; raises ``DecodeError`` keeping the raw bytes."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        value = _decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # Invalid UTF-8 inside a string (Oj writes such bytes through) raises UnicodeDecodeError.
        raise DecodeError(data, str(exc), key) from exc
    except RecursionError:
        raise DecodeError(data, _too_deep(), key) from None
    # Fewer brackets than MAX_DEPTH (every job payload in practice) cannot nest deeper, nor can
    # fewer bytes (most payloads: not even counted).
    if (
        len(data) > MAX_DEPTH
        and data.count(b"[") + data.count(b"{") > MAX_DEPTH
        and _depth(value) > MAX_DEPTH
    ):
        raise DecodeError(data, _too_deep(), key)
    return value


def _too_deep() -> str:
    return f"JSON nested more than {MAX_DEPTH} levels deep"


def _depth(value: Any) -> int:
    """Nesting depth of a decoded value, without recursion (``[]`` is 1, a scalar 0)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children if type(child) in (list, dict))
    return deepest
