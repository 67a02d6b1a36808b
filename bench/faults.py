"""Page faults and CPU per job, parent and children apart, from ``getrusage``: the fork floor
(``bench.floor``) and the worker on the benchmark's no-op jobs, in turn, in one run.

``python -m bench.faults --jobs 1500 --pairs 4`` runs the floor and the fork worker four times
each, interleaved (every other turn in the reverse order), on one private redis-server pinned
to CPU 0 with the measured process on CPU 1 (``--placement shared``: on CPU 0 too); ``--mode
inproc`` runs the in-process worker beside ``redis-benchmark -c 1 -P 1`` instead, with the
reserve script's and RPUSH's ``usec_per_call`` from ``INFO commandstats``.
``--against DIR`` adds the same worker from another checkout (``git archive REV | tar -x -C
DIR``), so a lever's before and after are paired in one run. The worker runs inside the
measuring process (``Worker.work`` with ``INTERVAL=0``), so ``RUSAGE_SELF`` is the worker and
``RUSAGE_CHILDREN`` its job children.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import redis


def _usage(who: int) -> tuple[int, float, float]:
    r = resource.getrusage(who)
    return r.ru_minflt + r.ru_majflt, r.ru_utime, r.ru_stime


def one(url: str, namespace: str, jobs: int, mode: str) -> None:
    """Run ``jobs`` in this process (``floor``, ``fork`` or ``inproc``); print one row."""
    from bench.floor import build_worker  # the checkout's own (the working directory's)
    from bench.workloads import fill

    worker: Any = build_worker(url, namespace)
    worker.settings = dataclasses.replace(worker.settings, interval=0, fork_per_job=mode != "inproc")
    if mode != "floor":
        fill(url, namespace, jobs)
    before, kids_before = _usage(resource.RUSAGE_SELF), _usage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if mode == "floor":
        for _ in range(jobs):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
    else:
        worker.work()
        done = int(redis.Redis.from_url(url).get(f"{namespace}:stat:processed") or 0)
        if done != jobs:
            raise SystemExit(f"the worker processed {done} of {jobs} jobs")
    elapsed = time.perf_counter() - start
    after, kids_after = _usage(resource.RUSAGE_SELF), _usage(resource.RUSAGE_CHILDREN)

    def per_job(a: tuple[int, float, float], b: tuple[int, float, float], i: int, scale: float) -> float:
        return round((b[i] - a[i]) / jobs * scale, 1)

    row = {
        "rate": round(jobs / elapsed, 1),
        "parent_faults": per_job(before, after, 0, 1),
        "child_faults": per_job(kids_before, kids_after, 0, 1),
        "parent_user_us": per_job(before, after, 1, 1e6),
        "parent_sys_us": per_job(before, after, 2, 1e6),
        "child_cpu_us": round(
            ((kids_after[1] + kids_after[2]) - (kids_before[1] + kids_before[2])) / jobs * 1e6, 1
        ),
    }
    print(" ".join(f"{k}={v}" for k, v in row.items()))


def _row(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split())}


def _cpu(row: dict[str, float]) -> float:
    return row["parent_user_us"] + row["parent_sys_us"] + row["child_cpu_us"]


def _rpush(port: int, requests: int, cpu: str) -> float:
    argv = ["taskset", "-c", cpu, "redis-benchmark", "-p", str(port), "-c", "1", "-n", str(requests)]
    out = subprocess.run([*argv, "-t", "rpush", "-P", "1", "-q"], capture_output=True, text=True).stdout
    found = re.search(r"RPUSH:\s*([\d.]+)", out.replace("\r", "\n"))
    if not found:
        raise SystemExit(f"unexpected redis-benchmark output: {out!r}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--jobs", type=int, default=1500)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--mode", choices=["fork", "inproc"], default="fork")
    parser.add_argument("--against", help="another checkout whose worker runs in the same turns")
    parser.add_argument("--placement", choices=["split", "shared"], default="split")
    opts = parser.parse_args()
    from resque_compat.testing import RedisServer

    cpu = "1" if opts.placement == "split" else "0"
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sides = [("floor", "floor", here)] if opts.mode == "fork" else [("redis-benchmark", "", here)]
    if opts.against:
        sides.append(("against", opts.mode, os.path.abspath(opts.against)))
    sides.append(("worker", opts.mode, here))
    rows: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in sides}
    with RedisServer(cpu=0) as server:
        client = redis.Redis.from_url(server.url)
        for turn in range(opts.pairs):
            # Every other turn in the reverse order: a load that rises or falls through a turn
            # does not always favour the same side.
            for name, mode, tree in sides if turn % 2 == 0 else sides[::-1]:
                client.config_resetstat()
                if not mode:
                    row = {"rate": _rpush(server.port, opts.jobs * 2, cpu)}
                else:
                    argv = ["taskset", "-c", cpu, sys.executable, os.path.abspath(__file__), "--one"]
                    argv += [server.url, f"faults-{uuid.uuid4().hex[:8]}", str(opts.jobs), mode]
                    done = subprocess.run(argv, capture_output=True, text=True, cwd=tree, timeout=600)
                    if done.returncode != 0:
                        raise SystemExit(f"{name}: {done.stderr.strip()[-800:]}")
                    row = _row(done.stdout.strip().splitlines()[-1])
                stats = client.info("commandstats")
                for cmd in ("evalsha", "rpush"):
                    if f"cmdstat_{cmd}" in stats:
                        row[f"{cmd}_usec"] = float(stats[f"cmdstat_{cmd}"]["usec_per_call"])
                rows[name].append(row)
                print(name, " ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            client.flushall()
    base = sides[0][0]
    for name, _, _ in sides:
        medians = {k: statistics.median(r[k] for r in rows[name]) for k in rows[name][0]}
        print(f"median {name}:", " ".join(f"{k}={v:g}" for k, v in medians.items()))
        if name != base:
            rates = [round(r["rate"] / b["rate"], 3) for r, b in zip(rows[name], rows[base], strict=True)]
            print(f"  rate / {base}: median {statistics.median(rates)} ({min(rates)}-{max(rates)})")
    if opts.against:
        cpus = [round(_cpu(r) / _cpu(a), 3) for r, a in zip(rows["worker"], rows["against"], strict=True)]
        print(f"  worker CPU / against: median {statistics.median(cpus)} ({min(cpus)}-{max(cpus)})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        sys.path[0] = os.getcwd()  # the measured checkout: its resque_compat and bench
        one(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        sys.exit(0)
    sys.exit(main())
