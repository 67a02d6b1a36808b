"""Which local pids look like live Resque workers, with and without ``ps``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from resque_compat.runtime.pruning import worker_pids

TITLED = (
    "import setproctitle, sys; setproctitle.setproctitle('resque-3.0.0: Waiting for q'); "
    "print('up', flush=True); sys.stdin.read()"
)


@pytest.fixture
def titled_process() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", TITLED], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "up\n"  # the title is set
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


def test_a_process_with_a_resque_title_counts_as_a_live_worker(titled_process: subprocess.Popen[str]) -> None:
    found = worker_pids()
    assert found is not None and str(titled_process.pid) in found


def test_without_ps_the_titles_are_read_from_proc(
    titled_process: subprocess.Popen[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no ps to run
    found = worker_pids()
    assert found is not None and str(titled_process.pid) in found
