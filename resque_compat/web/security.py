"""Secure by default: HTTP basic auth (optional), CSRF tokens on every change, a read-only mode.

CSRF: each browser gets a random ``resque_csrf`` cookie (HttpOnly, SameSite=Strict); every form
carries ``HMAC(secret, cookie)``. A POST is accepted only when that token matches the cookie it
came with and, when the browser sends ``Origin``, the origin is this host. A page on another site
can neither read the cookie nor compute the token. The JSON API's POSTs instead need
``Content-Type: application/json``, which a cross-site form cannot send without a preflight.

Every response carries ``X-Content-Type-Options: nosniff``, a ``Content-Security-Policy`` that
lets the pages load only the dashboard's own scripts, styles and images (no inline script, no
CDN) and be framed only by ``frame-ancestors`` (``'none'`` unless configured), and
``Referrer-Policy: same-origin``. Behind basic auth, nothing but the static files may be stored by
a cache (``Cache-Control: no-store``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "resque_csrf"
FIELD = "_csrf"


class BasicAuth:
    """ASGI middleware: 401 unless the request carries the configured basic credentials."""

    def __init__(self, app: ASGIApp, username: str, password: str, realm: str = "resque-compat") -> None:
        self.app = app
        self.expected = (username.encode(), password.encode())
        self.realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(Headers(scope=scope).get("authorization", "")):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "Authentication required", 401, headers={"WWW-Authenticate": f'Basic realm="{self.realm}"'}
        )
        await response(scope, receive, send)

    def _allowed(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        # Compare both parts in full, whatever the first gave, so timing tells nothing.
        ok_user = hmac.compare_digest(user, self.expected[0])
        ok_password = hmac.compare_digest(password, self.expected[1])
        return bool(sep) and ok_user and ok_password


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """Only the dashboard's own scripts, styles, images and fetches; forms post to itself."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
    )


class SecurityHeaders:
    """ASGI middleware: the headers of the module docstring on every HTTP response."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'none'", no_store: bool = False) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"referrer-policy", b"same-origin"),
        ]
        if frame_ancestors == "'none'":
            self.headers.append((b"x-frame-options", b"DENY"))  # for browsers without CSP 2
        self.no_store = no_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = "/static/" in str(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._names()]
                headers += self.headers
                if self.no_store and not static:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

    def _names(self) -> set[bytes]:
        return {k for k, _ in self.headers}


class Csrf:
    """Issues and checks the per-browser CSRF token."""

    def __init__(self, secret: str) -> None:
        self.key = secret.encode()

    def cookie_value(self, request: Request) -> tuple[str, bool]:
        """The browser's cookie value, or a new one (``True`` when it must be set)."""
        found = request.cookies.get(COOKIE, "")
        if len(found) == 64 and all(c in "0123456789abcdef" for c in found):
            return found, False
        made: str = request.state.__dict__.setdefault("csrf_cookie", secrets.token_hex(32))
        return made, True

    def token_for(self, cookie: str) -> str:
        return hmac.new(self.key, cookie.encode(), hashlib.sha256).hexdigest()

    def token(self, request: Request) -> str:
        """The token forms on this page carry."""
        return self.token_for(self.cookie_value(request)[0])

    def check(self, request: Request, submitted: str | None) -> str | None:
        """``None`` when the POST is acceptable, else why not."""
        origin = request.headers.get("origin")
        # "Origin: null" (a sandboxed frame, a data: page, a cross-site redirect) is no origin
        # of ours: refused like any other, token or not.
        if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host", "")):
            return f"cross-origin request from {origin} refused"
        cookie = request.cookies.get(COOKIE)
        if not cookie or not submitted:
            return "missing CSRF token: reload the page and try again"
        if not hmac.compare_digest(submitted, self.token_for(cookie)):
            return "invalid CSRF token: reload the page and try again"
        return None


def json_post_allowed(request: Request) -> str | None:
    """``None`` when an API POST is acceptable (JSON body, same origin if ``Origin`` is sent)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return "API changes need Content-Type: application/json"
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return f"cross-origin request from {origin} refused"
    return None
