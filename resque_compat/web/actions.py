"""The changes: resque-web's POST routes, and its GET retry/remove links made POSTs. Each one
checks read-only mode and the CSRF token before touching anything, then redirects (303) back to
the page it came from with a flash message saying what was done. A refusal (read-only, a bad
token, a record that changed, bad input) answers its status code with a page saying why and
nothing else happening. An ``X-Requested-With: XMLHttpRequest`` retry answers the new
``retried_at`` text, as resque-web's does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..admin import FAILED, Admin, FailureFilter, StaleRecordError, WorkerRefusedError
from ..errors import ResqueError
from .render import Renderer


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: the flash text, and the answer an XHR caller gets instead."""

    message: str
    answer: str | None = None


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class Actions:
    """The POST side of the dashboard."""

    def __init__(self, admin: Admin, renderer: Renderer) -> None:
        self.admin = admin
        self.r = renderer

    async def _run(self, request: Request, act: Callable[[FormData], Done], back: str) -> Response:
        xhr = request.headers.get("x-requested-with") == "XMLHttpRequest"
        form = await request.form()
        target = _back(form, back)
        if self.r.web.read_only:
            return self._refuse(request, xhr, 403, "This dashboard is read-only.", target)
        token = form.get("_csrf")
        problem = self.r.csrf.check(request, token if isinstance(token, str) else None)
        if problem:
            return self._refuse(request, xhr, 403, f"Refused: {problem}", target)
        try:
            done = await run_in_threadpool(act, form)
            self.admin.recent.clear()  # the next page counts what the action changed
        except (StaleRecordError, WorkerRefusedError) as exc:
            return self._refuse(request, xhr, 409, f"Nothing done: {exc}", target)
        except (ResqueError, IndexError, ValueError) as exc:
            return self._refuse(request, xhr, 400, f"Nothing done: {exc}", target)
        if xhr:
            return PlainTextResponse(done.answer if done.answer is not None else done.message)
        return self.r.redirect(request, target, "success", done.message)

    def _refuse(self, request: Request, xhr: bool, status: int, text: str, back: str) -> Response:
        if xhr:
            return PlainTextResponse(text, status)
        return self.r.page(
            request, "refused.html", "", status=status, flash=("error", text), back=back.lstrip("/")
        )

    async def remove_queue(self, request: Request) -> Response:
        name = request.path_params["name"]

        def act(form: FormData) -> Done:
            jobs = self.admin.remove_queue(name)
            return Done(f"Removed queue '{name}' and its {_plural(jobs, 'job')}.")

        return await self._run(request, act, "queues")

    async def remove_worker(self, request: Request) -> Response:
        """Unregister a dead or stale worker (``resque-compat workers remove``)."""
        worker_id = request.path_params["worker_id"]

        def act(form: FormData) -> Done:
            view = self.admin.remove_worker(worker_id)
            job = " Its job in flight is now a DirtyExit failure." if view.state == "working" else ""
            return Done(f"Removed worker {worker_id}.{job}")

        return await self._run(request, act, "workers")

    async def retry(self, request: Request) -> Response:
        fq, index = _failed_queue(request), int(request.path_params["index"])

        def act(form: FormData) -> Done:
            retried_at = self.admin.failures.retry(fq, index, _digest(form))
            return Done(f"Retried failure {index} of {fq}: the job is queued again.", retried_at)

        return await self._run(request, act, _failed_page(fq))

    async def remove(self, request: Request) -> Response:
        fq, index = _failed_queue(request), int(request.path_params["index"])

        def act(form: FormData) -> Done:
            self.admin.failures.remove(fq, index, _digest(form))
            return Done(f"Removed failure {index} of {fq}.")

        return await self._run(request, act, _failed_page(fq))

    async def clear(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue")

        def act(form: FormData) -> Done:
            n = self.admin.failures.clear(fq)
            return Done(f"Cleared {_plural(n, 'failure')}{f' from {fq}' if fq else ''}.")

        return await self._run(request, act, "failed")

    async def clear_retried(self, request: Request) -> Response:
        def act(form: FormData) -> Done:
            n = self.admin.failures.clear_retried()
            return Done(f"Cleared {_plural(n, 'retried failure')}.")

        return await self._run(request, act, "failed")

    async def retry_all(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue")
        back = _failed_page(fq) if fq else "failed"

        def act(form: FormData) -> Done:
            n = self.admin.failures.retry_all(fq)
            where = f" of {fq}" if fq else ""
            return Done(f"Retried {_plural(n, 'failure')}{where}: the jobs are queued again.")

        return await self._run(request, act, back)

    async def selected(self, request: Request) -> Response:
        """Retry or remove the failures ticked on the page (each checked by its digest)."""
        fq = _failed_queue(request)

        def act(form: FormData) -> Done:
            action = _field(form, "action") or ""
            done, skipped = self.admin.failures.chosen(action, fq, _picks(form))
            verb = "Retried" if action == "retry" else "Removed"
            was = "was" if skipped == 1 else "were"
            note = (
                f"; {_plural(skipped, 'failure')} had changed or gone and {was} left alone" if skipped else ""
            )
            return Done(f"{verb} {_plural(done, 'selected failure')}{note}.")

        return await self._run(request, act, _failed_page(fq))

    async def search_selected(self, request: Request) -> Response:
        """Retry or remove the failures ticked on the search page, from any failed lists (each
        checked by its digest)."""

        def act(form: FormData) -> Done:
            action = _field(form, "action") or ""
            by_list: dict[str, list[tuple[int, str]]] = {}
            for value in form.getlist("pick"):
                ref, _, fq = str(value).partition("@")
                if not fq:
                    raise ValueError(f"not a failure reference: {str(value)[:40]!r}")
                by_list.setdefault(fq, []).extend(_picks_of([ref]))
            if not by_list:
                raise ValueError("select at least one failure first")
            done = skipped = 0
            for fq, picks in sorted(by_list.items()):
                if not self.admin.failures.exists(fq):
                    skipped += len(picks)
                    continue
                d, s = self.admin.failures.chosen(action, fq, picks)
                done, skipped = done + d, skipped + s
            verb = "Retried" if action == "retry" else "Removed"
            was = "was" if skipped == 1 else "were"
            note = (
                f"; {_plural(skipped, 'failure')} had changed or gone and {was} left alone" if skipped else ""
            )
            return Done(f"{verb} {_plural(done, 'selected failure')}{note}.")

        return await self._run(request, act, "search")

    async def bulk(self, request: Request) -> Response:
        """Retry or remove every record of a failed list matching the class/queue filter."""
        fq = _failed_queue(request)

        def act(form: FormData) -> Done:
            where = FailureFilter(_field(form, "class"), _field(form, "queue"), _field(form, "q"))
            if not where.active:
                raise ResqueError("choose a class or a queue first; use Retry all / Clear for everything")
            action = _field(form, "action") or ""
            n = self.admin.failures.bulk(action, fq, where)
            return Done(f"{'Retried' if action == 'retry' else 'Removed'} {_plural(n, 'failure')}.")

        return await self._run(request, act, _failed_page(fq))


def _picks(form: FormData) -> list[tuple[int, str]]:
    """The checked ``pick`` boxes: ``<index>:<digest>`` each."""
    out = _picks_of(form.getlist("pick"))
    if not out:
        raise ValueError("select at least one failure first")
    return out


def _picks_of(values: list[Any]) -> list[tuple[int, str]]:
    out = []
    for value in values:
        index, _, dig = str(value).partition(":")
        if not index.isdigit() or len(dig) != 16:
            raise ValueError(f"not a failure reference: {str(value)[:40]!r}")
        out.append((int(index), dig))
    return out


def _failed_queue(request: Request) -> str:
    return str(request.path_params.get("failed_queue") or FAILED)


def _failed_page(fq: str) -> str:
    return "failed" if fq == FAILED else f"failed/{fq}"


def _back(form: FormData, default: str) -> str:
    """The page to go back to: the form's ``back`` when it is a path on this site."""
    target = form.get("back")
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def _digest(form: FormData) -> str | None:
    return _field(form, "digest")
