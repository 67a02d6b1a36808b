"""resque-scheduler's schedule keys: ``persistent_schedules``, ``schedules_changed`` and the
master lock (``SchedulingExtensions``, ``Locking``, ``Lock::Resilient``/``Lock::Basic``)."""

from __future__ import annotations

import redis

from ..protocol.keys import Keys
from .typed import bytes_client


class ScheduleAccess:
    """``persistent_schedules`` (name -> encoded config) and the ``schedules_changed`` set."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = bytes_client(client)
        self.keys = keys

    def set_persistent(self, name: str, config: bytes) -> None:
        """``set_schedule`` with ``persist``: ``HSET persistent_schedules`` then ``SADD
        schedules_changed``."""
        self.client.hset(self.keys.persistent_schedules(), name, config)
        self.mark_changed(name)

    def remove(self, name: str) -> None:
        """``remove_schedule``: ``HDEL persistent_schedules`` then ``SADD schedules_changed``."""
        self.client.hdel(self.keys.persistent_schedules(), name)
        self.mark_changed(name)

    def mark_changed(self, name: str) -> None:
        self.client.sadd(self.keys.schedules_changed(), name)

    def persistent(self) -> dict[bytes, bytes]:
        """``HGETALL persistent_schedules``."""
        return self.client.hgetall(self.keys.persistent_schedules())

    def persistent_count(self) -> int:
        """``HLEN persistent_schedules``."""
        return int(self.client.hlen(self.keys.persistent_schedules()))

    def persistent_one(self, name: str) -> bytes | None:
        return self.client.hget(self.keys.persistent_schedules(), name)

    def lock_state(self, key: str) -> tuple[bytes | None, int]:
        """``GET`` and ``TTL`` of a master lock key (physical), in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        holder, ttl = pipe.execute()
        return holder, int(ttl)

    def changed_count(self) -> int:
        """``SCARD schedules_changed``."""
        return int(self.client.scard(self.keys.schedules_changed()))

    def pop_changed(self) -> bytes | None:
        """``SPOP schedules_changed``."""
        return self.client.spop(self.keys.schedules_changed())

    def clear_changed(self) -> None:
        """``DEL schedules_changed`` (``load_schedule!`` as master with a dynamic schedule)."""
        self.client.delete(self.keys.schedules_changed())

    def last_enqueued(self) -> dict[bytes, bytes]:
        """``HGETALL delayed:last_enqueued_at``."""
        return self.client.hgetall(self.keys.delayed_last_enqueued_at())


# Lock::Resilient's two scripts, with the timeout interpolated as Ruby does (same text, so the
# same SHA1 as a Ruby scheduler with the same timeout loads).
_LOCKED = """if redis.call('GET', KEYS[1]) == ARGV[1]
then
  redis.call('EXPIRE', KEYS[1], {timeout})

  if redis.call('GET', KEYS[1]) == ARGV[1]
  then
    return 1
  end
end

return 0
"""

_ACQUIRE = """if redis.call('SETNX', KEYS[1], ARGV[1]) == 1
then
  redis.call('EXPIRE', KEYS[1], {timeout})
  return 1
else
  return 0
end
"""


