"""Redis Sentinel failover under load: a master, a replica and three sentinels on loopback,
workers and an enqueuer through ``redis+sentinel://``, the master killed with ``SIGKILL``
mid-run. The ledger says what asynchronous replication cost: every job the enqueuer saw
acknowledged is placed (performed once, failed with a record, still queued, lost, run twice),
and every loss or second run is dated against the moment of the kill."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from resque_compat import Resque
from resque_compat.errors import ResqueError
from resque_compat.testing import RedisServerError, free_port

from .cluster import NAMESPACE, Fleet, Server
from .ledger import CLASS, Ledger, Row

SERVICE = "mymaster"
DOWN_AFTER_MS = 1000
"""Sentinel's ``down-after-milliseconds``: how long the master must be silent to be down."""


class Sentinels:
    """Three ``redis-server --sentinel`` processes watching ``master`` (quorum 2)."""

    def __init__(self, master_port: int, replica_port: int | None = None) -> None:
        found = shutil.which("redis-server")
        if not found:
            raise RedisServerError("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="resque-compat-sentinel-")
        self.ports = [free_port() for _ in range(3)]
        self.procs: list[subprocess.Popen[bytes]] = []
        for port in self.ports:
            conf = Path(self.dir) / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
            )
            if replica_port is not None:  # else found at the master's INFO, every 10 s
                with conf.open("a") as f:
                    f.write(f"sentinel known-replica {SERVICE} 127.0.0.1 {replica_port}\n")
            cmd = [found, str(conf), "--sentinel", "--logfile", str(Path(self.dir) / f"{port}.log")]
            self.procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.clients = [redis.Redis(port=p, socket_timeout=2) for p in self.ports]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def master_port(self) -> int | None:
        """The master's port as the sentinels agree on it (a majority), ``None`` while they do not."""
        seen: list[int] = []
        for c in self.clients:
            with contextlib.suppress(redis.RedisError):
                addr = c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                if addr:
                    seen.append(int(addr[1]))
        best = max(set(seen), key=seen.count, default=None)
        return best if best is not None and seen.count(best) >= 2 else None

    def ready(self) -> bool:
        """Every sentinel knows the replica and the two other sentinels."""
        for c in self.clients:
            try:  # not redis-py's sentinel_* helpers: they differ by line (6.4 fails on some)
                reply = c.execute_command("SENTINEL", "MASTER", SERVICE)
            except redis.RedisError:
                return False
            # a flat list of fields and values, or (redis-py 8) a dict of them
            state = reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2], strict=True))
            if int(state.get(b"num-slaves", 0)) < 1 or int(state.get(b"num-other-sentinels", 0)) < 2:
                return False
        return True

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Enqueuer:
    """Enqueues ``Chaos::Ledger`` jobs through Sentinel from a thread, at a steady pace; keeps
    when each acknowledged one was acknowledged. An enqueue that raised is not counted: its
    job may or may not be in Redis (its reply was lost)."""

    url: str
    acked: dict[str, float] = field(default_factory=dict)
    refused: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        resque = Resque.from_url(self.url, namespace=NAMESPACE, check_cluster=False)
        n = 0
        while not self.stop.wait(0.004):  # pacing: about 200 jobs a second
            n += 1
            job_id = f"J{n}"
            try:
                resque.enqueue_to("q1", CLASS, job_id, 2)
            except (ResqueError, redis.RedisError, OSError):
                self.refused += 1
                continue
            self.acked[job_id] = time.time()
        resque.redis.close()


@dataclass
class Failover:
    """What one failover cost, dated against the kill."""

    row: Row
    failover_seconds: float = 0.0
    acked_before_kill: int = 0
    lost_ages: list[float] = field(default_factory=list)
    """Seconds between each lost job's acknowledgement and the kill."""
    duplicated_ages: list[float] = field(default_factory=list)
    """Seconds between each twice-run job's first run and the kill."""
    refused: int = 0
    dashboard: list[int] = field(default_factory=list)
    """The dashboard's status for /overview before the kill and after the failover (the same
    dashboard: its first answers after the kill may be 503 until Sentinel names the new master)."""

    def within(self, in_flight: float) -> bool:
        """Whether everything lost or run twice was in flight at the kill: acknowledged (or
        first run) at most ``in_flight`` seconds before it, and nothing else went wrong."""
        ages = self.lost_ages + self.duplicated_ages
        return (
            self.row.trials == 1
            and self.row.leftover == 0
            and all(0 <= age <= in_flight for age in ages)
            and self.row.jobs
            == self.row.performed + self.row.failed + self.row.queued + self.row.lost + self.row.duplicated
        )

    def summary(self) -> str:
        return (
            f"failover {self.failover_seconds:.1f} s (down-after {DOWN_AFTER_MS} ms); "
            f"{self.acked_before_kill} acknowledged before the kill; {self.refused} enqueues refused "
            f"while no master answered; lost: acknowledged {sorted(self.lost_ages)} s before the "
            f"kill; run twice: first run {sorted(self.duplicated_ages)} s before the kill; "
            f"dashboard {self.dashboard}"
        )


