"""The Resque a plugin's hooks talk to: Ruby's plugins reach for the global ``Resque.redis``.

Job hooks keep Ruby's signatures (``before_perform_pause(*args)``), so the connection cannot be
an argument. The worker binds its ``Resque`` and its ``DataStore`` for the life of the process
(forked children inherit them), the client binds itself and its store while its enqueue hooks
run; ``current()`` (the client: enqueue, profile, inline mode) and ``current_store()`` (the
plugins' keys) answer inside either.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..client import Resque
    from ..store import DataStore


class _Bound(NamedTuple):
    resque: Resque
    store: DataStore


_CURRENT: ContextVar[_Bound | None] = ContextVar("resque_compat_current", default=None)


def _bound() -> _Bound:
    found = _CURRENT.get()
    if found is None:
        raise RuntimeError(
            "no Resque is bound: plugin hooks run inside a worker or a Resque client's enqueue"
        )
    return found


def current() -> Resque:
    """The bound ``Resque`` (``Resque`` in a Ruby plugin); a clear error when none is."""
    return _bound().resque


def current_store() -> DataStore:
    """The bound ``DataStore`` (``Resque.redis`` in a Ruby plugin): the worker's, or the client's."""
    return _bound().store


def bind(resque: Resque, store: DataStore) -> None:
    """Bind ``resque`` and ``store`` for this process (the worker, at startup)."""
    _CURRENT.set(_Bound(resque, store))


@contextmanager
def bound(resque: Resque, store: DataStore) -> Iterator[Resque]:
    """Bind ``resque`` and ``store`` for the duration of a block (the client, around its hooks)."""
    token = _CURRENT.set(_Bound(resque, store))
    try:
        yield resque
    finally:
        _CURRENT.reset(token)
