"""The History tab (``/history?range=hour|day|week``, ``/api/history``) and the sampler the
dashboard runs while it serves: a thread that offers a sample every ``INTERVAL`` seconds (only
the first sampler of each bucket is kept, so several dashboards and workers may all sample)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..admin import Admin
from ..admin.history import Sampler
from ..errors import ResqueError
from ..protocol.history import RANGES, Point, as_json
from . import charts
from .render import Renderer

INTERVAL = 15.0


class SamplerThread:
    """Samples in the background from startup to shutdown (the app's lifespan)."""

    def __init__(self, sampler: Sampler, interval: float = INTERVAL) -> None:
        self.sampler = sampler
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(ResqueError, OSError, ConnectionError):
                self.sampler.sample()
            self._stop.wait(self.interval)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        self._thread = threading.Thread(target=self._run, name="resque-history", daemon=True)
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join(timeout=10)


def _range(request: Request) -> str:
    wanted = request.query_params.get("range", "hour")
    return wanted if wanted in RANGES else "hour"


class History:
    """The History page and its JSON."""

    def __init__(self, admin: Admin, renderer: Renderer) -> None:
        self.sampler = Sampler(admin)
        self.r = renderer

    def page(self, request: Request) -> Response:
        name = _range(request)
        step, points = self.sampler.points(name)
        per = {60: "minute", 600: "10 minutes", 3600: "hour"}[step]
        throughput = charts.bars(
            f"Jobs per {per}",
            points,
            step,
            [("processed", "processed", _processed), ("failed", "failed", _failed)],
        )
        pending = charts.lines("Jobs waiting", points, step, [("pending", "pending", _pending)])
        languages = charts.lines(
            "Workers by language",
            points,
            step,
            [("ruby", "Ruby", _lang("ruby")), ("python", "Python", _lang("python"))],
        )
        latest = next((p for p in reversed(points) if p is not None), None)
        return self.r.page(
            request,
            "history.html",
            "history",
            polling=request.url.path.endswith(".poll"),
            poll_path=f"history.poll?range={name}",
            range=name,
            ranges=list(RANGES),
            charts=[throughput, pending, languages],
            queues=sorted((latest.queues if latest else {}).items(), key=lambda kv: -kv[1]),
            samples=sum(1 for p in points if p is not None),
            wanted=len(points),
        )

    def api(self, request: Request) -> Response:
        name = _range(request)
        step, points = self.sampler.points(name)
        return JSONResponse({"range": name, "step": step, "points": [as_json(p) for p in points]})


def _processed(p: Point) -> int | None:
    return p.processed


def _failed(p: Point) -> int | None:
    return p.failed


def _pending(p: Point) -> int:
    return p.pending


def _lang(name: str) -> Any:
    return lambda p: p.languages.get(name, 0)
