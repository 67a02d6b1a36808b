"""Query parameters as the pages and the API read them: integers clamped into a range, so no
``start`` or ``count`` from a URL reaches Redis out of range or asks for an unbounded window."""

from __future__ import annotations

from starlette.requests import Request

MAX_START = 10**15
"""No Redis list, set or hash holds more entries than this (2^32 - 1 elements per key)."""
MAX_COUNT = 1000
"""The most entries one page or API call returns."""


def int_param(request: Request, name: str, default: int, most: int = MAX_START, least: int = 0) -> int:
    """``?name=`` as an integer in ``least..most``; ``default`` when absent or not a number."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip()[:32])
    except ValueError:
        return default
    return max(least, min(most, value))


def start_param(request: Request) -> int:
    """``?start=``: where a window begins, 0 by default."""
    return int_param(request, "start", 0)


def count_param(request: Request, default: int = 20) -> int:
    """``?count=``: how many entries, 1 to ``MAX_COUNT``."""
    return int_param(request, "count", default, MAX_COUNT, 1)
