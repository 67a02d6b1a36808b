"""What a conformance scenario runs with: a live reference, both sides, outcomes and helpers.

A *scenario* is a function of a :class:`Ctx`. The context knows the direction it runs in
(``ruby->python``: Ruby writes, Python reads and acts; ``python->ruby``: the reverse;
``parity``: both run the same thing and the results are compared), the variant (a JSON profile,
a failure backend, a fixture scenario ...) and hands out the two sides, which answer the same
commands (``conformance/ruby/driver.rb`` and ``conformance.pyside.PythonDriver``).

A scenario passes by returning, fails by raising :class:`Mismatch` (or anything else), and
skips by raising :class:`Skip` with a reason.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .pyside import PythonDriver
from .pyworker import worker_unavailable
from .reference import RedisEndpoint, Reference, RubyDriver

RUBY_TO_PYTHON = "ruby->python"
PYTHON_TO_RUBY = "python->ruby"
PARITY = "parity"
DIRECTIONS = (RUBY_TO_PYTHON, PYTHON_TO_RUBY, PARITY)

T = TypeVar("T")

# Commands that change a Ruby driver process for good: a plugin's code loaded (resque-loner and
# resque-lock-timeout redefine Resque::Job.create, resque-retry and resque-status replace class
# methods), arbitrary Ruby evaluated (a failure backend set), resque-scheduler's dynamic flag set
# for its web tabs. A driver that ran one is retired when its case ends (see Ctx.close), so no
# later case sees the change: resque-loner's create, nested inside resque-scheduler 5.0's batch
# MULTI, makes Redis answer "ERR MULTI calls can not be nested" and kills a Ruby scheduler forked
# from that driver after its first batch.
ALTERING_COMMANDS = frozenset({"plugin_load", "pause", "status", "ruby", "sched_web_get"})


def alters_driver(cmd: str, kw: dict[str, Any]) -> bool:
    """Whether the command ``cmd`` with arguments ``kw`` leaves the Ruby process changed."""
    return cmd in ALTERING_COMMANDS or (cmd == "define_job" and bool(kw.get("plugin")))


class Skip(Exception):
    """The scenario cannot run here; the message says why."""


class Mismatch(AssertionError):
    """resque-compat and Ruby disagree; the message says exactly how."""


class Side(Protocol):
    """What both drivers offer."""

    def call(self, cmd: str, /, **kw: Any) -> Any: ...


@dataclass
class RubySide:
    """A pooled Ruby driver pointed at one namespace (switched back before every command)."""

    driver: RubyDriver
    namespace: str
    name: str = "ruby"

    def call(self, cmd: str, /, **kw: Any) -> Any:
        if self.driver.namespace != self.namespace:
            self.driver.call("use_namespace", namespace=self.namespace)
            self.driver.namespace = self.namespace
        if alters_driver(cmd, kw):
            self.driver.altered = True  # before the call: a half-done load counts as well
        return self.driver.call(cmd, **kw)


@dataclass
class Lab:
    """One live reference: where its Redis is and a pool of running Ruby drivers."""

    label: str
    reference: Reference
    endpoint: RedisEndpoint
    pool: dict[tuple[str, tuple[tuple[str, str], ...]], RubyDriver] = field(default_factory=dict)
    hello: dict[str, Any] = field(default_factory=dict)

    def driver(self, profile: str, env: dict[str, str] | None = None) -> RubyDriver:
        key = (profile, tuple(sorted((env or {}).items())))
        stale = self.pool.get(key)
        if stale is not None and (stale.proc is None or stale.proc.poll() is not None):
            stale.close()  # a driver that died takes only its own case down with it
            del self.pool[key]
        if key not in self.pool:
            drv = RubyDriver(self.reference, self.endpoint.driver_url, "conformance", profile, env=env or {})
            self.pool[key] = drv.start()
            if not self.hello:
                self.hello = drv.call("hello")
        return self.pool[key]

    def retire(self, drv: RubyDriver) -> None:
        """Stop ``drv`` and take it out of the pool (the next case of its kind starts a new one)."""
        for key, pooled in list(self.pool.items()):
            if pooled is drv:
                del self.pool[key]
        drv.close()

    def versions(self) -> dict[str, Any]:
        if not self.hello:
            self.driver("json_gem")
        return self.hello

    def close(self) -> None:
        for drv in self.pool.values():
            drv.close()
        self.pool.clear()


@dataclass
class Ctx:
    """One case being run: a scenario in one direction and variant against one lab."""

    lab: Lab
    direction: str
    variant: str
    options: dict[str, Any] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    namespace: str = field(default_factory=lambda: f"conf-{uuid.uuid4().hex[:10]}")
    _pythons: list[PythonDriver] = field(default_factory=list)
    _rubies: list[RubySide] = field(default_factory=list)

    # -- sides ----------------------------------------------------------------
    def ruby(
        self, namespace: str | None = None, profile: str = "json_gem", env: dict[str, str] | None = None
    ) -> RubySide:
        """A Ruby side on ``namespace`` (default: this case's); its keys are removed afterwards."""
        side = RubySide(self.lab.driver(profile, env), namespace or self.namespace)
        self._rubies.append(side)
        return side

    def python(
        self, namespace: str | None = None, profile: str = "json_gem", env: dict[str, str] | None = None
    ) -> PythonDriver:
        """A Python side on ``namespace`` (default: this case's); its workers stop afterwards."""
        side = PythonDriver(self.lab.endpoint.url, namespace or self.namespace, profile, env=dict(env or {}))
        self._pythons.append(side)
        return side

    def sides(self, profile: str = "json_gem", **kw: Any) -> tuple[Side, Side]:
        """(writer, reader) for this direction; in ``parity`` the pair is (ruby, python)."""
        ruby, python = self.ruby(profile=profile, **kw), self.python(profile=profile, **kw)
        return (python, ruby) if self.direction == PYTHON_TO_RUBY else (ruby, python)

    @staticmethod
    def is_python(side: Side) -> bool:
        return isinstance(side, PythonDriver)

    @staticmethod
    def python_side(*sides: Side) -> PythonDriver:
        """The Python one of ``sides``."""
        for side in sides:
            if isinstance(side, PythonDriver):
                return side
        raise ValueError("no Python side among these")

    def need_python_worker(self) -> None:
        reason = worker_unavailable()
        if reason:
            raise Skip(reason)

    def close(self) -> None:
        for py in self._pythons:
            try:
                py.call("flush")
            finally:
                py.close()
        flushed: set[tuple[int, str]] = set()
        try:
            for side in self._rubies:
                if side.driver.proc is not None and (id(side.driver), side.namespace) not in flushed:
                    flushed.add((id(side.driver), side.namespace))
                    side.call("flush")
        finally:
            for drv in {id(s.driver): s.driver for s in self._rubies if s.driver.altered}.values():
                self.lab.retire(drv)

    # -- reporting and checks ---------------------------------------------------
    def note(self, text: str) -> None:
        """A line shown with the result (what was checked, counts)."""
        self.details.append(text)

    @staticmethod
    def expect(condition: bool, message: str) -> None:
        if not condition:
            raise Mismatch(message)

    @staticmethod
    def equal(expected: Any, actual: Any, what: str, left: str = "expected", right: str = "got") -> None:
        """Equal values of equal JSON types all the way down (``1`` is not ``1.0`` nor ``True``)."""
        if typed(expected) != typed(actual):
            raise Mismatch(f"{what}: {left} {_show(expected)}, {right} {_show(actual)}")

    # -- waiting ------------------------------------------------------------------
    @staticmethod
    def take(side: Side, key: str, count: int = 1, timeout: float = 30.0) -> list[str]:
        """BLPOP ``count`` items from the namespaced list ``key`` (a rendezvous with a job)."""
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # Whole seconds: redis-rb 4.8 truncates a float timeout (0.5 -> 0 = forever).
            wait = int(max(1, min(left, 5)))
            got = side.call("redis", argv=["BLPOP", key, wait], _timeout=wait + 30)
            if got:
                out.append(got[1])
        if len(out) < count:
            raise Mismatch(f"waited {timeout:.0f}s for {count} item(s) on {key!r}, got {len(out)}: {out}")
        return out

    @staticmethod
    def until(check: Callable[[], T | None], what: str, timeout: float = 30.0, pause: float = 0.05) -> T:
        """Poll ``check`` until it returns something truthy (for state with no list to wait on)."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise Mismatch(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(pause)

    def performed(self, side: Side, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The next ``count`` entries jobs pushed to ``performed``, decoded."""
        return [json.loads(t) for t in self.take(side, "performed", count, timeout)]


def typed(value: Any) -> Any:
    """A comparable form that keeps JSON types and key order (``True`` != ``1`` != ``1.0``)."""
    if isinstance(value, dict):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return ("array", [typed(v) for v in value])
    return (type(value).__name__, value)


def _show(value: Any, limit: int = 600) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr) + f" ({type(value).__name__})"
    return text if len(text) <= limit else text[:limit] + "..."


def ruby_versions(lab: Lab) -> str:
    v = lab.versions()
    return (
        f"Resque {v.get('resque')} (Ruby {v.get('ruby')}, redis-rb {v.get('redis_rb')}, "
        f"Redis {v.get('redis_server')})"
    )


def iter_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """Non-empty lines of a payloads file, numbered from 1, without their line ending."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            raw = line.rstrip(b"\r\n")
            if raw.strip():
                yield number, raw
