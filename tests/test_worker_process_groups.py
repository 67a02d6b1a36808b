"""Process groups as in Ruby: a forked job child stays in its worker's group, so a supervisor
that stops the worker by group (``kill -- -PGID``, supervisord's ``stopasgroup``) stops the job
too and leaves nothing running."""

from __future__ import annotations

import os
import signal

import pytest
import redis
from worker_harness import Workers, live_group_members, push_raw, wait_exited, workers

__all__ = ["workers"]


def test_a_job_child_stays_in_its_workers_process_group(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    proc = workers.start(QUEUE="slow")
    push_raw(redis_client, namespace, "slow", b'{"class":"Slow","args":[30]}')
    child_pid = int(workers.next("started") or 0)
    # The harness starts each worker as the leader of its own group (as a supervisor would).
    assert os.getpgid(proc.pid) == proc.pid
    assert os.getpgid(child_pid) == proc.pid
    assert sorted(live_group_members(proc.pid)) == sorted([proc.pid, child_pid])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGQUIT, signal.SIGKILL])
def test_signalling_a_busy_workers_group_leaves_no_process_behind(
    workers: Workers, redis_client: redis.Redis, namespace: str, sig: signal.Signals
) -> None:
    # TERM and KILL end the job at once; QUIT lets it finish (the child ignores the worker
    # signals, as Ruby's does), and the worker exits after it.
    proc = workers.start(QUEUE="slow")
    seconds = 0.5 if sig == signal.SIGQUIT else 30
    push_raw(redis_client, namespace, "slow", b'{"class":"Slow","args":[%s]}' % str(seconds).encode())
    child_pid = int(workers.next("started") or 0)
    os.killpg(proc.pid, sig)  # kill -s <sig> -- -<pgid>
    proc.wait(timeout=15)
    assert wait_exited(child_pid), f"job child {child_pid} outlived its worker"
    assert live_group_members(proc.pid) == []
    finished = workers.all("finished")
    assert finished == ([str(child_pid)] if sig == signal.SIGQUIT else [])
