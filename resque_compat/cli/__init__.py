"""The ``resque-compat`` command. Each subcommand family lives in its own module and adds
itself to ``main`` through ``register``."""

from __future__ import annotations

import click

from ..config import Settings, parse_resque_web_redis
from . import admin, migrate, web, work


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-r", "--redis", "redis", help="Redis URL or resque-web's host:port[:db][/namespace].")
@click.option("-N", "--namespace", help="Key namespace (default: resque).")
@click.option(
    "--json-profile", type=click.Choice(["json_gem", "oj", "rails"]), help="Whose JSON bytes to match."
)
@click.pass_context
def main(ctx: click.Context, redis: str | None, namespace: str | None, json_profile: str | None) -> None:
    """Run, watch and manage Ruby Resque jobs from Python."""
    url, ns = parse_resque_web_redis(redis) if redis else (None, None)
    ctx.obj = Settings.from_env(redis_url=url, namespace=namespace or ns, json_profile=json_profile)


for _module in (admin, work, web, migrate):
    _module.register(main)
