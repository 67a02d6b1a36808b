"""Cron strings and durations read as rufus-scheduler 3.8 / fugit 1.5 read them, checked on the
table recorded from the Ruby (fixtures/scheduler/parsing.json, recorded with TZ=UTC)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from resque_compat.protocol.cron import ScheduleSyntaxError, parse_cron, parse_duration

TABLE = json.loads((Path(__file__).parent.parent / "fixtures" / "scheduler" / "parsing.json").read_text())
UTC = timezone.utc


@pytest.mark.parametrize(("text", "start", "expected"), TABLE["crons"], ids=lambda v: str(v))
def test_each_cron_string_fires_when_rufus_scheduler_fires_it(text: str, start: int, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ScheduleSyntaxError):
            parse_cron(text)
        return
    cron = parse_cron(text)
    if cron.zone is None:
        cron = type(cron)(cron.text, cron.expression, UTC, cron.seconds)  # recorded with TZ=UTC
    times = cron.next_times(datetime.fromtimestamp(start, UTC), len(expected))
    assert [int(t.timestamp()) for t in times] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE["durations"], ids=lambda v: repr(v))
def test_each_duration_reads_as_rufus_scheduler_reads_it(text: str, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(ScheduleSyntaxError):
            parse_duration(text)
    else:
        assert parse_duration(text) == expected
