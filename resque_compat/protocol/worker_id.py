"""Worker ids: ``<hostname>:<pid>:<queue spec joined with ",">`` (spec section 4)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import WorkerIdError


@dataclass(frozen=True, slots=True)
class WorkerId:
    """A parsed worker id. ``Resque::Worker.find`` splits on ``:`` with a limit of 3."""

    hostname: str
    pid: int
    queues: tuple[str, ...]

    def __str__(self) -> str:
        return format_worker_id(self.hostname, self.pid, self.queues)


def format_worker_id(hostname: str, pid: int, queues: tuple[str, ...] | list[str]) -> str:
    """``Worker#to_s``: the raw queue spec, without ``!`` skip entries, joined with ``,``."""
    spec = [q for q in queues if not q.startswith("!")]
    return f"{hostname}:{pid}:{','.join(spec)}"


def parse_worker_id(worker_id: str | bytes) -> WorkerId:
    """Split an id as ``Resque::Worker.find`` does; raises ``WorkerIdError`` when not 3 parts.

    Ruby's web pages and pruning split on *every* ``:``; ids whose hostname holds ``:`` parse
    here but confuse those readers (see ``is_safe_for_ruby``).
    """
    text = worker_id.decode("utf-8", "replace") if isinstance(worker_id, bytes) else worker_id
    parts = text.split(":", 2)
    if len(parts) != 3:
        raise WorkerIdError(f"worker id {text!r} is not host:pid:queues")
    host, pid, queues = parts
    if not pid.isdigit():
        raise WorkerIdError(f"worker id {text!r} has no numeric pid")
    return WorkerId(host, int(pid), tuple(queues.split(",")) if queues else ())


def is_safe_for_ruby(worker_id: str) -> bool:
    """True when every Ruby reader (web, pruning) splits this id into the right three parts."""
    return worker_id.count(":") == 2


def ruby_split(worker_id: str) -> tuple[str, str, str]:
    """``host, pid, queues = id.split(':')``: how Ruby's pruning, web pages and ``resque kill``
    read an id, splitting on *every* ``:`` (missing parts are empty). Unlike
    ``parse_worker_id`` the pid is not checked."""
    parts = worker_id.split(":")
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]
