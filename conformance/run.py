"""``python -m conformance.run`` (``make conformance``): every live scenario against Ruby Resque.

Runs ``conformance/test_conformance.py`` under pytest (so the Docker reference comes up through
pytest-docker), prints the matrix (scenario x direction: pass / fail / skip with the reason)
with the reference versions, and writes ``reports/conformance.md``, ``.xml`` (JUnit) and
``.json``.

Without any reference it prints one line saying which reference is missing and how to provide
one, and exits 2, or 0 with ``--optional`` (``make conformance-optional``).

    python -m conformance.run                        # the reference from RESQUE_REF_LIB or Docker
    python -m conformance.run --payloads jobs.jsonl  # also check your own captured payloads
    python -m conformance.run --profile oj --only destroy
    RESQUE_REF_LIB_2X=~/src/resque-2.7/lib python -m conformance.run   # a 2.x column too
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .reference import PROFILES, REPO_ROOT, find_reference

TEST_FILE = Path(__file__).resolve().parent / "test_conformance.py"

EXIT_NO_REFERENCE = 2
EXIT_NOTHING_SELECTED = 2


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.run",
        description="Check resque-compat against a real Ruby Resque and report a matrix.",
    )
    parser.add_argument(
        "--optional",
        action="store_true",
        help="exit 0 (after printing why) when no Ruby reference is configured",
    )
    parser.add_argument(
        "--payloads",
        type=Path,
        help="a file of captured job payloads, one JSON payload per line: Python must write the same "
        "bytes and Ruby's Job.destroy must remove what Python enqueues for them",
    )
    parser.add_argument(
        "--profile",
        action="append",
        choices=PROFILES,
        help="only these JSON profiles (repeatable; default all three)",
    )
    parser.add_argument("--only", action="append", help="only scenarios whose id contains this (repeatable)")
    parser.add_argument(
        "--reports",
        type=Path,
        default=REPO_ROOT / "reports",
        help="where to write the reports (default reports/)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's per-test output and tracebacks"
    )
    return parser.parse_args(list(argv) if argv is not None else None)


def pytest_args(args: argparse.Namespace) -> list[str]:
    out = [str(TEST_FILE), "-p", "no:cacheprovider", f"--rootdir={REPO_ROOT}"]
    out += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no", "--no-header", "-rN"]
    if args.payloads:
        out += ["--conformance-payloads", str(args.payloads.resolve())]
    for profile in args.profile or ():
        out += ["--conformance-profile", profile]
    for only in args.only or ():
        out += ["--conformance-only", only]
    out += ["--conformance-reports", str(args.reports)]
    return out


def nothing_selected(args: argparse.Namespace) -> str | None:
    """Why ``--only``/``--profile`` select no case at all (``None`` when they select some)."""
    from .scenarios import all_scenarios, cases

    options = {"payloads": str(args.payloads) if args.payloads else None}
    only = tuple(args.only or ())
    if cases(options, tuple(args.profile or ()) or None, only):
        return None
    ids = ", ".join(s.id for s in all_scenarios())
    asked = " ".join([*(f"--only {o}" for o in only), *(f"--profile {p}" for p in args.profile or ())])
    return f"no scenario matches {asked}; scenario ids: {ids}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    empty = nothing_selected(args)
    if empty:
        print(empty, file=sys.stderr)
        return EXIT_NOTHING_SELECTED
    found = find_reference()
    if isinstance(found, str):
        print(found)
        return 0 if args.optional else EXIT_NO_REFERENCE
    if args.payloads and not args.payloads.is_file():
        print(f"--payloads {args.payloads}: no such file", file=sys.stderr)
        return EXIT_NO_REFERENCE
    import pytest

    code = int(pytest.main(pytest_args(args)))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
