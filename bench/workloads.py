"""Each workload: run once, return jobs (or requests) per second, or latency samples."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from . import ruby
from .floor import rss_kb
from .ruby import Reference

REPO = Path(__file__).resolve().parent.parent
ARGS = [12345, "abcdefghijklmnopqrstuvwxy"]


@dataclass(frozen=True)
class Context:
    url: str
    port: int
    cpu: str  # CPU list for the client side, e.g. "1" (split) or "0" (shared)
    reference: Reference | None


def pinned(ctx: Context, argv: list[str]) -> list[str]:
    return ["taskset", "-c", ctx.cpu, *argv]


def worker_argv(url: str, namespace: str, *options: str) -> list[str]:
    """``resque-compat work`` on the benchmark's performers."""
    cli = [sys.executable, "-m", "resque_compat.cli", "-r", url, "-N", namespace]
    return [*cli, "work", "--app", "bench.jobs", *options]


def fresh_namespace() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def clear(url: str, namespace: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{namespace}:*", count=5000))
    for i in range(0, len(keys), 5000):
        client.unlink(*keys[i : i + 5000])


def _run_for_number(argv: list[str], env: dict[str, str] | None = None) -> float:
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env, cwd=REPO, timeout=600)
    return float(done.stdout.strip().splitlines()[-1])


def py_enqueue(kind: str, jobs: int) -> Callable[[Context], float]:
    def run(ctx: Context) -> float:
        ns = fresh_namespace()
        try:
            argv = pinned(ctx, [sys.executable, "-m", "bench.client", kind, ctx.url, ns, str(jobs)])
            return _run_for_number(argv)
        finally:
            clear(ctx.url, ns)

    return run


def rb_enqueue(jobs: int) -> Callable[[Context], float]:
    def run(ctx: Context) -> float:
        assert ctx.reference is not None
        ns = fresh_namespace()
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "BENCH_JOBS": str(jobs)}
        try:
            return _run_for_number(pinned(ctx, ruby.ruby_argv(ctx.reference, ruby.ENQUEUE)), env)
        finally:
            clear(ctx.url, ns)

    return run


def redis_benchmark(pipeline: int, requests: int) -> Callable[[Context], float]:
    def run(ctx: Context) -> float:
        argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(ctx.port), "-c", "1", "-n", str(requests)]
        argv += ["-t", "rpush", "-P", str(pipeline), "-q"]
        out = subprocess.run(
            pinned(ctx, argv), capture_output=True, text=True, check=True, timeout=600
        ).stdout
        match = re.search(r"RPUSH:\s*([\d.]+) requests per second", out.replace("\r", "\n"))
        if not match:
            raise RuntimeError(f"unexpected redis-benchmark output: {out!r}")
        return float(match.group(1))

    return run


def fill(url: str, namespace: str, jobs: int) -> None:
    from resque_compat import Resque

    resque = Resque.from_url(url, namespace=namespace)
    for i in range(0, jobs, 1000):
        resque.enqueue_many("noop", "NoopJob", [ARGS] * min(1000, jobs - i))


def rate_while(
    url: str,
    namespace: str,
    jobs: int,
    procs: list[subprocess.Popen[bytes]],
    timeout: float,
    *,
    stop: bool = False,
    every: float = 0.002,
    since: int = 0,
) -> dict[str, float]:
    """Jobs per second from the first job processed after ``since`` until ``stat:processed``
    reaches ``jobs`` (sampled ``every`` seconds), and the largest RSS of a worker process seen
    meanwhile (``rss_kb``). With ``stop`` the workers are asked to quit (``QUIT``) there, for queues
    holding more than ``jobs``.

    The counter is read with ``GETRANGE`` (which no worker sends), so the polling can be told
    apart from the workers' own commands in ``INFO commandstats``."""
    client = redis.Redis.from_url(url)
    key = f"{namespace}:stat:processed"
    deadline = time.monotonic() + timeout
    first: float | None = None
    rss = 0
    while time.monotonic() < deadline:
        done = int(client.getrange(key, 0, -1) or 0)
        now = time.perf_counter()
        rss = max(rss, *(rss_kb(p.pid) for p in procs))
        if first is None and done > since:
            first, first_count = now, done
        if done >= jobs and first is not None and now > first:
            for p in procs:
                if stop:
                    p.send_signal(signal.SIGQUIT)
                p.wait(timeout=60)
            return {"value": (done - first_count) / (now - first), "rss_kb": rss}
        if any(p.poll() is not None for p in procs) and done < jobs:
            codes = [p.poll() for p in procs]
            raise RuntimeError(f"a worker exited ({codes}) after {done} of {jobs} jobs")
        time.sleep(every)  # sampling a counter, not synchronising a test
    for p in procs:
        p.kill()
    raise RuntimeError(f"workers did not finish {jobs} jobs in {timeout}s")


def py_worker(jobs: int, fork: bool, count: int = 1) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        ns = fresh_namespace()
        fill(ctx.url, ns, jobs)
        argv = worker_argv(ctx.url, ns, "-q", "noop", "--interval", "0", "--fork" if fork else "--no-fork")
        argv += ["--count", str(count)]
        proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)
        try:
            return rate_while(ctx.url, ns, jobs, [proc], timeout=300)
        finally:
            clear(ctx.url, ns)

    return run


