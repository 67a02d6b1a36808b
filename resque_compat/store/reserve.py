"""The worker's hot path: reserve a job and mark the worker working in one round trip.

Ruby's worker spends five round trips per job (``GET pause-all-workers``, ``LPOP`` per queue,
``SET worker:<id>``, ``GET worker:<id>``, then ``DEL`` + two ``INCRBY``). The same keys end up
with the same values here in one round trip: the previous job's ``done_working`` is pipelined
in front of one script that checks ``pause-all-workers``, skips queues paused per resque-pause,
``LPOP``s the queues in priority order and ``SET``s ``worker:<id>`` (``Resque::Worker#reserve``,
``#working_on``, ``#done_working``).

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
from ..protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, STAT_PROCESSED, Keys
from ..protocol.times import format_run_at
from .connection import CommandSender

# KEYS[1] pause-all-workers, KEYS[2] worker:<id>, KEYS[3] workers, KEYS[4] resque-pause's global
# key, KEYS[4 + k] pause:queue:<q_k> for k = 1..n, KEYS[4 + n + k] queue:<q_k> in priority order.
# ARGV[1] '1' to honour pause-all-workers, ARGV[2] the worker id, ARGV[2 + k] the working-on
# prefix for queue k. Returns {registered, -1} paused, {registered, 0, held} nothing, or
# {registered, k, raw, marked}; registered is 0 when the worker id has left ``workers`` (a
# restarted Redis without persistence, ``resque remove``), so the worker can register again;
# held is 1 when resque-pause held back at least one queue (its jobs stay where they are).
_RESERVE = """
local registered = redis.call('SISMEMBER', KEYS[3], ARGV[2])
if ARGV[1] == '1' then
  local p = redis.call('GET', KEYS[1])
  if p and string.lower(string.match(p, '^[%s%z]*(.-)[%s%z]*$')) == 'true' then return {registered, -1} end
end
local n = (#KEYS - 4) / 2
-- One EXISTS over the global key and every pause:queue:<q>: nothing paused is the common case.
local pauses = redis.call('EXISTS', unpack(KEYS, 4, 4 + n))
if pauses > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return {registered, 0, 1} end
local held = 0
for i = 1, n do
  if pauses > 0 and redis.call('EXISTS', KEYS[4 + i]) == 1 then
    held = 1
  else
    local raw = redis.call('LPOP', KEYS[4 + n + i])
    if raw then
      local ok, job = pcall(cjson.decode, raw)
      local marked = 0
      if ok and type(job) == 'table' and type(job['class']) == 'string' then
        redis.call('SET', KEYS[2], ARGV[2 + i] .. raw .. '}')
        marked = 1
      end
      return {registered, i, raw, marked}
    end
  end
end
return {registered, 0, held}
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
    held it back, whether resque-pause held back any of its queues, and the job popped, if any."""

    registered: bool
    paused: bool
    popped: Popped | None
    held: bool = False


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

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        worker_id: str,
        global_pause_key: str = DEFAULT_GLOBAL_PAUSE_KEY,
    ) -> None:
        self.client = client
        self.keys = keys
        self.worker_id = worker_id
        self.worker_key = keys.worker(worker_id)
        self.global_pause = keys.pause_global(global_pause_key)
        self.sender = CommandSender(client)
        self._sha: str | None = None
        self._keys_for: tuple[tuple[str, ...], list[str]] = ((), [])

    def _script_keys(self, queues: tuple[str, ...]) -> list[str]:
        """The reserve script's KEYS for ``queues``, rebuilt only when the queue list changes."""
        if self._keys_for[0] != queues or not self._keys_for[1]:
            fixed = [self.keys.pause_all(), self.worker_key, self.keys.workers(), self.global_pause]
            queue_keys = [self.keys.queue(q) for q in queues]
            self._keys_for = (queues, [*fixed, *(self.keys.pause_queue(q) for q in queues), *queue_keys])
        return self._keys_for[1]

    def _load(self) -> str:
        self._sha = str(self.client.script_load(_RESERVE))
        return self._sha

    def _settle(self, pipe: redis.client.Pipeline) -> None:
        # Worker#done_working: DEL worker:<id>, INCRBY stat:processed (global and per worker).
        pipe.delete(self.worker_key)
        pipe.incrby(self.keys.stat(STAT_PROCESSED), 1)
        pipe.incrby(self.keys.worker_stat(STAT_PROCESSED, self.worker_id), 1)

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
        every queue is empty or ``pause-all-workers`` is true. A queue paused per resque-pause
        (``pause:queue:<q>`` or the global key exists) is skipped, as its ``Job.reserve`` does.
        With ``settle_previous`` the previous job's ``done_working`` goes first, in the same trip.
        """
        keys = self._script_keys(tuple(queues))
        args: list[Any] = [b"1" if check_pause else b"0", self.worker_id, *prefixes]
        script = ("EVALSHA", self._sha or self._load(), len(keys), *keys, *args)
        settle = (
            ("DEL", self.worker_key),
            ("INCRBY", self.keys.stat(STAT_PROCESSED), 1),
            ("INCRBY", self.keys.worker_stat(STAT_PROCESSED, self.worker_id), 1),
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
    if index == PAUSED:
        return Reserved(registered, True, None)
    if index == 0:
        return Reserved(registered, False, None, held=bool(int(reply[2])))
    return Reserved(registered, False, Popped(queues[index - 1], bytes(reply[2]), bool(int(reply[3]))))
