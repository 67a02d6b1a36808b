"""``resque-compat web``: the dashboard, standalone, with resque-web's flags.

    resque-compat web -p 5678 -N myapp -r localhost:6379
    resque-compat web --read-only --username ops --password secret

``-p``/``-o``/``-N``/``-r``/``-a`` mean what they mean to resque-web (``-a`` mounts the app under a
URL prefix). resque-web's daemon flags (``-F``, ``-L``, ``-K``...) have no equivalent: this runs in
the foreground; use a process manager. Served by uvicorn.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from ..config import parse_resque_web_redis
from ..config.web import WebSettings
from ..errors import ConfigError
from .common import EXIT_USAGE, settings

if TYPE_CHECKING:
    from starlette.applications import Starlette


def _free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(host: str, port: int, tries: int = 20) -> int:
    """resque-web's behaviour: the given port, or the next free one after it."""
    for candidate in range(port, port + tries):
        if _free(host, candidate):
            return candidate
    raise click.ClickException(f"no free port in {port}..{port + tries - 1} on {host}")


@click.command()
@click.option(
    "-p", "--port", type=int, help="Port (default 5678, or RESQUE_WEB_PORT); the next free one is used."
)
@click.option("-o", "--host", help="Address to listen on (default 0.0.0.0, or RESQUE_WEB_HOST).")
@click.option("-N", "--namespace", help="Redis namespace (as the group's -N).")
@click.option("-r", "--redis", "redis", help="Redis: URL or host:port[:db][/namespace] (as the group's -r).")
@click.option("-a", "--append", "prefix", default="", help="Serve under this URL prefix, e.g. /resque.")
@click.option("--read-only", is_flag=True, default=None, help="Refuse every change and hide the buttons.")
@click.option("--username", help="Require HTTP basic auth with this user (with --password).")
@click.option("--password", help="The basic-auth password (or RESQUE_WEB_PASSWORD).")
@click.option("--strict-port", is_flag=True, help="Fail when the port is taken instead of trying the next.")
@click.pass_context
def web(
    ctx: click.Context,
    port: int | None,
    host: str | None,
    namespace: str | None,
    redis: str | None,
    prefix: str,
    read_only: bool | None,
    username: str | None,
    password: str | None,
    strict_port: bool,
) -> None:
    """Serve the dashboard: resque-web for Ruby and Python workers on one Redis."""
    import uvicorn

    from ..web import create_app

    conn = settings(ctx)
    if redis:
        url, ns = parse_resque_web_redis(redis)
        conn = replace(conn, redis_url=url, namespace=ns or conn.namespace)
    if namespace:
        conn = replace(conn, namespace=namespace)
    try:
        web_settings = WebSettings.from_env(
            host=host, port=port, read_only=read_only, username=username, password=password
        )
        app = create_app(conn, web=web_settings)
    except ConfigError as exc:
        click.echo(f"resque-compat web: {exc}", err=True)
        ctx.exit(EXIT_USAGE)
    chosen = web_settings.port if strict_port else pick_port(web_settings.host, web_settings.port)
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    asgi = _mounted(app, prefix) if prefix else app
    shown = "localhost" if web_settings.host in ("0.0.0.0", "::") else web_settings.host
    url = f"http://{shown}:{chosen}{prefix}/overview"
    config = uvicorn.Config(asgi, host=web_settings.host, port=chosen, log_level="warning", access_log=False)
    announcing_server(config, f"resque-compat web: {url} (namespace {conn.namespace})").run()


def announcing_server(config: Any, announce: str) -> Any:
    """uvicorn's server, printing the URL once the socket listens (scripts wait for that line)."""
    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                click.echo(announce)

    return Announcing(config)


def _mounted(app: Starlette, prefix: str) -> Starlette:
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route

    def home(_: object) -> RedirectResponse:
        return RedirectResponse(prefix + "/overview", 302)

    # A mounted app's lifespan does not run by itself: pass it on (the History sampler).
    return Starlette(routes=[Route("/", home), Mount(prefix, app=app)], lifespan=app.router.lifespan_context)


def register(group: click.Group) -> None:
    """Add ``web`` to the ``resque-compat`` group."""
    group.add_command(web)