def rb_worker(jobs: int, fork: bool) -> Callable[[Context], dict[str, float]]:
    def run(ctx: Context) -> dict[str, float]:
        assert ctx.reference is not None
        ns = fresh_namespace()
        fill(ctx.url, ns, jobs)
        env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns)}
        if not fork:
            env["FORK_PER_JOB"] = "false"
        proc = subprocess.Popen(pinned(ctx, ruby.ruby_argv(ctx.reference, ruby.WORKER)), env=env)
        try:
            return rate_while(ctx.url, ns, jobs, [proc], timeout=300)
        finally:
            clear(ctx.url, ns)

    return run


def py_latency(samples: int, blocking: bool, interval: float = 0.1) -> Callable[[Context], list[float]]:
    """Enqueue-to-start latency: one job at a time, the next enqueued once the last started."""

    def run(ctx: Context) -> list[float]:
        from resque_compat import Resque

        ns = fresh_namespace()
        resque = Resque.from_url(ctx.url, namespace=ns)
        argv = worker_argv(ctx.url, ns, "-q", "latency", "--no-fork", "--interval", str(interval))
        argv += ["--blocking"] if blocking else ["--polling"]
        proc = subprocess.Popen(pinned(ctx, argv), cwd=REPO, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(ctx.url, socket_timeout=60)  # above BLPOP's 30 s
        result = f"{ns}:bench:latency"
        out: list[float] = []
        try:
            client.delete(result)
            for _ in range(samples + 1):
                # Arrive at a random moment of the worker's wait, as real jobs do.
                time.sleep(random.uniform(0, 2 * interval if not blocking else 0.01))
                resque.enqueue_to("latency", "LatencyJob", time.time(), ctx.url, result)
                got = client.blpop([result], timeout=30)
                if got is None:
                    raise RuntimeError("a latency job did not start within 30 s")
                out.append(float(got[1]))
            return out[1:]  # the first pays for imports and connection set-up
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            clear(ctx.url, ns)

    return run


HARNESS = {b"config", b"info", b"scan", b"unlink", b"client", b"hello", b"monitor", b"getrange"}
"""Commands the benchmark itself sends (setup, polling, statistics), left out of the counts."""


class Monitor:
    """Counts what a Redis ``MONITOR`` shows: commands clients sent, and commands scripts ran
    (``[0 lua]`` lines), leaving out the harness's own."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"MONITOR\r\n")
        self.file = self.sock.makefile("rb")
        if not self.file.readline().startswith(b"+OK"):
            raise RuntimeError("MONITOR refused")
        self.sent = self.scripted = 0
        self.marker = f"bench-monitor-stop-{uuid.uuid4().hex}".encode()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.file:
            _, _, rest = line.partition(b"] ")
            name = rest.split(b" ", 1)[0].strip(b'"').lower()
            if name == b"echo" and self.marker in rest:
                return
            if name in HARNESS:
                continue
            if b" lua] " in line:
                self.scripted += 1
            else:
                self.sent += 1

    def stop(self, port: int) -> tuple[int, int]:
        # A marker through the monitored server: every line before it has been counted. MONITOR
        # shows it as a command line (``... "echo" "<marker>"``), never as the reply.
        redis.Redis(port=port).echo(self.marker)
        self.thread.join(timeout=30)
        if self.thread.is_alive():
            raise RuntimeError("MONITOR did not show the stop marker within 30 s")
        self.sock.close()
        return self.sent, self.scripted


def commands_per_job(jobs: int, side: str, what: str) -> Callable[[Context], dict[str, float]]:
    """Commands per job the client sent, and those its scripts ran, from ``MONITOR`` on a server
    running nothing else."""

    def run(ctx: Context) -> dict[str, float]:
        ns = fresh_namespace()
        if what == "work":
            fill(ctx.url, ns, jobs)
        monitor = Monitor(ctx.port)
        try:
            if side == "python" and what == "enqueue":
                py_enqueue("single", jobs)(Context(ctx.url, ctx.port, ctx.cpu, None))
            elif side == "ruby" and what == "enqueue":
                rb_enqueue(jobs)(ctx)
            elif side == "python":
                argv = worker_argv(ctx.url, ns, "-q", "noop", "--interval", "0", "--no-fork")
                subprocess.run(argv, cwd=REPO, check=True, timeout=600)
            else:
                assert ctx.reference is not None
                env = {**os.environ, "BENCH_REDIS": ruby.redis_for_ruby(ctx.url, ns), "FORK_PER_JOB": "false"}
                subprocess.run(ruby.ruby_argv(ctx.reference, ruby.WORKER), env=env, check=True, timeout=600)
        finally:
            sent, scripted = monitor.stop(ctx.port)
            clear(ctx.url, ns)
        return {"value": sent / jobs, "script_calls_per_job": scripted / jobs}

    return run


def p50(samples: list[float]) -> float:
    return statistics.median(samples)
