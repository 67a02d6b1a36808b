"""The worker's hot path: reserve a job and mark the worker working in one round trip.

Ruby's worker spends five round trips per job (``GET pause-all-workers``, ``LPOP`` per queue,
``SET worker:<id>``, ``GET worker:<id>``, then ``DEL`` + two ``INCRBY``). The same keys end up
with the same values here in one round trip: one script does the previous job's ``done_working``,
checks ``pause-all-workers``, skips queues paused per resque-pause,
``LPOP``s the queues in priority order and ``SET``s ``worker:<id>`` (``Resque::Worker#reserve``,
``#working_on``, ``#done_working``).

``worker:<id>`` embeds the payload exactly as popped (Ruby decodes and re-encodes it: the two
agree byte for byte on payloads Ruby wrote, and are JSON-equal otherwise). A popped value that
is not a JSON object with a string ``class`` is embedded wrapped as
``ResqueCompat::UnreadablePayload``, so Ruby's readers of ``worker:<id>`` never meet a payload
they cannot render, and a reply lost on the way back loses nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import NoScriptError

from ..errors import RedisUnavailable
from ..protocol import Profile, encode
from ..protocol.keys import DEFAULT_GLOBAL_PAUSE_KEY, STAT_PROCESSED, Keys
from ..protocol.records import held_payload, working_on_prefix
from ..protocol.times import format_run_at
from .sender import CommandSender, encoder_of, reply_error, resp
from .typed import bytes_client, watching

# KEYS[1] pause-all-workers, KEYS[2] worker:<id>, KEYS[3] workers, KEYS[4] resque-pause's global
# key, KEYS[4 + k] pause:queue:<q_k> for k = 1..n, KEYS[4 + n + k] queue:<q_k> in priority order,
# then stat:processed and stat:processed:<id>.
# ARGV[1] '1' to honour pause-all-workers, ARGV[2] the worker id, ARGV[3] the SHA-1 of the
# worker:<id> value whose job is done ('' for none), ARGV[4] the Unix second the prefixes'
# run_at names when the trip may reach Redis in a later one (after a blocking wait; '' for
# none), ARGV[4 + k] the working-on prefix for queue k.
# First the previous job's done_working, only while worker:<id> still holds that very value: a
# trip resent after a lost reply, or one that reaches Redis late, settles once and never deletes
# a later job's mark. Then the reserve. Returns {registered, -1} paused, {registered, 0, held}
# nothing, {registered, -2, value, sha} when worker:<id> holds a job already (a reply lost on its
# way back: handed back, never overwritten), or {registered, k, raw, sha}; registered is 0 when
# the worker id has left ``workers`` (a restarted Redis without persistence, ``resque remove``),
# so the worker can register again; held is 1 when resque-pause held back at least one queue.
# worker:<id> is SET before the LPOP: when Redis refuses the SET (maxmemory) the job stays queued,
# and a refused INCRBY costs a count, not the job. A value that is not a job payload is marked
# wrapped as ResqueCompat::UnreadablePayload. A key of another type is skipped, not an error.
# A job popped in a later second than ARGV[4] gets its run_at from Redis's clock (TIME, which
# Ruby's heartbeat uses too), formatted as Time#utc.iso8601 is.
_ISO8601 = """
local function iso8601(t)
  local s = t % 86400
  local z = (t - s) / 86400 + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02dZ', y, m, doy - math.floor((153 * mp + 2) / 5) + 1,
    math.floor(s / 3600), math.floor(s % 3600 / 60), s % 60)
end
"""
_RESERVE = (
    _ISO8601
    + """
