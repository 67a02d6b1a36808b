"""resque-compat's own keys and names, all under ``resque-compat:``: the rollout's routes,
doctor's copies, the scheduler's unmovable items, the dashboard's history and connection names."""

from __future__ import annotations

from .resque import WORKER_PREFIX

PROJECT_PREFIX = "resque-compat:"
ROUTES = PROJECT_PREFIX + "routes"
"""The routing table of a gradual rollout (a hash: class -> ``{"from","to"}``)."""
REMOVED = PROJECT_PREFIX + "removed"
"""Where ``doctor`` keeps a copy of everything it removes (a list of JSON records)."""
UNMOVABLE = PROJECT_PREFIX + "delayed:unmovable"
"""The delayed items the scheduler could not enqueue, kept raw (Ruby's scheduler logs and drops
them): not JSON, no class, no queue."""
HISTORY_PREFIX = PROJECT_PREFIX + "history:"
UNREGISTERING_PREFIX = PROJECT_PREFIX + "unregistering:"


def history_glob() -> str:
    """The logical glob of the dashboard's history series (``resque-compat:history:*``)."""
    return HISTORY_PREFIX + "*"


def history_key(step: int) -> str:
    """``resque-compat:history:<seconds>``: the dashboard's sampled counters at one resolution
    (a sorted set: score = bucket number, member = one JSON sample; see ``protocol.history``)."""
    return f"{HISTORY_PREFIX}{step}"


def unregistering_key(worker_id: str) -> str:
    """``resque-compat:unregistering:<id>``: the process failing the job a dead worker's
    ``worker:<id>`` holds (a string: its worker id, with an expiry), so that only one runs the
    job's failure hooks."""
    return f"{UNREGISTERING_PREFIX}{worker_id}"


def sentinel(tool: str, token: str) -> bytes:
    """A one-off value a tool ``LSET``s in place of an entry before one ``LREM`` of it."""
    return f"{PROJECT_PREFIX}{tool}:{token}".encode()


def client_name(pid: int) -> str:
    """The Redis ``CLIENT SETNAME`` of a resque-compat process (the dashboard tells Python
    workers from Ruby ones by it)."""
    return f"{PROJECT_PREFIX}{pid}"


def worker_client_name(worker_id: str) -> str:
    """A connection name naming the worker ``worker_id`` itself."""
    return f"{PROJECT_PREFIX}{WORKER_PREFIX}{worker_id}"


def client_name_matches(name: str, pid: int, worker_id: str) -> bool:
    """Whether a connection name is one resque-compat gives to the process ``pid`` (or to the
    worker ``worker_id``)."""
    if name in (client_name(pid), worker_client_name(worker_id)):
        return True
    return name.startswith(PROJECT_PREFIX) and name.endswith(f":{pid}")
