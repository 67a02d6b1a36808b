"""resque-status (``include Resque::Plugins::Status``): jobs that report progress in
``status:<uuid>``, listed in ``_statuses``, stoppable through ``_kill``.

A status job's arguments are ``[uuid, options]``. Subclass :class:`StatusJob` and write ``run``
(Ruby's instance ``perform``); inside it ``self.options``, ``at(num, total, *messages)``,
``tick(*messages)`` (which stops the job when its id is in ``_kill``), ``completed``,
``failed``. ``on_success``, ``on_killed`` and ``on_status_failure`` are called as Ruby calls
``on_success``, ``on_killed`` and ``on_failure`` (renamed: ``on_failure*`` is a Resque job hook
here). Create and poll from Python with :func:`create` and :func:`get`::

    class Export(StatusJob):
        resque_class = "Export"
        def run(self):
            for i, page in enumerate(pages):
                self.at(i, len(pages), f"page {i}")

    uuid = status.create(resque, Export, {"file": "a.pdf"})
    status.get(resque, uuid)["status"]          # queued, working, completed, failed, killed

The bytes follow ``Status::Hash``: keys in Ruby's merge order (``time``, ``status``, ``uuid``,
then whatever earlier statuses and the new messages add), messages given as strings become
``{"message": ...}``, ``time`` stays the creation time, and ``name`` is
``<Class>(<options.inspect>)``.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any, ClassVar

from ..jobs import class_name, queue_from_class
from ..protocol import Profile, encode, rubyinspect
from ..protocol.records import json_object
from ..protocol.times import format_started
from .context import current, current_store

if TYPE_CHECKING:
    from ..client import Resque
    from ..store.status import StatusAccess

QUEUED, WORKING, COMPLETED, FAILED, KILLED = "queued", "working", "completed", "failed", "killed"
STATUSES = (QUEUED, WORKING, COMPLETED, FAILED, KILLED)
DEFAULT_QUEUE = "statused"
"""``Status::ClassMethods#queue``: where a status class without ``@queue`` goes."""


class Killed(RuntimeError):
    """``Resque::Plugins::Status::Killed``."""

    ruby_name = "Resque::Plugins::Status::Killed"


class NotANumber(RuntimeError):
    """``Resque::Plugins::Status::NotANumber``."""

    ruby_name = "Resque::Plugins::Status::NotANumber"


def status_hash(uuid: str | None, *messages: Any) -> dict[str, Any]:
    """``Status::Hash.new(uuid, *messages)``: the base, then each message merged in order."""
    out: dict[str, Any] = {"time": int(time.time()), "status": QUEUED}
    if uuid is not None:
        out["uuid"] = uuid
    for m in messages:
        out.update({"message": m} if isinstance(m, str) else (m or {}))
    return out


def pct_complete(status: dict[str, Any]) -> int:
    """``Status::Hash#pct_complete``."""
    if status.get("status") == COMPLETED:
        return 100
    if status.get("status") == QUEUED:
        return 0
    total = status.get("total") or 1
    return int(float(status.get("num") or 0) / float(total) * 100)


def set_status(resque: Resque, uuid: str, *messages: Any) -> dict[str, Any]:
    """``Status::Hash.set``."""
    return _set_status(resque.statuses, resque.profile, uuid, *messages)


def _set_status(store: StatusAccess, profile: Profile, uuid: str, *messages: Any) -> dict[str, Any]:
    value = status_hash(uuid, *messages)
    store.set(uuid, encode(value, profile, "status"))
    return value


def get(resque: Resque, uuid: str) -> dict[str, Any] | None:
    """``Status::Hash.get``: the decoded status (``None`` when there is none)."""
    raw = resque.statuses.get(uuid)
    return json_object(raw)


def statuses(resque: Resque, start: int | None = None, end: int | None = None) -> list[dict[str, Any]]:
    """``Status::Hash.statuses``: newest first, missing ones left out."""
    return statuses_in(resque.statuses, start, end)


def statuses_in(
    store: StatusAccess, start: int | None = None, end: int | None = None
) -> list[dict[str, Any]]:
    """``statuses`` read from the status keys' accessor."""
    ids = store.ids(start, end)
    return [s for s in (json_object(raw) for raw in store.mget(ids)) if s is not None]


