"""Ruby's text of JSON values: ``inspect``, ``to_s`` and ``Array#join`` (Ruby 3.1).

Plugins key locks on these: resque-lock on ``args.to_s`` (``Array#inspect``), resque-lock-timeout
on ``args.join('-')``. A job's arguments reach Ruby as JSON values (nil, true/false, Integer,
Float, String, Array, Hash with string keys), so these cover exactly those (tuples as arrays).

``String#inspect`` escapes ``"`` ``\\`` and ``#{`` ``#$`` ``#@``, the named controls (``\\n``
``\\t`` ``\\r`` ``\\e`` ``\\a`` ``\\b`` ``\\f`` ``\\v``), and every other character Ruby does not
print: controls (but U+0085, which Ruby prints as is), line/paragraph separators, surrogates and
unassigned code points, as ``\\uXXXX`` or ``\\u{XXXXX}``. Unassigned is judged by this Python's
Unicode tables; Ruby 3.1 uses Unicode 13.0, so a character assigned since then differs.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .rubyjson import ruby_float

_NAMED = {
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\x1b": "\\e",
    "\x07": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}
_UNPRINTED = {"Cc", "Cn", "Cs", "Zl", "Zp"}


def inspect(value: Any) -> str:
    """``value.inspect``."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ruby_float(value)
    if isinstance(value, str):
        return inspect_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{inspect(k)}=>{inspect(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Ruby inspect for {type(value).__name__} (JSON values only)")


def inspect_string(text: str) -> str:
    """``String#inspect`` of a UTF-8 string."""
    out = ['"']
    for i, ch in enumerate(text):
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif ch == "#" and text[i + 1 : i + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ch != "\x85" and unicodedata.category(ch) in _UNPRINTED:
            code = ord(ch)
            out.append(f"\\u{code:04X}" if code <= 0xFFFF else f"\\u{{{code:X}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_s(value: Any) -> str:
    """``value.to_s``: strings as they are, ``nil`` empty, arrays and hashes as ``inspect``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return inspect(value)


def join(values: Any, separator: str = "") -> str:
    """``Array#join``: nested arrays joined with the same separator, the rest by ``to_s``."""
    parts: list[str] = []
    for v in values:
        parts.append(join(v, separator) if isinstance(v, list | tuple) else to_s(v))
    return separator.join(parts)
