"""Charts as plain SVG, drawn on the server from the sampled history: no script, no library,
nothing fetched, so they work offline and under the dashboard's CSP. Colours come from the
stylesheet (classes), so dark mode applies to them too."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..protocol.history import Point

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 180, 10, 22, 44


@dataclass(frozen=True, slots=True)
class Bar:
    cls: str
    x: float
    y: float
    w: float
    h: float
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    cls: str
    points: str
    name: str


@dataclass(frozen=True, slots=True)
class Chart:
    """What the ``chart`` macro draws: bars and lines in a ``WIDTH`` x ``HEIGHT`` box."""

    title: str
    summary: str
    top: int
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # x, label
    legend: list[tuple[str, str]] = field(default_factory=list)  # class, name
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM
    empty: bool = False


def nice(n: int) -> int:
    """The round number at or above ``n`` the y axis ends at (1, 2, 5 x 10^k)."""
    if n <= 1:
        return 1
    scale = 1
    while True:
        for m in (1, 2, 5):
            if m * scale >= n:
                return m * scale
        scale *= 10


def _ticks(points: Sequence[Point | None], step: int) -> list[tuple[float, str]]:
    n = len(points)
    if not n:
        return []
    span = (WIDTH - LEFT) / n
    every = max(1, n // 6)
    fmt = "%H:%M" if step < 3600 else "%a %H:%M"
    out = []
    for i, p in enumerate(points):
        if i % every == 0 and p is not None:
            out.append((LEFT + i * span, time.strftime(fmt, time.gmtime(p.at))))
    return out


def bars(
    title: str,
    points: Sequence[Point | None],
    step: int,
    series: list[tuple[str, str, Callable[[Point], int | None]]],
) -> Chart:
    """Side-by-side bars per interval for each ``(class, name, value)`` series."""
    values = [[(get(p) if p is not None else None) for p in points] for _, _, get in series]
    top = nice(max((v or 0 for vs in values for v in vs), default=0))
    n = max(1, len(points))
    span = (WIDTH - LEFT) / n
    w = max(0.5, span / max(1, len(series)) - 0.5)
    plot = HEIGHT - BOTTOM - TOP
    out = []
    for k, (cls, name, _) in enumerate(series):
        for i, v in enumerate(values[k]):
            if not v:
                continue
            h = plot * v / top
            out.append(Bar(cls, LEFT + i * span + k * w, HEIGHT - BOTTOM - h, w, h, f"{name}: {v:,}"))
    totals = ", ".join(
        f"{name} {sum(v or 0 for v in vs):,}" for (_, name, _), vs in zip(series, values, strict=True)
    )
    return Chart(
        title,
        f"{title}: {totals}",
        top,
        bars=out,
        ticks=_ticks(points, step),
        legend=[(cls, name) for cls, name, _ in series],
        empty=not any(p is not None for p in points),
    )


def lines(
    title: str,
    points: Sequence[Point | None],
    step: int,
    series: list[tuple[str, str, Callable[[Point], int]]],
) -> Chart:
    """One polyline per ``(class, name, value)`` series, broken where no sample was taken."""
    top = nice(max((get(p) for p in points if p is not None for _, _, get in series), default=0))
    n = max(1, len(points))
    span = (WIDTH - LEFT) / n
    plot = HEIGHT - BOTTOM - TOP
    out = []
    for cls, name, get in series:
        coords = [
            f"{LEFT + (i + 0.5) * span:.1f},{HEIGHT - BOTTOM - plot * get(p) / top:.1f}"
            for i, p in enumerate(points)
            if p is not None
        ]
        if coords:
            out.append(Line(cls, " ".join(coords), name))
    latest = next((p for p in reversed(points) if p is not None), None)
    now = ", ".join(f"{name} {get(latest):,}" for _, name, get in series) if latest else "no samples yet"
    return Chart(
        title,
        f"{title}, latest: {now}",
        top,
        lines=out,
        ticks=_ticks(points, step),
        legend=[(cls, name) for cls, name, _ in series],
        empty=latest is None,
    )
