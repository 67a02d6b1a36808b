"""The pages: one method per resque-web page (``Resque::Server``'s GET routes), plus the job-class
view. Nothing here changes anything. Handlers are plain functions: Starlette runs them in its
thread pool, as the admin API is synchronous."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..admin import FAILED, Admin, FailureFilter, Place
from ..admin.search import BUDGET, Needle
from ..admin.windows import PER_PAGE, Windows
from ..admin.wrong_type import WrongType, guard
from .params import int_param
from .params import start_param as _start
from .render import Renderer, base_path, url
from .rows import host_tabs, worker_rows

POLL = ".poll"


class Pages:
    """The GET side of the dashboard."""

    def __init__(self, admin: Admin, renderer: Renderer) -> None:
        self.admin = admin
        self.r = renderer

    def index(self, request: Request) -> Response:
        return RedirectResponse(url(request, "overview"), 302)

    def overview(self, request: Request) -> Response:
        polling = request.url.path.endswith(POLL)
        ov = self.admin.overview()
        return self.r.page(
            request,
            "overview.html",
            "overview",
            polling=polling,
            poll_path="overview.poll",
            queues=ov.queues,
            failed=ov.failed,
            multi=self.admin.failures.multiple_queues(),
            working=ov.working,
            working_rows=ov.working
            if isinstance(ov.working, WrongType)
            else worker_rows(ov.working, base_path(request), registered_queues=False),
            working_total=ov.working_total,
            workers_total=ov.workers,
            overview=ov,
            counted_ago=ov.counted_ago,
            totals_ttl=self.admin.recent.ttl,
        )

    def working(self, request: Request) -> Response:
        wid = request.path_params.get("worker_id")
        polling = request.url.path.endswith(POLL)
        if wid:
            worker = self.admin.worker(wid)
            return self.r.page(request, "working_one.html", "working", worker=worker, worker_id=wid)
        page, workers_total, ago = Windows(self.admin).working(_start(request), PER_PAGE)
        return self.r.page(
            request,
            "working.html",
            "working",
            polling=polling,
            poll_path="working.poll",
            page=page,
            working=page.items,
            working_rows=worker_rows(page.items, base_path(request), registered_queues=False),
            working_total=page.total,
            workers_total=workers_total,
            counted_ago=ago,
            totals_ttl=self.admin.recent.ttl,
        )

    def queues(self, request: Request) -> Response:
        name = request.path_params.get("name")
        if name is None:
            window, ago = Windows(self.admin).queues_listed(_start(request))
            return self.r.page(
                request,
                "queues.html",
                "queues",
                page=window,
                queues=window.items,
                counted_ago=ago,
                totals_ttl=self.admin.recent.ttl,
                failed=guard(self.admin.failed_sizes, self.admin.store.keys),
                multi=self.admin.failures.multiple_queues(),
            )
        text = (request.query_params.get("q") or "").strip()[:200]
        klass = request.query_params.get("class") or None
        if text or klass:
            needle = Needle(klass, None, text or None)
            found = self.admin.queue_search(name, needle, int_param(request, "at", 0))
            return self.r.page(request, "queue.html", "queues", queue=name, found=found, needle=needle)
        page = self.admin.queue_page(name, _start(request))
        return self.r.page(request, "queue.html", "queues", queue=name, page=page, needle=Needle())

    def failed(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue")
        failures = self.admin.failures
        multi = failures.multiple_queues()
        if fq is None and multi:
            counts = {q: failures.class_counts(q) for q in failures.queues()}
            return self.r.page(
                request, "failed_queues.html", "failed", failed=self.admin.failed_sizes(), counts=counts
            )
        fq = fq or FAILED
        if not failures.exists(fq):
            return self.r.page(request, "missing.html", "failed", status=404, what=f"failed queue {fq!r}")
        where = _where(request)
        newest_first = request.query_params.get("order", "desc") != "asc"
        ctx: dict[str, Any] = {}
        if where.active:
            ctx["found"] = failures.search(fq, where, int_param(request, "at", 0), 20, newest_first)
        else:
            ctx["page"] = failures.page(fq, _start(request), 20, newest_first)
        return self.r.page(
            request,
            "failed.html",
            "failed",
            failed_queue=fq,
            multi=multi,
            where=where,
            order="desc" if newest_first else "asc",
            list_size=failures.count(fq),
            **ctx,
        )

    def failure(self, request: Request) -> Response:
        """One failure on its own page: everything in the record, its raw bytes, its actions."""
        fq = str(request.path_params.get("failed_queue") or FAILED)
        index = int(request.path_params["index"])
        failures = self.admin.failures
        view = failures.record(fq, index) if failures.exists(fq) else None
        if view is None:
            return self.r.page(
                request, "missing.html", "failed", status=404, what=f"failure {index} in {fq!r}"
            )
        expected = request.query_params.get("digest")
        return self.r.page(
            request,
            "failure.html",
            "failed",
            f=view,
            failed_queue=fq,
            multi=failures.multiple_queues(),
            changed=bool(expected) and expected != view.digest,
        )

    def queued_job(self, request: Request) -> Response:
        """One waiting job on its own page."""
        name, index = request.path_params["name"], int(request.path_params["index"])
        job = self.admin.queued_job(name, index)
        if job is None:
            return self.r.page(request, "missing.html", "queues", status=404, what=f"job {index} in {name!r}")
        return self.r.page(request, "job.html", "queues", queue=name, index=index, job=job)

    def workers(self, request: Request) -> Response:
        target = request.path_params.get("worker_id")
        polling = request.url.path.endswith(POLL)
        if target and target.endswith(POLL):
            target, polling = target[: -len(POLL)], True
        hosts = self.admin.worker_hosts()
        ctx: dict[str, Any] = {"polling": polling, "hosts": hosts, "target": target}
        # As resque-web: a registered worker id first, then a host name or "all".
        worker = self.admin.worker(target) if target and target != "all" else None
        if worker is not None:
            poll_path = f"workers/{quote(target or '', safe='')}.poll"
            return self.r.page(request, "worker.html", "workers", worker=worker, poll_path=poll_path, **ctx)
        if target and target != "all" and target not in hosts:
            return self.r.page(request, "missing.html", "workers", status=404, what=f"worker {target!r}")
        # Unlike resque-web, several hosts still get the table of every worker (hosts as tabs),
        # a page at a time.
        # worker_hosts groups the sorted ids by host, so its groups in order are every id sorted.
        ids = hosts.get(target, []) if target and target != "all" else [w for g in hosts.values() for w in g]
        page = Windows(self.admin).workers(_start(request), PER_PAGE, ids)
        poll_path = f"workers/{quote(target, safe='')}.poll" if target else "workers.poll"
        back = f"/workers/{quote(target, safe='')}" if target else "/workers"
        return self.r.page(
            request,
            "workers.html",
            "workers",
            workers=page.items,
            rows=worker_rows(page.items, base_path(request), registered_queues=True),
            host_tabs=host_tabs(hosts, target, base_path(request)),
            page=page,
            poll_path=poll_path,
            back=back,
            **ctx,
        )

    def stats(self, request: Request) -> Response:
        section = request.path_params.get("section", "resque")
        ctx: dict[str, Any] = {"subtab": section}
        if section == "resque":
            ctx["info"] = sorted(self.admin.info().items())
        elif section == "redis":
            ctx["info"] = sorted(self.admin.redis_info().items())
        elif section == "keys":
            cursor = int_param(request, "cursor", 0)
            ctx["keys"], ctx["next_cursor"] = self.admin.namespace_keys(cursor)
            ctx["cursor"] = cursor
        else:
            return self.r.page(request, "missing.html", "stats", status=404, what=f"stats page {section!r}")
        return self.r.page(request, "stats.html", "stats", **ctx)

    def stats_redirect(self, request: Request) -> Response:
        return RedirectResponse(url(request, "stats/resque"), 302)

    def key(self, request: Request) -> Response:
        at = request.query_params.get("at", "")
        if not at or len(at) > 40 or not all(c in "0123456789-" for c in at):
            at = str(_start(request))
        contents = self.admin.key(request.path_params["key"], at)
        return self.r.page(request, "key.html", "stats", subtab="keys", key=contents)

    def stats_txt(self, request: Request) -> Response:
        # resque-web answers text/html; plain text is what the body is.
        return PlainTextResponse(self.admin.stats_txt())

    def search(self, request: Request) -> Response:
        """Search every failed list and queue at once, a bounded stretch a request."""
        text = (request.query_params.get("q") or "").strip()[:200]
        found = None
        if text:
            start = Place.parse(request.query_params.get("from"), int_param(request, "at", 0))
            found = self.admin.search_everywhere(text, start)
        return self.r.page(
            request,
            "search.html",
            "search",
            text=text,
            found=found,
            multi=self.admin.failures.multiple_queues(),
            budget=BUDGET,
        )

    def classes(self, request: Request) -> Response:
        return self.r.page(request, "classes.html", "classes", report=self.admin.job_classes())


def _where(request: Request) -> FailureFilter:
    """The failed pages' filter: ``class``, ``queue`` and the search text ``q``."""
    q = request.query_params
    return FailureFilter(
        q.get("class") or None, q.get("queue") or None, (q.get("q") or "").strip()[:200] or None
    )
