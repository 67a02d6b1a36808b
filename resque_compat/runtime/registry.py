"""Registry and liveness: register, heartbeat, unregister (spec 5.1, 5.3, 8).

``unregister_worker`` serves the worker itself, pruning and ``resque-compat workers remove``:
a job still in flight in ``worker:<id>`` becomes a failure (``DirtyExit "Job still being
processed"`` unless another exception is given), its ``on_failure`` hooks run when its class is
registered here (in one process only, however many unregister the worker at once), then the
worker's keys go in one pipeline (``Worker#unregister_worker``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import DirtyExit
from ..jobs import run_failure_hooks
from ..protocol import ruby_split, unreadable_payload
from ..protocol.keys import worker_key
from ..protocol.records import json_object, payload_args, payload_class, record_payload
from ..protocol.times import format_heartbeat, format_started, from_redis_time
from ..store.workers import CLAIMED, TAKEN, WorkerRegistry
from .failures import FailureReporter

if TYPE_CHECKING:
    from ..failure import FailureBackend
    from ..store import DataStore

Log = Callable[[str], None]
CLAIM_SECONDS = 300
"""How long a claim on a dead worker's job lasts (``unregister_worker``): Ruby's prune interval."""


def heartbeat(workers: WorkerRegistry, worker_id: str) -> None:
    """``Worker#heartbeat!``: ``TIME``, then ``HSET workers:heartbeat <id>`` with the server time
    rendered as ISO-8601 in this process's zone."""
    seconds, micros = workers.server_time()
    workers.heartbeat_now(worker_id, format_heartbeat(from_redis_time(seconds, micros)))


def register(workers: WorkerRegistry, worker_id: str) -> None:
    """``Worker#register_worker``: ``SADD workers`` + ``SET worker:<id>:started``, pipelined."""
    workers.register_worker(worker_id, format_started())


def in_flight(workers: WorkerRegistry, worker_id: str) -> dict[str, Any] | None:
    """``Worker#processing``: the decoded ``worker:<id>``, ``None`` when idle or unreadable."""
    return json_object(workers.get_worker_payload(worker_id))


def fail_in_flight(
    reporter: FailureReporter,
    performers: Mapping[str, Any],
    working: Mapping[str, Any],
    exc: BaseException,
    worker_id: str,
    log: Log,
    held: bytes | None = None,
) -> bool:
    """``Job#fail`` for a job known only from ``worker:<id>``: hooks (if the class is ours), record
    (written with the key's deletion while it still holds ``held``: see ``FailureReporter.save``)."""
    payload = record_payload(working)
    queue = str(working.get("queue", ""))
    cls = payload_class(payload)
    performer = performers.get(cls) if cls is not None else None
    try:
        run_failure_hooks(performer, exc, payload_args(payload))
    except Exception as hook_error:
        log(str(hook_error))
    return reporter.save(payload, queue, exc, worker_id=worker_id, backtrace=[], held=held) is not False


def unregister_worker(
    workers: WorkerRegistry,
    reporter: FailureReporter,
    performers: Mapping[str, Any],
    worker_id: str,
    exception: BaseException | None = None,
    log: Log = lambda _m: None,
) -> bool:
    """``Worker#unregister_worker``: fail the job in flight, then remove every key of the worker.

    Only one process fails a job however many unregister its worker at once (two pruners, a
    prune and ``workers remove``): the one that claims it (``WorkerRegistry.claim_held``) runs
    its failure hooks and writes its record; another finding the claim leaves the worker to it
    (``False``), one finding the job recorded meanwhile removes the keys. A claim lasts
    ``CLAIM_SECONDS``: a process killed while failing the job holds the others back that long.
    A ``worker:<id>`` that cannot be read (Ruby's ``processing`` would raise) is not dropped:
    its record carries the raw value as an unreadable payload. When the record cannot be
    written (Redis full or gone) the keys stay, so a later pruner can record the job (``False``)."""
    raw = workers.get_worker_payload(worker_id)
    working = json_object(raw)
    exc = exception or DirtyExit("Job still being processed")
    saved = True
    if working and raw is not None:
        claimer = f"{reporter.worker_id}/{os.urandom(4).hex()}"
        claimed = workers.claim_held(worker_id, raw, claimer, CLAIM_SECONDS)
        if claimed == TAKEN:
            log(f"the job of {worker_id} is being failed by another process; the worker is left to it")
            return False
        if claimed == CLAIMED:
            try:
                saved = fail_in_flight(reporter, performers, working, exc, worker_id, log, raw)
            finally:
                workers.release_claim(worker_id, claimer)
    elif raw:
        log(f"{worker_key(worker_id)} is unreadable; its raw value goes to the failed list")
        payload = unreadable_payload(raw)
        saved = reporter.save(payload, "", exc, worker_id=worker_id, backtrace=[], held=raw) is not False
    if not saved:
        log(f"the job of {worker_id} could not be recorded; its keys stay for a later prune")
        return False
    workers.unregister_worker(worker_id)
    return True


