"""Recurring schedules on ``Resque``: resque-scheduler 5.0's ``SchedulingExtensions``.

    >>> r.set_schedule("nightly", {"cron": "0 3 * * * Europe/Paris", "class": "Cleanup", "persist": True})
    >>> r.fetch_schedule("nightly")["cron"]
    '0 3 * * * Europe/Paris'

As in Ruby, a ``persist`` schedule is written to ``persistent_schedules`` (seen by every
scheduler running ``DYNAMIC_SCHEDULE``); any other lives only in this object's memory. Either way
its name is added to ``schedules_changed`` so a dynamic scheduler reloads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import DecodeError
from .protocol.rubyjson import decode, encode

if TYPE_CHECKING:
    from .protocol import Keys, Profile
    from .store import ScheduleAccess


class SchedulingExtensions:
    """Mixed into ``Resque``; persistent state lives in ``self.schedule_store``."""

    schedule_store: ScheduleAccess
    keys: Keys
    profile: Profile
    _non_persistent: dict[str, Any]
    _schedule: dict[str, Any] | None

    @property
    def schedule(self) -> dict[str, Any]:
        """``Resque.schedule``: the schedules as last loaded (read from Redis the first time)."""
        if self._schedule is None:
            self._schedule = self.all_schedules()
        return self._schedule

    @schedule.setter
    def schedule(self, schedule_hash: Mapping[str, Mapping[str, Any]]) -> None:
        """``Resque.schedule=``: replace the in-memory schedules; a missing ``class`` is the name."""
        self._non_persistent = {}
        for name, spec in schedule_hash.items():
            config = dict(spec)
            if "class" not in config:
                config["class"] = name
            self.set_schedule(name, config, reload=False)
        self.reload_schedule()

    def reload_schedule(self) -> dict[str, Any]:
        """``reload_schedule!``."""
        self._schedule = self.all_schedules()
        return self._schedule

    def all_schedules(self) -> dict[str, Any]:
        """``all_schedules``: in-memory schedules merged with ``persistent_schedules``."""
        merged = dict(self._non_persistent)
        for name, raw in self.schedule_store.persistent().items():
            key = name.decode("utf-8", "replace")
            try:
                merged[key] = decode(raw, self.keys.persistent_schedules())
            except DecodeError as exc:
                merged[key] = exc
        return merged

    def set_schedule(self, name: str, config: Mapping[str, Any], reload: bool = True) -> None:
        """``set_schedule``: ``persist`` (taken out of the config) chooses Redis or memory."""
        body = dict(config)
        persist = body.pop("persist", None)
        if persist is not None and persist is not False:  # Ruby truthiness
            self.schedule_store.set_persistent(name, encode(body, self.profile, "config"))
        else:
            self._non_persistent[name] = decode(encode(body, self.profile, "config"))
            self.schedule_store.mark_changed(name)
        if reload:
            self.reload_schedule()

    def fetch_schedule(self, name: str) -> Any:
        """``fetch_schedule``."""
        return self.schedule.get(name)

    def remove_schedule(self, name: str, reload: bool = True) -> None:
        """``remove_schedule``: from memory and ``persistent_schedules``; marks it changed."""
        self._non_persistent.pop(name, None)
        self.schedule_store.remove(name)
        if reload:
            self.reload_schedule()
