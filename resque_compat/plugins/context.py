"""The Resque a plugin's hooks talk to: Ruby's plugins reach for the global ``Resque.redis``.

Job hooks keep Ruby's signatures (``before_perform_pause(*args)``), so the connection cannot be
an argument. The worker binds its ``Resque`` for the life of the process (forked children inherit
it), the client binds itself while its enqueue hooks run; ``current()`` answers inside either.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..client import Resque

_CURRENT: ContextVar[Resque | None] = ContextVar("resque_compat_current", default=None)


def current() -> Resque:
    """The bound ``Resque`` (``Resque.redis`` in a Ruby plugin); a clear error when none is."""
    found = _CURRENT.get()
    if found is None:
        raise RuntimeError(
            "no Resque is bound: plugin hooks run inside a worker or a Resque client's enqueue"
        )
    return found


def bind(resque: Resque) -> None:
    """Bind ``resque`` for this process (the worker, at startup)."""
    _CURRENT.set(resque)


@contextmanager
def bound(resque: Resque) -> Iterator[Resque]:
    """Bind ``resque`` for the duration of a block (the client, around its enqueue hooks)."""
    token = _CURRENT.set(resque)
    try:
        yield resque
    finally:
        _CURRENT.reset(token)
