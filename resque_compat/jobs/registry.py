"""Job classes across languages: the Ruby class name a Python performer answers to.

A *job class* is anything the client can enqueue: a Ruby class name as a string
(``"Archive"``, ``"Billing::Charge"``), or a Python class/object that declares the Ruby name it
answers to (``resque_class``) and its queue (``queue``), like Ruby's ``@queue``. A *performer*
is a job class with ``perform(*args)``; the worker runs only performers registered explicitly
(an allowlist): it never imports a module because a payload names it.

Hooks are found as Resque's ``Plugin.get_hook_names`` finds them: every public attribute whose
name starts with the hook prefix, sorted alphabetically (``before_perform`` runs before
``before_perform_a``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

HOOK_PREFIXES = (
    "before_enqueue",
    "after_enqueue",
    "before_dequeue",
    "after_dequeue",
    "before_perform",
    "around_perform",
    "after_perform",
    "on_failure",
)


@runtime_checkable
class Performer(Protocol):
    """What the worker can run: a Ruby class name, a queue, and ``perform(*args)``."""

    resque_class: str

    def perform(self, *args: Any) -> Any: ...


def class_name(job_class: Any) -> str:
    """The Ruby class name written into a payload's ``class`` (``klass.to_s``).

    A string is taken as is; an object uses its ``resque_class`` attribute, else its Python
    name with ``.`` turned into Ruby's ``::``.
    """
    if isinstance(job_class, str):
        return job_class
    declared = getattr(job_class, "resque_class", None)
    if isinstance(declared, str):
        return declared
    name = getattr(job_class, "__qualname__", None) or type(job_class).__qualname__
    return str(name).replace(".", "::")


def queue_from_class(job_class: Any) -> str | None:
    """``Resque.queue_from_class``: the ``queue`` attribute (or method) of a job class, if truthy."""
    if isinstance(job_class, str):
        return None
    queue = getattr(job_class, "queue", None)
    if callable(queue):
        queue = queue()
    return str(queue) if queue else None


def hook_names(job_class: Any, prefix: str) -> list[str]:
    """``Plugin.get_hook_names``: attributes starting with ``prefix``, sorted; a ``hooks`` list wins."""
    if isinstance(job_class, str) or job_class is None:
        return []
    declared = getattr(job_class, "hooks", None)
    names = declared() if callable(declared) else declared
    if not isinstance(names, list | tuple):
        names = job_methods(job_class)
    return sorted(n for n in names if n.startswith(prefix) and callable(getattr(job_class, n, None)))


def job_methods(job_class: Any) -> tuple[str, ...]:
    """``Plugin.job_methods``: the public attribute names of a job class, memoized per class
    as Ruby memoizes them (``@job_methods[job] ||= ...``); a hook added later is not seen."""
    try:
        return _job_methods(job_class)
    except TypeError:  # unhashable: look every time
        return _public_names(job_class)


def _public_names(job_class: Any) -> tuple[str, ...]:
    return tuple(n for n in dir(job_class) if not n.startswith("_"))


_job_methods = functools.lru_cache(maxsize=4096)(_public_names)


def hooks(job_class: Any, prefix: str) -> list[Callable[..., Any]]:
    """The bound hook callables of ``job_class`` for ``prefix``, in Ruby's order."""
    if isinstance(job_class, str) or job_class is None:  # a class by name has no hooks here
        return []
    return [getattr(job_class, name) for name in hook_names(job_class, prefix)]


F = TypeVar("F", bound=Callable[..., Any])


class FunctionJob:
    """A plain function registered as a performer (``perform`` calls it)."""

    def __init__(
        self, func: Callable[..., Any], resque_class: str, queue: str | None, timeout: float | None = None
    ) -> None:
        self.func = func
        self.resque_class = resque_class
        self.queue = queue
        self.job_timeout = timeout
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def perform(self, *args: Any) -> Any:
        return self.func(*args)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<job {self.resque_class} -> {self.func.__module__}.{self.func.__qualname__}>"


CLIENT_HOOK_PREFIXES = ("before_enqueue", "after_enqueue", "before_dequeue", "after_dequeue")
"""Hooks the client runs: synchronous, so they cannot be coroutines."""


def perform_function(performer: Any) -> Any:
    """The function a performer's ``perform`` ends up calling (a registered function itself)."""
    if isinstance(performer, FunctionJob):
        return performer.func
    attr = inspect.getattr_static(performer, "perform", None)
    if isinstance(attr, staticmethod | classmethod):
        return attr.__func__
    return getattr(performer, "perform", None)


def _is_coroutine_performer(performer: Any) -> bool:
    if inspect.iscoroutinefunction(perform_function(performer)):
        return True
    return any(inspect.iscoroutinefunction(h) for h in hooks(performer, "around_perform"))


_coroutine_performers = functools.lru_cache(maxsize=4096)(_is_coroutine_performer)