class MasterLock:
    """``Lock::Resilient``: ``acquire!`` (SETNX + EXPIRE in one script) and ``locked?`` (GET
    compare + EXPIRE renewal in one script), keyed ``<ns>:<ns>:[<prefix>:]resque_scheduler_master_lock``
    and valued ``<host>:<pid>``. ``basic=True`` is ``Lock::Basic`` (Redis without Lua)."""

    def __init__(
        self, client: redis.Redis, key: str, value: str, timeout: int, *, basic: bool = False
    ) -> None:
        self.client = bytes_client(client)
        self.key = key
        self.value = value
        self.timeout = int(timeout)
        self.basic = basic
        self._locked = self.client.register_script(_LOCKED.format(timeout=self.timeout))
        self._acquire = self.client.register_script(_ACQUIRE.format(timeout=self.timeout))

    def acquire(self) -> bool:
        """``acquire!``."""
        if self.basic:
            if self.client.setnx(self.key, self.value):
                self.client.expire(self.key, self.timeout)
                return True
            return False
        return int(self._acquire(keys=[self.key], args=[self.value])) == 1

    def locked(self) -> bool:
        """``locked?``: we hold it (and its expiry was renewed)."""
        if self.basic:
            if self.client.get(self.key) == self.value.encode():
                self.client.expire(self.key, self.timeout)
                return self.client.get(self.key) == self.value.encode()
            return False
        return int(self._locked(keys=[self.key], args=[self.value])) == 1

    def master(self, held: bool = False) -> bool:
        """``Locking#master?``: ``acquire! || locked?``. When this process held the lock at its
        last poll (``held``), ``locked?`` is asked first: the same answer (``SETNX`` cannot succeed
        on a key we hold; a lost lock still gets ``acquire!``) for two Redis commands fewer."""
        if held:
            return self.locked() or self.acquire()
        return self.acquire() or self.locked()

    def release(self) -> bool:
        """``release``: ``locked? && release!`` (``DEL`` only while we hold it)."""
        return self.locked() and int(self.client.delete(self.key)) == 1

    def holder(self) -> bytes | None:
        """``GET`` the lock: who holds it (``host:pid``), if anyone."""
        return self.client.get(self.key)

    def ttl(self) -> int:
        return int(self.client.ttl(self.key))


# While the resque-scheduler-compatible master runs, it holds node-resque's lock keys too, with
# its own ``host:pid``: node-resque's election (``Scheduler#tryForLeader``: ``SET key name EX t NX``,
# else ``GET`` and renew only when the value is its own name) then stands aside. Claim: renew each
# key that is ours, set each that is absent, report each held by another value (two commands a
# key). Release: delete each still ours.
_CLAIM = """local foreign = {}
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == ARGV[1] then
    redis.call('EXPIRE', key, ARGV[2])
  elseif not holder then
    redis.call('SET', key, ARGV[1], 'EX', ARGV[2])
  else
    table.insert(foreign, key)
    table.insert(foreign, holder)
  end
end
return foreign
"""

_RELEASE = """local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    n = n + redis.call('DEL', key)
  end
end
return n
"""


class NodeResqueLocks:
    """node-resque's leader lock keys (``keys``), held beside the master lock with its value and
    expiry: ``claim`` when master (on becoming master, then now and then to renew them, in one
    script), ``holders`` when not (one ``MGET`` with the master lock, so a standing-by scheduler
    tells a node-resque leader from the master holding them), ``release`` on the way out
    (compare-and-delete, in one script)."""

    def __init__(self, lock: MasterLock, keys: tuple[str, ...]) -> None:
        self.lock = lock
        self.keys = keys
        self.hold = not lock.basic
        """Whether the keys are held at all: not on a Redis without Lua (``Lock::Basic``)."""
        self._claim = lock.client.register_script(_CLAIM)
        self._release = lock.client.register_script(_RELEASE)

    def claim(self) -> dict[str, bytes]:
        """Hold every key (set it or renew ours, expiring with the master lock); each key that
        another holds, with its holder."""
        found = self._claim(keys=list(self.keys), args=[self.lock.value, self.lock.timeout])
        pairs = [bytes(x) for x in found]
        return {k.decode(): v for k, v in zip(pairs[0::2], pairs[1::2], strict=True)}

    def holders(self) -> dict[str, bytes]:
        """Each key held by a node-resque scheduler: a value other than ours and other than the
        resque-scheduler master's (a master of this kind holds these keys too)."""
        values = self.lock.client.mget([*self.keys, self.lock.key])
        master, ours = values[-1], self.lock.value.encode()
        held = zip(self.keys, values[:-1], strict=True)
        return {k: v for k, v in held if v is not None and v not in (ours, master)}

    def release(self) -> int:
        """Delete each key whose value is still ours; how many were."""
        if not self.hold:
            return 0
        return int(self._release(keys=list(self.keys), args=[self.lock.value]))


def redis_supports_lua(client: redis.Redis) -> bool:
    """``supports_lua?``: ``redis_version`` >= 2.5."""
    version = str(client.info("server").get("redis_version", "0"))
    major, _, rest = version.partition(".")
    try:
        return float(f"{major}.{rest.partition('.')[0]}") >= 2.5
    except ValueError:
        return True
