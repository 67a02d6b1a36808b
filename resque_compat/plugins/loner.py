"""resque-loner (``include Resque::Plugins::UniqueJob``): one job per class and arguments per
queue, remembered in ``loners:queue:<q>:job:<md5>``.

A performer that inherits :class:`Loner` is enqueued as ``Job.create_with_loner`` does: when the
key reads ``1`` nothing is pushed (Ruby's ``'EXISTED'``; ``Resque.enqueue`` still answers
``True``), otherwise the push and ``SET key 1`` (plus ``EXPIRE loner_ttl``) happen in one step.
The worker clears the key as soon as it takes the job (``Job.reserve_with_loner``): ``DEL``, or
``EXPIRE`` by ``loner_lock_after_execution_period``. ``destroy`` clears the keys of the jobs it
removes and ``remove_queue`` every key of the queue, as the plugin's overrides do::

    class Sync(Loner):
        resque_class = "Sync"
        queue = "sync"
        loner_ttl = 3600          # @loner_ttl (default -1: no expiry)
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, ClassVar

from ..jobs import class_name
from ..protocol import Profile, decode, encode
from ..protocol.records import json_object, payload_args, payload_class
from .context import bound, current

if TYPE_CHECKING:
    from ..client import Resque
    from ..store import DataStore


def loner_digest(class_name: str, args: list[Any], profile: Profile = Profile.JSON_GEM) -> str:
    """``UniqueJob.redis_key``: MD5 of the encoded ``{class, args}``, each hash argument turned
    into its sorted ``[key, value]`` pairs, after the JSON round trip a job goes through."""
    round_trip = decode(encode(list(args), profile, "args"))
    flat = [[list(kv) for kv in sorted(a.items())] if isinstance(a, dict) else a for a in round_trip]
    return hashlib.md5(encode({"class": class_name, "args": flat}, profile, "payload")).hexdigest()


class Loner:
    """``Resque::Plugins::UniqueJob``; override ``redis_key`` as Ruby classes may."""

    loner_ttl: ClassVar[int] = -1
    loner_lock_after_execution_period: ClassVar[int] = 0

    @classmethod
    def redis_key(cls, payload: dict[str, Any]) -> str:
        """``UniqueJob::ClassMethods#redis_key`` (the digest part of the key)."""
        return loner_digest(str(payload.get("class")), payload_args(payload), current().profile)


def is_loner(job_class: Any) -> bool:
    """``Helpers.item_is_a_unique_job?``: the class includes the plugin."""
    return isinstance(job_class, type) and issubclass(job_class, Loner)


# Each helper takes the client (its profile and inline mode, bound while a class's own
# ``redis_key`` runs) and the DataStore whose loner keys it reads and writes.
def _key(resque: Resque, store: DataStore, job_class: Any, payload: dict[str, Any]) -> str:
    """The digest part of ``Helpers.unique_job_queue_key``: the class's own ``redis_key``."""
    with bound(resque, store):
        return str(job_class.redis_key(payload))


def create(
    resque: Resque, store: DataStore, queue: str, job_class: Any, payload: dict[str, Any], encoded: bytes
) -> bool:
    """``Job.create_with_loner``: ``False`` (Ruby's ``'EXISTED'``) when nothing was pushed."""
    digest = _key(resque, store, job_class, payload)
    return store.unique.create_loner(queue, encoded, digest, int(job_class.loner_ttl))


def enqueued_in(resque: Resque, store: DataStore, queue: str, job_class: Any, args: list[Any]) -> bool | None:
    """``Resque.enqueued_in?``: ``None`` for a class that is not a loner."""
    if not is_loner(job_class):
        return None
    payload = {"class": class_name(job_class), "args": args}
    return store.unique.loner_queued(queue, _key(resque, store, job_class, payload))


def taken(resque: Resque, store: DataStore, queue: str, performer: Any, payload: dict[str, Any]) -> None:
    """``Job.reserve_with_loner``: the job left its queue; ``mark_loner_as_unqueued``."""
    if is_loner(performer) and not resque.inline:
        digest = _key(resque, store, performer, payload)
        store.unique.mark_unqueued(queue, digest, int(performer.loner_lock_after_execution_period))


def destroying(
    resque: Resque, store: DataStore, queue: str, performer: Any, name: str, args: list[Any]
) -> None:
    """``Helpers.job_destroy``: the keys of the jobs ``Job.destroy`` is about to remove."""
    for raw in store.queues.everything_in_queue(queue):
        value = json_object(raw)
        if value is not None and payload_class(value) == name and (not args or value.get("args") == args):
            taken(resque, store, queue, performer, value)
