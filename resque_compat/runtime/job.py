"""Performing one job with Resque's job hooks (``Resque::Job#perform``, ``#fail``).

Order and effects follow Ruby (spec section 9.1): ``before_perform*`` (``DontPerform`` aborts
quietly), ``around_perform*`` nested with the first in sort order outermost, ``perform``,
``after_perform*`` (which run even when an around hook did not yield), and ``on_failure*`` at
most once per job when anything raised.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..jobs import hooks


class DontPerform(Exception):
    """Raised by a ``before_perform`` hook to skip the job without a failure (``Job::DontPerform``)."""


class FailureHookError(RuntimeError):
    """An ``on_failure`` hook raised; the message follows Ruby's ``run_failure_hooks``."""

    ruby_name = "RuntimeError"


def perform_callable(performer: Any) -> Callable[..., Any]:
    """The ``perform`` to call: a class's static/class method, or a fresh instance's method."""
    if isinstance(performer, type):
        attr = inspect.getattr_static(performer, "perform")
        if isinstance(attr, staticmethod | classmethod):
            return getattr(performer, "perform")  # type: ignore[no-any-return]  # noqa: B009
        return getattr(performer(), "perform")  # type: ignore[no-any-return]  # noqa: B009
    return getattr(performer, "perform")  # type: ignore[no-any-return]  # noqa: B009


def perform(performer: Any, args: list[Any]) -> bool:
    """Run ``performer`` with Ruby's hooks; returns whether ``perform`` itself ran.

    Mirrors ``Resque::Job#perform``. Exceptions propagate after the failure hooks ran
    (``run_failure_hooks``), so the caller records the failure.
    """
    try:
        try:
            for hook in hooks(performer, "before_perform"):
                hook(*args)
        except DontPerform:
            return False
        performed = _run_around(performer, args)
        for hook in hooks(performer, "after_perform"):
            hook(*args)
        return performed
    except BaseException as exc:
        run_failure_hooks(performer, exc, args)
        raise


def _run_around(performer: Any, args: list[Any]) -> bool:
    performed = False

    def innermost() -> Any:
        nonlocal performed
        result = perform_callable(performer)(*args)
        performed = True
        return result

    call: Callable[[], Any] = innermost
    for hook in reversed(hooks(performer, "around_perform")):
        call = _wrap(hook, args, call)
    call()
    return performed


def _wrap(hook: Callable[..., Any], args: list[Any], inner: Callable[[], Any]) -> Callable[[], Any]:
    # Ruby yields to a block; Python around hooks receive the continuation as a keyword
    # argument ``job`` and call it (``def around_perform_log(*args, job): job()``).
    return lambda: hook(*args, job=inner)


def run_failure_hooks(performer: Any, exc: BaseException, args: list[Any]) -> None:
    """``Job#run_failure_hooks``: ``on_failure*(exception, *args)``; a raising hook is reported
    as ``RuntimeError "Additional error (...) occurred in running failure hooks for job ..."``.

    Callers must run this at most once per job (Ruby's ``@failure_hooks_ran``).
    """
    if performer is None:
        return
    try:
        for hook in hooks(performer, "on_failure"):
            hook(exc, *args)
    except Exception as hook_exc:
        name = getattr(performer, "resque_class", repr(performer))
        raise FailureHookError(
            f"Additional error ({type(hook_exc).__name__}: {hook_exc}) occurred in running failure "
            f"hooks for job {name} {args!r}\nOriginal error that caused job failure was "
            f"{type(hook_exc).__name__}: {type(exc).__name__}: {exc}"
        ) from hook_exc
