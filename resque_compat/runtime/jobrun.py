"""Running a job's perform path in this process, plain or as a coroutine, within its timeout.

A job's timeout is its performer's ``job_timeout`` (``@registry.job("X", timeout=30)``) or the
worker's ``RESQUE_JOB_TIMEOUT``; none by default. In fork mode the parent enforces it (TERM,
then KILL after ``RESQUE_TERM_TIMEOUT``, as ``TERM_CHILD`` does) and the child turns that TERM
into ``JobTimeout`` inside the job; in-process a coroutine is cancelled at the limit, while a
blocking plain function cannot be interrupted without a fork and runs to its end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import JobTimeout
from ..jobs import hookless, is_coroutine_performer, perform, perform_async, perform_hookless
from ..plugins.loner import is_loner
from ..protocol import Job
from .aio import JobLoop


def job_timeout(performer: Any, default: float | None) -> float | None:
    """The performer's own ``job_timeout`` (seconds, > 0), else the worker's."""
    own = getattr(performer, "job_timeout", None)
    if isinstance(own, int | float) and not isinstance(own, bool) and own > 0:
        return float(own)
    return default if default and default > 0 else None


@dataclass(frozen=True, slots=True)
class PerformPlan:
    """How a performer's jobs run, worked out once per performer in the worker (before any
    fork, so a child reads it instead of looking its hooks up again): as a coroutine, with no
    perform hooks, as a resque-loner job, and its timeout."""

    coroutine: bool
    hookless: bool
    loner: bool = False
    timeout: float | None = None

    @classmethod
    def of(cls, performer: Any, default_timeout: float | None = None) -> PerformPlan:
        coroutine = is_coroutine_performer(performer)
        return cls(
            coroutine,
            not coroutine and hookless(performer),
            is_loner(performer),
            job_timeout(performer, default_timeout),
        )


def run_perform(
    performer: Any, job: Job, loop: JobLoop, timeout: float | None = None, plan: PerformPlan | None = None
) -> None:
    """``Job#perform`` with hooks; a coroutine job runs on ``loop`` and is ended by
    ``JobTimeout`` after ``timeout`` seconds (``None``: no limit here)."""
    plan = plan or PerformPlan.of(performer)
    if plan.hookless:
        perform_hookless(performer, job.args, loop.run)
        return
    if not plan.coroutine:
        perform(performer, job.args, loop.run)
        return
    limit = timeout
    on_timeout = None if limit is None else (lambda: JobTimeout(job.class_name, limit))
    loop.run(perform_async(performer, job.args, loop.reason_for), limit, on_timeout)


def timeout_on_term(loop: JobLoop, job: Job, limit: float, deadline: float) -> Callable[[], bool]:
    """The child's answer to a TERM once its deadline has passed (the parent's timeout):
    ``JobTimeout`` in the job, through the running coroutine or raised where the job is.
    Before the deadline the TERM is not ours: ``False``."""

    def on_term() -> bool:
        if time.monotonic() < deadline:
            return False
        exc = JobTimeout(job.class_name, limit)
        if loop.interrupt(exc):
            return True
        raise exc

    return on_term