class Heartbeat:
    """``Worker#start_heartbeat`` and its beats.

    A worker that never forks (``FORK_PER_JOB=false``) beats from a thread, as Ruby does, so a
    long job in this process keeps it alive. A forking worker must not have threads (they would
    be duplicated into children mid-command): its loops call ``beat_if_due`` instead.
    """

    def __init__(
        self,
        workers: WorkerRegistry,
        worker_id: str,
        interval: float,
        log: Log,
        sample: Callable[[], object] | None = None,
    ) -> None:
        self.workers = workers
        self.worker_id = worker_id
        self.interval = interval
        self.log = log
        self.sample = sample
        self.due = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, threaded: bool) -> None:
        """``HDEL`` the old value, beat once, then every interval (thread or ``beat_if_due``)."""
        self.workers.remove_heartbeat(self.worker_id)
        heartbeat(self.workers, self.worker_id)  # the first beat: no history sample on the way up
        self.due = time.monotonic() + self.interval
        if threaded and (self._thread is None or not self._thread.is_alive()):
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="resque-heartbeat", daemon=True)
            self._thread.start()

    def beat(self) -> None:
        heartbeat(self.workers, self.worker_id)
        self.due = time.monotonic() + self.interval
        self.sample_history()

    def sample_history(self) -> None:
        """Offer the dashboard's History a sample (``admin.history``): any Python worker keeps
        it going while no dashboard runs; a bucket already sampled costs one ``ZCOUNT`` each."""
        if self.sample is None:
            return
        try:
            self.sample()
        except Exception as exc:  # never let the history stop a worker
            self.log(f"history sample failed: {exc!r}")

    def seconds_left(self) -> float:
        return max(self.due - time.monotonic(), 0.01)

    def beat_if_due(self, unavailable: tuple[type[Exception], ...]) -> None:
        if self._thread is not None or time.monotonic() < self.due:
            return
        try:
            self.beat()
        except unavailable as exc:
            self.due = time.monotonic() + self.interval
            self.log(f"heartbeat failed: {exc!r}")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                heartbeat(self.workers, self.worker_id)
            except Exception as exc:  # Redis away: try again next interval
                self.log(f"heartbeat failed: {exc!r}")
                continue
            self.sample_history()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()


def history_sampler(store: DataStore, failure: FailureBackend) -> Callable[[], object]:
    """Take a sample of the deployment's History (``admin.history.Sampler``), built on first call."""
    made: list[Any] = []

    def sample() -> object:
        if not made:
            from ..admin import Admin
            from ..admin.history import Sampler

            made.append(Sampler(Admin(store, failure)))
        return made[0].sample()

    return sample


def remove_worker(
    workers: WorkerRegistry, failure: FailureBackend, performers: Mapping[str, Any], worker_id: str, log: Log
) -> bool:
    """``Resque.remove_worker``: unregister a registered worker (its job becomes a DirtyExit
    failure recorded in ``failure``); ``False`` when no such worker is registered."""
    if not workers.worker_exists(worker_id):
        return False
    reporter = FailureReporter(failure, worker_id, log)
    unregister_worker(workers, reporter, performers, worker_id, None, log)
    return True


def kill_worker(
    workers: WorkerRegistry,
    failure: FailureBackend,
    performers: Mapping[str, Any],
    worker_id: str,
    hostname: str,
    log: Log,
) -> str:
    """``bin/resque kill``: ``KILL`` the worker's pid, then remove it. Unlike Ruby, a pid is only
    signalled when the worker runs on this host (Ruby would kill an unrelated local process)."""
    host, pid_text, _ = ruby_split(worker_id)
    pid = int(pid_text) if pid_text.isdigit() else 0
    if host != hostname or pid <= 0:
        outcome = f"worker {worker_id} is not on this host; not signalled"
    else:
        try:
            os.kill(pid, signal.SIGKILL)
            outcome = f"killed {worker_id}"
        except ProcessLookupError:
            outcome = f"worker {worker_id} not running"
    remove_worker(workers, failure, performers, worker_id, log)
    return outcome
