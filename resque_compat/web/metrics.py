"""``GET /metrics``: the deployment in Prometheus' text format, through ``prometheus_client``
(the ``metrics`` extra: ``pip install 'resque-compat[metrics]'``).

Read fresh from Redis on every scrape (a custom collector: nothing is cached or kept in this
process), so any number of dashboards may be scraped and agree:

====================================  =======  ==========================================
``resque_jobs_processed_total``       counter  ``stat:processed``
``resque_jobs_failed_total``          counter  ``stat:failed``
``resque_queue_size``                 gauge    jobs waiting, per ``queue``
``resque_failed_list_size``           gauge    records, per failed list (``failed_queue``)
``resque_workers``                    gauge    registered workers per ``language`` and ``state``
``resque_worker_heartbeat_age_seconds``  gauge  per ``worker`` (absent: no readable heartbeat)
``resque_workers_stale``              gauge    workers whose heartbeat is older than the prune
                                               interval
====================================  =======  ==========================================

It sits behind the dashboard's basic auth; ``metrics_app`` serves it alone (mount it anywhere).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..admin import Admin
from ..config.web import WebSettings
from .security import BasicAuth, SecurityHeaders

MISSING = "GET /metrics needs prometheus_client: pip install 'resque-compat[metrics]'"


def available() -> bool:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return False
    return True


class Metrics:
    """The ``/metrics`` endpoint over one ``Admin``."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.registry: Any = None
        if available():
            from prometheus_client import CollectorRegistry

            self.registry = CollectorRegistry(auto_describe=False)
            self.registry.register(_Collector(admin))

    def endpoint(self, request: Request) -> Response:
        if self.registry is None:
            return PlainTextResponse(MISSING, 404)
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


class _Collector:
    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        admin = self.admin
        info = admin.info()
        yield CounterMetricFamily(
            "resque_jobs_processed", "Jobs processed (Resque.info processed)", info["processed"]
        )
        yield CounterMetricFamily("resque_jobs_failed", "Jobs failed (Resque.info failed)", info["failed"])
        queues = GaugeMetricFamily("resque_queue_size", "Jobs waiting in a queue", labels=["queue"])
        for name, size in admin.queue_sizes():
            queues.add_metric([name], size)
        yield queues
        failed = GaugeMetricFamily(
            "resque_failed_list_size", "Records in a failed list", labels=["failed_queue"]
        )
        for name, size in admin.failed_sizes():
            failed.add_metric([name], size)
        yield failed
        workers = admin.workers()
        by = Counter((w.language, w.state) for w in workers)
        fleet = GaugeMetricFamily("resque_workers", "Registered workers", labels=["language", "state"])
        for lang in ("ruby", "python", "unknown"):
            for state in ("working", "idle"):
                fleet.add_metric([lang, state], by.get((lang, state), 0))
        yield fleet
        ages = GaugeMetricFamily(
            "resque_worker_heartbeat_age_seconds", "Seconds since a worker's heartbeat", labels=["worker"]
        )
        for w in workers:
            if w.heartbeat_age is not None:
                ages.add_metric([w.id], w.heartbeat_age)
        yield ages
        stale = sum(1 for w in workers if w.heartbeat_state == "stale")
        yield GaugeMetricFamily(
            "resque_workers_stale", "Workers with a heartbeat past the prune interval", stale
        )


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