def create(
    resque: Resque, job_class: Any, options: dict[str, Any] | None = None, queue: str | None = None
) -> str | None:
    """``Status::ClassMethods#enqueue_to``: a new id, its ``queued`` status (``Hash.create``),
    then ``Resque.enqueue_to(queue, klass, uuid, options)``; the status goes again when an
    enqueue hook refused the job (``None`` then)."""
    opts = dict(options or {})
    uuid = secrets.token_hex(16)  # SecureRandom.hex
    value = status_hash(uuid, {"options": opts})
    store = resque.statuses
    store.create(uuid, encode(value, resque.profile, "status"), int(time.time()))
    target = queue or queue_from_class(job_class) or DEFAULT_QUEUE
    if resque.enqueue_to(target, job_class, uuid, opts):
        return uuid
    store.remove(uuid)
    return None


class StatusJob:
    """``Resque::Plugins::Status``: ``perform(uuid, options)`` runs ``run`` with the status kept."""

    queue: ClassVar[str] = DEFAULT_QUEUE

    def __init__(self, uuid: str, options: dict[str, Any] | None = None) -> None:
        self.uuid = uuid
        self.options = dict(options or {})

    @classmethod
    def perform(cls, uuid: str | None = None, options: dict[str, Any] | None = None) -> StatusJob:
        """``ClassMethods#perform``: a new instance, ``safe_perform!``."""
        instance = cls(uuid or secrets.token_hex(16), options)
        instance.safe_perform()
        return instance

    def run(self) -> None:
        """The job's work (Ruby's instance ``perform``)."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")

    @property
    def name(self) -> str:
        """``#name``: ``<Class>(<options.inspect>)``, empty parentheses without options."""
        return f"{class_name(type(self))}({rubyinspect.inspect(self.options) if self.options else ''})"

    @property
    def status(self) -> dict[str, Any] | None:
        return json_object(current_store().statuses.get(self.uuid))  # Status::Hash.get

    def safe_perform(self) -> None:
        """``safe_perform!``: working, ``run``, then completed unless it failed or completed."""
        try:
            self._set({"status": WORKING})
            self.run()
            now = self.status
            if now is not None and now.get("status") == FAILED:
                self.on_status_failure(now.get("message"))
                return
            if now is not None and now.get("status") != COMPLETED:
                self.completed()
            self.on_success()
        except Killed:
            current_store().statuses.killed(self.uuid)
            self.on_killed()
        except Exception as exc:
            self.failed(f"The task failed because of an error: {exc}")
            if type(self).on_status_failure is StatusJob.on_status_failure:
                raise
            self.on_status_failure(exc)

    def on_success(self) -> None:
        """Ruby's ``on_success``."""

    def on_killed(self) -> None:
        """Ruby's ``on_killed``."""

    def on_status_failure(self, error: Any) -> None:
        """Ruby's instance ``on_failure``; without an override the error is re-raised."""

    def should_kill(self) -> bool:
        return current_store().statuses.should_kill(self.uuid)

    def at(self, num: Any, total: Any, *messages: Any) -> None:
        """``#at``: progress ``num`` of ``total`` (``NotANumber`` unless ``total`` > 0)."""
        try:
            positive = float(total) > 0.0
        except (TypeError, ValueError):
            positive = False
        if not positive:
            raise NotANumber(f"Called at() with total={total} which is not a number")
        self.tick({"num": num, "total": total}, *messages)

    def tick(self, *messages: Any) -> None:
        """``#tick``: stop here (``Killed``) when the id is in ``_kill``, else working."""
        if self.should_kill():
            self.kill()
        self._set({"status": WORKING}, *messages)

    def failed(self, *messages: Any) -> None:
        self._set({"status": FAILED}, *messages)

    def completed(self, *messages: Any) -> None:
        self._set({"status": COMPLETED, "message": f"Completed at {format_started()}"}, *messages)

    def kill(self) -> None:
        """``#kill!``."""
        self._set({"status": KILLED, "message": f"Killed at {format_started()}"})
        raise Killed()

    def _set(self, *messages: Any) -> None:
        """``#set_status``: the stored status, the name, then the new messages."""
        store, profile = current_store().statuses, current().profile
        _set_status(store, profile, self.uuid, self.status, {"name": self.name}, *messages)
