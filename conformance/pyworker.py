"""Python workers as real processes: ``resque-compat work`` with Resque's environment variables.

``WorkerProcesses`` starts, waits for, signals and lists them, with the same result shapes as the
Ruby driver's ``work``/``wait``/``signal``/``ps`` commands. ``worker_unavailable()`` says why no
Python worker can run (the command is missing), so worker scenarios can skip with that reason.
"""

from __future__ import annotations

import functools
import os
import signal as signals
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from .reference import REPO_ROOT

WORK_COMMAND = (sys.executable, "-m", "resque_compat.cli", "work")


@functools.lru_cache(maxsize=1)
def worker_unavailable() -> str | None:
    """``None`` when ``resque-compat work`` exists, else a one-line reason."""
    done = subprocess.run(
        [*WORK_COMMAND, "--help"], capture_output=True, text=True, cwd=REPO_ROOT, check=False, timeout=60
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the Python worker is not available (`resque-compat work --help`: {last})"
    return None


def ps(root: int) -> list[dict[str, Any]]:
    """``root`` and its descendants as ``{"pid","ppid","command"}`` (``ps -A -o pid,ppid,args``)."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,args="], capture_output=True, text=True, check=False)
    rows: list[dict[str, Any]] = []
    for line in out.stdout.splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) >= 2:
            rows.append(
                {"pid": int(parts[0]), "ppid": int(parts[1]), "command": parts[2] if len(parts) > 2 else ""}
            )
    keep = {root}
    while True:
        added = [r for r in rows if r["ppid"] in keep and r["pid"] not in keep]
        if not added:
            break
        keep.update(int(r["pid"]) for r in added)
    return [r for r in rows if r["pid"] in keep]


class WorkerProcesses:
    """The Python worker processes one driver started."""

    def __init__(self, base_env: Mapping[str, str]) -> None:
        self.base_env = dict(base_env)
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, env: Mapping[str, str], log: str | None = None) -> int:
        """Start ``resque-compat work`` with ``env`` over the base environment; returns its pid."""
        full = {**os.environ, **self.base_env, **env}
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                list(WORK_COMMAND),
                env=full,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        self.procs[proc.pid] = proc
        return proc.pid

    def wait(self, pid: int, timeout: float = 60) -> dict[str, Any]:
        """``{"pid","exitstatus","termsig"}``, or ``{"pid","running":true}`` after ``timeout``."""
        proc = self.procs[pid]
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"pid": pid, "running": True}
        if code < 0:
            return {"pid": pid, "exitstatus": None, "termsig": signals.Signals(-code).name[3:]}
        return {"pid": pid, "exitstatus": code, "termsig": None}

    def signal(self, pid: int, name: str) -> int:
        os.kill(pid, getattr(signals, "SIG" + name.upper().removeprefix("SIG")))
        return 1

    def ps(self, pid: int) -> list[dict[str, Any]]:
        return ps(pid)

    def stop_all(self, grace: float = 5.0) -> None:
        """Stop every worker still running: QUIT, then KILL after ``grace`` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signals.SIGQUIT)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
