"""The chaos suite's bounded form (``make chaos`` runs the long one): every scenario with real
redis-servers and real worker processes, each job followed to where it ended."""

from __future__ import annotations

import shutil

import pytest

from chaos.ledger import Row, table
from chaos.scenarios import BOUNDED, plan

SCENARIOS = plan(BOUNDED)
ROWS: list[Row] = []


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="the chaos scenarios start their own redis-servers"
)
@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_no_job_is_lost_or_run_twice_under_repeated_faults(
    index: int, capsys: pytest.CaptureFixture[str]
) -> None:
    row = SCENARIOS[index](1000 + index)
    if row.notes[:1] and row.notes[0].startswith("skipped: "):
        pytest.skip(row.notes[0].removeprefix("skipped: "))
    ROWS.append(row)
    with capsys.disabled():
        print("\n" + table([row]))
    assert row.trials > 0, row.notes
    # A killed worker's worker:<id> is not waited for: the drain ends when the live ones are done.
    assert "queues not drained in time" not in row.notes, "\n".join(row.notes)[-4000:]
    assert (row.lost, row.duplicated, row.leftover, row.crashed) == (0, 0, 0, 0), "\n".join(row.notes)[-4000:]
    assert row.garbage_recorded == row.garbage, "garbage without its record"
    assert row.jobs == row.performed + row.failed + row.queued