IN_FLIGHT = 2.0
"""Seconds before the kill within which every lost job was acknowledged and every twice-run
job first ran (replication on loopback lags by milliseconds; this bounds a loaded machine)."""


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll ``predicate`` (Redis state, no event to block on) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(0.05)  # polling Redis; nothing to block on
    return False


def sentinel_failover(seed: int, dashboard: Callable[[str], int] | None = None) -> Failover:
    """Two workers (fork and in-process) and an enqueuer through Sentinel; after 100 jobs the
    master is killed; the workers must run 100 jobs enqueued after the failover; then the
    queues drain and the ledger is reckoned on the new master. ``dashboard(url)`` answers the
    status of one dashboard's /overview (kept from one call to the next)."""
    master = Server(args=("--repl-diskless-sync-delay", "0")).start()
    replica = Server(args=("--replicaof", "127.0.0.1", str(master.port))).start()
    ledger_server = Server().start()
    sentinels = Sentinels(master.port, replica.port)
    out = Failover(Row("sentinel failover: master kill -9 under load"))
    fleet = Fleet(sentinels.url, ledger_server.url)
    enqueuer = Enqueuer(sentinels.url)
    thread = threading.Thread(target=enqueuer.run, name="enqueuer", daemon=True)
    ledger_client = ledger_server.client()
    try:
        in_sync = replica.client()
        synced = wait_until(lambda: in_sync.info("replication")["master_link_status"] == "up", 15)
        in_sync.close()
        if not synced or not wait_until(sentinels.ready, 15):
            out.row.notes.append(
                "the replica did not sync or the sentinels did not see it and each other in 15 s"
            )
            return out
        fleet.start("q1", FORK_PER_JOB="true")
        fleet.start("q1", FORK_PER_JOB="false")
        primary = master.client()
        registered = wait_until(lambda: primary.scard(f"{NAMESPACE}:workers") >= 2, 20)
        primary.close()
        if not registered:
            out.row.notes.append("the workers did not register through Sentinel in 20 s")
            return out
        thread.start()
        if not wait_until(lambda: ledger_client.hlen("performed") >= 100, 30):
            out.row.notes.append("100 jobs were not performed before the kill in 30 s")
            return out
        if dashboard is not None:
            out.dashboard.append(dashboard(sentinels.url))
        killed_at = time.time()
        out.acked_before_kill = len(enqueuer.acked)
        assert master.process is not None
        master.process.send_signal(signal.SIGKILL)
        master.process.wait()
        if not wait_until(lambda: sentinels.master_port() == replica.port, 20):
            out.row.notes.append("the sentinels did not promote the replica in 20 s")
            return out
        out.failover_seconds = time.time() - killed_at
        promoted_at = time.time()
        if not wait_until(lambda: _performed_since(enqueuer, ledger_client, promoted_at) >= 100, 40):
            out.row.notes.append("the workers did not run 100 jobs enqueued after the failover in 40 s")
        if dashboard is not None:  # the same dashboard, its connections made before the kill
            answers: list[int] = []
            wait_until(lambda: answers.append(dashboard(sentinels.url)) or answers[-1] == 200, 10)
            out.dashboard.append(answers[-1] if answers else 0)
    finally:
        enqueuer.stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
        out.refused = enqueuer.refused
        _settle(out, fleet, replica, ledger_client, enqueuer, locals().get("killed_at"), seed)
        for server in (master, replica, ledger_server):
            server.stop()
        sentinels.stop()
    return out


def _performed_since(enqueuer: Enqueuer, ledger_client: redis.Redis, since: float) -> int:
    """How many jobs acknowledged after ``since`` the ledger has seen run."""
    ids = [j for j, t in list(enqueuer.acked.items()) if t > since]
    return sum(1 for v in ledger_client.hmget("performed", ids) if v is not None) if ids else 0  # type: ignore[union-attr]


def _settle(
    out: Failover,
    fleet: Fleet,
    replica: Server,
    ledger_client: redis.Redis,
    enqueuer: Enqueuer,
    killed_at: float | None,
    seed: int,
) -> None:
    """Drain the queue on the new master, stop the workers, reckon the ledger and date each
    loss and second run against the kill."""
    client = replica.client()
    try:
        wait_until(lambda: client.llen(f"{NAMESPACE}:queue:q1") == 0, 30)
        out.row.leftover = fleet.stop_all()
        ledger = Ledger(client, ledger_client, seed)
        ledger.ids = list(enqueuer.acked)
        ledger.queues = {"q1"}
        ledger.reckon(out.row)
        out.row.trials = 1
        if killed_at is not None:
            out.lost_ages = [killed_at - enqueuer.acked[j] for j in ledger.lost]
            first = ledger_client.hgetall("first_run")
            out.duplicated_ages = [
                killed_at - float(first.get(j.encode(), b"nan")) for j in ledger.duplicated
            ]
        if out.row.lost or out.row.duplicated or out.row.notes:
            out.row.notes.append(fleet.tail())
    finally:
        fleet.close()
        client.close()
        ledger_client.close()
