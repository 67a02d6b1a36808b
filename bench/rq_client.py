"""RQ beside resque-compat (a benchmark-only dependency: ``pip install rq``), run as
``python -m bench.rq_client WORKLOAD URL QUEUE JOBS`` in a process pinned by the benchmark;
prints jobs per second. WORKLOAD: ``enqueue``, ``simple`` (RQ's in-process ``SimpleWorker``)
or ``fork`` (RQ's ``Worker``, a work horse forked per job), on the same job as everywhere else.
"""

from __future__ import annotations

import sys
import time

ARGS = (12345, "abcdefghijklmnopqrstuvwxy")
JOB = "bench.rq_client.noop"  # by name: RQ refuses functions of __main__


def noop(number: int, text: str) -> None:
    """The benchmark's job for RQ: two arguments, no work."""


def main() -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    workload, url, queue_name, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    redis = Redis.from_url(url)
    queue = Queue(queue_name, connection=redis)
    if workload == "enqueue":
        queue.enqueue(JOB, *ARGS)  # warm-up, as the other clients do
        queue.empty()
        start = time.perf_counter()
        for _ in range(jobs):
            queue.enqueue(JOB, *ARGS)
        print(jobs / (time.perf_counter() - start))
        return
    worker_class = {"simple": SimpleWorker, "fork": Worker}[workload]
    worker = worker_class([queue], connection=redis)
    start = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - start
    done, failed = queue.finished_job_registry.count, queue.failed_job_registry.count
    if done != jobs or failed:
        raise SystemExit(f"RQ worker finished {done} of {jobs} jobs ({failed} failed)")
    print(done / elapsed)


if __name__ == "__main__":
    main()
