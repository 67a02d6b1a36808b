"""``python -m bench.dashboard`` (part of ``make bench``): the dashboard's page times on big data
beside the same pages on small data, in one run, so the table shows whether a page's cost grows
with the data. Each page must stay within ``GOAL`` times its small-data time.

Big: 1,000,000 queued jobs (999,001 in one queue, the rest over 999 others: 1,000 queues),
200,000 failures, 500 workers, a 1,000,000-entry hash. Small: 100 jobs, 10 failures, 2 workers,
a 100-entry hash. Each side is served by its own real ``resque-compat web`` process; every path
is fetched ``--runs`` times and the median taken. A ``{queue_last}`` or ``{failed_last}`` in a
path is that side's last page (the big queue's or failed list's length less 20), so both sides
show the same page of their own data. The sides are timed in turn, path by path, so a burst of
load on the shared machine hits both. The delayed queue's rows (``bench/dashboard_delayed.py``):
1,000,000 delayed jobs over 100,000 timestamps beside 1,000 over 100 (so every page of the
small side is full too). ``--only`` times the paths
holding a text (repeat it for several).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

from resque_compat.testing import RedisServer, free_port

from . import dashboard_delayed
from .workloads import REPO

GOAL = 2.0
BATCH = 10_000
PATHS = [
    "/overview",
    "/queues",
    "/queues/bulk",
    "/queues/bulk?start={queue_last}",
    "/queues/bulk/job/0",
    "/working",
    "/workers",
    "/workers/all",
    "/failed",
    "/failed?start={failed_last}",
    "/failed?class=Nope",
    "/failed?queue=nope",
    "/failed?q=nothing-like-this",
    "/failed/job/0",
    "/classes",
    "/history",
    "/stats/resque",
    "/stats/keys",
    "/stats/keys/big_hash",
    "/stats/keys/big_hash?start=99999999999",
    "/stats/keys/queue:bulk?start={queue_last}",
    "/metrics",
    "/delayed",
    "/schedule",
    "/api/stats",
    "/api/queues",
    "/api/queues/bulk?start={queue_last}",
    "/api/workers",
    "/api/failed",
    "/api/failed?class=Nope",
    "/api/classes",
]


def failure(i: int) -> bytes:
    return json.dumps(
        {
            "failed_at": "2026/11/27 16:56:53 UTC",
            "payload": {"class": "Billing::Charge", "args": [i, "customer-record"]},
            "exception": "RuntimeError",
            "error": f"card declined {i}",
            "backtrace": ["app/jobs/charge.rb:12:in `perform'"] * 5,
            "worker": "host-1:100:bulk",
            "queue": "bulk",
        },
        separators=(",", ":"),
    ).encode()


def job(i: int) -> bytes:
    return b'{"class":"Archive","args":[%d,"abcdefghijklmnopqrstuvwxy"]}' % i


def populate(
    client: redis.Redis, ns: str, jobs: int, queues: int, failures: int, workers: int, hash_size: int
) -> None:
    """Write the data set straight into Redis, pipelined in batches."""
    pipe = client.pipeline(transaction=False)
    spread = queues - 1
    pipe.sadd(f"{ns}:queues", "bulk", *[f"q{i:04d}" for i in range(spread)])
    for i in range(spread):
        pipe.rpush(f"{ns}:queue:q{i:04d}", job(i))
    pipe.execute()
    for lo in range(0, jobs - spread, BATCH):
        client.rpush(f"{ns}:queue:bulk", *[job(i) for i in range(lo, min(jobs - spread, lo + BATCH))])
    for lo in range(0, failures, BATCH):
        client.rpush(f"{ns}:failed", *[failure(i) for i in range(lo, min(failures, lo + BATCH))])
    client.set(f"{ns}:stat:failed", failures)
    client.set(f"{ns}:stat:processed", jobs * 3)
    pipe = client.pipeline(transaction=False)
    for i in range(workers):
        wid = f"host-{i % 20}:{1000 + i}:bulk,q0001"
        pipe.sadd(f"{ns}:workers", wid)
        pipe.set(f"{ns}:worker:{wid}:started", "2026-11-27 16:56:53 +0000")
        pipe.hset(f"{ns}:workers:heartbeat", wid, "2026-11-27T16:56:53+00:00")
        if i % 5 == 0:
            pipe.set(
                f"{ns}:worker:{wid}",
                b'{"queue":"bulk","run_at":"2026-11-27T16:56:53Z","payload":' + job(i) + b"}",
            )
    pipe.execute()
    for lo in range(0, hash_size, BATCH):
        client.hset(f"{ns}:big_hash", mapping={f"field{i}": i for i in range(lo, min(hash_size, lo + BATCH))})


def last_pages(client: redis.Redis, ns: str) -> dict[str, int]:
    """The placeholders of ``PATHS`` for one side: where its last page of 20 starts."""
    return {
        "queue_last": max(0, int(client.llen(f"{ns}:queue:bulk")) - 20),
        "failed_last": max(0, int(client.llen(f"{ns}:failed")) - 20),
    }


class Web:
    """One ``resque-compat web`` process on a namespace; ``fill`` fills a path's placeholders."""

    def __init__(self, url: str, namespace: str, fill: dict[str, int] | None = None) -> None:
        self.fill = fill or {}
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "resque_compat.cli", "-r", url, "web", "-N", namespace,
               "-o", "127.0.0.1", "-p", str(port), "--strict-port"]  # fmt: skip
        env = {**os.environ, "RESQUE_WEB_HISTORY": "0"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("resque-compat web: http://"):
            raise RuntimeError(f"resque-compat web did not start: {line!r}")

    def time(self, path: str, runs: int) -> tuple[float, int]:
        """Median seconds over ``runs`` GETs of ``path``, and the last status."""
        times, status = [], 0
        path = path.format(**self.fill)
        for _ in range(runs):
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(self.base + path, timeout=120) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                exc.read()
                status = exc.code
            times.append(time.perf_counter() - start)
        return statistics.median(times), status

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="GETs per path and side (default 15)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the big data set (default 1.0)")
    parser.add_argument("--json", default="bench/results/dashboard.json", help="where to write the numbers")
    parser.add_argument("--only", action="append", help="time only the paths holding this text")
    opts = parser.parse_args()
    paths = [p for p in PATHS + dashboard_delayed.PATHS if not opts.only or any(t in p for t in opts.only)]

    def n(x: int) -> int:
        return max(2_000, int(x * opts.scale))

    results: dict[str, dict[str, float | int]] = {}
    with RedisServer(cpu=0) as server:
        client = redis.Redis.from_url(server.url)
        started = time.monotonic()
        sides = {"small": (100, 2, 10, 2, 100), "big": (n(1_000_000), 1_000, n(200_000), 500, n(1_000_000))}
        for ns, (jobs, queues, failures, workers, hash_size) in sides.items():
            populate(client, ns, jobs, queues, failures, workers, hash_size)
        delayed = {"small": (1_000, 100), "big": (n(1_000_000), n(100_000))}
        for ns, (jobs, timestamps) in delayed.items():
            dashboard_delayed.populate(client, ns, jobs, timestamps)
        memory = client.info()["used_memory_human"]
        print(f"data written in {time.monotonic() - started:.0f}s; Redis uses {memory}")
        fills = {ns: {**last_pages(client, ns), **dashboard_delayed.last_pages(client, ns)} for ns in sides}
        small, big = (Web(server.url, ns, fills[ns]) for ns in sides)
        try:
            for path in paths:  # warm both (templates compiled, connections open)
                small.time(path, 1)
                big.time(path, 1)
            for path in paths:
                runs = [(small.time(path, 1), big.time(path, 1)) for _ in range(opts.runs)]
                s = statistics.median(r[0][0] for r in runs)
                b = statistics.median(r[1][0] for r in runs)
                results[path] = {"small_ms": s * 1000, "big_ms": b * 1000, "ratio": b / s,
                                 "small_status": runs[-1][0][1], "big_status": runs[-1][1][1]}  # fmt: skip
        finally:
            small.stop()
            big.stop()
            client.close()
    print(f"\n| page | small data (ms) | big data (ms) | big/small | within {GOAL}x |\n|---|---|---|---|---|")
    for path, r in results.items():
        holds = "yes" if r["ratio"] <= GOAL else "NO"
        status = (
            "" if r["big_status"] == r["small_status"] else f" (status {r['small_status']}/{r['big_status']})"
        )
        print(f"| {path} | {r['small_ms']:.1f} | {r['big_ms']:.1f} | {r['ratio']:.2f}x | {holds}{status} |")
    out = Path(opts.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"goal": GOAL, "runs": opts.runs, "scale": opts.scale, "pages": results}, indent=2)
    )
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
