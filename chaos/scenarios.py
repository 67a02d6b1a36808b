"""The scenarios. Each runs real workers against its own redis-server under one kind of fault,
then stops the faults, lets the workers drain what they can, stops them, and reckons the ledger.
``Scale`` sets the number of trials: ``BOUNDED`` for CI, ``LONG`` for ``make chaos``."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .cluster import NAMESPACE, Fleet, Server
from .ledger import Ledger, Row
from .proxy import Proxy
from .readers import crashed_readers


@dataclass(frozen=True)
class Scale:
    kills: int
    kill_modes: tuple[tuple[str, str, str], ...]
    restarts: int
    stalls: int
    fills: int
    proxy_jobs: int
    signals: int
    garbage: int
    host_kills: int


ALL_MODES = tuple(
    (f, w, q) for f in ("fork", "inproc") for w in ("poll", "block") for q in ("one", "several")
)
BOUNDED = Scale(
    kills=6,
    kill_modes=(("fork", "poll", "one"), ("inproc", "block", "several"), ("fork", "block", "several")),
    restarts=2,
    stalls=1,
    fills=2,
    proxy_jobs=150,
    signals=30,
    garbage=500,
    host_kills=5,
)
LONG = Scale(
    kills=50,
    kill_modes=ALL_MODES,
    restarts=10,
    stalls=4,
    fills=10,
    proxy_jobs=2000,
    signals=200,
    garbage=10000,
    host_kills=50,
)
QUEUES = {"one": ["q1"], "several": ["q1", "q2", "q3"]}


@dataclass
class Run:
    server: Server
    ledger: Ledger
    fleet: Fleet
    random: random.Random

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every queue is empty and no live worker of this fleet holds a job
        (polling Redis; there is no event to block on). ``False`` after ``timeout``. A killed
        worker's ``worker:<id>`` is not waited for: nothing will settle it, and the ledger's
        reckoning records it as its pruner would."""
        client = self.ledger.client

        def done() -> bool:
            with contextlib.suppress(Exception):
                if any(client.llen(f"{NAMESPACE}:queue:{q}") for q in self.ledger.queues):
                    return False
                return not self.busy()
            return False

        return self.wait_until(done, timeout)

    def busy(self) -> bool:
        """Whether a live worker of this fleet holds a job in its ``worker:<id>`` (a killed
        one's key stays until a pruner or the reckoning records it)."""
        ids = [self.fleet.ids[p.pid] for p in self.fleet.alive()]
        with contextlib.suppress(Exception):
            return any(v is not None for v in self.ledger.resque.worker_registry.workers_map(ids).values())
        return False

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Poll Redis-side state (there is no event to block on); ``False`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return False

    def registered(self, n: int) -> bool:
        """Wait until ``n`` workers are registered, so faults meet running workers."""
        return self.wait_until(lambda: len(self.ledger.resque.worker_registry.worker_ids()) >= n)


@contextlib.contextmanager
def run(name: str, seed: int, *, aof: bool = False) -> Iterator[tuple[Run, Row]]:
    server = Server(aof=aof).start()
    ledger_server = Server().start()
    client, ledger_client = server.client(), ledger_server.client()
    fleet = Fleet(server.url, ledger_server.url)
    row = Row(name)
    r = Run(server, Ledger(client, ledger_client, seed), fleet, random.Random(seed))
    try:
        yield r, row
        if not r.drain():
            row.notes.append("queues not drained in time")
    finally:
        row.leftover = fleet.stop_all()
        # Nothing is left running now: record what dead workers held, then reckon.
        for c in (client,):
            with contextlib.suppress(Exception):
                c.config_set("maxmemory", "0")
        r.ledger.reckon(row)
        if not row.ok or row.notes:
            row.notes.append(fleet.tail())
        fleet.close()
        client.close()
        ledger_client.close()
        server.stop()
        ledger_server.stop()


def worker_env(fork: str, wait: str) -> dict[str, str]:
    env = {"FORK_PER_JOB": "true" if fork == "fork" else "false"}
    if wait == "block":
        env["RESQUE_BLOCKING_WAIT"] = "1"
    return env


def kill9(mode: tuple[str, str, str], scale: Scale, seed: int) -> Row:
    """kill -9 of job children and worker parents at random moments, workers restarted."""
    fork, wait, queues = mode
    with run(f"kill -9 {fork}/{wait}/{queues}", seed) as (r, row):
        names = QUEUES[queues]
        env = worker_env(fork, wait)
        for _ in range(2):
            r.fleet.start(",".join(names), **env)
        r.registered(2)
        for _ in range(scale.kills):
            r.ledger.enqueue(names, 8, max_millis=120)
            # A random moment while a job is in flight.
            r.wait_until(r.busy, timeout=5)
            time.sleep(r.random.uniform(0, 0.1))
            alive = r.fleet.alive()
            if alive:
                victim = r.random.choice(alive)
                children = r.fleet.children(victim)
                target = r.random.choice(children) if children and r.random.random() < 0.6 else victim.pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(target, signal.SIGKILL)
            row.trials += 1
            while len(r.fleet.alive()) < 2:
                r.fleet.start(",".join(names), **env)
            r.registered(2)
    return row


def redis_restart(scale: Scale, seed: int) -> Row:
    """Redis killed with SIGKILL and started again on its AOF (appendfsync always) mid-run."""
    with run("redis kill -9 + restart (AOF always)", seed, aof=True) as (r, row):
        r.fleet.start("q1,q2", FORK_PER_JOB="true")
        r.fleet.start("q1,q2", FORK_PER_JOB="false", RESQUE_BLOCKING_WAIT="1")
        r.registered(2)
        r.ledger.enqueue(["q1", "q2"], 100 * scale.restarts, max_millis=10)
        for _ in range(scale.restarts):
            time.sleep(r.random.uniform(0.3, 1.2))  # a random moment in the run
            r.server.kill9_restart()
            row.trials += 1
    return row


def redis_stall(scale: Scale, seed: int) -> Row:
    """Redis stopped with SIGSTOP for longer than the workers' socket timeout (1 s)."""
    with run("redis SIGSTOP 2.5 s > client timeout", seed) as (r, row):
        url = r.server.url + "?socket_timeout=1&socket_connect_timeout=1"
        r.fleet.start("q1", url=url, FORK_PER_JOB="true")
        r.fleet.start("q1", url=url, FORK_PER_JOB="false")
        r.registered(2)
        r.ledger.enqueue(["q1"], 80 * scale.stalls, max_millis=20)
        for _ in range(scale.stalls):
            time.sleep(r.random.uniform(0.3, 1.0))
            r.server.signal(signal.SIGSTOP)
            time.sleep(2.5)  # the stall itself is the fault
            r.server.signal(signal.SIGCONT)
            row.trials += 1
    return row


def maxmemory(scale: Scale, seed: int) -> Row:
    """maxmemory (noeviction) set just under what Redis uses, then lifted, again and again."""
    with run("maxmemory noeviction", seed) as (r, row):
        client = r.ledger.client
        client.eval("for i = 1, 2048 do redis.call('SET', 'ballast:' .. i, string.rep('x', 1024)) end", 0)
        r.fleet.start("q1,q2", FORK_PER_JOB="true")
        r.fleet.start("q1,q2", FORK_PER_JOB="false")
        r.registered(2)
        r.ledger.enqueue(["q1", "q2"], 60 * scale.fills, max_millis=10)
        for _ in range(scale.fills):
            time.sleep(r.random.uniform(0.2, 0.8))
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory", str(used - 256 * 1024))
            time.sleep(r.random.uniform(0.5, 1.5))  # Redis stays full this long
            client.config_set("maxmemory", "0")
            row.trials += 1
        alive = len(r.fleet.alive())
        if alive != 2:
            row.notes.append(f"{2 - alive} worker(s) exited at maxmemory")
            row.leftover += 2 - alive  # counted as a failure of the scenario
    return row


def proxy_faults(scale: Scale, seed: int) -> Row:
    """Connections cut (some mid-command) and stalled past the client timeout, through a proxy."""
    with run("TCP proxy cuts + stalls", seed) as (r, row):
        proxy = Proxy(r.server.port, seed)
        try:
            url = proxy.url + "?socket_timeout=1&socket_connect_timeout=1"
            r.fleet.start("q1,q2", url=url, FORK_PER_JOB="true")
            r.fleet.start("q1,q2", url=url, FORK_PER_JOB="false", RESQUE_BLOCKING_WAIT="1")
            r.registered(2)
            proxy.chaos(p_cut=0.02, p_stall=0.01, stall=1.5)
            r.ledger.enqueue(["q1", "q2"], scale.proxy_jobs, max_millis=5)
            r.drain(timeout=30 + scale.proxy_jobs / 10)
            row.trials = proxy.cuts + proxy.stalls
            proxy.calm()
        finally:
            r.drain()
            proxy.close()
    return row


STORM = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCONT)


def signal_storm(scale: Scale, seed: int) -> Row:
    """QUIT, TERM, INT, USR1, USR2 and CONT in random order under load; exited workers restarted."""
    with run("signal storm", seed) as (r, row):
        envs = [
            {"FORK_PER_JOB": "true"},
            {"FORK_PER_JOB": "false"},
            {"FORK_PER_JOB": "true", "TERM_CHILD": "1"},
        ]
        procs = [r.fleet.start("q1,q2", **env) for env in envs]
        r.registered(len(envs))
        r.ledger.enqueue(["q1", "q2"], 5 * scale.signals, max_millis=30)
        for _ in range(scale.signals):
            time.sleep(r.random.uniform(0.01, 0.1))
            i = r.random.randrange(len(procs))
            with contextlib.suppress(ProcessLookupError):
                procs[i].send_signal(r.random.choice(STORM))
            row.trials += 1
            for j, p in enumerate(procs):
                if p.poll() is not None:
                    procs[j] = r.fleet.start("q1,q2", **envs[j])
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGCONT)
    return row


def garbage(scale: Scale, seed: int) -> Row:
    """Garbage payloads of every shape mixed with good jobs: each one a record with its bytes."""
    with run(f"{scale.garbage} garbage payloads + good jobs", seed) as (r, row):
        r.fleet.start("q1,q2", FORK_PER_JOB="false")
        r.fleet.start("q1,q2", FORK_PER_JOB="true")
        r.registered(2)
        good_count = scale.garbage // 4
        r.ledger.enqueue(["q1", "q2"], scale.garbage + good_count, max_millis=0, garbage_every=5)
        r.drain(timeout=60 + scale.garbage / 50)
        row.trials = 1
    return row


def garbage_keys(scale: Scale, seed: int) -> Row:
    """Keys of the wrong type and bad values where a worker, the CLI or the dashboard reads:
    QUEUE=* workers run the jobs, and every reading command and page answers, naming a key it
    cannot read."""
    with run("garbage in every other key (QUEUE=*)", seed) as (r, row):
        c = r.ledger.client
        ns = NAMESPACE
        c.sadd(f"{ns}:queues", "ahash", "astring", "aset")
        c.hset(f"{ns}:queue:ahash", "a", "b")
        c.set(f"{ns}:queue:astring", "x")
        c.sadd(f"{ns}:queue:aset", "x")
        c.set(f"{ns}:stat:processed", "abc")
        c.hset(f"{ns}:pause-all-workers", "a", "b")
        c.sadd(f"{ns}:workers", "ghost:1:q1", "no-colons")
        c.set(f"{ns}:worker:ghost:1:q1", b"\xff{not json")
        c.hset(f"{ns}:workers:heartbeat", mapping={"ghost:1:q1": "yesterday", "no-colons": "x"})
        c.rpush(f"{ns}:failed", b"<not a record>")
        c.set(f"{ns}:pruning_dead_workers_in_progress", "x", ex=1)
        for key in ("delayed_queue_schedule", "failed_queues", "persistent_schedules", "_statuses"):
            c.set(f"{ns}:{key}", "x")
        c.hset(f"{ns}:resque-compat:history:10", "a", "b")
        r.fleet.start("*", FORK_PER_JOB="true")
        r.fleet.start("*", FORK_PER_JOB="false")
        r.registered(2)
        r.ledger.enqueue(["q1", "q2"], 100, max_millis=5)
        row.trials = 1
        r.drain()
        if len(r.fleet.alive()) != 2:
            row.notes.append("a QUEUE=* worker exited on garbage keys")
            row.leftover += 2 - len(r.fleet.alive())
        crashed = crashed_readers(r.server.url, ns)
        row.crashed += len(crashed)
        row.notes += crashed
        for key in ("ahash", "astring", "aset"):
            c.srem(f"{ns}:queues", key)
            c.delete(f"{ns}:queue:{key}")
    return row


def plan(scale: Scale) -> list[Callable[[int], Row]]:
    from .hosts import many_hosts  # it runs scenarios with run()

    out: list[Callable[[int], Row]] = [lambda s, m=m: kill9(m, scale, s) for m in scale.kill_modes]  # type: ignore[misc]
    out += [
        lambda s: redis_restart(scale, s),
        lambda s: redis_stall(scale, s),
        lambda s: maxmemory(scale, s),
        lambda s: proxy_faults(scale, s),
        lambda s: signal_storm(scale, s),
        lambda s: garbage(scale, s),
        lambda s: garbage_keys(scale, s),
        lambda s: many_hosts(scale, s),
    ]
    return out