local n = (#KEYS - 6) / 2
local ok, registered = pcall(redis.call, 'SISMEMBER', KEYS[3], ARGV[2])
if not ok then registered = 1 end
local got, value = pcall(redis.call, 'GET', KEYS[2])
if not got then value = false end
if value and ARGV[3] ~= '' and redis.sha1hex(value) == ARGV[3] then
  redis.call('DEL', KEYS[2])
  redis.pcall('INCRBY', KEYS[5 + 2 * n], 1)
  redis.pcall('INCRBY', KEYS[6 + 2 * n], 1)
  value = false
end
if value then return {registered, -2, value, redis.sha1hex(value)} end
if ARGV[1] == '1' then
  local okp, p = pcall(redis.call, 'GET', KEYS[1])
  if okp and p and string.lower(string.match(p, '^[%s%z]*(.-)[%s%z]*$')) == 'true' then
    return {registered, -1}
  end
end
-- One EXISTS over the global key and every pause:queue:<q>: nothing paused is the common case.
local pauses = redis.call('EXISTS', unpack(KEYS, 4, 4 + n))
if pauses > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return {registered, 0, 1} end
local held = 0
for i = 1, n do
  if pauses > 0 and redis.call('EXISTS', KEYS[4 + i]) == 1 then
    held = 1
  else
    local okl, raw = pcall(redis.call, 'LINDEX', KEYS[4 + n + i], 0)
    if okl and raw then
      local okj, job = pcall(cjson.decode, raw)
      local payload = raw
      if not (okj and type(job) == 'table' and type(job['class']) == 'string') then
        payload = '{"class":"ResqueCompat::UnreadablePayload","args":[' .. cjson.encode(raw) .. ']}'
      end
      local prefix = ARGV[4 + i]
      if ARGV[4] ~= '' then
        local now = redis.call('TIME')[1]
        if now ~= ARGV[4] then
          prefix = string.sub(prefix, 1, -33) .. iso8601(tonumber(now)) .. string.sub(prefix, -12)
        end
      end
      local mark = prefix .. payload .. '}'
      redis.call('SET', KEYS[2], mark)
      redis.call('LPOP', KEYS[4 + n + i])
      return {registered, i, raw, redis.sha1hex(mark)}
    end
  end
end
return {registered, 0, held}
"""
)

# KEYS[1] worker:<id>, KEYS[2] queue:<q>; ARGV[1] the SHA-1 of the worker:<id> value holding the
# job, ARGV[2] the job's raw bytes. The job goes back to the tail only while the mark is there.
_PUSH_BACK = """
local got, value = pcall(redis.call, 'GET', KEYS[1])
if not (got and value and redis.sha1hex(value) == ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1
"""

PAUSED = -1
FOUND = -2

REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (
    RedisUnavailable,
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
)
"""What a lost, restarting, full (``maxmemory``) or demoted Redis raises; the worker waits and
tries again on these. A client from ``connect`` raises ``RedisUnavailable`` (``RedisRefused``'s
``RedisOutOfMemory`` and ``RedisReadOnly`` for the last two); redis-py's own types stay for a
client built elsewhere."""


@dataclass(slots=True)
class Popped:
    """A value popped from ``queue:<queue>``, now held in ``worker:<id>``. ``recovered`` when it
    was found there (its reserve's reply was lost) rather than popped by this reserve. Built on
    every reserve, so not frozen (see ``protocol.payloads.Job``)."""

    queue: str
    raw: bytes
    recovered: bool = False
    mark: str = ""
    """SHA-1 of the working-on value holding it: its ``done_working`` names it."""


@dataclass(slots=True)
class Reserved:
    """One reserve: whether the worker is still in ``workers``, whether ``pause-all-workers``
    held it back, and the job popped, if any."""

    registered: bool
    paused: bool
    popped: Popped | None
    held: bool = False


class WorkingOnPrefixes:
    """``working_on_prefix`` per queue, rebuilt once a second (``run_at`` has seconds precision)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.second = -1
        """The Unix second the prefixes name (``run_at`` has seconds precision)."""
        self._cache: dict[str, bytes] = {}

    def __call__(self, queues: Sequence[str]) -> list[bytes]:
        now = int(time.time())
        if now != self.second:
            self.second, self._cache = now, {}
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
        self.client = bytes_client(client)
        self.keys = keys
        self.worker_id = worker_id
        self.worker_key = keys.worker(worker_id)
        self.global_pause = keys.pause_global(global_pause_key)
        self.sender = CommandSender(client)
        self._encode = encoder_of(client)
        self._sha: str | None = None
        self._keys_for: tuple[tuple[str, ...], list[str]] = ((), [])
        self._packed_script: tuple[str, list[str], list[Any], bytes] = ("", [], [], b"")

    def _script_keys(self, queues: tuple[str, ...]) -> list[str]:
        """The reserve script's KEYS for ``queues``, rebuilt only when the queue list changes."""
        if self._keys_for[0] != queues or not self._keys_for[1]:
            fixed = [self.keys.pause_all(), self.worker_key, self.keys.workers(), self.global_pause]
            queue_keys = [self.keys.queue(q) for q in queues]
            stats = [self.keys.stat(STAT_PROCESSED), self.keys.worker_stat(STAT_PROCESSED, self.worker_id)]
            pauses = [self.keys.pause_queue(q) for q in queues]
            self._keys_for = (queues, [*fixed, *pauses, *queue_keys, *stats])
        return self._keys_for[1]

    def _load(self) -> str:
        self._sha = str(self.client.script_load(_RESERVE))
        return self._sha

    def done_working(self, done: Popped) -> Reserved:
        """``Worker#done_working`` alone (when no reserve follows): the reserve script over no
        queues. A job found held instead (a lost reply's) is in the answer."""
        return self.reserve((), (), check_pause=False, settle=done)

    def _packed_script_command(self, keys: list[str], args: list[Any]) -> bytes:
        """The reserve script's ``EVALSHA`` in wire format, packed again only when its keys or
        arguments change (the working-on prefixes change once a second)."""
        sha = self._sha or self._load()
        last_sha, last_keys, last_args, packed = self._packed_script
        # The keys are the same list while the queues are (``_script_keys``).
        if sha != last_sha or keys is not last_keys or args != last_args:
            enc = self._encode
            parts = [enc(k) for k in keys] + [enc(a) for a in args]
            packed = resp(b"EVALSHA", enc(sha), b"%d" % len(keys), *parts)
            self._packed_script = (sha, keys, args, packed)
        return packed

    def reserve(
        self,
        queues: Sequence[str],
        prefixes: Sequence[bytes],
        *,
        check_pause: bool,
        settle: Popped | None,
    ) -> Reserved:
        """Pop the first job of ``queues`` (priority order) and mark it in ``worker:<id>``.

        ``prefixes[k]`` is ``working_on_prefix`` for ``queues[k]``. The job is ``None`` when
        every queue is empty or ``pause-all-workers`` is true. A queue paused per resque-pause
        (``pause:queue:<q>`` or the global key exists) is skipped, as its ``Job.reserve`` does.
        ``settle``, the previous job, gets its ``done_working`` first, in the same script: sent
        again after a lost reply it settles once.
        """
        keys = self._script_keys(tuple(queues))
        pause = b"1" if check_pause else b"0"
        args: list[Any] = [pause, self.worker_id, settle.mark if settle else b"", b"", *prefixes]
        # One write, one connection this worker holds: the hot path of every job.
        (reply,) = self.sender.send_packed(self._packed_script_command(keys, args), 1, raise_on_error=False)
        if isinstance(reply, list):
            return _reading(reply, queues)
        return self._answer(reply, keys, args, queues)

    def wait_then_reserve(
        self, queues: Sequence[str], timeout: float, prefixes: WorkingOnPrefixes
    ) -> Reserved:
        """Block until the first of ``queues`` holds a job, without taking it, then ``reserve``,
        in one write: ``BLMOVE`` from the list's head to its head leaves the list as it was, and
        Redis runs the reserve script queued behind it the moment the wait ends (a job pushed,
        or ``timeout``), so a woken worker has its job one round trip after the push. A worker
        killed at any moment loses nothing: the job is queued, or marked in ``worker:<id>`` as
        by any reserve. A job popped in a later second than the wait began gets its ``run_at``
        from Redis's clock."""
        stamped = prefixes(queues)  # then the second they name
        keys = self._script_keys(tuple(queues))
        args: list[Any] = [b"1", self.worker_id, b"", b"%d" % prefixes.second, *stamped]
        key = self._encode(self.keys.queue(queues[0]))
        # BLMOVE takes a fractional timeout since Redis 6.
        wait = resp(b"BLMOVE", key, key, b"LEFT", b"LEFT", b"%r" % float(timeout))
        packed = wait + self._packed_script_command(keys, args)
        moved, reply = self.sender.send_packed(packed, 2, raise_on_error=False)
        reserved = self._answer(reply, keys, args, queues)
        if isinstance(moved, Exception) and reserved.popped is None:  # a job reserved runs first
            raise reply_error((b"BLMOVE", self.keys.queue(queues[0])), moved, self.sender.pool)
        return reserved

    def _answer(self, reply: object, keys: list[str], args: list[Any], queues: Sequence[str]) -> Reserved:
        if isinstance(reply, NoScriptError):  # only the script answers NOSCRIPT
            reply = self.client.evalsha(self._load(), len(keys), *keys, *args)
        if isinstance(reply, Exception):
            raise reply_error((b"EVALSHA",), reply, self.sender.pool)
        return _reading(reply, queues)

    def return_held(self) -> bool:
        """``LPUSH`` the job ``worker:<id>`` holds back to its queue's head and ``DEL`` the key,
        in one ``MULTI`` under ``WATCH``; ``False`` when nothing was held."""
        with self.client.pipeline(transaction=True) as pipe:
            held = watching(pipe, self.worker_key).get(self.worker_key)
            if not held:
                return False
            job = held_job(held)
            if not job.queue:
                return False  # not ours to place: unregistering records it with its bytes
            pipe.multi()
            pipe.lpush(self.keys.queue(job.queue), job.raw)
            pipe.delete(self.worker_key)
            pipe.execute()
        return True

    def push_back(self, queue: str, raw: bytes, mark: str) -> bool:
        """``RPUSH queue:<q> <raw>``: return a job this worker will not run (to the tail, so
        the queue does not hand it straight back), and ``DEL worker:<id>``, in one script, only
        while ``worker:<id>`` still holds the value whose SHA-1 is ``mark``: a lost reply leaves
        the job either queued or still held (where the next reserve finds it), never both, and
        sending it again pushes nothing twice. ``False`` when the key held something else."""
        keys = (self.worker_key, self.keys.queue(queue))
        return bool(self.client.eval(_PUSH_BACK, len(keys), *keys, mark, raw))


def _reading(reply: object, queues: Sequence[str]) -> Reserved:
    assert isinstance(reply, list)
    registered, index = bool(int(reply[0])), int(reply[1])
    if index == FOUND:
        return Reserved(registered, False, held_job(bytes(reply[2]), reply[3].decode()))
    if index == PAUSED:
        return Reserved(registered, True, None)
    if index == 0:
        return Reserved(registered, False, None, held=bool(int(reply[2])))
    return Reserved(registered, False, Popped(queues[index - 1], bytes(reply[2]), mark=reply[3].decode()))


def held_job(held: bytes, mark: str = "") -> Popped:
    """The job inside a ``worker:<id>`` value this project wrote (``held_payload``); any other
    value is itself the job's raw bytes (its record keeps them)."""
    queue, raw = held_payload(held)
    return Popped(queue, raw, True, mark)
