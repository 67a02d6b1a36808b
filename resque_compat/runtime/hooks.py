"""Worker hooks (``Resque.before_first_fork``, ``before_fork``, ``after_fork``, ``before_pause``,
``after_pause``, ``queue_empty``, ``worker_exit``, ``shutdown``; spec 9.2).

An application declares them on a ``WorkerHooks`` object in a module the worker is told to load::

    hooks = WorkerHooks()

    @hooks.after_fork
    def reconnect_db(job): ...

Hooks run in registration order; a hook that raises in the parent ends the worker through the
crash path, as in Ruby. A hook may be ``async def``: it is awaited on the process's event loop,
the one an in-process worker's coroutine jobs run on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

HOOK_NAMES = (
    "before_first_fork",
    "before_fork",
    "after_fork",
    "before_pause",
    "after_pause",
    "queue_empty",
    "worker_exit",
    "shutdown",
)

Hook = Callable[..., Any]


class WorkerHooks:
    """Lists of hooks by name; each name is also a decorator that appends to its list."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[Hook]] = {name: [] for name in HOOK_NAMES}

    def add(self, name: str, hook: Hook) -> Hook:
        if name not in self._hooks:
            raise ValueError(f"unknown worker hook {name!r}; known: {', '.join(HOOK_NAMES)}")
        if inspect.isgeneratorfunction(hook) or inspect.isasyncgenfunction(hook):
            raise TypeError(f"{name} hook {hook!r} is a generator function; its body would never run")
        self._hooks[name].append(hook)
        return hook

    def get(self, name: str) -> list[Hook]:
        return list(self._hooks[name])

    def has(self, name: str) -> bool:
        return bool(self._hooks[name])

    def merge(self, others: Iterable[WorkerHooks]) -> WorkerHooks:
        for other in others:
            for name in HOOK_NAMES:
                self._hooks[name].extend(other._hooks[name])
        return self

    def before_first_fork(self, hook: Hook) -> Hook:
        return self.add("before_first_fork", hook)

    def before_fork(self, hook: Hook) -> Hook:
        return self.add("before_fork", hook)

    def after_fork(self, hook: Hook) -> Hook:
        return self.add("after_fork", hook)

    def before_pause(self, hook: Hook) -> Hook:
        return self.add("before_pause", hook)

    def after_pause(self, hook: Hook) -> Hook:
        return self.add("after_pause", hook)

    def queue_empty(self, hook: Hook) -> Hook:
        return self.add("queue_empty", hook)

    def worker_exit(self, hook: Hook) -> Hook:
        return self.add("worker_exit", hook)

    def shutdown(self, hook: Hook) -> Hook:
        return self.add("shutdown", hook)
