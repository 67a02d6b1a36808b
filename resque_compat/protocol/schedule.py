"""Recurring schedules as ``Resque::Scheduler.load_schedule_job`` reads a config: ``cron``
before ``every``, each a string or ``[string, {options}]``; ``rails_env``/``env`` filtering.

    nightly:
      cron: "0 3 * * * Europe/Paris"
      class: Cleanup
      queue: low
      args: [30]
      rails_env: production, staging
    heartbeat:
      every: ["30s", {first_in: "5s"}]
      class: Heartbeat
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .cron import Cron, ScheduleSyntaxError, parse_cron, parse_duration

INTERVAL_TYPES = ("cron", "every")


def env_matches(configured: str, env: str | None) -> bool:
    """``env_matches?``: the current env is one of the comma/space separated names."""
    return bool(env) and env in re.split(r"[\s,]+", configured)


def configured_env(config: Any) -> str | None:
    """``config['rails_env'] || config['env']``."""
    if not isinstance(config, dict):
        return None
    value = config.get("rails_env") or config.get("env")
    return None if value is None else str(value)


@dataclass
class Recurring:
    """One loaded schedule: a cron or an every, with when it next fires."""

    name: str
    config: dict[str, Any]
    kind: str
    text: str
    options: dict[str, Any] = field(default_factory=dict)
    cron: Cron | None = None
    every: float = 0.0
    next_at: datetime | None = None
    last_at: datetime | None = None

    def start(self, now: datetime) -> None:
        """The first run: ``first_in``/``first_at`` when given, else one interval (every) or the
        cron's next time, as rufus-scheduler schedules a new job."""
        first_in = self.options.get("first_in")
        first_at = self.options.get("first_at")
        if first_in is not None:
            self.next_at = now + timedelta(seconds=_seconds(first_in))
        elif first_at is not None:
            self.next_at = _time(first_at, now)
        elif self.cron is not None:
            self.next_at = self.cron.next_time(now)
        else:
            self.next_at = now + timedelta(seconds=self.every)

    def due(self, now: datetime) -> bool:
        return self.next_at is not None and self.next_at <= now

    def advance(self, now: datetime) -> None:
        """After a run: the cron's next time after now; an every moves by whole intervals past now
        (missed runs are not made up, as rufus-scheduler does not)."""
        self.last_at = now
        if self.cron is not None:
            self.next_at = self.cron.next_time(now)
            return
        assert self.next_at is not None
        step = timedelta(seconds=self.every)
        while self.next_at <= now:
            self.next_at += step


def load_recurring(name: str, config: Any) -> Recurring | None:
    """The interval of a schedule config (``cron`` wins over ``every``), ``None`` when it has
    neither (Ruby logs "no cron / every found" and skips it). Raises ``ScheduleSyntaxError`` for
    a cron or duration rufus-scheduler would refuse."""
    if not isinstance(config, dict):
        raise ScheduleSyntaxError(f"schedule {name!r} must be a mapping, not {type(config).__name__}")
    for kind in INTERVAL_TYPES:
        value = config.get(kind)
        if value is None or value == "" or value == []:
            continue
        text, options = _optionize(value)
        job = Recurring(name, config, kind, text, options)
        if kind == "cron":
            job.cron = parse_cron(text)
        else:
            job.every = float(parse_duration(text))
            if job.every <= 0:
                raise ScheduleSyntaxError(f"schedule {name!r}: every {text!r} is not a positive duration")
        return job
    return None


def _optionize(value: Any) -> tuple[str, dict[str, Any]]:
    """``optionizate_interval_value``: ``[text, {opts}]`` gives options, any other array its first."""
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], dict):
            return str(value[0]), {str(k).lstrip(":"): v for k, v in value[1].items()}
        return str(value[0]), {}
    return str(value), {}


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(parse_duration(str(value)))


def _time(value: Any, now: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ScheduleSyntaxError(f"first_at {value!r} is not a time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.astimezone().tzinfo)
