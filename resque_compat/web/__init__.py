"""The dashboard: resque-web for mixed Ruby/Python fleets, as an ASGI app factory.

    from resque_compat.config import Settings
    from resque_compat.web import create_app

    app = create_app(Settings.from_env())                 # serve with any ASGI server
    # or mount it: Starlette/FastAPI ``app.mount("/resque", create_app(...))``,
    # Django ``path("resque/", ...)`` through an ASGI router.

Every link is built under the mount prefix (``root_path``), so it works at any path. The
routes mirror ``Resque::Server`` (see the README's table); every change is a POST with a CSRF
token, and nothing changes on GET.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..admin import Admin
from ..admin.history import Sampler
from ..client import Resque
from ..config import Settings
from ..config.web import WebSettings
from ..errors import RedisUnavailable, UnreadableKey
from ..protocol.keys import Keys
from .actions import Actions
from .api import Api
from .history import History, SamplerThread
from .metrics import Metrics, metrics_app
from .pages import Pages
from .plugins import plugin_routes
from .render import HERE, Renderer, base_path
from .scheduler import SchedulerTabs, scheduler_routes
from .security import BasicAuth, SecurityHeaders


def create_app(
    settings: Settings | None = None,
    *,
    web: WebSettings | None = None,
    resque: Resque | None = None,
    admin: Admin | None = None,
    debug: bool = False,
) -> Starlette:
    """Build the dashboard for ``settings`` (the library's connection settings).

    ``web`` holds auth, read-only mode and the CSRF key (defaults: no auth, writable, a random
    key); ``resque`` may be given instead of settings to reuse an existing client, and ``admin``
    (with it) an ``Admin`` over the same deployment with its own ``totals_ttl``, ``stale_after``
    or ``hostname``.
    """
    web = web or WebSettings()
    if resque is None:
        if admin is not None:
            raise ValueError("create_app(admin=...) needs the client it was built from: resque=...")
        resque = Resque.from_settings(settings or Settings())
    if admin is None:
        admin = Admin.from_client(resque, totals_ttl=web.totals_ttl)
    renderer = Renderer(web, admin.namespace, admin.redis_id())
    middleware = [
        Middleware(SecurityHeaders, frame_ancestors=web.frame_ancestors, no_store=web.auth is not None)
    ]
    if web.auth is not None:
        middleware.append(Middleware(BasicAuth, username=web.auth[0], password=web.auth[1]))
    lifespan = SamplerThread(Sampler(admin)).lifespan if web.history else None
    return Starlette(
        debug=debug,
        routes=routes(admin, resque, renderer),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            404: not_found(renderer),
            UnreadableKey: unreadable(renderer),
            RedisUnavailable: unavailable,
        },
    )


def unreadable(renderer: Renderer) -> Any:
    """A key of the wrong type (``UnreadableKey``) on any route: 409 naming the key and its
    type, as a page, or as JSON under ``/api`` (plain text for ``/metrics`` and ``/stats.txt``)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnreadableKey)
        path = request.url.path[len(base_path(request)) :]
        if path.startswith("/api/"):
            body = {"error": str(exc), "key": exc.key, "type": exc.actual, "expected": exc.expected}
            return JSONResponse(body, 409)
        if path in ("/metrics", "/stats.txt"):
            return PlainTextResponse(f"{exc}\n", 409)
        keys = Keys(renderer.namespace)
        logical = keys.strip(exc.key) if exc.key.startswith(keys.prefix) else ""
        section = path.strip("/").split("/")[0].split(".")[0].capitalize()
        return renderer.page(
            request, "unreadable.html", section, status=409, polling=path.endswith(".poll"),
            key=exc.key, actual=exc.actual, expected=exc.expected, logical=logical,
        )  # fmt: skip

    return handler


async def unavailable(request: Request, exc: Exception) -> Response:
    """Redis away on any route: 503 with the reason, to be tried again."""
    return PlainTextResponse(f"{exc}\n", 503, headers={"Retry-After": "5"})


def not_found(renderer: Renderer) -> Any:
    """Unknown paths: the pages' "Not found" page, or JSON under ``/api`` (as the API's own 404s)."""

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(base_path(request) + "/api/"):
            return JSONResponse({"error": "no such API path"}, 404)
        return renderer.page(request, "missing.html", "", status=404, what=f"page {request.url.path!r}")

    return handler


