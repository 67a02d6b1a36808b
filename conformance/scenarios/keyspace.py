"""Keyspace parity: the same scenario run by Ruby and by Python leaves the same keys.

The scenarios are the recorded ones (``fixtures/keyspace/*.json``): their ``steps`` are driver
commands, run once by the live Ruby reference and once by the Python side (Ruby-literal arguments
read as the JSON values a worker would receive). Both keyspaces are normalised as the fixtures are
(host, pids, times, driver line numbers) and failure backtraces are blanked (Ruby frames versus
Python frames); then keys, types, values and TTL presence must be equal. The live Ruby snapshot is
also compared with the recorded one, so stale fixtures show up.
"""

from __future__ import annotations

from .. import keyspace
from ..harness import PARITY, Ctx
from ..plugins import need_plugin
from . import Scenario


def keyspace_parity(ctx: Ctx) -> None:
    fixture = keyspace.load_fixture(ctx.variant)
    steps = fixture["steps"]
    if any(step["cmd"] == "work" for step in steps):
        ctx.need_python_worker()
    plugins = [str(step["name"]) for step in steps if step["cmd"] == "plugin_load"]
    if plugins:
        need_plugin(ctx, *plugins)
    ruby = ctx.ruby(namespace=ctx.namespace + "-ruby", env={"TZ": fixture.get("tz") or "UTC"})
    python = ctx.python(namespace=ctx.namespace + "-python", env={"TZ": fixture.get("tz") or "UTC"})
    keyspace.replay(ruby, steps, python=False)
    keyspace.replay(python, steps, python=True)
    hello = ruby.call("hello")
    lib = hello.get("resque_lib")
    from_ruby = keyspace.for_parity(keyspace.normalise(ruby.call("keys"), hello["hostname"], lib))
    from_python = keyspace.for_parity(
        keyspace.normalise(python.call("keys"), python.call("hello")["hostname"])
    )
    diff = keyspace.differences(from_ruby, from_python)
    ctx.expect(not diff, f"{len(diff)} keys differ: " + "; ".join(diff))
    recorded = keyspace.for_parity(fixture["keyspace"])
    drift = keyspace.differences(recorded, from_ruby, "the fixture", "live Ruby")
    ctx.expect(not drift, "live Ruby differs from the recorded fixture (re-record): " + "; ".join(drift))
    ctx.note(f"{len(from_ruby)} keys equal after {len(steps)} steps: {', '.join(sorted(from_ruby))}")


SCENARIOS = (
    Scenario(
        "keyspace_parity",
        "Keyspace parity",
        keyspace_parity,
        (PARITY,),
        tuple(keyspace.fixture_names()),
    ),
)
