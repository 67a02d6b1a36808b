"""The conformance harness keeps one case's Ruby changes out of the next case.

A pooled Ruby driver that loaded a plugin is retired when its case ends. Without that,
resque-loner's ``Resque::Job.create`` (a MULTI of its own) stayed in the driver, and a Ruby
scheduler forked from it later died of "ERR MULTI calls can not be nested" inside
resque-scheduler's batch transaction after moving only its first timestamp's jobs.

Needs the Ruby references the conformance suite uses (``RESQUE_REF_LIB``,
``RESQUE_SCHEDULER_LIB``, ``RESQUE_LONER_LIB``); skipped otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from conformance.harness import RUBY_TO_PYTHON, Ctx, Lab
from conformance.plugins import missing
from conformance.reference import RedisEndpoint, Reference, find_reference, plugin_lib_problem


def _reason() -> str | None:
    found = find_reference()
    if isinstance(found, str):
        return found
    if found.kind != "local":
        return "needs a local Ruby reference (RESQUE_REF_LIB), not Docker"
    return plugin_lib_problem("RESQUE_SCHEDULER_LIB") or missing("loner")


pytestmark = pytest.mark.skipif(_reason() is not None, reason=str(_reason()))


@pytest.fixture
def lab(redis_url: str) -> Iterator[Lab]:
    parsed = urlparse(redis_url)
    found = find_reference()
    assert isinstance(found, Reference)
    lab = Lab("main", found, RedisEndpoint(parsed.hostname or "127.0.0.1", parsed.port or 6379))
    try:
        yield lab
    finally:
        lab.close()


def _loaded(ctx: Ctx, feature: str) -> bool:
    code = f'$LOADED_FEATURES.any? {{ |f| f.end_with?("/{feature}") }}'
    return bool(ctx.ruby().call("ruby", code=code))


def test_a_ruby_driver_that_loaded_a_plugin_is_not_handed_to_the_next_case(lab: Lab) -> None:
    first = Ctx(lab, RUBY_TO_PYTHON, "")
    try:
        side = first.ruby()
        side.call("keys")
        reused = first.ruby().driver
        assert reused is side.driver, "a driver that changed nothing stays pooled within a case"
        side.call("plugin_load", name="loner")
        assert _loaded(first, "resque-loner.rb")
    finally:
        first.close()
    second = Ctx(lab, RUBY_TO_PYTHON, "")
    try:
        assert second.ruby().driver is not side.driver
        assert not _loaded(second, "resque-loner.rb"), "resque-loner leaked into the next case"
    finally:
        second.close()


def test_a_ruby_scheduler_after_a_loner_case_moves_every_timestamp(lab: Lab) -> None:
    before = Ctx(lab, RUBY_TO_PYTHON, "")
    try:
        before.ruby().call("plugin_load", name="loner")
    finally:
        before.close()
    ctx = Ctx(lab, RUBY_TO_PYTHON, "")
    try:
        ruby = ctx.ruby()
        now = int(time.time())
        for n in range(3):  # three due timestamps, one job each
            item = {"class": "Conformance::Later", "args": [n], "queue": "moved"}
            ruby.call("sched", method="delayed_push", args=[now - 10 + n, item])
        log = os.devnull
        env = {"RESQUE_SCHEDULER_INTERVAL": "0.2", "TZ": "UTC"}
        pid = int(ruby.call("scheduler", env=env, log=log)["pid"])
        try:
            got = ctx.take(ruby, "queue:moved", 3, timeout=20)
        finally:
            ruby.call("signal", pid=pid, signal="TERM")
            assert not ruby.call("wait", pid=pid, timeout=30).get("running")
        assert [g.split("[")[1].rstrip("]}") for g in got] == ["0", "1", "2"]
    finally:
        ctx.close()
