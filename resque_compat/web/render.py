"""Rendering: the Jinja2 environment (autoescaping everything), URL building under any mount
prefix, the page response with resque-web's cache header and the CSRF cookie, and flash
messages: an action's outcome rides a signed cookie across its redirect and shows once on the
page it lands on."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import __version__
from ..admin.wrong_type import WrongType
from ..config.web import WebSettings
from .security import COOKIE, FIELD, Csrf

HERE = Path(__file__).resolve().parent
TABS = (
    "Overview",
    "Working",
    "Failed",
    "Queues",
    "Workers",
    "Classes",
    "Delayed",
    "Schedule",
    "History",
    "Stats",
)
PLUGIN_TABS = ("Paused", "Retry", "Statuses")
"""resque-pause, resque-retry and resque-status (``web.plugins``), after Resque's own tabs."""
NO_CACHE = {"Cache-Control": "max-age=0, private, must-revalidate"}
FLASH_COOKIE = "resque_flash"
FLASH_KINDS = ("success", "error")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seg"] = lambda value: quote(str(value), safe="")
    env.filters["pretty"] = pretty
    env.filters["compact"] = compact
    env.filters["age"] = age
    env.tests["wrong"] = lambda value: isinstance(value, WrongType)
    return env


def pretty(value: Any) -> str:
    """Arguments as JSON, the same text whichever language wrote them: one line when short,
    indented when not."""
    short = compact(value)
    return short if len(short) <= 100 else json.dumps(value, indent=2, ensure_ascii=False, default=repr)


def age(seconds: int | None) -> str:
    """``45s``, ``12m``, ``3h 5m``, ``2d 4h``: how long ago, at a glance."""
    if seconds is None:
        return "?"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def compact(value: Any) -> str:
    """Arguments as one line of JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=repr)


def base_path(request: Request) -> str:
    """Where this app is mounted (``SCRIPT_NAME``/``root_path``), without a trailing slash."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def url(request: Request, path: str) -> str:
    """``url_path``: ``path`` under the mount prefix."""
    return base_path(request) + "/" + path.lstrip("/")


class Flash:
    """A one-time message (``success`` or ``error``) in a cookie signed with the CSRF key, so
    no other site can plant text on the dashboard."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def _sign(self, body: str) -> str:
        return hmac.new(self.key, b"flash:" + body.encode(), hashlib.sha256).hexdigest()[:32]

    def encode(self, kind: str, text: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps([kind, text[:600]]).encode()).decode()
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None) -> tuple[str, str] | None:
        body, _, sig = (value or "").partition(".")
        if not body or not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            kind, text = json.loads(base64.urlsafe_b64decode(body.encode()))
        except (ValueError, binascii.Error, TypeError):
            return None
        return (kind, text) if kind in FLASH_KINDS and isinstance(text, str) else None


class Renderer:
    """Renders a template with what every page needs."""

    def __init__(self, web: WebSettings, namespace: str, redis_id: str) -> None:
        self.env = environment()
        self.web = web
        self.csrf = Csrf(web.secret)
        self.flash = Flash(web.secret.encode())
        self.namespace = namespace
        self.redis_id = redis_id

    def page(
        self, request: Request, template: str, section: str, *, status: int = 200, **context: Any
    ) -> Response:
        """A full page, or only its main part for live polling (``?poll`` / ``.poll`` routes)."""
        polling = bool(context.pop("polling", False))
        flash = context.pop("flash", None)
        shown = False
        if flash is None and not polling:
            flash = self.flash.decode(request.cookies.get(FLASH_COOKIE))
            shown = flash is not None
        cookie, fresh = self.csrf.cookie_value(request)
        base = base_path(request)
        html = self.env.get_template(template).render(
            request=request,
            u=lambda path="": base + "/" + path.lstrip("/"),
            section=section,
            tabs=TABS + PLUGIN_TABS,
            layout="bare.html" if polling else "layout.html",
            polling=polling,
            csrf_field=FIELD,
            csrf_token=self.csrf.token_for(cookie),
            read_only=self.web.read_only,
            poll_interval=self.web.poll_interval,
            namespace=self.namespace,
            redis_id=self.redis_id,
            version=__version__,
            now=time.strftime("%H:%M:%S"),
            flash=flash,
            **context,
        )
        response = HTMLResponse(html, status, headers=NO_CACHE)
        if shown or (FLASH_COOKIE in request.cookies and not polling):
            response.delete_cookie(FLASH_COOKIE, path=base_path(request) or "/")
        if fresh:
            response.set_cookie(
                COOKIE, cookie, httponly=True, samesite="strict", path=base_path(request) or "/"
            )
        return response

    def redirect(self, request: Request, target: str, kind: str, text: str) -> Response:
        """303 to ``target`` (under the mount prefix), carrying ``text`` as a flash message."""
        response = RedirectResponse(url(request, target), 303)
        response.set_cookie(
            FLASH_COOKIE,
            self.flash.encode(kind, text),
            httponly=True,
            samesite="strict",
            path=base_path(request) or "/",
        )
        return response
