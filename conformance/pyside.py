"""The Python side of the conformance suite: the Ruby driver's commands, done with resque_compat.

``PythonDriver`` answers the same commands as ``conformance/ruby/driver.rb`` (``define_job``,
``enqueue``, ``destroy``, ``failures``, ``work``, ``workers``, ``keys`` ...) with the same result
shapes, so a scenario is written once and run in both directions by swapping which side
writes and which side reads. Ruby-literal arguments (``ruby=``) are Ruby-only; scenarios that
run on both sides pass JSON ``args``.

Workers run as real processes: ``resque-compat work`` started with Resque's environment
variables (``QUEUE``, ``INTERVAL``, ``FORK_PER_JOB``, ``FAILURE_BACKEND`` ...) and
``RESQUE_APP=conformance.pyjobs``, which builds the performers from this driver's
``define_job`` calls.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec
import redis

import resque_compat
from resque_compat import Resque
from resque_compat.failure import FailureEntry
from resque_compat.protocol import Profile

from . import keyspace, pyjobs
from .pysched import SchedulerCommands
from .pyworker import WorkerProcesses
from .reference import REPO_ROOT

# Commands whose every argument is a key, and those with only the first argument a key.
_ALL_KEYS = {"DEL", "EXISTS", "MGET", "UNLINK"}
_NO_KEYS = {"TIME", "PING", "INFO", "DBSIZE"}


class PythonError(RuntimeError):
    """A command failed on the Python side (the counterpart of ``RubyError``)."""

    def __init__(self, cmd: str, exc: BaseException) -> None:
        self.cmd = cmd
        self.error_class = type(exc).__name__
        self.error = str(exc)
        super().__init__(f"Python raised on {cmd!r}: {self.error_class}: {exc}")


@dataclass
class PythonDriver(SchedulerCommands):
    """resque_compat bound to a Redis URL, a namespace and a JSON profile."""

    redis_url: str
    namespace: str = "resque"
    profile: str = "json_gem"
    env: dict[str, str] = field(default_factory=dict)
    side: str = "python"
    resque: Resque = field(init=False)
    sink: pyjobs.Sink = field(init=False)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    performers: dict[str, type] = field(default_factory=dict, init=False)
    worker_hooks: list[str] = field(default_factory=list, init=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)
    _workers: WorkerProcesses | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.resque = Resque.from_url(self.redis_url, namespace=self.namespace, json_profile=self.profile)
        self.sink = pyjobs.Sink(self.resque)

    # -- plumbing ---------------------------------------------------------
    def start(self) -> PythonDriver:
        return self

    def close(self) -> None:
        if self._workers is not None:
            self._workers.stop_all()
        self.stop_schedulers()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.resque.redis.close()

    def __enter__(self) -> PythonDriver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def call(self, cmd: str, /, **kw: Any) -> Any:
        """Run ``cmd`` as the Ruby driver would; raise ``PythonError`` on failure."""
        kw.pop("_timeout", None)
        method = getattr(self, "cmd_" + cmd, None)
        if method is None:
            raise PythonError(cmd, ValueError(f"unknown command {cmd!r}"))
        try:
            return method(**kw)
        except PythonError:
            raise
        except Exception as exc:
            raise PythonError(cmd, exc) from exc

    @property
    def workers(self) -> WorkerProcesses:
        if self._workers is None:
            self._workers = WorkerProcesses(self._worker_env())
        return self._workers

    def _jobs_file(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="conformance-pyjobs-")
        path = Path(self._tmp.name) / "jobs.json"
        spec = {"jobs": list(self.jobs.values()), "worker_hooks": self.worker_hooks}
        path.write_text(json.dumps(spec), encoding="utf-8")
        return path

    def _worker_env(self) -> dict[str, str]:
        return {
            "REDIS_URL": self.redis_url,
            "RESQUE_NAMESPACE": self.namespace,
            "RESQUE_JSON_PROFILE": self.profile,
            "RESQUE_APP": "conformance.pyjobs",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p),
            **self.env,
        }

    # -- commands ---------------------------------------------------------
    def cmd_hello(self) -> dict[str, Any]:
        server: Any = self.resque.redis.info("server")
        return {
            "python": platform.python_version(),
            "resque_compat": resque_compat.__version__,
            "redis_py": redis.__version__,
            "msgspec": msgspec.__version__,
            "profile": self.profile,
            "namespace": self.namespace,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "redis_server": server.get("redis_version"),
            "executable": sys.executable,
        }

    def cmd_define_job(self, name: str, **defn: Any) -> str:
        self.jobs[name] = {"name": name, **defn}
        self.performers[name] = pyjobs.build_performer(self.jobs[name], self.sink)
        return name

    def _job_class(self, name: str) -> Any:
        return self.performers.get(name, name)

    def cmd_enqueue(
        self, *, args: list[Any] | None = None, pushed: bool = False, **kw: Any
    ) -> dict[str, Any]:
        klass = self._job_class(kw["class"])
        values = list(args or [])
        if "queue" in kw:
            returned = self.resque.enqueue_to(kw["queue"], klass, *values)
            queue = kw["queue"]
        else:
            returned = self.resque.enqueue(klass, *values)
            queue = self.resque.queue_from_class(klass)
        result: dict[str, Any] = {"returned": returned}
        if pushed:
            result["pushed"] = [
                keyspace.text(v) for v in self.resque.queue_store.everything_in_queue(queue or "")
            ]
        return result

    def cmd_push(self, queue: str, item: dict[str, Any]) -> None:
        self.resque.push(queue, item)

    def cmd_pop(self, queue: str) -> Any:
        return self.resque.pop(queue)

    def cmd_peek(self, queue: str, start: int = 0, count: int = 1) -> Any:
        return self.resque.peek(queue, start, count)

    def cmd_size(self, queue: str) -> int:
        return self.resque.size(queue)

    def cmd_queues(self) -> list[str]:
        return self.resque.queues()

    def cmd_remove_queue(self, queue: str) -> None:
        self.resque.remove_queue(queue)

    def cmd_info(self) -> dict[str, Any]:
        return self.resque.info()

    def cmd_destroy(self, queue: str, args: list[Any] | None = None, **kw: Any) -> int:
        return self.resque.destroy(queue, self._job_class(kw["class"]), *(args or []))

    def cmd_dequeue(self, args: list[Any] | None = None, **kw: Any) -> int | None:
        return self.resque.dequeue(self._job_class(kw["class"]), *(args or []))

    def cmd_failures(
        self,
        op: str,
        backend: str | None = None,
        id: int | None = None,
        queue: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        class_name: str | None = None,
    ) -> Any:
        f = Resque(
            self.resque.redis,
            namespace=self.namespace,
            json_profile=self.profile,
            failure_backend=backend or "redis",
        ).failure
        simple = {
            "count": lambda: f.count(queue, class_name),
            "requeue": lambda: f.requeue(_index(id), queue),
            "remove": lambda: f.remove(_index(id), queue),
            "clear": lambda: f.clear(queue),
            "requeue_all": f.requeue_all,
            "clear_retried": getattr(f, "clear_retried", None),
            "requeue_queue": lambda: f.requeue_queue(str(queue)),
            "remove_queue": lambda: f.remove_queue(str(queue)),
            "queues": lambda: sorted(f.queues()),
        }
        if op == "all":
            entries = f.all(offset, f.count(queue) if limit is None else limit, queue)
            records = [_record(e) for e in entries]
            # Ruby's list_range returns the single item itself when the window is one long.
            return (records[0] if records else None) if limit == 1 else records
        action = simple.get(op)
        if action is None:
            raise ValueError(f"unknown failures op {op!r}")
        result = action()
        return None if op in ("requeue", "remove", "clear", "requeue_all", "clear_retried") else result

    def cmd_work(
        self,
        queues: list[str] | str,
        interval: float = 0,
        fork: bool = True,
        env: dict[str, str] | None = None,
        backend: str | None = None,
        wait: bool = True,
        timeout: float = 60,
        worker_hooks: list[str] | None = None,
        log: str | None = None,
    ) -> dict[str, Any]:
        self.worker_hooks = list(worker_hooks or [])
        names = [queues] if isinstance(queues, str) else list(queues)
        extra = {
            "QUEUE": ",".join(names),
            "INTERVAL": str(interval),
            "FORK_PER_JOB": "true" if fork else "false",
            pyjobs.JOBS_FILE_ENV: str(self._jobs_file()),
            **({"FAILURE_BACKEND": backend} if backend else {}),
            **(env or {}),
        }
        pid = self.workers.start(extra, log)
        if not wait:
            return {"pid": pid}
        return self.workers.wait(pid, timeout)

    def cmd_wait(self, pid: int, timeout: float = 60) -> dict[str, Any]:
        found = self.scheduler_wait(pid, timeout)
        return found if found is not None else self.workers.wait(pid, timeout)

    def cmd_signal(self, pid: int, signal: str) -> int:
        if self.scheduler_signal(pid, signal):
            return 1
        return self.workers.signal(pid, signal)

    def cmd_ps(self, pid: int) -> list[dict[str, Any]]:
        return self.workers.ps(pid)

    def cmd_workers(self) -> list[str]:
        return sorted(self.resque.workers())

    def cmd_working(self) -> list[dict[str, Any]]:
        out = [{"id": w.worker_id, "job": w.data or {}, "state": "working"} for w in self.resque.working()]
        return sorted(out, key=lambda h: h["id"])

    def cmd_heartbeats(self) -> dict[str, str]:
        return self.resque.heartbeats()

    def cmd_prune(self, queues: list[str] | str, backend: str | None = None) -> None:
        """A Python worker starting on ``queues`` prunes (``Worker#prune_dead_workers`` runs at
        startup); it finds nothing to do and exits (interval 0)."""
        done = self.cmd_work(queues, interval=0, backend=backend, timeout=60)
        if done.get("exitstatus") != 0:
            raise RuntimeError(f"pruning worker ended with {done}")

    def cmd_pause_all(self, value: str | None = "true") -> Any:
        key = self.resque.keys.pause_all()
        if value is None:
            return self.resque.redis.delete(key)
        return self.resque.redis.set(key, value)

    def cmd_redis(self, argv: list[Any]) -> Any:
        name = str(argv[0]).upper()
        args = [*argv[1:]]
        key = self.resque.keys.physical
        if name in _ALL_KEYS:
            args = [key(str(a)) for a in args]
        elif name == "BLPOP" or name == "BRPOP":
            args = [key(str(a)) for a in args[:-1]] + args[-1:]
        elif name not in _NO_KEYS and args:
            args[0] = key(str(args[0]))
        client: Any = self.resque.redis
        return _texts(client.execute_command(name, *args))

    def cmd_keys(self) -> dict[str, Any]:
        return keyspace.dump(self.resque)

    def cmd_flush(self) -> int:
        found = list(self.resque.redis.scan_iter(match=self.resque.keys.all_pattern(), count=1000))
        if found:
            self.resque.redis.delete(*found)
        return len(found)

    def cmd_plugin_load(self, name: str) -> str:
        pyjobs.plugin_mixin(name)
        return resque_compat.__version__

    def cmd_pause(self, op: str, queue: str | None = None) -> Any:
        """The driver's ``pause`` with ``resque.pauses`` (``ResquePauseHelper``'s names)."""
        store = self.resque.pauses
        calls = {
            "pause": lambda: store.pause(str(queue)),
            "unpause": lambda: store.unpause(str(queue)),
            "global_pause": store.global_pause,
            "global_unpause": store.global_unpause,
            "paused?": lambda: store.paused(str(queue)),
            "global_paused?": store.global_paused,
        }
        return calls[op]()

    def cmd_status(
        self, op: str, uuid: str | None = None, options: dict[str, Any] | None = None, **kw: Any
    ) -> Any:
        """The driver's ``status`` with ``resque_compat.plugins.status``."""
        from resque_compat.plugins import status

        if op == "create":
            return status.create(self.resque, self._job_class(kw["class"]), options or {})
        if op == "get":
            found = status.get(self.resque, str(uuid))
            return None if found is None else {**found, "pct_complete": status.pct_complete(found)}
        if op == "kill":
            return self.resque.statuses.kill(str(uuid))
        if op == "statuses":
            return [s.get("uuid") for s in status.statuses(self.resque)]
        raise ValueError(f"status op {op!r}")

    def cmd_quit(self) -> None:
        return None


def _index(value: int | None) -> int:
    if value is None:
        raise ValueError("id is required")
    return int(value)


def _record(entry: FailureEntry) -> Any:
    return entry.record if entry.record is not None else keyspace.text(entry.raw)


def _texts(value: Any) -> Any:
    if isinstance(value, bytes):
        return keyspace.text(value)
    if isinstance(value, list | tuple):
        return [_texts(v) for v in value]
    if isinstance(value, dict):
        return {_texts(k): _texts(v) for k, v in value.items()}
    return value


PROFILES = tuple(p.value for p in Profile)
