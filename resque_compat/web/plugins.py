"""The plugin tabs: Paused (resque-pause: pause and unpause queues, or all of them), Retry
(resque-retry: attempt counters, suppressed failures, scheduled retries) and Statuses
(resque-status: progress of status jobs, kill). Changes are POSTs with the CSRF token, through
the same checks as every other action."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..admin import Admin
from ..admin import plugins as views
from .actions import Actions, Done
from .render import Renderer


class PluginPages:
    """GET pages and POST actions of the plugin tabs."""

    def __init__(self, admin: Admin, renderer: Renderer, actions: Actions) -> None:
        self.store = admin.store
        self.r = renderer
        self.actions = actions

    def paused(self, request: Request) -> Response:
        everything, key, rows = views.paused_queues(self.store)
        return self.r.page(request, "paused.html", "paused", everything=everything, global_key=key, rows=rows)

    def retry(self, request: Request) -> Response:
        rows, scheduled = views.retries(self.store)
        return self.r.page(request, "retry.html", "retry", rows=rows, scheduled=scheduled)

    def statuses(self, request: Request) -> Response:
        try:
            start = max(0, int(request.query_params.get("start", "0")))
        except ValueError:
            start = 0
        total, page, killing = views.statuses(self.store, start)
        return self.r.page(
            request, "statuses.html", "statuses", total=total, page=page, killing=killing, start=start
        )

    async def pause(self, request: Request) -> Response:
        return await self._pause(request, True)

    async def unpause(self, request: Request) -> Response:
        return await self._pause(request, False)

    async def _pause(self, request: Request, pause: bool) -> Response:
        name = request.path_params.get("name")
        store = self.store.pauses

        def act(form: FormData) -> Done:
            if name is None:
                (store.global_pause if pause else store.global_unpause)()
                return Done(f"{'Paused' if pause else 'Unpaused'} every queue ({store.global_key}).")
            (store.pause if pause else store.unpause)(name)
            return Done(f"{'Paused' if pause else 'Unpaused'} queue '{name}'.")

        return await self.actions._run(request, act, "paused")

    async def kill(self, request: Request) -> Response:
        uuid = request.path_params["uuid"]

        def act(form: FormData) -> Done:
            self.store.statuses.kill(uuid)
            return Done(f"Asked status job {uuid} to stop at its next tick.")

        return await self.actions._run(request, act, "statuses")


def plugin_routes(admin: Admin, renderer: Renderer, actions: Actions) -> list[BaseRoute]:
    p = PluginPages(admin, renderer, actions)
    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/paused", p.paused, methods=get),
        Route("/paused/all/pause", p.pause, methods=post),
        Route("/paused/all/unpause", p.unpause, methods=post),
        Route("/paused/queue/{name:path}/pause", p.pause, methods=post),
        Route("/paused/queue/{name:path}/unpause", p.unpause, methods=post),
        Route("/retry", p.retry, methods=get),
        Route("/statuses", p.statuses, methods=get),
        Route("/statuses/{uuid}/kill", p.kill, methods=post),
    ]
