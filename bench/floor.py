"""The fork floor: ``fork()`` + ``os._exit(0)`` in the child + ``waitpid`` in the parent, in a
process that has loaded and built exactly what ``resque-compat work --app bench.jobs`` has (the
same modules, a connected ``Worker``), so it has the worker's RSS. No job runs and Redis is not
touched per fork: this is what a fork-per-job worker cannot go below on this machine.

Run as ``python -m bench.floor URL NAMESPACE FORKS``; prints ``forks/s rss_kb``.
"""

from __future__ import annotations

import os
import sys
import time


def rss_kb(pid: int | str = "self") -> int:
    """``VmRSS`` of a process, in kB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def build_worker(url: str, namespace: str) -> object:
    """The worker ``resque-compat work -q noop --fork --app bench.jobs`` builds, connected."""
    import resque_compat.cli.work  # noqa: F401  (the worker command's own imports)
    from resque_compat.client import Resque
    from resque_compat.config import Settings
    from resque_compat.config.worker import WorkerSettings
    from resque_compat.runtime.app import load_app
    from resque_compat.runtime.worker import Worker

    ws = WorkerSettings.from_env(queues=["noop"], apps=("bench.jobs",), fork_per_job=True)
    app = load_app(ws.apps)
    resque = Resque.from_settings(
        Settings.from_env(redis_url=url, namespace=namespace), registry=app.performers
    )
    resque.redis.ping()
    return Worker.from_client(resque, app.performers, ws, app.hooks)


def main() -> None:
    url, namespace, forks = sys.argv[1], sys.argv[2], int(sys.argv[3])
    worker = build_worker(url, namespace)
    start = time.perf_counter()
    for _ in range(forks):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    rate = forks / (time.perf_counter() - start)
    print(f"{rate} {rss_kb()}")
    del worker


if __name__ == "__main__":
    main()
