"""resque-retry (``extend Resque::Plugins::Retry`` / ``ExponentialBackoff``) on its own keys.

A performer that inherits :class:`Retry` counts its attempts in ``resque-retry:<Class>:<sha1 of
args.join('-')>`` exactly as the plugin does (``SETNX -1`` + ``INCR`` before each perform, the
key deleted after a success or when giving up) and, when it fails, is enqueued again at once or
through the delayed queue (``enqueue_in_with_queue``), to ``retry_queue`` or its own queue. So
attempts continue across Ruby and Python workers on one queue: ``1 + retry_limit`` in all.
Options are the plugin's, as class attributes: ``retry_limit``, ``retry_delay``,
``retry_exceptions`` (a list, or a dict of exception -> delay or list of delays),
``fatal_exceptions``, ``ignore_exceptions``, ``expire_retry_key_after``, ``sleep_after_requeue``,
``retry_job_delegate``, ``retry_criteria_checks`` / ``try_again_callbacks`` /
``give_up_callbacks`` (callables ``(cls, exception, *args)``), and ``retry_queue``/``retry_args``
methods. :class:`ExponentialBackoff` adds ``backoff_strategy`` and the multiplicand jitter.

Exceptions match by Python class (``issubclass``), as Ruby matches its classes.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from ..jobs import class_name, queue_from_class
from ..protocol import rubyinspect
from ..protocol.keys import retry_key
from .context import current, current_store

DIRTY_EXITS = ("Resque::DirtyExit", "Resque::PruneDeadWorkerDirtyExit")
Exc = type[BaseException]


class Retry:
    """``Resque::Plugins::Retry``."""

    retry_limit: ClassVar[int | None] = None
    retry_delay: ClassVar[float] = 0
    retry_exceptions: ClassVar[Sequence[Exc] | dict[Exc, Any] | None] = None
    fatal_exceptions: ClassVar[Sequence[Exc] | None] = None
    ignore_exceptions: ClassVar[Sequence[Exc]] = ()
    expire_retry_key_after: ClassVar[int | None] = None
    sleep_after_requeue: ClassVar[float] = 0
    retry_job_delegate: ClassVar[Any] = None
    retry_criteria_checks: ClassVar[Sequence[Callable[..., Any]]] = ()
    try_again_callbacks: ClassVar[Sequence[Callable[..., Any]]] = ()
    give_up_callbacks: ClassVar[Sequence[Callable[..., Any]]] = ()

    _retry_attempt: ClassVar[int] = 0
    _failure_seen: ClassVar[bool] = False
    last_exception_class: ClassVar[Exc | None] = None
    """The class of the exception the last ``on_failure_retry`` saw (the failure backend's)."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.fatal_exceptions and cls.retry_exceptions:
            raise ValueError('You can\'t define both "fatal_exceptions" and "retry_exceptions"')

    # keys
    @classmethod
    def retry_identifier(cls, *args: Any) -> str | None:
        """SHA1 of ``args.join('-')``, ``None`` when that is empty."""
        text = rubyinspect.join(list(args), "-")
        return hashlib.sha1(text.encode("utf-8")).hexdigest() if text else None

    @classmethod
    def redis_retry_key(cls, *args: Any) -> str:
        return retry_key(class_name(cls), cls.retry_identifier(*args))

    # policy
    @classmethod
    def limit(cls) -> int:
        """``retry_limit``: the option, else the longest delay list of ``retry_exceptions``, else 1."""
        if cls.retry_limit is not None:
            return int(cls.retry_limit)
        found = 1
        if isinstance(cls.retry_exceptions, dict):
            for value in cls.retry_exceptions.values():
                if isinstance(value, list | tuple) and len(value) > found:
                    found = len(value)
        return found

    @classmethod
    def delay(cls, exception_class: Exc | None = None) -> float:
        """``retry_delay(exception_class)``: per exception (most specific match) when
        ``retry_exceptions`` is a dict, a list picks by attempt (then its last)."""
        if exception_class is not None and isinstance(cls.retry_exceptions, dict):
            matches = [ex for ex in cls.retry_exceptions if issubclass(exception_class, ex)]
            if not matches:
                return 0
            best = min(matches, key=lambda ex: -len(ex.__mro__))
            value = cls.retry_exceptions[best]
            if isinstance(value, list | tuple):
                return float(value[cls._retry_attempt] if cls._retry_attempt < len(value) else value[-1])
            return float(value)
        return float(cls.retry_delay)

    @classmethod
    def retry_queue(cls, exception: BaseException, *args: Any) -> str | None:
        return None

    @classmethod
    def retry_args(cls, *args: Any) -> list[Any]:
        return list(args)

    @classmethod
    def retry_args_for_exception(cls, exception: BaseException, *args: Any) -> list[Any]:
        return cls.retry_args(*args)

    @classmethod
    def retry_exception(cls, exception: BaseException) -> bool:
        """``retry_exception?``."""
        if cls.retry_exceptions is None and cls.fatal_exceptions is None:
            return True
        if cls.fatal_exceptions is None:
            return any(isinstance(exception, ex) for ex in (cls.retry_exceptions or ()))
        return not any(isinstance(exception, ex) for ex in cls.fatal_exceptions)

    @classmethod
    def retry_limit_reached(cls) -> bool:
        limit = cls.limit()
        return limit == 0 or (limit > 0 and cls._retry_attempt >= limit)

    @classmethod
    def retry_criteria_valid(cls, exception: BaseException, *args: Any) -> bool:
        if cls.retry_limit_reached():
            return False
        if cls.retry_exception(exception):
            return True
        return any(bool(check(cls, exception, *args)) for check in cls.retry_criteria_checks)

    # what happens
    @classmethod
    def try_again(cls, exception: BaseException, *args: Any) -> None:
        """``try_again``: the retry key held, then the job again now or after its delay."""
        resque, retries = current(), current_store().retries
        for callback in cls.try_again_callbacks:
            callback(cls, exception, *args)
        delay = cls.delay(type(exception))
        target = cls.retry_job_delegate or cls
        queue = cls.retry_queue(exception, *args) or queue_from_class(target)
        retries.hold(cls.redis_retry_key(*args))
        again = cls.retry_args_for_exception(exception, *args)
        if delay <= 0:
            resque.enqueue_to(queue, target, *again)
        else:
            resque.enqueue_in_with_queue(queue, delay, target, *again)
        if cls.retry_job_delegate:
            retries.clean(cls.redis_retry_key(*args))
        if cls.sleep_after_requeue > 0:
            time.sleep(cls.sleep_after_requeue)

    @classmethod
    def give_up(cls, exception: BaseException, *args: Any) -> None:
        for callback in cls.give_up_callbacks:
            callback(cls, exception, *args)
        current_store().retries.clean(cls.redis_retry_key(*args))

    # the plugin's hooks
    @classmethod
    def before_perform_retry(cls, *args: Any) -> None:
        if current().inline:
            return
        cls._failure_seen = False
        expire = None
        if cls.expire_retry_key_after:
            expire = int(cls.delay(None) + cls.expire_retry_key_after)
        cls._retry_attempt = current_store().retries.begin_attempt(cls.redis_retry_key(*args), expire)

    @classmethod
    def after_perform_retry(cls, *args: Any) -> None:
        if not current().inline:
            current_store().retries.clean(cls.redis_retry_key(*args))

    @classmethod
    def on_failure_retry(cls, exception: BaseException, *args: Any) -> None:
        if current().inline:
            return
        retries = current_store().retries
        cls.last_exception_class = type(exception)
        if getattr(exception, "ruby_name", None) in DIRTY_EXITS:
            cls._retry_attempt = retries.attempt(cls.redis_retry_key(*args))
        elif cls._failure_seen:
            return
        if type(exception) in tuple(cls.ignore_exceptions):
            cls._retry_attempt = retries.decrement(cls.redis_retry_key(*args))
        if cls.retry_criteria_valid(exception, *args):
            cls.try_again(exception, *args)
        else:
            cls.give_up(exception, *args)
        cls._failure_seen = True


class ExponentialBackoff(Retry):
    """``Resque::Plugins::ExponentialBackoff``: delays from ``backoff_strategy`` by attempt,
    times a multiplicand drawn between ``retry_delay_multiplicand_min`` and ``_max``."""

    backoff_strategy: ClassVar[Sequence[int]] = (0, 60, 600, 3600, 10_800, 21_600)
    retry_delay_multiplicand_min: ClassVar[float] = 1.0
    retry_delay_multiplicand_max: ClassVar[float] = 1.0

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.retry_delay_multiplicand_min > cls.retry_delay_multiplicand_max:
            raise ValueError(
                '"retry_delay_multiplicand_min" must be less than or equal to "retry_delay_multiplicand_max"'
            )

    @classmethod
    def limit(cls) -> int:
        return int(cls.retry_limit) if cls.retry_limit is not None else len(cls.backoff_strategy)

    @classmethod
    def delay(cls, exception_class: Exc | None = None) -> float:
        strategy = list(cls.backoff_strategy)
        base = strategy[cls._retry_attempt] if cls._retry_attempt < len(strategy) else strategy[-1]
        low, high = cls.retry_delay_multiplicand_min, cls.retry_delay_multiplicand_max
        factor = high if low == high else random.uniform(low, high)
        return float(int(base * factor))
