"""Python client workloads, run as ``python -m bench.client WORKLOAD URL NAMESPACE JOBS`` in a
process pinned by the benchmark; prints jobs per second. ``reserve`` fills the queue before
it starts timing."""

from __future__ import annotations

import sys
import time

from resque_compat import Resque

ARGS = (12345, "abcdefghijklmnopqrstuvwxy")
BATCH = 1000


def single(resque: Resque, jobs: int) -> float:
    start = time.perf_counter()
    for _ in range(jobs):
        resque.enqueue_to("noop", "NoopJob", *ARGS)
    return jobs / (time.perf_counter() - start)


def bulk(resque: Resque, jobs: int) -> float:
    start = time.perf_counter()
    for _ in range(0, jobs, BATCH):
        resque.enqueue_many("noop", "NoopJob", [ARGS] * BATCH)
    return jobs / (time.perf_counter() - start)


def enqueue_at(resque: Resque, jobs: int) -> float:
    """``Resque.enqueue_at`` of one job class, all at one far timestamp (as the Ruby row)."""
    start = time.perf_counter()
    for _ in range(jobs):
        resque.enqueue_at_with_queue("noop", LATER, "NoopJob", *ARGS)
    return jobs / (time.perf_counter() - start)


LATER = 4102444800


def reserve(resque: Resque, jobs: int) -> float:
    """The in-process worker's one round trip alone: the reserve script, settling the previous
    job, popping the next (``JobSource.reserve``, as the worker sends it), with no job run and
    no worker around it. What an in-process worker's rate cannot exceed with this script."""
    from resque_compat.store.reserve import WorkingOnPrefixes

    for _ in range(0, jobs, BATCH):
        resque.enqueue_many("noop", "NoopJob", [ARGS] * BATCH)
    source = resque.store.job_source("bench:1:noop")
    prefixes, queues = WorkingOnPrefixes(resque.profile), ["noop"]
    settle = None
    start = time.perf_counter()
    for _ in range(jobs):
        settle = source.reserve(queues, prefixes(queues), check_pause=True, settle=settle).popped
        if settle is None:
            raise SystemExit("the queue ran dry before every job was reserved")
    return jobs / (time.perf_counter() - start)


def main() -> None:
    workload, url, namespace, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    resque = Resque.from_url(url, namespace=namespace)
    resque.enqueue_to("warmup", "NoopJob", *ARGS)
    workloads = {"single": single, "bulk": bulk, "enqueue_at": enqueue_at, "reserve": reserve}
    rate = workloads[workload](resque, jobs)
    print(rate)


if __name__ == "__main__":
    main()
