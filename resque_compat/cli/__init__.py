"""The ``resque-compat`` command. Each subcommand family lives in its own module and adds
itself to a group through ``register``; a module is imported only when one of its commands
runs, so ``resque-compat work`` does not load the dashboard's or the migration tools' libraries
(a smaller worker process also forks faster)."""

from __future__ import annotations

import importlib

import click

from ..config import Settings, parse_resque_web_redis
from ..errors import RedisUnavailable, UnreadableKey

COMMANDS = {
    **dict.fromkeys(("enqueue", "queues", "peek", "remove-queue", "destroy", "info", "failures"), "admin"),
    **dict.fromkeys(("work", "workers"), "work"),
    "pool": "pool",
    "web": "web",
    **dict.fromkeys(("scheduler", "delayed", "schedule"), "scheduler"),
    **dict.fromkeys(("inventory", "move", "doctor", "route"), "migrate"),
}
"""Command name -> the module of this package that registers it."""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        family = click.Group()
        importlib.import_module(f"{__name__}.{module}").register(family)
        return family.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """Every command: a key of the wrong type or an unreachable Redis is one clear line and
        exit status 1, never a traceback (nothing was read from or changed in that key)."""
        try:
            return super().invoke(ctx)
        except (UnreadableKey, RedisUnavailable) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
