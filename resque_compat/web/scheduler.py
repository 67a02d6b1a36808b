"""The Delayed and Schedule tabs at resque-scheduler's own routes (``/delayed``,
``/delayed/<timestamp>``, ``/schedule``; ours: ``/delayed/unmovable``, the items the scheduler
kept raw), their POST actions (CSRF-checked like every other) and
their JSON (``/api/delayed``, ``/api/schedule``).

Every page reads a window, in a fixed number of round trips whatever the delayed queue's size:
a page of ``delayed_queue_schedule`` (``ZRANGE`` with ``ZCARD``) then one pipelined ``LLEN`` per
shown timestamp; a page of one timestamp's list (``LRANGE`` with ``LLEN``); the class search
reads a bounded slice per request and links to the next (``delayed_search``); the Schedule
tab reads the schedules and their last runs (one ``HMGET``), never a delayed key. Nothing
reads the whole zset or a whole list (``tests/test_web_scheduler_bounded.py`` holds each page
to its commands).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..admin import Admin
from ..client import Resque
from ..errors import DecodeError
from ..protocol.cron import ScheduleSyntaxError
from ..protocol.delayed import decode_delayed_item, parse_timestamp_member
from ..protocol.keys import UNMOVABLE
from ..protocol.schedule import load_recurring
from .actions import Actions, Done, _plural
from .delayed_search import DelayedSearch, search_delayed
from .params import int_param
from .render import Renderer

PER_PAGE = 50


def _when(ts: int) -> str:
    try:
        return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def _item(raw: bytes) -> dict[str, Any]:
    try:
        item = decode_delayed_item(raw)
    except DecodeError as exc:
        text = raw.decode("utf-8", "replace")
        return {"raw": text, "unreadable": exc.reason, "class": None, "queue": None, "args": None}
    return {
        "raw": raw.decode("utf-8", "replace"),
        "unreadable": None,
        "class": item.class_name,
        "queue": item.queue,
        "args": item.args,
    }


def _member_int(member: bytes) -> int:
    """A ``delayed_queue_schedule`` member as the second ``Resque.delayed_queue_peek`` gives."""
    found = parse_timestamp_member(member)
    return 0 if found is None else found


def _unmovable(raw: bytes) -> dict[str, Any]:
    """An item the scheduler kept raw: its bytes (exactly, in base64, and as text with any byte
    that is not UTF-8 shown as ``\\xNN``) and why it could not become a job."""
    try:
        item = decode_delayed_item(raw)
        reason = "" if item.queue else "no queue: the item names none and no class gives one"
    except DecodeError as exc:
        reason = exc.reason
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    return {
        "text": raw.decode("utf-8", "backslashreplace"),
        "raw_base64": base64.b64encode(raw).decode("ascii"),
        "bytes": len(raw),
        "utf8": utf8,
        "reason": reason,
    }


class SchedulerTabs:
    """Pages, actions and JSON of the two tabs."""

    def __init__(self, admin: Admin, resque: Resque, renderer: Renderer, actions: Actions) -> None:
        self.delayed = admin.store.delayed
        self.resque = resque  # resque-scheduler's API: enqueue now, remove, schedules
        self.r = renderer
        self.actions = actions

    # reading
    def timestamps(self, start: int, count: int) -> dict[str, Any]:
        members, sizes, total = self.delayed.schedule_page(max(0, start), count)
        rows = []
        for member, n in zip(members, sizes, strict=True):
            ts = _member_int(member)
            rows.append({"timestamp": ts, "at": _when(ts), "size": n})
        return {"start": max(0, start), "per_page": count, "total": total, "items": rows}

    def timestamp_items(self, ts: int, start: int, count: int) -> dict[str, Any]:
        raws, total = self.delayed.timestamp_window(ts, max(0, start), count)
        return {
            "timestamp": ts,
            "at": _when(ts),
            "start": max(0, start),
            "per_page": count,
            "total": total,
            "items": [_item(raw) for raw in raws],
        }

    def unmovable(self, start: int, count: int) -> dict[str, Any]:
        """A window of the items the scheduler could not enqueue (``LRANGE``), raw."""
        store = self.delayed
        raws = store.unmovable(max(0, start), count)
        return {
            "key": UNMOVABLE,
            "start": max(0, start),
            "per_page": count,
            "total": store.unmovable_size(),
            "items": [_unmovable(raw) for raw in raws],
        }

    def search(self, class_name: str, start: int | None, at: int) -> DelayedSearch:
        """The class search, one bounded slice from timestamp ``start``, item ``at`` of it."""
        found = search_delayed(self.delayed, class_name, start, at, _item)
        for row in found.found:
            row["at"] = _when(row["timestamp"])
        return found

    def schedules(self) -> list[dict[str, Any]]:
        now = datetime.now(timezone.utc)
        out = []
        schedules = sorted(self.resque.all_schedules().items())
        lasts = self.delayed.last_enqueued_of([name for name, _ in schedules])
        for (name, config), last in zip(schedules, lasts, strict=True):
            row: dict[str, Any] = dict.fromkeys(("class", "queue", "args", "description", "cron", "every"))
            row.update(
                name=name, config=config if isinstance(config, dict) else None, next=None, problem=None
            )
            if not isinstance(config, dict):
                row["problem"] = str(config)
            else:
                row.update(
                    {k: config.get(k) for k in ("class", "queue", "args", "description", "cron", "every")}
                )
                try:
                    job = load_recurring(name, config)
                    if job is not None:
                        job.start(now)
                        row["next"] = job.next_at.isoformat(timespec="seconds") if job.next_at else None
                except ScheduleSyntaxError as exc:
                    row["problem"] = str(exc)
            row["last"] = None if last is None else last.decode("utf-8", "replace")
            out.append(row)
        return out

    # pages
    def delayed_page(self, request: Request) -> Response:
        wanted = request.query_params.get("class", "").strip()
        start = int_param(request, "start", 0)
        ctx: dict[str, Any] = {"page": self.timestamps(start, PER_PAGE), "search": wanted}
        if wanted:
            begin = int_param(request, "from", -1, least=-1)
            found = self.search(wanted, None if begin < 0 else begin, int_param(request, "at", 0))
            ctx.update(found=found.found, searched=found, when=_when)
        ctx["unmovable"] = self.delayed.unmovable_size()
        return self.r.page(request, "delayed.html", "delayed", **ctx)

    def timestamp_page(self, request: Request) -> Response:
        ts = int(request.path_params["timestamp"])
        page = self.timestamp_items(ts, int_param(request, "start", 0), PER_PAGE)
        return self.r.page(request, "delayed_timestamp.html", "delayed", page=page)

    def unmovable_page(self, request: Request) -> Response:
        page = self.unmovable(int_param(request, "start", 0), PER_PAGE)
        return self.r.page(request, "delayed_unmovable.html", "delayed", page=page)

    def schedule_page(self, request: Request) -> Response:
        return self.r.page(request, "schedule.html", "schedule", schedules=self.schedules())

    # JSON
    def api_delayed(self, request: Request) -> Response:
        start, count = int_param(request, "start", 0), min(int_param(request, "count", PER_PAGE), 1000)
        return JSONResponse(self.timestamps(start, count))

    def api_timestamp(self, request: Request) -> Response:
        ts = int(request.path_params["timestamp"])
        start, count = int_param(request, "start", 0), min(int_param(request, "count", PER_PAGE), 1000)
        return JSONResponse(self.timestamp_items(ts, start, count))

    def api_unmovable(self, request: Request) -> Response:
        start, count = int_param(request, "start", 0), min(int_param(request, "count", PER_PAGE), 1000)
        return JSONResponse(self.unmovable(start, count))

    def api_schedule(self, request: Request) -> Response:
        return JSONResponse(self.schedules())

    # actions
    async def queue_now(self, request: Request) -> Response:
        """``POST /delayed/queue_now``: one item (``item``) or every item of ``timestamp``."""

        def act(form: FormData) -> Done:
            raw = _field(form, "item")
            if raw is not None:
                n = self.resque.enqueue_delayed_item(raw.encode())
                return Done(f"Enqueued {_plural(n, 'job')} now.")
            ts = _int(form, "timestamp")
            n = sum(self.resque.enqueue_delayed_item(r) for r in self.delayed.timestamp_items(ts))
            self.delayed.clean_up_timestamp(ts)
            return Done(f"Enqueued {_plural(n, 'job')} of {_when(ts)} now.")

        return await self.actions._run(request, act, "delayed")

    async def cancel_now(self, request: Request) -> Response:
        """``POST /delayed/cancel_now``: remove one item (``item``) or every item of ``timestamp``."""

        def act(form: FormData) -> Done:
            raw = _field(form, "item")
            if raw is not None:
                n = self.resque.remove_delayed_item(raw.encode())
            else:
                ts = _int(form, "timestamp")
                n = sum(self.resque.remove_delayed_item(r) for r in self.delayed.timestamp_items(ts))
                self.delayed.clean_up_timestamp(ts)
            return Done(f"Removed {_plural(n, 'delayed job')}.")

        return await self.actions._run(request, act, "delayed")

    async def clear(self, request: Request) -> Response:
        """``POST /delayed/clear``: ``reset_delayed_queue``."""

        def act(form: FormData) -> Done:
            self.resque.reset_delayed_queue()
            return Done("Cleared every delayed job.")

        return await self.actions._run(request, act, "delayed")

    async def schedule_requeue(self, request: Request) -> Response:
        """``POST /schedule/requeue``: enqueue a schedule's job now (``job_name``)."""

        def act(form: FormData) -> Done:
            name = _field(form, "job_name") or ""
            config = self.resque.all_schedules().get(name)
            if not isinstance(config, dict):
                raise ValueError(f"no schedule named {name!r}")
            self.resque.enqueue_from_config(config)
            return Done(f"Enqueued {name} now.")

        return await self.actions._run(request, act, "schedule")

    async def schedule_remove(self, request: Request) -> Response:
        """``POST /schedule/remove`` (resque-scheduler: ``DELETE /schedule``): a dynamic schedule."""

        def act(form: FormData) -> Done:
            name = _field(form, "job_name") or ""
            self.resque.remove_schedule(name)
            return Done(f"Removed the schedule {name}.")

        return await self.actions._run(request, act, "schedule")


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value != "" else None


