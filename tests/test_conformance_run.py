"""``python -m conformance.run`` says plainly when its options select no scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.run import EXIT_NOTHING_SELECTED, nothing_selected, parse

ROOT = Path(__file__).resolve().parent.parent


def test_an_only_that_matches_no_scenario_is_reported_and_exits_non_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.run", "--only", "no_such_scenario", "--reports", "unused"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_NOTHING_SELECTED != 0
    assert "no scenario matches --only no_such_scenario" in done.stderr
    assert "sched_moves" in done.stderr  # the ids there are, to pick from
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert not (ROOT / "unused").exists()


def test_a_profile_that_no_selected_scenario_has_is_named_in_the_message() -> None:
    why = nothing_selected(parse(["--only", "sched_moves", "--profile", "rails"]))
    assert why is not None and why.startswith("no scenario matches --only sched_moves --profile rails")


def test_an_only_that_matches_a_scenario_selects_it() -> None:
    assert nothing_selected(parse(["--only", "sched_moves"])) is None
    assert nothing_selected(parse([])) is None
