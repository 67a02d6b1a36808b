"""The worker's hot path: reserve a job and mark the worker working in one round trip.

Ruby's worker spends five round trips per job (``GET pause-all-workers``, ``LPOP`` per queue,
``SET worker:<id>``, ``GET worker:<id>``, then ``DEL`` + two ``INCRBY``). The same keys end up
with the same values here in one round trip: the previous job's ``done_working`` is pipelined
in front of one script that checks ``pause-all-workers``, ``LPOP``s the queues in priority order
and ``SET``s ``worker:<id>`` (``Resque::Worker#reserve``, ``#working_on``, ``#done_working``).

``worker:<id>`` embeds the payload exactly as popped (Ruby decodes and re-encodes it: the two
agree byte for byte on payloads Ruby wrote, and are JSON-equal otherwise). It is only written
for a popped value that is a JSON object with a string ``class``, so Ruby's readers of
``worker:<id>`` never meet a payload they cannot render.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import NoScriptError

from ..protocol import Profile, encode
from ..protocol.keys import Keys
from ..protocol.times import format_run_at
from .connection import CommandSender

# KEYS[1] pause-all-workers, KEYS[2] worker:<id>, KEYS[3] workers, KEYS[4..] queue:<q> in priority order.
# ARGV[1] '1' to honour pause-all-workers, ARGV[2] the worker id, ARGV[2 + k] the working-on
# prefix for queue k. Returns {registered, -1} paused, {registered, 0} nothing, or
# {registered, k, raw, marked}; registered is 0 when the worker id has left ``workers`` (a
# restarted Redis without persistence, ``resque remove``), so the worker can register again.
_RESERVE = """
local registered = redis.call('SISMEMBER', KEYS[3], ARGV[2])
if ARGV[1] == '1' then
  local p = redis.call('GET', KEYS[1])
  if p and string.lower(string.match(p, '^[%s%z]*(.-)[%s%z]*$')) == 'true' then return {registered, -1} end
end
for i = 4, #KEYS do
  local raw = redis.call('LPOP', KEYS[i])
  if raw then
    local ok, job = pcall(cjson.decode, raw)
    local marked = 0
    if ok and type(job) == 'table' and type(job['class']) == 'string' then
      redis.call('SET', KEYS[2], ARGV[i - 1] .. raw .. '}')
      marked = 1
    end
    return {registered, i - 3, raw, marked}
  end