def is_coroutine_performer(performer: Any) -> bool:
    """Whether the job runs as a coroutine: an ``async def`` perform or ``around_perform`` hook
    (other hooks may be ``async def`` either way: their results are awaited)."""
    try:
        return _coroutine_performers(performer)
    except TypeError:  # unhashable
        return _is_coroutine_performer(performer)


PERFORM_HOOK_PREFIXES = ("before_perform", "around_perform", "after_perform")


def _has_no_perform_hooks(performer: Any) -> bool:
    if getattr(performer, "hooks", None) is not None:
        return False  # a declared ``hooks`` list is asked on every job
    return not any(hook_names(performer, prefix) for prefix in PERFORM_HOOK_PREFIXES)


_hookless = functools.lru_cache(maxsize=4096)(_has_no_perform_hooks)


def hookless(performer: Any) -> bool:
    """Whether ``performer`` has no ``before_perform``/``around_perform``/``after_perform`` hook,
    from the same memoized ``job_methods`` the hook lookup reads (``Plugin.job_methods``): its
    ``Job#perform`` is ``perform`` alone."""
    try:
        return _hookless(performer)
    except TypeError:  # unhashable
        return _has_no_perform_hooks(performer)


def _never_runs(func: Any) -> bool:
    return inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)


def check_runnable(performer: Any) -> None:
    """Refuse a performer whose ``perform`` or hooks would return something the worker cannot
    run, so nothing counts as processed without having run: a generator (``def`` with
    ``yield``) or async generator, an ``async def`` hook the synchronous client would call
    (enqueue/dequeue hooks), a plain ``around_perform`` hook around a coroutine."""
    name = class_name(performer)
    if _never_runs(perform_function(performer)):
        raise TypeError(
            f"{name}: perform is a generator function; calling it would not run its body "
            "(use def or async def without yield)"
        )
    for prefix in HOOK_PREFIXES:
        for hook_name in hook_names(performer, prefix):
            hook = getattr(performer, hook_name)
            if _never_runs(hook):
                raise TypeError(f"{name}.{hook_name} is a generator function; its body would never run")
            if prefix in CLIENT_HOOK_PREFIXES and inspect.iscoroutinefunction(hook):
                raise TypeError(
                    f"{name}.{hook_name} is async def, but {prefix} hooks run in the synchronous "
                    "client and would never be awaited"
                )
    if is_coroutine_performer(performer):
        for hook_name in hook_names(performer, "around_perform"):
            if not inspect.iscoroutinefunction(getattr(performer, hook_name)):
                raise TypeError(
                    f"{name}.{hook_name} must be async def: around a coroutine job its job() "
                    "continuation is a coroutine to await"
                )


class Registry(Mapping[str, Any]):
    """Performers by the Ruby class name they answer to: the worker's allowlist."""

    def __init__(self) -> None:
        self._by_name: dict[str, Any] = {}

    def register(self, performer: Any, name: str | None = None) -> Any:
        """Register ``performer`` under ``name`` (default: its ``resque_class``); returns it."""
        if not callable(getattr(performer, "perform", None)):
            raise TypeError(f"{performer!r} has no perform(*args)")
        check_runnable(performer)
        key = name or class_name(performer)
        existing = self._by_name.get(key)
        if existing is not None and existing is not performer:
            raise ValueError(f"{key!r} is already registered to {existing!r}")
        self._by_name[key] = performer
        return performer

    @overload
    def job(self, target: F) -> F: ...

    @overload
    def job(
        self, target: str | None = None, *, queue: str | None = None, timeout: float | None = None
    ) -> Callable[[F], Any]: ...

    def job(self, target: Any = None, *, queue: str | None = None, timeout: float | None = None) -> Any:
        """Decorator: register a function or class as the performer of a Ruby class name.

        ``@registry.job("Billing::Charge", queue="billing")`` on a function or on a class with
        ``perform``; bare ``@registry.job`` uses the Python name. A function or ``perform`` may
        be ``async def``. ``timeout`` (seconds) becomes the performer's ``job_timeout``.
        Raises ``TypeError`` for what the worker could not run (``check_runnable``).
        """

        def wrap(obj: Any) -> Any:
            name = target if isinstance(target, str) else None
            if isinstance(obj, type):
                if name:
                    setattr(obj, "resque_class", name)  # noqa: B010 - declared on user classes
                if queue:
                    setattr(obj, "queue", queue)  # noqa: B010
                if timeout:
                    setattr(obj, "job_timeout", timeout)  # noqa: B010
                return self.register(obj)
            ruby_name = name or obj.__qualname__.replace(".", "::")
            return self.register(FunctionJob(obj, ruby_name, queue, timeout))

        if callable(target) and not isinstance(target, str):
            return wrap(target)
        return wrap

    def __getitem__(self, name: str) -> Any:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
