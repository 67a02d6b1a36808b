"""resque-lock and resque-lock-timeout: their hooks as mixins, on their keys byte for byte.

:class:`Lock` is ``extend Resque::Plugins::Lock``: ``before_enqueue_lock`` takes
``lock:<Class>-<args.inspect>`` (value: the expiry, ``now + lock_timeout + 1``) or refuses the
enqueue while a live one is held; ``around_perform_lock`` deletes it after the job, even when it
raised. :class:`LockTimeout` is ``extend Resque::Plugins::LockTimeout``: the job takes
``lock:<Class>:<args.join('-')>`` around ``perform`` (``true``, or its expiry with a
``lock_timeout``) and is skipped while another holds it; ``loner = True`` also holds
``loner:lock:...`` from enqueue until the job starts. Overridable as in Ruby: ``lock``,
``identifier``, ``redis_lock_key``, ``redis_loner_lock_key``, ``lock_failed``,
``loner_enqueue_failed``, ``lock_expired_before_release``.

Ruby sees a job's arguments as JSON values; ``args.inspect`` and ``args.join`` are Ruby's text
of those (``protocol.rubyinspect``), so a key written here is the key Ruby computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ..jobs import class_name
from ..protocol import rubyinspect
from ..protocol.keys import lock_key, lock_timeout_key, loner_lock_key
from .context import current_store

if TYPE_CHECKING:
    from ..store.unique import UniqueAccess

DIRTY_EXITS = ("Resque::DirtyExit", "Resque::PruneDeadWorkerDirtyExit")


def _store() -> UniqueAccess:
    """resque-lock's and resque-loner's keys in the bound DataStore."""
    return current_store().unique


def _int(value: bytes | None) -> int:
    """Ruby's ``String#to_i`` (``nil.to_i`` is 0): leading digits, else 0."""
    text = (value or b"").decode("utf-8", "replace").strip()
    digits = ""
    for i, ch in enumerate(text):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


class Lock:
    """``Resque::Plugins::Lock``."""

    lock_timeout: ClassVar[int] = 3600

    @classmethod
    def lock(cls, *args: Any) -> str:
        """``lock(*args)``: ``lock:<name>-<args.to_s>``."""
        return lock_key(class_name(cls), rubyinspect.inspect(list(args)))

    @classmethod
    def before_enqueue_lock(cls, *args: Any) -> bool:
        """``before_enqueue_lock``: SETNX, else take over an expired lock with GETSET."""
        store, key = _store(), cls.lock(*args)
        now = int(time.time())
        timeout = str(now + int(cls.lock_timeout) + 1).encode()
        if store.setnx(key, timeout):
            return True
        if now <= _int(store.get(key)):
            return False
        return bool(now > _int(store.getset(key, timeout)))

    @classmethod
    def around_perform_lock(cls, *args: Any, job: Callable[[], Any]) -> None:
        """``around_perform_lock``: the lock goes after the job, even when it raised."""
        try:
            job()
        finally:
            _store().delete(cls.lock(*args))


class LockTimeout:
    """``Resque::Plugins::LockTimeout``."""

    lock_timeout: ClassVar[int] = 0
    loner: ClassVar[bool] = False

    @classmethod
    def identifier(cls, *args: Any) -> str | None:
        return rubyinspect.join(list(args), "-")

    @classmethod
    def redis_lock_key(cls, *args: Any) -> str:
        return lock_timeout_key(class_name(cls), cls.identifier(*args))

    @classmethod
    def redis_loner_lock_key(cls, *args: Any) -> str:
        return loner_lock_key(cls.redis_lock_key(*args))

    @classmethod
    def lock_failed(cls, *args: Any) -> None:
        """Hook: the lock was held by another job (this one is skipped)."""

    @classmethod
    def loner_enqueue_failed(cls, *args: Any) -> None:
        """Hook: a loner job was not enqueued."""

    @classmethod
    def lock_expired_before_release(cls, *args: Any) -> None:
        """Hook: the lock expired while the job ran (it is then left alone)."""

    @classmethod
    def _inspect_lock(cls, key: str) -> bool:
        lock_until = _store().get(key)
        if int(cls.lock_timeout) > 0:
            return _int(lock_until) > int(time.time())
        return lock_until is not None

    @classmethod
    def locked(cls, *args: Any) -> bool:
        """``locked?``."""
        return cls._inspect_lock(cls.redis_lock_key(*args))

    @classmethod
    def enqueued(cls, *args: Any) -> bool:
        """``enqueued?``: a loner job of these arguments waits."""
        return cls._inspect_lock(cls.redis_loner_lock_key(*args))

    @classmethod
    def before_enqueue_lock(cls, *args: Any) -> bool | int | None:
        """``before_enqueue_lock``: a loner is refused while running or already enqueued."""
        if not cls.loner:
            return None
        if cls.locked(*args):
            cls.loner_enqueue_failed(*args)
            return False
        return cls._acquire(cls.redis_loner_lock_key(*args), cls.loner_enqueue_failed, args)

    @classmethod
    def _acquire(cls, key: str, failed: Callable[..., None], args: tuple[Any, ...]) -> bool | int:
        """``acquire_lock_impl!``: ``True``, the expiry, or ``False``."""
        store, physical = _store(), key
        acquired, lock_until = False, None
        if not int(cls.lock_timeout) > 0:
            acquired = store.setnx(physical, b"true")
        else:
            # acquire_lock_algorithm!
            now = int(time.time())
            lock_until = now + int(cls.lock_timeout)
            if store.setnx(physical, str(lock_until).encode()):
                return lock_until
            expiration = store.get(physical)
            if expiration is not None and _int(expiration) < now:
                expiration = store.getset(physical, str(lock_until).encode())
                acquired = expiration is None or _int(expiration) < now
            else:
                acquired = store.setnx(physical, str(lock_until).encode())
        if not acquired:
            failed(*args)
        return lock_until if (lock_until is not None and acquired) else acquired

    @classmethod
    def around_perform_lock(cls, *args: Any, job: Callable[[], Any]) -> None:
        """``around_perform_lock``: take the lock (releasing a loner's enqueue lock), run the
        job unless another holds it, release it unless it expired meanwhile."""
        lock_until = cls._acquire(cls.redis_lock_key(*args), cls.lock_failed, args)
        if cls.loner:
            _store().delete(cls.redis_loner_lock_key(*args))
        if not lock_until:
            return
        try:
            job()
        finally:
            if lock_until is not True and int(lock_until) < int(time.time()):
                cls.lock_expired_before_release(*args)
            else:
                _store().delete(cls.redis_lock_key(*args))

    @classmethod
    def on_failure_lock(cls, exception: BaseException, *args: Any) -> None:
        """``on_failure_lock``: a dirty exit never ran the around hook's ``ensure``."""
        if getattr(exception, "ruby_name", None) in DIRTY_EXITS:
            _store().delete(cls.redis_lock_key(*args))
