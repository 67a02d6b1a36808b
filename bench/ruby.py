"""The Ruby Resque side of the benchmark: the same workloads through the local reference.

Uses the conformance suite's setting (``RESQUE_REF_LIB``, ``RESQUE_REF_RUBY``); a Docker
reference is not used for timing (container overhead would not be a fair comparison).
"""

from __future__ import annotations

import os
from pathlib import Path

from conformance.reference import Reference, find_reference

ENQUEUE = """
require "resque"
Resque.redis = ENV.fetch("BENCH_REDIS")
class NoopJob; @queue = :noop; end
n = Integer(ENV.fetch("BENCH_JOBS"))
t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times { Resque.enqueue(NoopJob, 12345, "abcdefghijklmnopqrstuvwxy") }
dt = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t
puts(n / dt)
"""

WORKER = """
require "resque"
Resque.redis = ENV.fetch("BENCH_REDIS")
class NoopJob; @queue = :noop; def self.perform(*args); end; end
queues = ENV.fetch("BENCH_QUEUES", "noop").split(",")
Resque::Worker.new(*queues).work(Float(ENV.fetch("BENCH_INTERVAL", "0")))
"""


def local_reference() -> Reference | str:
    """The local Ruby reference, or why there is none."""
    if not os.environ.get("RESQUE_REF_LIB"):
        return "no Ruby reference: set RESQUE_REF_LIB (see DEVELOPERS.md) to run Ruby side by side"
    found = find_reference()
    if isinstance(found, str) or found.kind != "local":
        return found if isinstance(found, str) else "the Docker reference is not used for timing"
    return found


def ruby_argv(ref: Reference, program: str) -> list[str]:
    assert ref.lib is not None
    return [ref.ruby, "-I", str(Path(ref.lib)), "-e", program]


def redis_for_ruby(url: str, namespace: str) -> str:
    """``host:port/namespace`` as ``Resque.redis=`` takes it."""
    hostport = url.split("://", 1)[1].split("/", 1)[0]
    return f"{hostport}/{namespace}"


FORK_FLOOR = """
require "resque"
Resque.redis = ENV.fetch("BENCH_REDIS")
class NoopJob; @queue = :noop; def self.perform(*args); end; end
worker = Resque::Worker.new("noop")
Resque.redis.ping
n = Integer(ENV.fetch("BENCH_JOBS"))
t = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times { Process.waitpid(fork { exit!(true) }) }
dt = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t
rss = File.read("/proc/self/status")[/^VmRSS:\\s+(\\d+)/, 1]
puts("#{n / dt} #{rss}")
"""
"""Ruby's floor: ``fork { exit! }`` + ``Process.waitpid`` with Resque loaded and a worker built."""
