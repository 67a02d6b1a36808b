"""The master lock's value as resque-scheduler writes it (``Lock::Base#value``)."""

from __future__ import annotations

import os
import socket


def lock_hostname() -> str:
    """``Lock::Base#hostname``: the first address of ``gethostname`` resolved back to a name
    (``Addrinfo.getaddrinfo(host, 'http').first.getnameinfo.first``), else ``gethostname``."""
    local = socket.gethostname()
    try:
        first = socket.getaddrinfo(local, "http")[0]
        return socket.getnameinfo(first[4], 0)[0]
    except OSError:
        return local


def lock_value(pid: int | None = None) -> str:
    """``[hostname, process_id].join(':')``."""
    return f"{lock_hostname()}:{os.getpid() if pid is None else pid}"
