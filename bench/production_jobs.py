"""The coroutine performer of the production benchmarks (``--app bench.production_jobs``)."""

from __future__ import annotations

from resque_compat import Registry

registry = Registry()


@registry.job("AsyncNoopJob", queue="anoop")
async def async_noop(number: int, text: str) -> None:
    """NoopJob as a coroutine: what awaiting a job costs beside calling one."""
