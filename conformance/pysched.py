"""The Python side of the driver's resque-scheduler commands (``sched``, ``scheduler``,
``scheduler_lock``), mixed into ``PythonDriver``; see ``ruby/scheduler_commands.rb``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resque_compat.runtime.scheduler_lock import lock_value

from . import keyspace
from .reference import REPO_ROOT

if TYPE_CHECKING:
    from resque_compat import Resque


class SchedulerCommands:
    resque: Resque
    namespace: str
    redis_url: str
    profile: str
    env: dict[str, str]

    def _job_class(self, name: str) -> Any:
        raise NotImplementedError

    def _sched_arg(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "__class__" in value:
                return self._job_class(value["__class__"])
            if "__time__" in value:
                return datetime.fromtimestamp(value["__time__"], timezone.utc)
            return {k: self._sched_arg(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._sched_arg(v) for v in value]
        return value

    def cmd_sched(
        self, method: str, args: list[Any] | None = None, where: dict[str, Any] | None = None
    ) -> Any:
        values = self._sched_arg(list(args or []))
        target = getattr(self.resque, method)
        if where is not None:
            index, equals = where["index"], where["equals"]
            result = target(*values, where=lambda a: len(a) > index and a[index] == equals)
        else:
            result = target(*values)
        return _plain(result)

    def cmd_scheduler(
        self,
        env: dict[str, str] | None = None,
        schedule: dict[str, Any] | None = None,
        log: str | None = None,
    ) -> dict[str, Any]:
        argv = [sys.executable, "-m", "resque_compat.cli", "scheduler"]
        run_env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "RESQUE_NAMESPACE": self.namespace,
            "RESQUE_JSON_PROFILE": self.profile,
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p),
            **self.env,
            **{k: str(v) for k, v in (env or {}).items()},
        }
        if schedule is not None:
            import yaml

            path = Path(log or os.devnull).with_suffix(".schedule.yml") if log else None
            if path is None:
                raise ValueError(
                    "a Python scheduler with a schedule needs a log path (the file goes beside it)"
                )
            path.write_text(yaml.safe_dump(schedule), encoding="utf-8")
            argv += ["--schedule", str(path)]
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            argv, env=run_env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        if log:
            out.close()  # type: ignore[union-attr]
        self._scheduler_procs[proc.pid] = proc
        return {"pid": proc.pid}

    @property
    def _scheduler_procs(self) -> dict[int, subprocess.Popen[bytes]]:
        procs: dict[int, subprocess.Popen[bytes]] | None = getattr(self, "_sched_procs", None)
        if procs is None:
            procs = {}
            self._sched_procs = procs
        return procs

    def scheduler_wait(self, pid: int, timeout: float) -> dict[str, Any] | None:
        proc = self._scheduler_procs.get(pid)
        if proc is None:
            return None
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return {"pid": pid, "running": True}
        return {"pid": pid, "exitstatus": code if code >= 0 else None, "termsig": -code if code < 0 else None}

    def scheduler_signal(self, pid: int, name: str) -> bool:
        proc = self._scheduler_procs.get(pid)
        if proc is None:
            return False
        proc.send_signal(getattr(signal, "SIG" + name.removeprefix("SIG")))
        return True

    def stop_schedulers(self) -> None:
        for proc in self._scheduler_procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    def cmd_scheduler_lock(self) -> dict[str, Any]:
        key = self.resque.keys.scheduler_master_lock(
            os.environ.get("RESQUE_SCHEDULER_MASTER_LOCK_PREFIX", "")
        )
        return {"key": self.resque.keys.strip(key), "value": lock_value(), "ttl": self.resque.redis.ttl(key)}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return keyspace.text(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