def _int(form: FormData, name: str) -> int:
    value = _field(form, name)
    if value is None or not value.lstrip("-").isdigit():
        raise ValueError(f"{name} must be an integer timestamp")
    return int(value)


def scheduler_routes(tabs: SchedulerTabs) -> list[Any]:
    from starlette.routing import Route

    get, post = ["GET", "HEAD"], ["POST"]
    return [
        Route("/delayed", tabs.delayed_page, methods=get),
        Route("/delayed/queue_now", tabs.queue_now, methods=post),
        Route("/delayed/cancel_now", tabs.cancel_now, methods=post),
        Route("/delayed/clear", tabs.clear, methods=post),
        Route("/delayed/unmovable", tabs.unmovable_page, methods=get),
        Route("/delayed/{timestamp:int}", tabs.timestamp_page, methods=get),
        Route("/schedule", tabs.schedule_page, methods=get),
        Route("/schedule/requeue", tabs.schedule_requeue, methods=post),
        Route("/schedule/remove", tabs.schedule_remove, methods=post),
        Route("/api/delayed", tabs.api_delayed, methods=get),
        Route("/api/delayed/unmovable", tabs.api_unmovable, methods=get),
        Route("/api/delayed/{timestamp:int}", tabs.api_timestamp, methods=get),
        Route("/api/schedule", tabs.api_schedule, methods=get),
    ]
