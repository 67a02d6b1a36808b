"""Performing one job with Resque's job hooks (``Resque::Job#perform``, ``#fail``).

Order and effects follow Ruby (spec section 9.1): ``before_perform*`` (``DontPerform`` aborts
quietly), ``around_perform*`` nested with the first in sort order outermost, ``perform``,
``after_perform*`` (which run even when an around hook did not yield), and ``on_failure*`` at
most once per job when anything raised.

A coroutine job (an ``async def`` perform or ``around_perform`` hook) runs through
``perform_async``: the same order, every hook's result awaited. In a plain job, an awaitable a
hook returns (an ``async def`` ``before_perform``) is run to its end on the caller's loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import DontPerform, FailureHookError
from .registry import hooks, is_coroutine_performer


def perform_callable(performer: Any) -> Callable[..., Any]:
    """The ``perform`` to call: a class's static/class method, or a fresh instance's method."""
    method: Callable[..., Any]  # annotated, not cast: typing.cast is a call on every job's path
    if isinstance(performer, type):
        attr = inspect.getattr_static(performer, "perform")
        static = isinstance(attr, staticmethod | classmethod)
        method = getattr(performer, "perform") if static else performer().perform  # noqa: B009 (a class, to mypy)
    else:
        method = performer.perform
    return method


Run = Callable[[Awaitable[Any]], Any]
"""Runs to its end an awaitable that a plain hook or perform returned (on the process's loop)."""


def run_detached(awaitable: Awaitable[Any]) -> Any:
    """Run an awaitable on a loop of its own (where the caller keeps none: inline mode, pruning)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(awaitable)
    finally:
        loop.close()


def perform_now(performer: Any, args: list[Any]) -> bool:
    """``perform`` or ``perform_async``, whichever the performer needs, here and now (inline)."""
    if is_coroutine_performer(performer):
        return bool(run_detached(perform_async(performer, args)))
    return perform(performer, args)


def perform(performer: Any, args: list[Any], run: Run = run_detached) -> bool:
    """Run ``performer`` with Ruby's hooks; returns whether ``perform`` itself ran.

    Mirrors ``Resque::Job#perform``. Exceptions propagate after the failure hooks ran
    (``run_failure_hooks``), so the caller records the failure. An awaitable a hook or
    ``perform`` returns is run to its end with ``run``: nothing is left unawaited.
    """
    try:
        try:
            for hook in hooks(performer, "before_perform"):
                _settle(hook(*args), run)
        except DontPerform:
            return False
        performed = _run_around(performer, args, run)
        for hook in hooks(performer, "after_perform"):
            _settle(hook(*args), run)
        return performed
    except BaseException as exc:
        run_failure_hooks(performer, exc, args, run)
        raise


def perform_hookless(performer: Any, args: list[Any], run: Run = run_detached) -> bool:
    """``perform`` for a performer without perform hooks (``registry.hookless``): the same
    result and failure hooks, without looking the hooks up again."""
    try:
        result = perform_callable(performer)(*args)
        if result is not None:
            _settle(result, run)
    except BaseException as exc:
        run_failure_hooks(performer, exc, args, run)
        raise
    return True


def _settle(value: Any, run: Run) -> Any:
    return run(value) if inspect.isawaitable(value) else value


def _run_around(performer: Any, args: list[Any], run: Run) -> bool:
    performed = False

    def innermost() -> Any:
        nonlocal performed
        result = _settle(perform_callable(performer)(*args), run)
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


async def _awaited(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


Translate = Callable[[BaseException], BaseException]


async def perform_async(performer: Any, args: list[Any], translate: Translate = lambda e: e) -> bool:
    """``perform`` for a coroutine job (``jobs.is_coroutine_performer``): the same hooks in the
    same order, each awaited when it returns an awaitable; ``around_perform`` hooks are
    ``async def`` and ``await job()``. ``translate`` names what a cancellation stands for (a
    timeout), so ``on_failure`` hooks and the record see that exception."""
    try:
        try:
            for hook in hooks(performer, "before_perform"):
                await _awaited(hook(*args))
        except DontPerform:
            return False
        performed = False

        async def innermost() -> Any:
            nonlocal performed
            result = await _awaited(perform_callable(performer)(*args))
            performed = True
            return result

        call: Callable[[], Awaitable[Any]] = innermost
        for hook in reversed(hooks(performer, "around_perform")):
            call = _wrap_async(hook, args, call)
        await call()
        for hook in hooks(performer, "after_perform"):
            await _awaited(hook(*args))
        return performed
    except BaseException as exc:
        reported = translate(exc)
        try:
            for hook in hooks(performer, "on_failure"):
                await _awaited(hook(reported, *args))
        except Exception as hook_exc:
            raise _failure_hook_error(performer, reported, hook_exc, args) from hook_exc
        if reported is exc:
            raise
        raise reported from None


def _wrap_async(
    hook: Callable[..., Any], args: list[Any], inner: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[Any]]:
    async def around() -> Any:
        return await _awaited(hook(*args, job=inner))

    return around


def run_failure_hooks(performer: Any, exc: BaseException, args: list[Any], run: Run = run_detached) -> None:
    """``Job#run_failure_hooks``: ``on_failure*(exception, *args)``; a raising hook is reported
    as ``RuntimeError "Additional error (...) occurred in running failure hooks for job ..."``.

    Callers must run this at most once per job (Ruby's ``@failure_hooks_ran``).
    """
    if performer is None:
        return
    try:
        for hook in hooks(performer, "on_failure"):
            _settle(hook(exc, *args), run)
    except Exception as hook_exc:
        raise _failure_hook_error(performer, exc, hook_exc, args) from hook_exc


def _failure_hook_error(
    performer: Any, exc: BaseException, hook_exc: Exception, args: list[Any]
) -> FailureHookError:
    name = getattr(performer, "resque_class", repr(performer))
    return FailureHookError(
        f"Additional error ({type(hook_exc).__name__}: {hook_exc}) occurred in running failure "
        f"hooks for job {name} {args!r}\nOriginal error that caused job failure was "
        f"{type(hook_exc).__name__}: {type(exc).__name__}: {exc}"
    )