end
return {registered, 0}
"""

PAUSED = -1

REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
"""What a lost or restarting Redis raises; the worker waits and reconnects on these."""


@dataclass(frozen=True, slots=True)
class Popped:
    """A value popped from ``queue:<queue>``; ``marked`` when ``worker:<id>`` now holds it."""

    queue: str
    raw: bytes
    marked: bool


@dataclass(frozen=True, slots=True)
class Reserved:
    """One reserve: whether the worker is still in ``workers``, whether ``pause-all-workers``
    held it back, and the job popped, if any."""

    registered: bool
    paused: bool
    popped: Popped | None


def working_on_prefix(encoded_queue: bytes, run_at: str) -> bytes:
    """The bytes of ``{"queue":…,"run_at":…,"payload":`` (``Worker#working_on``'s hash order)."""
    return b'{"queue":' + encoded_queue + b',"run_at":"' + run_at.encode() + b'","payload":'


class WorkingOnPrefixes:
    """``working_on_prefix`` per queue, rebuilt once a second (``run_at`` has seconds precision)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._second = -1
        self._cache: dict[str, bytes] = {}

    def __call__(self, queues: Sequence[str]) -> list[bytes]:
        now = int(time.time())
        if now != self._second:
            self._second, self._cache = now, {}
        out = []
        for q in queues:
            prefix = self._cache.get(q)
            if prefix is None:
                prefix = self._cache[q] = working_on_prefix(encode(q, self.profile), format_run_at())
            out.append(prefix)
        return out


class JobSource:
    """Reserve jobs for one worker id; optionally settle the previous job in the same trip."""

    def __init__(self, client: redis.Redis, keys: Keys, worker_id: str) -> None:
        self.client = client
        self.keys = keys
        self.worker_id = worker_id
        self.worker_key = keys.worker(worker_id)
        self.sender = CommandSender(client)
        self._sha: str | None = None

    def _load(self) -> str:
        self._sha = str(self.client.script_load(_RESERVE))
        return self._sha

    def _settle(self, pipe: redis.client.Pipeline) -> None:
        # Worker#done_working: DEL worker:<id>, INCRBY stat:processed (global and per worker).
        pipe.delete(self.worker_key)
        pipe.incrby(self.keys.stat("processed"), 1)
        pipe.incrby(self.keys.worker_stat("processed", self.worker_id), 1)

    def done_working(self) -> None:
        """``Worker#done_working`` alone (when no reserve follows)."""
        pipe = self.client.pipeline(transaction=False)
        self._settle(pipe)
        pipe.execute()

    def reserve(
        self,
        queues: Sequence[str],
        prefixes: Sequence[bytes],
        *,
        check_pause: bool,
        settle_previous: bool,
    ) -> Reserved:
        """Pop the first job of ``queues`` (priority order) and mark it in ``worker:<id>``.

        ``prefixes[k]`` is ``working_on_prefix`` for ``queues[k]``. The job is ``None`` when
        every queue is empty or ``pause-all-workers`` is true.
        With ``settle_previous`` the previous job's ``done_working`` goes first, in the same trip.
        """
        keys = [
            self.keys.pause_all(),
            self.worker_key,
            self.keys.workers(),
            *(self.keys.queue(q) for q in queues),
        ]
        args: list[Any] = [b"1" if check_pause else b"0", self.worker_id, *prefixes]
        script = ("EVALSHA", self._sha or self._load(), len(keys), *keys, *args)
        settle = (
            ("DEL", self.worker_key),
            ("INCRBY", self.keys.stat("processed"), 1),
            ("INCRBY", self.keys.worker_stat("processed", self.worker_id), 1),
        )
        try:
            # One write, one connection this worker holds: the hot path of every job.
            reply = self.sender.send((*settle, script) if settle_previous else (script,))[-1]
        except NoScriptError:  # only the script can answer NOSCRIPT; the settle went through
            reply = self.client.evalsha(self._load(), len(keys), *keys, *args)
        return _reading(reply, queues)

    def blocking_pop(self, queues: Sequence[str], timeout: float) -> tuple[str, bytes] | None:
        """``BLPOP queue:<q1> queue:<q2> … timeout``: Redis serves the first non-empty key in
        the order given, so priority order holds. ``None`` on timeout.

        The popped job is held only by this process until ``mark``: a worker killed in that
        one round trip loses it. ``wait_for_job`` has no such window, for a single queue."""
        by_key = {self.keys.queue(q).encode(): q for q in queues}
        reply = self.client.blpop(list(by_key), timeout=timeout)  # type: ignore[arg-type]
        if not reply:
            return None
        key, raw = reply  # type: ignore[misc]
        return by_key[key], raw

    def wait_for_job(self, queue: str, timeout: float) -> bool:
        """Block until ``queue:<queue>`` holds a job, without taking it: ``BLMOVE`` from the
        list's head to its head leaves the list as it was. The job is then taken by the atomic
        reserve, so a worker killed at any moment loses nothing. ``False`` on timeout."""
        key = self.keys.queue(queue)
        # BLMOVE takes a fractional timeout since Redis 6; redis-py annotates it as int.
        return self.client.blmove(key, key, timeout, "LEFT", "LEFT") is not None  # type: ignore[arg-type]

    def mark(self, data: bytes) -> None:
        """``SET worker:<id> <working-on>`` (``Worker#working_on`` after a blocking pop)."""
        self.client.set(self.worker_key, data)

    def push_back(self, queue: str, raw: bytes) -> None:
        """``RPUSH queue:<q> <raw>``: return a job this worker will not run (to the tail, so
        the queue does not hand it straight back), then ``DEL worker:<id>``."""
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(self.keys.queue(queue), raw)
        pipe.delete(self.worker_key)
        pipe.execute()


def _reading(reply: object, queues: Sequence[str]) -> Reserved:
    assert isinstance(reply, list)
    registered, index = bool(int(reply[0])), int(reply[1])
    if index == PAUSED or index == 0:
        return Reserved(registered, index == PAUSED, None)
    return Reserved(registered, False, Popped(queues[index - 1], bytes(reply[2]), bool(int(reply[3]))))
