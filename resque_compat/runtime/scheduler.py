"""``resque-compat scheduler``: the counterpart of ``rake resque:scheduler`` (``Resque::Scheduler.run``).

Every poll it asks for the master lock exactly as resque-scheduler 5.0 does (``master?`` =
``Lock::Resilient#acquire!`` || ``#locked?``, same key, value, expiry and scripts), so a Ruby
and a Python scheduler on one Redis never both enqueue and either takes over when the other
stops. The master moves due delayed items (``delayed_mover``), reloads changed dynamic
schedules (``update_schedule``) and fires recurring schedules.

=============  ============================================================
``TERM/INT/QUIT``  shut down after the current batch, releasing the lock
``USR1``       log the schedule (``print_schedule``)
``USR2``, ``HUP``  reload the schedule (``reload_schedule!``; HUP is ours)
=============  ============================================================
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
import weakref
from collections.abc import Mapping
from datetime import datetime, timezone
from types import FrameType
from typing import TYPE_CHECKING, Any

from setproctitle import setproctitle

from ..config.scheduler import SchedulerSettings
from ..errors import ResqueError
from ..protocol.cron import ScheduleSyntaxError
from ..protocol.schedule import Recurring, configured_env, env_matches, load_recurring
from ..protocol.times import format_started
from ..store import REDIS_UNAVAILABLE as INTERMITTENT
from ..store import DataStore, MasterLock, NodeResqueLocks, redis_supports_lua
from .delayed_mover import DelayedMover
from .scheduler_lock import lock_value
from .signals import Waker

if TYPE_CHECKING:
    from ..client import Resque

SCHEDULER_VERSION = "5.0.0"
"""The resque-scheduler version this process presents itself as (its process title)."""


class Scheduler:
    """One scheduler process on ``store`` (its lock, the delayed queue, the schedules' keys);
    ``client`` is the ``Resque`` it enqueues schedules through (``enqueue_from_config``, so
    enqueue hooks run) and loads them with. ``run()`` returns after a shutdown signal (or
    ``stop()``). ``Scheduler.from_client(resque, ...)`` is the common case."""

    def __init__(
        self,
        store: DataStore,
        settings: SchedulerSettings,
        log: logging.Logger,
        schedule: Mapping[str, Any] | None = None,
        performers: Mapping[str, Any] | None = None,
        *,
        client: Resque,
    ) -> None:
        self.store = store
        self.resque = client
        self.settings = settings
        self.log = log
        self.static_schedule = dict(schedule or {})
        self.performers = dict(performers or {})
        self.lock = self._build_lock()
        self.node_locks = NodeResqueLocks(self.lock, store.keys.node_resque_locks())
        self.mover = DelayedMover(
            store.delayed,
            client.profile,
            self.performers,
            log,
            settings.batch_size,
            keep_going=lambda: not self._shutdown and self.am_master,
        )
        self.scheduled: dict[str, Recurring] = {}
        self.am_master = False
        self._shutdown = False
        self._reload = False
        self._print = False
        self._wake = Waker()
        weakref.finalize(self, self._wake.close)
        self._node: dict[str, bytes] = {}
        self._claimed_at: float | None = None

    @classmethod
    def from_client(
        cls,
        resque: Resque,
        settings: SchedulerSettings,
        log: logging.Logger,
        schedule: Mapping[str, Any] | None = None,
        performers: Mapping[str, Any] | None = None,
    ) -> Scheduler:
        """A scheduler on ``resque``'s DataStore, enqueueing through ``resque``."""
        return cls(resque.store, settings, log, schedule, performers, client=resque)

    def _build_lock(self) -> MasterLock:
        keys, client = self.store.keys, self.store.redis
        key = keys.scheduler_master_lock(self.settings.lock_prefix)
        basic = not redis_supports_lua(client)
        return MasterLock(client, key, lock_value(), self.settings.lock_timeout, basic=basic)

    # signals
    def install_signal_handlers(self) -> None:
        for sig in (
            signal.SIGTERM,
            signal.SIGINT,
            signal.SIGQUIT,
            signal.SIGUSR1,
            signal.SIGUSR2,
            signal.SIGHUP,
        ):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            self._shutdown = True
        elif signum == signal.SIGUSR1:
            self._print = True
        else:
            self._reload = True
        self._wake.poke()

    def stop(self) -> None:
        self._shutdown = True
        self._wake.poke()

    # the loop
    def procline(self, text: str) -> None:
        self.log.info(text)
        app = f"[{self.settings.app_name}]" if self.settings.app_name else ""
        env = f"[{self.settings.env}]" if self.settings.env else ""
        setproctitle(f"resque-scheduler-{SCHEDULER_VERSION}{app}{env}: {text}")

    def run(self) -> None:
        """``Scheduler.run``: poll until shut down; the lock is released on the way out."""
        self.procline("Starting")
        was_master: bool | None = None
        try:
            while not self._shutdown:
                try:
                    self.am_master = self.elect()
                    if self.am_master != was_master:
                        self.procline("Master scheduler" if self.am_master else "Child scheduler")
                        self.reload_schedule()
                    if self.am_master:
                        self.poll_once()
                    was_master = self.am_master
                except INTERMITTENT as exc:
                    self.log.warning("%s: %s", type(exc).__name__, exc)
                    self.am_master = False
                    self._release()
                    was_master = None
                self._handle_requests()
                self.poll_sleep()
        finally:
            self.log.info("Exiting")
            self._release()

    def elect(self) -> bool:
        """``master?``, with node-resque kept out: no node-resque scheduler leads, and the master
        lock is ours (``acquire! || locked?``). A master holds node-resque's lock keys too, with
        its value and the master lock's expiry, set when it becomes master and renewed every
        ``renew_node_locks_every`` seconds (``claim``): node-resque's election then stands
        aside. It lets them go with its lock."""
        if self.node_resque_leads():
            return False
        held = self.am_master
        master = self.lock.master(held=held)
        if master and not held and self.node_locks.hold:
            self.am_master = True
            self._claimed_at = None
            if self.node_resque_leads():  # one took its lock since our look: it leads
                return False
        elif held and not master:
            self._release()
        return master

    @property
    def renew_node_locks_every(self) -> float:
        """A sixth of the lock's expiry (30 s by default): the keys never come near expiring,
        and an idle master sends fewer commands than one renewing them every poll."""
        return self.lock.timeout / 6

    def node_resque_leads(self) -> bool:
        """Whether a node-resque scheduler holds its own lock (``resque_scheduler_leader_lock``,
        before 7.0 ``resque_scheduler_master_lock`` with one prefix), which resque-scheduler's
        lock does not see. A master asks when it claims both keys; between claims nothing can
        take them (node-resque sets its lock only when absent). A scheduler standing by reads
        them with the master lock each poll (a master of ours holds them too). While a
        node-resque scheduler leads, this one stands by (a master lets its locks go) so the two
        never both move delayed jobs; it says so once, and again when that changes."""
        if self.am_master and self.node_locks.hold:
            now = time.monotonic()
            if self._claimed_at is not None and now - self._claimed_at < self.renew_node_locks_every:
                return False
            found = self.node_locks.claim()
            self._claimed_at = now
        else:
            found = self.node_locks.holders()
        if found != self._node:
            for key, value in found.items():
                self.log.warning(
                    "a node-resque scheduler (%s) holds %s: standing by while it leads",
                    value.decode("utf-8", "replace"),
                    key,
                )
            if not found:
                self.log.info("no node-resque scheduler leads any more: asking for the master lock")
            self._node = found
        if found and self.am_master:
            self._release()
            self.procline("Child scheduler")
        return bool(found)

    def poll_once(self) -> None:
        stats = self.mover.handle_delayed_items()
        if stats.moved or stats.unmovable:
            self.procline("Processing Delayed Items")
            self.log.info("moved %d delayed job(s), %d unmovable", stats.moved, stats.unmovable)
            self.procline("Master scheduler")
        if self.settings.dynamic:
            self.update_schedule()
        self.fire_due()

    def poll_sleep(self) -> None:
        """Sleep ``poll_sleep_amount``, or less when a recurring schedule is due first; a signal
        wakes it at once."""
        wait = self.settings.poll_sleep_amount
        if self.am_master:
            now = datetime.now(timezone.utc)
            for job in self.scheduled.values():
                if job.next_at is not None:
                    wait = min(wait, max(0.0, (job.next_at - now).total_seconds()))
        if not self._shutdown:
            self._wake.wait(wait)

    def _handle_requests(self) -> None:
        if self._print:
            self._print = False
            self.print_schedule()
        if self._reload:
            self._reload = False
            self.reload_schedule()

    def _release(self) -> None:
        self._claimed_at = None
        with contextlib.suppress(*INTERMITTENT):
            self.lock.release()
        with contextlib.suppress(*INTERMITTENT):
            self.node_locks.release()

    # schedules
    def print_schedule(self) -> None:
        self.log.info("Scheduling Info\tLast Run")
        for job in self.scheduled.values():
            self.log.info("%s\t%s\t%s", job.name, job.text, job.last_at or "")

    def reload_schedule(self) -> None:
        """``reload_schedule!``: clear and load every schedule (``load_schedule!``)."""
        self.procline("Loading Schedule")
        self.resque.schedule = self.static_schedule
        if self.settings.dynamic:
            self.resque.reload_schedule()
        schedules = self.resque.schedule
        if not schedules:
            self.log.info("Schedule empty! Set Resque.schedule")
        self.scheduled = {}
        for name, config in schedules.items():
            self.load_schedule_job(name, config)
        if self.am_master and self.settings.dynamic:
            self.store.schedules.clear_changed()
        self.procline("Schedules Loaded")

    def load_schedule_job(self, name: str, config: Any) -> None:
        """``load_schedule_job``: skipped when its ``rails_env``/``env`` does not match."""
        wanted = configured_env(config)
        if wanted is not None and not env_matches(wanted, self.settings.env):
            self.log.debug(
                "Skipping schedule of %s: env %r does not match %r", name, wanted, self.settings.env
            )
            return
        try:
            job = load_recurring(name, config)
        except (ScheduleSyntaxError, ResqueError) as exc:
            self.log.error("cannot schedule %s: %s", name, exc)
            return
        if job is None:
            cls = config.get("class") if isinstance(config, dict) else None
            self.log.info("no cron / every found for %s (%s) - skipping", cls, name)
            return
        self.log.info("Scheduling %s ", name)
        job.start(datetime.now(timezone.utc))
        self.scheduled[name] = job

    def update_schedule(self) -> None:
        """``update_schedule``: reload each name popped from ``schedules_changed``."""
        store = self.store.schedules
        if store.changed_count() == 0:
            return
        self.procline("Updating schedule")
        while (raw := store.pop_changed()) is not None:
            name = raw.decode("utf-8", "replace")
            schedules = self.resque.reload_schedule()
            self.scheduled.pop(name, None)
            if name in schedules:
                self.load_schedule_job(name, schedules[name])
            else:
                self.log.info("Removing schedule %s", name)
        self.procline("Schedules Loaded")

    def fire_due(self) -> None:
        """``enqueue_recurring`` for each due schedule, while master."""
        now = datetime.now(timezone.utc)
        for job in list(self.scheduled.values()):
            if not job.due(now) or not self.am_master:
                continue
            self.log.info("queueing %s (%s)", job.config.get("class"), job.name)
            try:
                self.resque.enqueue_from_config(job.config)
            except Exception as exc:  # Scheduler.enqueue rescues everything and logs it
                self.log.error("%s: %s", type(exc).__name__, exc)
            self.resque.last_enqueued_at(job.name, format_started(now))
            job.advance(now)
