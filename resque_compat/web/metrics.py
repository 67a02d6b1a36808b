"""``GET /metrics``: the deployment in Prometheus' text format, through ``prometheus_client``
(the ``metrics`` extra: ``pip install 'resque-compat[metrics]'``).

Read from Redis at the scrape (a custom collector), but the totals over every queue and every
worker, whose cost follows their number (an ``LLEN`` per queue, a lookup per worker), are kept
``RESQUE_WEB_TOTALS_TTL`` seconds (5; ``0``: every scrape counts), so several scrapers or a
short scrape interval pay for them once per interval; ``resque_totals_age_seconds`` and
``resque_workers_census_age_seconds`` say how old they are (``resque_delayed_age_seconds`` for
the delayed counts, which cost a ``LLEN`` per counted timestamp). A scrape's cost does not follow
the number of jobs, failures or delayed items: the queue and heartbeat series are capped, and
the delayed-job count covers the earliest ``DELAYED_COUNTED`` timestamps (it says how many):

==============================================  =======  =====================================
``resque_jobs_processed_total``                 counter  ``stat:processed``
``resque_jobs_failed_total``                    counter  ``stat:failed``
``resque_jobs_pending``                         gauge    jobs waiting, every queue (exact)
``resque_queues``                               gauge    queues (exact)
``resque_queue_size``                           gauge    per ``queue``: the ``TOP_QUEUES`` longest
``resque_failed_list_size``                     gauge    records, per failed list (``failed_queue``)
``resque_workers``                              gauge    registered workers per ``language``, ``state``
``resque_workers_stale``                        gauge    heartbeat older than the prune interval
``resque_worker_heartbeat_age_seconds``         gauge    per ``worker``: the ``STALEST`` oldest beats
``resque_totals_age_seconds``                   gauge    age of the queue totals and sizes above
``resque_workers_census_age_seconds``           gauge    age of the worker counts and beat ages
``resque_delayed_age_seconds``                  gauge    age of the four delayed gauges below
``resque_delayed_timestamps``                   gauge    ``delayed_queue_schedule`` size (exact)
``resque_delayed_jobs``                         gauge    delayed jobs in the counted timestamps
``resque_delayed_timestamps_counted``           gauge    how many timestamps that count covers
``resque_delayed_next_timestamp_seconds``       gauge    the earliest delayed timestamp (absent: none)
``resque_schedules``                            gauge    ``persistent_schedules`` entries
``resque_scheduler_master``                     gauge    1 per ``holder`` of the master lock
``resque_scheduler_master_lock_ttl_seconds``    gauge    seconds the master lock has left
==============================================  =======  =====================================

It sits behind the dashboard's basic auth; ``metrics_app`` serves it alone (mount it anywhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..admin import Admin
from ..admin.windows import Windows
from ..config.scheduler import master_lock_prefix
from ..config.web import WebSettings
from .security import BasicAuth, SecurityHeaders

TOP_QUEUES = 100
"""Queues ``resque_queue_size`` reports (the longest; ``resque_queues`` counts them all)."""
STALEST = 50
"""Workers ``resque_worker_heartbeat_age_seconds`` reports (the oldest heartbeats)."""
DELAYED_COUNTED = 1000
"""Timestamps (the earliest) whose jobs ``resque_delayed_jobs`` counts."""
MISSING = "GET /metrics needs prometheus_client: pip install 'resque-compat[metrics]'"


def available() -> bool:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return False
    return True


class Metrics:
    """The ``/metrics`` endpoint over one ``Admin``."""

    def __init__(self, admin: Admin, lock_prefix: str | None = None) -> None:
        self.admin = admin
        self.registry: Any = None
        if lock_prefix is None:
            lock_prefix = master_lock_prefix()
        if available():
            from prometheus_client import CollectorRegistry

            self.registry = CollectorRegistry(auto_describe=False)
            self.registry.register(_Collector(admin, lock_prefix))

    def endpoint(self, request: Request) -> Response:
        if self.registry is None:
            return PlainTextResponse(MISSING, 404)
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Collector:
    def __init__(self, admin: Admin, lock_prefix: str) -> None:
        self.admin = admin
        self.lock_prefix = lock_prefix

    def collect(self) -> Iterator[Any]:
        yield from self._jobs()
        yield from self._workers()
        yield from self._scheduler()

    def _jobs(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        admin = self.admin
        (pending, count, longest), ago = Windows(admin).largest_queues_kept(TOP_QUEUES)
        yield CounterMetricFamily(
            "resque_jobs_processed", "Jobs processed (Resque.info processed)", admin.processed()
        )
        yield CounterMetricFamily(
            "resque_jobs_failed", "Jobs failed (Resque.info failed)", admin.store.failed.num_failed()
        )
        yield GaugeMetricFamily("resque_jobs_pending", "Jobs waiting in every queue", pending)
        yield GaugeMetricFamily("resque_queues", "Queues (Resque.queues)", count)
        queues = GaugeMetricFamily(
            "resque_queue_size", f"Jobs waiting in a queue (the {TOP_QUEUES} longest)", labels=["queue"]
        )
        for name, size in longest:
            queues.add_metric([name], size)
        yield queues
        failed = GaugeMetricFamily(
            "resque_failed_list_size", "Records in a failed list", labels=["failed_queue"]
        )
        for name, size in admin.failed_sizes():
            failed.add_metric([name], size)
        yield failed
        yield GaugeMetricFamily(
            "resque_totals_age_seconds",
            "Age of the totals over every queue (pending, queues, queue sizes); RESQUE_WEB_TOTALS_TTL",
            round(ago, 3),
        )

    def _workers(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        census, ago = Windows(self.admin).census_kept(STALEST)
        fleet = GaugeMetricFamily("resque_workers", "Registered workers", labels=["language", "state"])
        for lang in ("ruby", "python", "unknown"):
            for state in ("working", "idle"):
                fleet.add_metric([lang, state], census.by.get((lang, state), 0))
        yield fleet
        ages = GaugeMetricFamily(
            "resque_worker_heartbeat_age_seconds",
            f"Seconds since a worker's heartbeat (the {STALEST} oldest)",
            labels=["worker"],
        )
        for wid, age in census.stalest:
            ages.add_metric([wid], age)
        yield ages
        yield GaugeMetricFamily(
            "resque_workers_stale", "Workers with a heartbeat past the prune interval", census.stale
        )
        yield GaugeMetricFamily(
            "resque_workers_census_age_seconds",
            "Age of the worker counts and heartbeat ages above; RESQUE_WEB_TOTALS_TTL",
            round(ago, 3),
        )

    def _scheduler(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        data = self.admin.store
        (stamps, jobs, counted, earliest), ago = self.admin.recent.get(
            "delayed summary", lambda: data.delayed.summary(DELAYED_COUNTED)
        )
        yield GaugeMetricFamily("resque_delayed_timestamps", "Timestamps with delayed jobs", stamps)
        yield GaugeMetricFamily(
            "resque_delayed_age_seconds",
            "Age of the delayed counts (a LLEN per counted timestamp); RESQUE_WEB_TOTALS_TTL",
            round(ago, 3),
        )
        yield GaugeMetricFamily(
            "resque_delayed_jobs",
            f"Delayed jobs in the earliest {DELAYED_COUNTED} timestamps (all of them when "
            "resque_delayed_timestamps_counted equals resque_delayed_timestamps)",
            jobs,
        )
        yield GaugeMetricFamily(
            "resque_delayed_timestamps_counted", "Timestamps resque_delayed_jobs counts", counted
        )
        due = GaugeMetricFamily("resque_delayed_next_timestamp_seconds", "The earliest delayed timestamp")
        if earliest is not None:
            due.add_metric([], earliest)
        yield due
        store = data.schedules
        yield GaugeMetricFamily("resque_schedules", "Schedules persisted in Redis", store.persistent_count())
        holder, ttl = store.lock_state(data.keys.scheduler_master_lock(self.lock_prefix))
        master = GaugeMetricFamily(
            "resque_scheduler_master", "The scheduler holding the master lock", labels=["holder"]
        )
        lock_ttl = GaugeMetricFamily(
            "resque_scheduler_master_lock_ttl_seconds", "Seconds before the master lock expires"
        )
        if holder is not None:
            master.add_metric([holder.decode("utf-8", "replace")], 1)
            lock_ttl.add_metric([], max(ttl, 0))
        yield master
        yield lock_ttl


def metrics_app(admin: Admin, web: WebSettings | None = None) -> Starlette:
    """``/metrics`` alone, with the dashboard's auth and headers, to mount on any path."""
    web = web or WebSettings()
    middleware = [
        Middleware(SecurityHeaders, frame_ancestors=web.frame_ancestors, no_store=web.auth is not None)
    ]
    if web.auth is not None:
        middleware.append(Middleware(BasicAuth, username=web.auth[0], password=web.auth[1]))
    metrics = Metrics(admin)
    return Starlette(
        routes=[Route("/metrics", metrics.endpoint, methods=["GET", "HEAD"])], middleware=middleware
    )
