"""The tables ``make bench`` prints and the JSON it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BOTH = ("split", "shared")

RATIOS: list[tuple[str, str, str, float | None, tuple[str, ...]]] = [
    # (label, numerator, denominator, goal, placements the goal holds in)
    ("python/ruby enqueue", "python enqueue", "ruby enqueue", 1.6, BOTH),
    (
        "python enqueue / redis-benchmark RPUSH c1P1",
        "python enqueue",
        "redis-benchmark RPUSH",
        0.85,
        ("split",),
    ),
    ("python/rq enqueue", "python enqueue", "rq enqueue", None, ()),
    ("python bulk / redis-benchmark -P 50", "python bulk enqueue", "redis-benchmark RPUSH -P 50", 0.5, BOTH),
    ("python/ruby worker in-process", "python worker in-process", "ruby worker in-process", 2.0, BOTH),
    (
        "python in-process / redis-benchmark RPUSH c1P1",
        "python worker in-process",
        "redis-benchmark RPUSH",
        0.75,
        ("split",),
    ),
    # The limit the row above meets: the reserve script's one round trip with nothing around it.
    (
        "python reserve trip alone / redis-benchmark RPUSH c1P1",
        "python reserve trip alone",
        "redis-benchmark RPUSH",
        None,
        (),
    ),
    (
        "python in-process / python reserve trip alone",
        "python worker in-process",
        "python reserve trip alone",
        None,
        (),
    ),
    ("python in-process / rq SimpleWorker", "python worker in-process", "rq SimpleWorker", None, ()),
    ("python/ruby worker fork", "python worker fork", "ruby worker fork", 2.0, BOTH),
    ("python fork / python fork floor", "python worker fork", "python fork floor", 0.8, BOTH),
    ("ruby fork / ruby fork floor", "ruby worker fork", "ruby fork floor", None, ()),
    ("python floor / ruby floor", "python fork floor", "ruby fork floor", None, ()),
    ("python fork / rq Worker (fork)", "python worker fork", "rq Worker (fork)", None, ()),
    (
        "python/ruby scheduler moving due jobs",
        "python scheduler moving due jobs",
        "ruby scheduler moving due jobs",
        3.0,
        BOTH,
    ),
    ("python/ruby enqueue_at", "python enqueue_at", "ruby enqueue_at", 1.6, BOTH),
    # commands per second: Ruby's over Python's, so >= 1 means Python costs Redis no more
    ("ruby/python idle scheduler commands", "ruby idle scheduler", "python idle scheduler", 1.0, BOTH),
]
"""``python fork / python fork floor >= 0.8`` is the floor rule: within 1.25x of the floor."""

FORK_GOALS = (
    "python/ruby worker fork",
    "python fork / python fork floor",
    "python worker fork / fork floor, interleaved",
)

PAIRED_GOALS = [
    ("python worker in-process, pause check / none", 0.95),
    ("python worker fork, pause check / none", 0.95),
    ("python worker fork / fork floor, interleaved", 0.8),
]
"""Rows whose value is already a ratio of two interleaved variants (``bench/pause_check.py``,
``others.py_fork_over_floor``: the floor rule, floor and worker seconds apart)."""


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def _median(results: dict[str, dict[str, Any]], key: str, field: str = "median") -> float | None:
    r = results.get(key, {})
    v = r.get(field)
    if isinstance(v, list):
        v = sorted(v)[len(v) // 2] if v else None
    return None if v is None else float(v)


def report(
    results: dict[str, dict[str, Any]], placements: list[str], path: str, meta: dict[str, Any]
) -> None:
    print("\n| workload | placement | median | min | max | unit |\n|---|---|---|---|---|---|")
    for key, r in results.items():
        placement, name = key.split("/", 1)
        if placement == "curves":
            continue
        if "skipped" in r:
            print(f"| {name} | {placement} | skipped: {r['skipped']} | | | {r['unit']} |")
            continue
        v = r["values"]
        print(
            f"| {name} | {placement} | {_fmt(r['median'])} | {_fmt(min(v))} | {_fmt(max(v))} | {r['unit']} |"
        )
    ratios = _ratios(results, placements)
    _commands(results, ratios)
    _memory(results, ratios)
    _curves(results, ratios)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results, "ratios": ratios}, indent=2))
    print(f"\nload average before/after: {meta['loadavg_before'][0]:.1f} / {meta['loadavg_after'][0]:.1f}")
    print(f"wrote {out}")


def _ratios(results: dict[str, dict[str, Any]], placements: list[str]) -> dict[str, Any]:
    print("\n| ratio | placement | value (min-max of paired runs) | goal | holds |\n|---|---|---|---|---|")
    ratios: dict[str, Any] = {}
    for label, num, den, goal, where in RATIOS:
        for placement in placements:
            a, b = results.get(f"{placement}/{num}", {}), results.get(f"{placement}/{den}", {})
            if "median" not in a or "median" not in b:
                continue
            value = a["median"] / b["median"]
            pairs = [x / y for x, y in zip(a["values"], b["values"], strict=False) if y]
            applies = goal is not None and placement in where
            holds = (value >= goal) if applies and goal is not None else None
            ratios[f"{placement}/{label}"] = {"value": value, "pairs": pairs, "goal": goal, "holds": holds}
            spread = f" ({min(pairs):.2f}-{max(pairs):.2f})" if len(pairs) > 1 else ""
            goal_text = f">= {goal}" if applies else ""
            holds_text = "" if holds is None else ("yes" if holds else "NO")
            print(f"| {label} | {placement} | {value:.2f}x{spread} | {goal_text} | {holds_text} |")
    _paired(results, placements, ratios)
    for placement in placements:
        held = [ratios.get(f"{placement}/{g}", {}).get("holds") for g in FORK_GOALS]
        if any(h is not None for h in held):
            ok = any(held)
            ratios[f"{placement}/fork goal"] = {"holds": ok}
            print(
                f"| fork: 2x Ruby or within 1.25x of the floor | {placement} | | | {'yes' if ok else 'NO'} |"
            )
        lat = _median(results, f"{placement}/python pickup latency p50, blocking")
        rtt = _median(results, f"{placement}/redis-benchmark RPUSH")
        if lat is not None and rtt:
            limit = 3 * 1000 / rtt
            ok = lat <= limit
            ratios[f"{placement}/pickup latency p50"] = {"value": lat, "limit_ms": limit, "holds": ok}
            print(
                f"| pickup latency p50, blocking (ms) | {placement} | {lat:.2f} | "
                f"<= {limit:.2f} (3 c1P1 round trips) | {'yes' if ok else 'NO'} |"
            )
    return ratios


def _paired(results: dict[str, dict[str, Any]], placements: list[str], ratios: dict[str, Any]) -> None:
    """The rows of ``PAIRED_GOALS``, with the redis-server CPU per job each variant costs."""
    for placement in placements:
        for name, goal in PAIRED_GOALS:
            row = results.get(f"{placement}/{name}", {})
            if "median" not in row:
                continue
            value, v = row["median"], row["values"]
            ratios[f"{placement}/{name}"] = {"value": value, "pairs": v, "goal": goal, "holds": value >= goal}
            spread = f" ({min(v):.2f}-{max(v):.2f})" if len(v) > 1 else ""
            holds = "yes" if value >= goal else "NO"
            print(f"| {name} | {placement} | {value:.3f}x{spread} | >= {goal} | {holds} |")
            cpu, share = sorted(row.get("server_cpu_ratio") or []), sorted(row.get("added_cpu_share") or [])
            if cpu and share:
                mid = len(cpu) // 2
                cpu_text = f"{cpu[mid]:.3f}x ({cpu[0]:.2f}-{cpu[-1]:.2f})"
                print(f"| {name}: redis-server CPU per job | {placement} | {cpu_text} | | |")
                shown = f"{share[mid]:.1%} ({share[0]:.1%} to {share[-1]:.1%})"
                print(f"| {name}: the CPU it adds, of a job's time | {placement} | {shown} | <= 5% | |")


def _commands(results: dict[str, dict[str, Any]], ratios: dict[str, Any]) -> None:
    rows = []
    for what in ("enqueue", "worker in-process"):
        py, rb = _median(results, f"commands/python {what}"), _median(results, f"commands/ruby {what}")
        if py is None or rb is None:
            continue
        scripted = _median(results, f"commands/python {what}", "script_calls_per_job") or 0.0
        ok = round(py, 2) <= round(rb, 2)  # the Python client's one warm-up job is in its count
        ratios[f"commands/{what}"] = {"python": py, "ruby": rb, "python_script_calls": scripted, "holds": ok}
        rows.append(
            f"| {what} | {py:.2f} (+{scripted:.2f} inside the script) | {rb:.2f} | {'yes' if ok else 'NO'} |"
        )
    if rows:
        print("\n| commands sent per job | python | ruby | python <= ruby |\n|---|---|---|---|")
        print("\n".join(rows))


def _memory(results: dict[str, dict[str, Any]], ratios: dict[str, Any]) -> None:
    py, rb = results.get("memory/python worker RSS", {}), results.get("memory/ruby worker RSS", {})
    if "median" not in py:
        return
    print("\n| memory | value | goal | holds |\n|---|---|---|---|")
    marks = sorted(int(k.rsplit("_", 1)[1]) for k in py if k.startswith("rss_kb_after_"))
    first, last = (
        _median(results, "memory/python worker RSS", f"rss_kb_after_{m}") for m in (marks[0], marks[-1])
    )
    assert first is not None and last is not None
    growth = last / first
    ratios["memory/python RSS growth"] = {"value": growth, "goal": 1.05, "holds": growth <= 1.05}
    print(f"| python in-process worker RSS after {marks[0]:,} jobs | {first / 1024:.1f} MB | | |")
    print(f"| python in-process worker RSS after {marks[-1]:,} jobs | {last / 1024:.1f} MB | | |")
    ok = "yes" if growth <= 1.05 else "NO"
    print(f"| python RSS after {marks[-1]:,} / after {marks[0]:,} | {growth:.3f}x | <= 1.05 | {ok} |")
    if "median" in rb:
        rb_marks = sorted(int(k.rsplit("_", 1)[1]) for k in rb if k.startswith("rss_kb_after_"))
        for m in rb_marks:
            v = _median(results, "memory/ruby worker RSS", f"rss_kb_after_{m}")
            print(f"| ruby in-process worker RSS after {m:,} jobs | {(v or 0) / 1024:.1f} MB | | |")
        rb_first = _median(results, "memory/ruby worker RSS", f"rss_kb_after_{rb_marks[0]}")
        if rb_first:
            ratios["memory/python RSS / ruby RSS"] = {"value": first / rb_first}
            print(f"| python / ruby worker RSS after {marks[0]:,} jobs | {first / rb_first:.2f}x | | |")
    for placement in BOTH:
        for side in ("python", "ruby"):
            v = _median(results, f"{placement}/{side} worker fork", "rss_kb")
            if v:
                print(f"| {side} fork worker (parent) RSS, {placement} | {v / 1024:.1f} MB | | |")
        v = _median(results, f"{placement}/python fork floor", "rss_kb")
        if v:
            print(f"| python fork floor process RSS, {placement} | {v / 1024:.1f} MB | | |")


def _curves(results: dict[str, dict[str, Any]], ratios: dict[str, Any]) -> None:
    rows: list[str] = []
    for key in results:
        if key.startswith("curves/") and key.rsplit(" ", 1)[0][len("curves/") :] not in rows:
            rows.append(key.rsplit(" ", 1)[0][len("curves/") :])
    if not rows:
        return
    print(
        "\n| curve point (split, in-process) | python jobs/s | ruby jobs/s | python/ruby | "
        "python sent/job (+ in script) | ruby sent/job | python calls/job | ruby calls/job | "
        "python Redis CPU µs/job | ruby Redis CPU µs/job | sent <= ruby |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for row in rows:
        py, rb = results.get(f"curves/{row} python", {}), results.get(f"curves/{row} ruby", {})
        ratio = py["median"] / rb["median"] if "median" in py and "median" in rb else None
        cells = [_fmt(r["median"]) if "median" in r else "-" for r in (py, rb)]
        cells.append(f"{ratio:.2f}x" if ratio else "-")
        sent = [r["sent_per_job"][0] if r.get("sent_per_job") else None for r in (py, rb)]
        scripted = py["script_calls_per_job"][0] if py.get("script_calls_per_job") else 0.0
        cells.append(f"{sent[0]:.2f} (+{scripted:.2f})" if sent[0] is not None else "-")
        cells.append(f"{sent[1]:.2f}" if sent[1] is not None else "-")
        for field in ("calls_per_job", "redis_cpu_us_per_job"):
            cells += [f"{r[field][0]:.2f}" if r.get(field) else "-" for r in (py, rb)]
        holds = None if None in sent else round(sent[0], 2) <= round(sent[1], 2)  # type: ignore[operator]
        ratios[f"curves/{row}"] = {"python/ruby": ratio, "sent_not_more_than_ruby": holds}
        print(
            f"| {row} | " + " | ".join(cells) + f" | {'' if holds is None else ('yes' if holds else 'NO')} |"
        )
