"""ActiveJob's argument encoding in both directions (``ActiveJob::Arguments``).

``deserialize`` mirrors ``Arguments.deserialize`` case by case: strings and numbers as they are,
arrays element by element, a one-key ``{"_aj_globalid": ...}`` hash as a GlobalID, a hash with
``_aj_serialized`` through its serializer, any other hash through ``deserialize_hash`` (which
honours ``_aj_hash_with_indifferent_access``, ``_aj_symbol_keys`` and ``_aj_ruby2_keywords``, in
that order, with Ruby's truthiness). ``serialize`` mirrors ``Arguments.serialize`` for the
Python types of ``values``. An encoding nobody knows raises ``UnknownEncodingError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import ArgumentDecodeError, ArgumentEncodeError, UnknownEncodingError
from .serializers import (
    BIG_DECIMAL,
    LOADERS,
    MODULE,
    RANGE,
    SERIALIZER_KEY,
    CustomSerializer,
    RailsFormat,
    dump_duration,
    dump_time,
    ruby_decimal,
    symbol,
)
from .values import (
    Duration,
    GlobalID,
    IndifferentHash,
    KeywordArguments,
    RubyModule,
    RubyRange,
    Symbol,
)

GLOBALID_KEY = "_aj_globalid"
SYMBOL_KEYS_KEY = "_aj_symbol_keys"
RUBY2_KEYWORDS_KEY = "_aj_ruby2_keywords"
WITH_INDIFFERENT_ACCESS_KEY = "_aj_hash_with_indifferent_access"
RESERVED_KEYS = frozenset(
    {GLOBALID_KEY, SYMBOL_KEYS_KEY, RUBY2_KEYWORDS_KEY, WITH_INDIFFERENT_ACCESS_KEY, SERIALIZER_KEY}
)


@dataclass(frozen=True)
class Codec:
    """How arguments are read and written: the Rails version to write for, an app's own
    serializers, and what to do with GlobalID references (``locate``; default: hand them over)."""

    rails: RailsFormat = RailsFormat.RAILS_6_1
    custom: Sequence[CustomSerializer] = ()
    locate: Callable[[GlobalID], Any] | None = None
    _by_name: dict[str, CustomSerializer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.custom})

    # --- Ruby -> Python ---------------------------------------------------------------------

    def deserialize(self, arguments: Any, job_class: str | None = None) -> list[Any]:
        """``Arguments.deserialize``: the job's argument list as Python values.

        Raises ``ArgumentDecodeError`` (``UnknownEncodingError`` for an unknown serializer) naming
        the argument's path and ``job_class``.
        """
        if not isinstance(arguments, list):
            raise ArgumentDecodeError("arguments", f"must be a JSON array, got {arguments!r}", job_class)
        try:
            return [self.deserialize_argument(a, f"arguments[{i}]") for i, a in enumerate(arguments)]
        except ArgumentDecodeError as exc:
            if exc.job_class is None and job_class is not None:
                raise _with_job_class(exc, job_class) from exc
            raise

    def deserialize_argument(self, value: Any, path: str) -> Any:
        """``Arguments#deserialize_argument`` for one value found at ``path``."""
        if value is None or isinstance(value, str | int | float):
            return value
        if isinstance(value, list):
            return [self.deserialize_argument(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise ArgumentDecodeError(path, f"can only deserialize primitive arguments: {value!r}")
        if len(value) == 1 and GLOBALID_KEY in value:
            return self._global_id(value[GLOBALID_KEY], path)
        if SERIALIZER_KEY in value:
            return self._serialized(value, path)
        return self._hash(value, path)

    def _global_id(self, uri: Any, path: str) -> Any:
        try:
            gid = GlobalID(uri) if isinstance(uri, str) else None
        except ValueError as exc:
            raise ArgumentDecodeError(path, str(exc)) from exc
        if gid is None:
            raise ArgumentDecodeError(path, f"a GlobalID must be a string, got {uri!r}")
        return self.locate(gid) if self.locate is not None else gid

    def _serialized(self, value: dict[str, Any], path: str) -> Any:
        name = value[SERIALIZER_KEY]
        if not isinstance(name, str) or not name:
            raise ArgumentDecodeError(path, f"serializer name is not present in the argument: {value!r}")
        loader = LOADERS.get(name)
        if loader is not None:
            return loader(value, path, self.deserialize_argument)
        custom = self._by_name.get(name)
        if custom is None:
            raise UnknownEncodingError(path, name)
        try:
            return custom.load(value)
        except Exception as exc:
            raise ArgumentDecodeError(path, f"{name} failed: {type(exc).__name__}: {exc}") from exc

    def _hash(self, value: dict[str, Any], path: str) -> dict[str, Any]:
        result = {k: self.deserialize_argument(v, f"{path}[{k!r}]") for k, v in value.items()}
        # Ruby: `if result.delete(WIA) ... elsif keys = result.delete(SYMBOL_KEYS) ... elsif ...`;
        # each `delete` only runs when the branches before it were not taken.
        if _truthy(result.pop(WITH_INDIFFERENT_ACCESS_KEY, None)):
            return IndifferentHash(result)
        symbol_keys = result.pop(SYMBOL_KEYS_KEY, None)
        if _truthy(symbol_keys):
            return _symbolize(result, symbol_keys, path, dict)
        keywords = result.pop(RUBY2_KEYWORDS_KEY, None)
        if _truthy(keywords):
            return _symbolize(result, keywords, path, KeywordArguments)
        return result

    # --- Python -> Ruby ---------------------------------------------------------------------

    def serialize(self, arguments: Sequence[Any]) -> list[Any]:
        """``Arguments.serialize``: Python values as ActiveJob writes them for ``self.rails``.

        Raises ``ArgumentEncodeError`` naming the argument's path for a value with no encoding.
        """
        return [self.serialize_argument(a, f"arguments[{i}]") for i, a in enumerate(arguments)]

    def serialize_argument(self, value: Any, path: str) -> Any:  # noqa: C901 - one case per Ruby type
        """``Arguments#serialize_argument`` for one value."""
        if isinstance(value, Symbol):
            return symbol(value)
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, Decimal):
            return self._decimal(value, path)
        if isinstance(value, GlobalID):
            return {GLOBALID_KEY: value.uri}
        if isinstance(value, list | tuple):
            return [self.serialize_argument(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, IndifferentHash):
            return {**self._serialize_hash(value, path), WITH_INDIFFERENT_ACCESS_KEY: True}
        if isinstance(value, KeywordArguments):
            return {**self._serialize_hash(value, path), RUBY2_KEYWORDS_KEY: [str(k) for k in value]}
        if isinstance(value, dict):
            symbols = [str(k) for k in value if isinstance(k, Symbol)]
            return {**self._serialize_hash(value, path), SYMBOL_KEYS_KEY: symbols}
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ArgumentEncodeError(path, "a naive datetime has no UTC offset: attach a tzinfo")
            return dump_time(value, self.rails)
        if isinstance(value, date):
            return {SERIALIZER_KEY: "ActiveJob::Serializers::DateSerializer", "value": value.isoformat()}
        if isinstance(value, timedelta):
            value = Duration.from_timedelta(value)
        if isinstance(value, Duration):
            return dump_duration(value, lambda parts: self.serialize_argument(parts, f"{path}.parts"))
        if isinstance(value, RubyModule):
            return {SERIALIZER_KEY: MODULE, "value": value.name}
        if isinstance(value, RubyRange):
            return self._range(value, path)
        return self._custom(value, path)

    def _decimal(self, value: Decimal, path: str) -> Any:
        try:
            text = ruby_decimal(value)
        except ValueError as exc:
            raise ArgumentEncodeError(path, str(exc)) from exc
        if self.rails is RailsFormat.RAILS_7_2:
            return {SERIALIZER_KEY: BIG_DECIMAL, "value": text}
        # Rails <= 7.1 passes a BigDecimal through and ActiveSupport's JSON writes it as a string.
        return text

    def _range(self, value: RubyRange, path: str) -> dict[str, Any]:
        if self.rails is RailsFormat.RAILS_6_1:
            raise ArgumentEncodeError(path, "Rails 6.1 cannot serialize a Range (RangeSerializer is 7.1+)")
        return {
            SERIALIZER_KEY: RANGE,
            "begin": self.serialize_argument(value.begin, f"{path}.begin"),
            "end": self.serialize_argument(value.end, f"{path}.end"),
            "exclude_end": value.exclude_end,
        }

    def _custom(self, value: Any, path: str) -> dict[str, Any]:
        for custom in self.custom:
            if custom.python_type is not None and custom.dump and isinstance(value, custom.python_type):
                return {SERIALIZER_KEY: custom.name, **custom.dump(value)}
        raise ArgumentEncodeError(
            path, f"unsupported argument type: {type(value).__name__} (no ActiveJob serializer)"
        )

    def _serialize_hash(self, value: Mapping[Any, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ArgumentEncodeError(
                    f"{path}[{key!r}]",
                    f"only string and symbol hash keys may be serialized, not {type(key).__name__}",
                )
            if key in RESERVED_KEYS:
                raise ArgumentEncodeError(
                    f"{path}[{key!r}]", f"can't serialize a hash with reserved key {key}"
                )
            out[str(key)] = self.serialize_argument(item, f"{path}[{key!r}]")
        return out


def _truthy(value: Any) -> bool:
    """Ruby truthiness: everything but nil and false (``[]`` and ``0`` are true)."""
    return value is not None and value is not False


def _symbolize(result: dict[str, Any], keys: Any, path: str, kind: type[dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ArgumentDecodeError(path, f"symbol key list must be a list of strings, got {keys!r}")
    wanted = set(keys)
    return kind({(Symbol(k) if k in wanted else k): v for k, v in result.items()})


def _with_job_class(exc: ArgumentDecodeError, job_class: str) -> ArgumentDecodeError:
    if isinstance(exc, UnknownEncodingError):
        return UnknownEncodingError(exc.path, exc.encoding, job_class)
    return ArgumentDecodeError(exc.path, exc.reason, job_class)


DEFAULT_CODEC = Codec()
