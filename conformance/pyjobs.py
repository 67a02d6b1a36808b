"""Python performers mirroring the Ruby driver's ``define_job`` (``conformance/ruby/driver.rb``).

The same job definitions (JSON objects: ``name``, ``queue``, ``behaviour``, ``hooks`` ...) make a
Ruby class in the driver and a Python performer here, so a scenario can run one job on either
side and compare what happened:

* ``record`` (default) RPUSHes ``{"class","args","inspect"}`` to the list ``performed``;
* ``raise`` raises ``error_class`` (a Python exception whose ``ruby_name`` is that Ruby name);
* ``sleep`` sleeps ``seconds``, ``exit`` ends the process with ``code``, ``kill_self`` sends
  itself ``signal``, ``noop`` does nothing;
* each hook named in ``hooks`` RPUSHes its name to the list ``hooks`` (around hooks push
  ``"<name> enter"`` / ``"<name> exit"``, ``perform`` pushes ``"perform"`` when hooks are set).

A Python worker loads this module through ``RESQUE_APP=conformance.pyjobs``: at import it reads
the definitions from the file named by ``CONFORMANCE_JOBS_FILE`` (written by
``conformance.pyside.PythonDriver``) and the worker hooks to install, and pushes to Redis with
the worker's own settings (``REDIS_URL``, ``RESQUE_NAMESPACE``).
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from resque_compat import Registry, Resque
from resque_compat.protocol import encode
from resque_compat.runtime.hooks import HOOK_NAMES, WorkerHooks

JOBS_FILE_ENV = "CONFORMANCE_JOBS_FILE"


class Sink:
    """Where performers report: namespaced lists on the worker's Redis."""

    def __init__(self, resque: Resque) -> None:
        self.resque = resque

    def push(self, list_name: str, text: str) -> None:
        """RPUSH ``text`` to the namespaced list ``list_name``."""
        self.resque.redis.rpush(self.resque.keys.physical(list_name), text.encode("utf-8"))

    def wait_release(self, timeout: float) -> None:
        """BLPOP the namespaced list ``release`` (the ``block`` behaviour)."""
        self.resque.redis.blpop([self.resque.keys.physical("release")], timeout=max(1, math.ceil(timeout)))


_ERRORS: dict[str, type[Exception]] = {}


def error_class(name: str | None) -> type[Exception]:
    """A Python exception that failure records name as the Ruby class ``name``."""
    ruby_name = name or "RuntimeError"
    if ruby_name not in _ERRORS:
        _ERRORS[ruby_name] = type(ruby_name.rsplit("::", 1)[-1], (Exception,), {"ruby_name": ruby_name})
    return _ERRORS[ruby_name]


def build_performer(defn: dict[str, Any], sink: Sink) -> type:
    """A performer class for one ``define_job`` definition."""
    name = str(defn["name"])
    behaviour = defn.get("behaviour") or "record"
    hook_names = list(defn.get("hooks") or [])
    returns = dict(defn.get("hook_returns") or {})
    record = behaviour == "record" or bool(defn.get("record"))

    def perform(*args: Any) -> None:
        if hook_names:
            sink.push("hooks", "perform")
        if record:
            entry = {"class": name, "args": list(args), "inspect": repr(list(args))}
            sink.push("performed", encode(entry).decode("utf-8"))
        _behave(behaviour, defn, sink.wait_release)

    attrs: dict[str, Any] = {"resque_class": name, "perform": staticmethod(perform)}
    if defn.get("queue"):
        attrs["queue"] = defn["queue"]
    for hook in hook_names:
        attrs[hook] = staticmethod(_hook(hook, sink.push, returns))
    bases: tuple[type, ...] = ()
    if defn.get("plugin"):
        # define_job's "plugin": the mixin and its options, as the driver extends the Ruby class.
        spec = dict(defn["plugin"])
        bases = (plugin_mixin(str(spec["name"])),)
        attrs.update(spec.get("options") or {})
        if spec["name"] == "status":
            del attrs["perform"]  # StatusJob.perform(uuid, options) runs run()
            attrs["run"] = _status_run
    return type(name.replace("::", "_"), bases, attrs)


def _status_run(self: Any) -> None:
    """What the driver's status jobs do (``conformance/ruby/plugins.rb``)."""
    self.at(1, 4, "one of four")
    self.tick("ticking")
    self._set({"extra": 5})


def plugin_mixin(name: str) -> type:
    """The resque_compat mixin standing for a Ruby plugin module (``define_job``'s ``plugin``)."""
    from resque_compat import plugins

    found = {"pause": "Pause", "loner": "Loner", "lock": "Lock", "lock_timeout": "LockTimeout"}
    found.update(retry="Retry", status="StatusJob")
    if name not in found or not hasattr(plugins, found[name]):
        raise ValueError(f"no Python counterpart for the plugin {name!r}")
    mixin: type = getattr(plugins, found[name])
    return mixin


def _behave(behaviour: str, defn: dict[str, Any], release: Callable[[float], None]) -> None:
    if behaviour == "raise":
        raise error_class(defn.get("error_class"))(defn.get("message") or "boom")
    if behaviour == "sleep":
        time.sleep(float(defn.get("seconds") or 1))
    elif behaviour == "exit":
        os._exit(int(defn.get("code") or 0))
    elif behaviour == "kill_self":
        os.kill(os.getpid(), getattr(signal, "SIG" + str(defn.get("signal") or "KILL")))
        time.sleep(10)
    elif behaviour == "block":
        release(float(defn.get("seconds") or 60))


def _hook(hook: str, push: Callable[[str, str], None], returns: dict[str, Any]) -> Callable[..., Any]:
    if hook.startswith("around_"):

        def around(*_args: Any, job: Callable[[], Any]) -> None:
            push("hooks", f"{hook} enter")
            job()
            push("hooks", f"{hook} exit")

        return around
    if hook.startswith("on_failure"):

        def on_failure(_exc: BaseException, *_args: Any) -> None:
            push("hooks", hook)

        return on_failure

    def plain(*_args: Any) -> Any:
        push("hooks", hook)
        return returns.get(hook, True)

    return plain


def build_registry(defns: Iterable[dict[str, Any]], sink: Sink) -> Registry:
    registry = Registry()
    for defn in defns:
        registry.register(build_performer(defn, sink))
    return registry


def build_worker_hooks(names: Iterable[str], sink: Sink) -> WorkerHooks:
    hooks = WorkerHooks()
    for name in names:
        if name not in HOOK_NAMES:
            raise ValueError(f"unknown worker hook {name}")
        hooks.add(name, _worker_hook(name, sink))
    return hooks


def _worker_hook(name: str, sink: Sink) -> Callable[..., None]:
    def hook(*_args: Any) -> None:
        sink.push("hooks", name)

    return hook


def _load() -> tuple[Registry, WorkerHooks]:
    path = os.environ.get(JOBS_FILE_ENV)
    if not path:
        return Registry(), WorkerHooks()
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    from resque_compat import Resque

    sink = Sink(Resque.from_env())
    return build_registry(spec.get("jobs", []), sink), build_worker_hooks(spec.get("worker_hooks", []), sink)


registry, worker_hooks = _load()
