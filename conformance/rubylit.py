"""Read the small Ruby literals recorded in fixture steps (``ruby: '[44, :eur]'``) as JSON values.

Only what a worker would receive after Resque's JSON round trip: integers, floats, strings,
symbols (become strings), ``nil``/``true``/``false``, arrays and hashes with ``key: value`` or
``"key" => value`` entries (keys become strings). Anything else raises ``ValueError``, and a
scenario that needs it must run against the live Ruby reference instead.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<float>-?\d+\.\d+(?:[eE][+-]?\d+)?|-?\d+[eE][+-]?\d+)
      | (?P<int>-?\d+)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<label>[A-Za-z_]\w*):(?!:)
      | (?P<sym>:[A-Za-z_]\w*[?!]?)
      | (?P<word>nil|true|false)\b
      | (?P<arrow>=>)
      | (?P<punct>[\[\]{},])
    )""",
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "0": "\0", "e": "\x1b", "s": " "}


def parse(text: str) -> Any:
    """The JSON value of a Ruby literal; raises ``ValueError`` for what this reader does not know."""
    tokens = _tokens(text)
    value, pos = _value(tokens, 0)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r} in Ruby literal {text!r}")
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.lastgroup is None:
            raise ValueError(f"cannot read Ruby literal {text!r} at {text[pos:]!r}")
        out.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return out


def _value(tokens: list[tuple[str, str]], pos: int) -> tuple[Any, int]:
    if pos >= len(tokens):
        raise ValueError("Ruby literal ends early")
    kind, text = tokens[pos]
    if kind == "float":
        return float(text), pos + 1
    if kind == "int":
        return int(text), pos + 1
    if kind == "str":
        return _string(text[1:-1]), pos + 1
    if kind == "sym":
        return text[1:], pos + 1
    if kind == "word":
        return {"nil": None, "true": True, "false": False}[text], pos + 1
    if text == "[":
        return _array(tokens, pos + 1)
    if text == "{":
        return _hash(tokens, pos + 1)
    raise ValueError(f"unexpected {text!r} in Ruby literal")


def _array(tokens: list[tuple[str, str]], pos: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while tokens[pos][1] != "]":
        item, pos = _value(tokens, pos)
        items.append(item)
        if tokens[pos][1] == ",":
            pos += 1
    return items, pos + 1


def _hash(tokens: list[tuple[str, str]], pos: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while tokens[pos][1] != "}":
        kind, text = tokens[pos]
        if kind == "label":
            key: Any = text
            pos += 1
        else:
            key, pos = _value(tokens, pos)
            if tokens[pos][0] != "arrow":
                raise ValueError("a Ruby hash entry needs => or key:")
            pos += 1
        value, pos = _value(tokens, pos)
        out["" if key is None else str(key)] = value
        if tokens[pos][1] == ",":
            pos += 1
    return out, pos + 1


def _string(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)
