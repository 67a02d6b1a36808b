"""A small JSON API beside the pages, for scripts and monitoring (not in resque-web).

GET ``api/stats``, ``api/queues``, ``api/queues/<name>?start=&count=``, ``api/workers``,
``api/workers/<id>``, ``api/failed[/<failed queue>]?start=&count=&order=``; with ``class=``,
``queue=`` or ``q=`` (search text) it is a bounded search from ``at=`` that says how far it got
(``scanned_from``, ``scanned_to``, ``next_at``),
``api/classes``, ``api/search?q=&from=&at=`` (every failed list and queue, bounded). POST (JSON
body, ``Content-Type: application/json``; refused in read-only mode)
``api/failed[/<failed queue>]/retry`` and ``/remove`` with ``{"index": i, "digest": "..."}``, and
``/bulk`` with ``{"action": "retry"|"remove", "class": ..., "queue": ...}``.
Raw values that could not be read are returned as text with an ``unreadable`` reason.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..admin import FAILED, Admin, FailureFilter, Place, StaleRecordError
from ..admin.views import FailureView, JobView, TimeValue, WorkerView
from ..admin.windows import PER_PAGE, Windows
from ..admin.wrong_type import WrongType
from ..errors import ResqueError
from .params import count_param, int_param, start_param
from .security import json_post_allowed


def _time(tv: TimeValue | None) -> dict[str, Any] | None:
    if tv is None:
        return None
    return {"raw": tv.raw, "iso": tv.at.isoformat() if tv.at else None, "unreadable": tv.unreadable}


def _job(job: JobView | None) -> dict[str, Any] | None:
    if job is None:
        return None
    out: dict[str, Any] = {"class": job.class_name, "args": job.args, "via_active_job": job.via_active_job}
    if job.unreadable:
        out.update(unreadable=job.unreadable, raw=job.raw.decode("utf-8", "replace"))
    return out


def worker_json(w: WorkerView) -> dict[str, Any]:
    p = w.processing
    return {
        "id": w.id,
        "host": w.name.host,
        "pid": w.name.pid,
        "queues": list(w.name.queues),
        "unreadable": w.name.unreadable,
        "state": w.state,
        "language": w.language,
        "language_source": w.language_source,
        "heartbeat": _time(w.heartbeat),
        "heartbeat_state": w.heartbeat_state,
        "heartbeat_age": w.heartbeat_age,
        "started": _time(w.started),
        "processed": w.processed,
        "failed": w.failed,
        "processing": None
        if p is None
        else {"queue": p.queue, "run_at": _time(p.run_at), "job": _job(p.job), "unreadable": p.unreadable},
    }


def failure_json(f: FailureView) -> dict[str, Any]:
    return {
        "failed_queue": f.failed_queue,
        "index": f.index,
        "digest": f.digest,
        "unreadable": f.unreadable,
        "raw": f.raw.decode("utf-8", "replace") if f.unreadable else None,
        "job": _job(f.job),
        "exception": f.exception,
        "error": f.error,
        "backtrace": f.backtrace,
        "worker": f.worker.id if f.worker else None,
        "queue": f.queue,
        "failed_at": _time(f.failed_at),
        "retried_at": _time(f.retried_at),
    }


class Api:
    """The JSON endpoints."""

    def __init__(self, admin: Admin, read_only: bool) -> None:
        self.admin = admin
        self.read_only = read_only

    def stats(self, request: Request) -> Response:
        """``Resque.info``; a value read from a key of the wrong type is ``null``, with the key
        named under ``errors`` (``left_out``: the keys the counts leave out)."""
        info = self.admin.info()
        errors = {k: v.json() for k, v in info.items() if isinstance(v, WrongType)}
        out = {k: None if isinstance(v, WrongType) else v for k, v in info.items()}
        if "left_out" in info:
            out["left_out"] = [w.json() for w in info["left_out"]]
        if errors:
            out["errors"] = errors
        return JSONResponse(out)

    def queues(self, request: Request) -> Response:
        """Queue -> size, ``count`` (100) queues by name from ``start``; ``X-Total-Count`` says
        how many there are, ``X-Counted-Seconds-Ago`` how old the list of names is. A queue of
        the wrong type answers its error (``{"error", "key", "type", "expected"}``) as its size."""
        page, ago = Windows(self.admin).queues_listed(start_param(request), count_param(request, 100))
        headers = {"X-Total-Count": str(page.total), "X-Counted-Seconds-Ago": f"{ago:.1f}"}
        sizes = {q: n.json() if isinstance(n, WrongType) else n for q, n in page.items}
        return JSONResponse(sizes, headers=headers)

    def queue(self, request: Request) -> Response:
        name = request.path_params["name"]
        page = self.admin.queue_page(name, start_param(request), count_param(request))
        return JSONResponse(
            {"queue": name, "size": page.total, "start": page.start, "jobs": [_job(j) for j in page.items]}
        )

    def workers(self, request: Request) -> Response:
        """``count`` (25, as a page of the Workers tab) workers by id from ``start``;
        ``X-Total-Count`` says how many there are."""
        page = Windows(self.admin).workers(start_param(request), count_param(request, PER_PAGE))
        return JSONResponse([worker_json(w) for w in page.items], headers={"X-Total-Count": str(page.total)})

    def worker(self, request: Request) -> Response:
        found = self.admin.worker(request.path_params["worker_id"])
        if found is None:
            return JSONResponse({"error": "no such worker"}, 404)
        return JSONResponse(worker_json(found))

    def failed(self, request: Request) -> Response:
        fq = request.path_params.get("failed_queue") or FAILED
        if not self.admin.failures.exists(fq):
            return JSONResponse({"error": f"no failed queue {fq!r}"}, 404)
        q = request.query_params
        where = FailureFilter(
            q.get("class") or None, q.get("queue") or None, (q.get("q") or "").strip()[:200] or None
        )
        newest_first = q.get("order") != "asc"
        failures = self.admin.failures
        if not where.active:
            page = failures.page(fq, start_param(request), count_param(request), newest_first)
            return JSONResponse(
                {
                    "failed_queue": fq,
                    "total": page.total,
                    "start": page.start,
                    "failures": [failure_json(f) for f in page.items],
                }
            )
        found = failures.search(fq, where, int_param(request, "at", 0), count_param(request), newest_first)
        return JSONResponse(
            {
                "failed_queue": fq,
                "total": found.total,
                "scanned_from": found.scanned_from,
                "scanned_to": found.scanned_to,
                "next_at": found.next_position,
                "failures": [failure_json(f) for f in found.items],
            }
        )

    def search(self, request: Request) -> Response:
        """``api/search?q=&from=&at=``: the search page's bounded search across every failed
        list and queue, as JSON; ``next`` (``{"from": ..., "at": ...}``) continues it."""
        text = (request.query_params.get("q") or "").strip()[:200]
        if not text:
            return JSONResponse({"error": "q= (the text to search for) is required"}, 400)
        start = Place.parse(request.query_params.get("from"), int_param(request, "at", 0))
        found = self.admin.search_everywhere(text, start, min(count_param(request, 50), 200))
        nxt = found.next
        return JSONResponse(
            {
                "q": text,
                "lists": found.lists,
                "records": found.records,
                "read": found.read,
                "searched": [
                    {"kind": s.kind, "list": s.list, "from": s.start, "to": s.stop, "size": s.size}
                    for s in found.stretches
                ],
                "next": {"from": nxt.ref, "at": nxt.position} if nxt else None,
                "hits": [
                    {"kind": h.kind, "list": h.list, "index": h.index}
                    | ({"failure": failure_json(h.failure)} if h.failure else {"job": _job(h.job)})
                    for h in found.hits
                ],
            }
        )

    def classes(self, request: Request) -> Response:
        report = self.admin.job_classes()
        return JSONResponse(
            {
                "queues": report.queues,
                "failed_queues": report.failed_queues,
                "truncated": report.truncated,
                "listeners": {q: dict(c) for q, c in report.listeners.items()},
                "classes": [
                    {
                        "class": r.name,
                        "via_active_job": r.via_active_job,
                        "queued": r.queued,
                        "failed": r.failed,
                    }
                    for r in report.rows
                ],
            }
        )

    async def act(self, request: Request) -> Response:
        """``retry``, ``remove`` or ``bulk`` on one failed list."""
        if self.read_only:
            return JSONResponse({"error": "read-only"}, 403)
        problem = json_post_allowed(request)
        if problem:
            return JSONResponse({"error": problem}, 403)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, 400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, 400)
        fq = request.path_params.get("failed_queue") or FAILED
        try:
            result = await run_in_threadpool(self._act, request.path_params["verb"], fq, body)
        except StaleRecordError as exc:
            return JSONResponse({"error": str(exc)}, 409)
        except (ResqueError, IndexError, KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(result)

    def _act(self, verb: str, fq: str, body: dict[str, Any]) -> dict[str, Any]:
        failures = self.admin.failures
        if verb == "bulk":
            where = FailureFilter(body.get("class") or None, body.get("queue") or None, body.get("q") or None)
            if not where.active:
                raise ValueError("bulk needs a class or a queue")
            return {"count": failures.bulk(str(body.get("action")), fq, where)}
        index, digest = int(body["index"]), body.get("digest")
        if verb == "retry":
            return {"retried_at": failures.retry(fq, index, digest)}
        if verb == "remove":
            failures.remove(fq, index, digest)
            return {"removed": index}
        raise ValueError(f"unknown action {verb!r}")