def _failed_routes(p: Pages, a: Actions) -> list[BaseRoute]:
    """The Failed tab's pages and actions, on the default failed list and on a named one."""
    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/failed", p.failed, methods=get),
        Route("/failed/clear", a.clear, methods=post),
        Route("/failed/clear_retried", a.clear_retried, methods=post),
        Route("/failed/requeue/all", a.retry_all, methods=post),
        Route("/failed/requeue/{index:int}", a.retry, methods=post),
        Route("/failed/remove/{index:int}", a.remove, methods=post),
        Route("/failed/bulk", a.bulk, methods=post),
        Route("/failed/selected", a.selected, methods=post),
        Route("/failed/job/{index:int}", p.failure, methods=get),
        Route("/failed/{failed_queue}/clear", a.clear, methods=post),
        Route("/failed/{failed_queue}/requeue/all", a.retry_all, methods=post),
        Route("/failed/{failed_queue}/requeue/{index:int}", a.retry, methods=post),
        Route("/failed/{failed_queue}/remove/{index:int}", a.remove, methods=post),
        Route("/failed/{failed_queue}/bulk", a.bulk, methods=post),
        Route("/failed/{failed_queue}/selected", a.selected, methods=post),
        Route("/failed/{failed_queue}/job/{index:int}", p.failure, methods=get),
        Route("/failed/{failed_queue}", p.failed, methods=get),
    ]


def _api_routes(api: Api) -> list[BaseRoute]:
    """The JSON API (``/api/...``)."""
    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/api/stats", api.stats, methods=get),
        Route("/api/queues", api.queues, methods=get),
        Route("/api/queues/{name:path}", api.queue, methods=get),
        Route("/api/workers", api.workers, methods=get),
        Route("/api/workers/{worker_id:path}", api.worker, methods=get),
        Route("/api/failed", api.failed, methods=get),
        Route("/api/failed/{verb}", api.act, methods=post),
        Route("/api/failed/{failed_queue}/{verb}", api.act, methods=post),
        Route("/api/failed/{failed_queue}", api.failed, methods=get),
        Route("/api/classes", api.classes, methods=get),
        Route("/api/search", api.search, methods=get),
    ]


def routes(admin: Admin, resque: Resque, renderer: Renderer) -> list[BaseRoute]:
    """Every route, in matching order (specific paths before ``{param:path}`` ones)."""
    p, a, api = Pages(admin, renderer), Actions(admin, renderer), Api(admin, renderer.web.read_only)
    h, m = History(admin, renderer), Metrics(admin)
    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/", p.index, methods=get),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
        Route("/overview.poll", p.overview, methods=get),
        Route("/overview", p.overview, methods=get),
        Route("/working.poll", p.working, methods=get),
        Route("/working", p.working, methods=get),
        Route("/working/{worker_id:path}", p.working, methods=get),
        Route("/queues", p.queues, methods=get),
        Route("/queues/{name:path}/remove", a.remove_queue, methods=post),
        Route("/queues/{name:path}/job/{index:int}", p.queued_job, methods=get),
        Route("/queues/{name:path}", p.queues, methods=get),
        *_failed_routes(p, a),
        Route("/workers.poll", p.workers, methods=get),
        Route("/workers", p.workers, methods=get),
        Route("/workers/{worker_id:path}/remove", a.remove_worker, methods=post),
        Route("/workers/{worker_id:path}", p.workers, methods=get),
        Route("/stats.txt", p.stats_txt, methods=get),
        Route("/stats", p.stats_redirect, methods=get),
        Route("/stats/keys/{key:path}", p.key, methods=get),
        Route("/stats/{section}", p.stats, methods=get),
        Route("/classes", p.classes, methods=get),
        Route("/search", p.search, methods=get),
        Route("/search/selected", a.search_selected, methods=post),
        *scheduler_routes(SchedulerTabs(admin, resque, renderer, a)),
        Route("/history.poll", h.page, methods=get),
        Route("/history", h.page, methods=get),
        Route("/api/history", h.api, methods=get),
        Route("/metrics", m.endpoint, methods=get),
        *_api_routes(api),
        *plugin_routes(admin, renderer, a),
    ]


__all__ = ["create_app", "metrics_app", "routes"]
