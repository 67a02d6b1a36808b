"""The changes: resque-web's POST routes, and its GET retry/remove links made POSTs. Each one
checks read-only mode and the CSRF token before touching anything, then redirects (303) back to
the page it came from. An ``X-Requested-With: XMLHttpRequest`` retry answers the new
``retried_at`` text, as resque-web's does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..admin import FAILED, Admin, FailureFilter, StaleRecordError
from ..errors import ResqueError
from .render import Renderer, url

Action = Callable[[Request, FormData], Any]


class Actions:
    """The POST side of the dashboard."""

    def __init__(self, admin: Admin, renderer: Renderer) -> None:
        self.admin = admin
        self.r = renderer

    async def _run(self, request: Request, act: Callable[[FormData], str | None], back: str) -> Response:
        if self.r.web.read_only:
            return PlainTextResponse("This dashboard is read-only.", 403)
        form = await request.form()
        token = form.get("_csrf")
        problem = self.r.csrf.check(request, token if isinstance(token, str) else None)
        if problem:
            return PlainTextResponse(f"Refused: {problem}", 403)
        try:
            answer = await run_in_threadpool(act, form)
        except StaleRecordError as exc:
            return PlainTextResponse(f"Nothing done: {exc}", 409)
        except (ResqueError, IndexError) as exc:
            return PlainTextResponse(f"Nothing done: {exc}", 400)
        if answer is not None and request.headers.get("x-requested-with") == "XMLHttpRequest":
            return PlainTextResponse(answer)
        target = form.get("back")
        if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
            return RedirectResponse(url(request, target), 303)
        return RedirectResponse(url(request, back), 303)

    async def remove_queue(self, request: Request) -> Response:
        name = request.path_params["name"]
        return await self._run(request, lambda f: self.admin.remove_queue(name), "queues")

    async def retry(self, request: Request) -> Response:
        fq, index = _failed_queue(request), int(request.path_params["index"])
        return await self._run(
            request, lambda f: self.admin.failures.retry(fq, index, _digest(f)), _failed_page(fq)
        )

    async def remove(self, request: Request) -> Response:
        fq, index = _failed_queue(request), int(request.path_params["index"])
        return await self._run(
            request, lambda f: self.admin.failures.remove(fq, index, _digest(f)), _failed_page(fq)
        )

    async def clear(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue")
        return await self._run(request, lambda f: self.admin.failures.clear(fq), "failed")

    async def clear_retried(self, request: Request) -> Response:
        return await self._run(request, lambda f: self.admin.failures.clear_retried(), "failed")

    async def retry_all(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue")
        back = _failed_page(fq) if fq else "failed"
        return await self._run(request, lambda f: self.admin.failures.retry_all(fq), back)

    async def bulk(self, request: Request) -> Response:
        """Retry or remove every record of a failed list matching the class/queue filter."""
        fq = _failed_queue(request)

        def act(form: FormData) -> None:
            where = FailureFilter(_field(form, "class"), _field(form, "queue"))
            if not where.active:
                raise ResqueError("choose a class or a queue first; use Retry all / Clear for everything")
            self.admin.failures.bulk(_field(form, "action") or "", fq, where)

        return await self._run(request, act, _failed_page(fq))


def _failed_queue(request: Request) -> str:
    return str(request.path_params.get("failed_queue") or FAILED)


def _failed_page(fq: str) -> str:
    return "failed" if fq == FAILED else f"failed/{fq}"


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def _digest(form: FormData) -> str | None:
    return _field(form, "digest")
