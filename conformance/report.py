"""The conformance matrix: scenario x direction (per reference), as text, Markdown and JUnit XML.

Results come from the pytest run (``conformance/conftest.py`` collects them); this module only
formats. Cells read ``pass``, ``fail`` or ``skip``, with every failure's and skip's reason listed
under the table, so a user's CI can publish the Markdown and ingest the XML.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .harness import DIRECTIONS

ARROWS = {"ruby->python": "Ruby → Python", "python->ruby": "Python → Ruby", "parity": "parity"}


@dataclass
class Result:
    """One cell: a case against one reference."""

    lab: str
    scenario: str
    row: str
    direction: str
    variant: str
    outcome: str  # pass | fail | skip
    message: str = ""
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    results: list[Result]
    labs: dict[str, str]  # label -> "Resque 3.0.0 (Ruby ...)"
    python: str
    versions: dict[str, str] = field(default_factory=dict)  # label -> "3.0.0"
    started: str = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    )

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "skip": 0}
        for r in self.results:
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    def columns(self) -> list[tuple[str, str]]:
        present = {(r.lab, r.direction) for r in self.results}
        return [(lab, d) for lab in self.labs for d in DIRECTIONS if (lab, d) in present]

    def rows(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.results:
            seen.setdefault(r.row, None)
        return list(seen)

    def cell(self, row: str, lab: str, direction: str) -> Result | None:
        for r in self.results:
            if r.row == row and r.lab == lab and r.direction == direction:
                return r
        return None

    def header(self, lab: str, direction: str) -> str:
        arrow = ARROWS.get(direction, direction)
        return f"{arrow} ({self.versions.get(lab, lab)})" if len(self.labs) > 1 else arrow


DIVERGENCE = "known divergence"


def diverges(result: Result) -> bool:
    """A pass that pins a documented difference between Ruby and resque-compat."""
    return result.outcome == "pass" and any(d.startswith(DIVERGENCE) for d in result.details)


def _mark(result: Result | None) -> str:
    if result is None:
        return ""
    return "pass*" if diverges(result) else result.outcome


def text_matrix(report: Report) -> str:
    cols = report.columns()
    headers = ["scenario", *[report.header(lab, d) for lab, d in cols]]
    body = [[row, *[_mark(report.cell(row, lab, d)) for lab, d in cols]] for row in report.rows()]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(out)


def text_report(report: Report) -> str:
    lines = ["", "Conformance matrix", f"  resque-compat side: {report.python}"]
    lines += [f"  reference {label}: {desc}" for label, desc in report.labs.items()]
    lines += ["", text_matrix(report), ""]
    c = report.counts
    lines.append(f"{c['pass']} passed, {c['fail']} failed, {c['skip']} skipped")
    for r in report.results:
        if diverges(r):
            note = next(d for d in r.details if d.startswith(DIVERGENCE))
            lines.append(f"  pass* {r.row} / {ARROWS.get(r.direction, r.direction)} ({r.lab}): {note}")
    for r in report.results:
        if r.outcome in ("fail", "skip"):
            lines.append(
                f"  {r.outcome.upper()} {r.row} / {ARROWS.get(r.direction, r.direction)} "
                f"({r.lab}): {r.message}"
            )
    return "\n".join(lines)


def markdown(report: Report) -> str:
    cols = report.columns()
    out = [
        "# resque-compat conformance matrix",
        "",
        f"Run {report.started}. resque-compat side: {report.python}.",
        "",
        *[f"- Reference **{label}**: {desc}" for label, desc in report.labs.items()],
        "",
        "Ruby → Python: Ruby writes, Python reads and acts. Python → Ruby: the reverse. "
        "parity: both run the same scenario and the results are compared. "
        "pass*: passes while pinning a documented difference (see Details).",
        "",
        "| scenario | " + " | ".join(report.header(lab, d) for lab, d in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for row in report.rows():
        cells = [_md_cell(report.cell(row, lab, d)) for lab, d in cols]
        out.append(f"| {_md(row)} | " + " | ".join(cells) + " |")
    c = report.counts
    out += ["", f"**{c['pass']} passed, {c['fail']} failed, {c['skip']} skipped.**", "", "## Details", ""]
    for r in report.results:
        where = f"{r.row} — {ARROWS.get(r.direction, r.direction)} ({r.lab})"
        text = r.message or "; ".join(r.details)
        out.append(
            f"- **{r.outcome}** {_md(where)}: {_md(text)}" if text else f"- **{r.outcome}** {_md(where)}"
        )
    return "\n".join(out) + "\n"


def _md_cell(result: Result | None) -> str:
    if result is None:
        return ""
    if diverges(result):
        return "✅ pass*"
    return {"pass": "✅ pass", "fail": "❌ fail", "skip": "⏭ skip"}.get(result.outcome, result.outcome)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def junit_xml(report: Report) -> bytes:
    suites = ET.Element("testsuites", name="resque-compat conformance")
    for label, desc in report.labs.items():
        mine = [r for r in report.results if r.lab == label]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"conformance {label}",
            tests=str(len(mine)),
            failures=str(sum(r.outcome == "fail" for r in mine)),
            skipped=str(sum(r.outcome == "skip" for r in mine)),
            errors="0",
            time=f"{sum(r.seconds for r in mine):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="reference", value=desc)
        ET.SubElement(props, "property", name="resque-compat", value=report.python)
        for r in mine:
            name = f"{ARROWS.get(r.direction, r.direction)}" + (f" [{r.variant}]" if r.variant else "")
            case = ET.SubElement(
                suite, "testcase", classname=f"conformance.{r.scenario}", name=name, time=f"{r.seconds:.3f}"
            )
            if r.outcome == "fail":
                ET.SubElement(case, "failure", message=r.message[:500]).text = r.message
            elif r.outcome == "skip":
                ET.SubElement(case, "skipped", message=r.message[:500])
            if r.details:
                ET.SubElement(case, "system-out").text = "\n".join(r.details)
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data


def write(report: Report, directory: Path) -> list[Path]:
    """Write ``conformance.md``, ``conformance.xml`` and ``conformance.json``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "conformance.md", directory / "conformance.xml", directory / "conformance.json"]
    paths[0].write_text(markdown(report), encoding="utf-8")
    paths[1].write_bytes(junit_xml(report))
    data: dict[str, Any] = {
        "labs": report.labs,
        "versions": report.versions,
        "python": report.python,
        "started": report.started,
        "counts": report.counts,
        "results": [asdict(r) for r in report.results],
    }
    paths[2].write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def by_outcome(results: Iterable[Result], outcome: str) -> Sequence[Result]:
    return [r for r in results if r.outcome == outcome]
