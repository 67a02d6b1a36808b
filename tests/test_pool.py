"""``resque-compat pool``: resque-pool's config file, its process titles and signals, respawn of
dead workers, reshaping on HUP, WINCH, QUIT. Real processes; rendezvous through the workers'
``before_first_fork`` hook telling its pid on ``test:ready``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from worker_harness import (
    Workers,
    live_group_members,
    process_title,
    push_raw,
    registered,
    wait_exited,
    workers,
)

from resque_compat.config.pool import PoolSettings, load_pool_config
from resque_compat.errors import ConfigError

__all__ = ["workers"]


def test_the_config_reads_like_resque_pools(tmp_path: Path) -> None:
    path = tmp_path / "resque-pool.yml"
    path.write_text('"foo,bar": 1\nbaz: 2\nproduction:\n  "foo,bar": 4\n  qux: 1\ndevelopment:\n  baz: 0\n')
    assert load_pool_config(str(path), None) == {"foo,bar": 1, "baz": 2}
    assert load_pool_config(str(path), "production") == {"foo,bar": 4, "baz": 2, "qux": 1}
    assert load_pool_config(str(path), "development") == {"foo,bar": 1, "baz": 0}
    assert load_pool_config(None, None) == {}
    env = {"RESQUE_POOL_CONFIG": str(path), "RAILS_ENV": "production"}
    ps = PoolSettings.from_env(env)
    assert (ps.config_path, ps.environment, ps.term_behavior) == (str(path), "production", "")
    assert PoolSettings.from_env({"TERM_CHILD": "1"}).term_behavior == "graceful_worker_shutdown_and_wait"
    path.write_text("foo: <%= ENV['N'] %>\n")
    with pytest.raises(ConfigError, match="ERB"):
        load_pool_config(str(path), None)
    path.write_text("foo: many\n")
    with pytest.raises(ConfigError, match="needs a worker count"):
        load_pool_config(str(path), None)


def start_pool(w: Workers, config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "resque_compat.cli",
        "pool",
        "--app",
        "jobs_for_tests",
        "-c",
        str(config),
        "-a",
        "shop",
        *args,
    ]
    with open(log, "ab") if log else contextlib.nullcontext() as out:
        proc = subprocess.Popen(cmd, env=w.env(INTERVAL="0.2"), start_new_session=True, stdout=out)
    w.procs.append(proc)
    return proc


def ready(w: Workers, n: int) -> set[int]:
    got = {int(w.next("ready") or 0) for _ in range(n)}
    assert 0 not in got, "a pool worker did not start"
    return got


def test_a_pool_keeps_its_workers_respawns_the_dead_and_reshapes_on_hup(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    config = tmp_path / "resque-pool.yml"
    config.write_text('"high,low": 2\nother: 1\n')
    pool = start_pool(workers, config)
    first = ready(workers, 3)
    assert process_title(pool.pid).startswith("resque-pool-master[shop]: ")
    ids = registered(redis_client, namespace, 3)
    assert sorted(i.split(":", 2)[2] for i in ids) == ["high,low", "high,low", "other"]
    # Each worker leads a process group of its own, as resque-pool's do.
    assert all(os.getpgid(pid) == pid for pid in first)
    # A dead worker is replaced.
    victim = next(iter(first))
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    (replacement,) = ready(workers, 1)
    respawn = time.monotonic() - killed_at
    assert replacement not in first and respawn < 10
    # HUP: the file is read again, the old workers QUIT, the new shape is spawned.
    config.write_text("other: 1\n")
    os.kill(pool.pid, signal.SIGHUP)
    (newest,) = ready(workers, 1)
    for pid in (first - {victim}) | {replacement}:
        assert wait_exited(pid)
    assert os.getpgid(newest) == newest
    # The worker killed with kill -9 stays registered until a pruner takes it (as with Ruby's).
    (dead,) = [i for i in ids if i.split(":")[1] == str(victim)]
    assert registered(redis_client, namespace, 2) - {dead} == {f"{socket.gethostname()}:{newest}:other"}
    # QUIT: workers finish, the master waits for them, then exits.
    os.kill(pool.pid, signal.SIGQUIT)
    assert pool.wait(timeout=15) == 0
    assert wait_exited(newest)
    assert live_group_members(newest) == []


def test_workers_stop_when_their_master_is_killed(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    config = tmp_path / "resque-pool.yml"
    config.write_text("a: 2\n")
    pool = start_pool(workers, config)
    pids = ready(workers, 2)
    os.kill(pool.pid, signal.SIGKILL)
    assert all(wait_exited(pid) for pid in pids)
    assert registered(redis_client, namespace, 0) == set()


def test_winch_stops_every_worker_and_the_master_stays(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    config = tmp_path / "resque-pool.yml"
    config.write_text("a: 2\n")
    pool = start_pool(workers, config, "--handle-winch")
    pids = ready(workers, 2)
    os.kill(pool.pid, signal.SIGWINCH)
    assert all(wait_exited(pid) for pid in pids)
    assert pool.poll() is None
    assert "managing []" in wait_title(pool.pid, "managing []")
    os.kill(pool.pid, signal.SIGTERM)
    assert pool.wait(timeout=15) == 0


def wait_title(pid: int, text: str, timeout: float = 15.0) -> str:
    """The master retitles itself after each pass of its loop (at most a second apart)."""
    deadline = time.monotonic() + timeout
    title = process_title(pid)
    while text not in title and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a title: no event to wait on
        title = process_title(pid)
    return title


def test_usr2_and_cont_reach_every_worker(workers: Workers, namespace: str, tmp_path: Path) -> None:
    config = tmp_path / "resque-pool.yml"
    config.write_text("a: 2\n")
    pool = start_pool(workers, config)
    pids = ready(workers, 2)
    os.kill(pool.pid, signal.SIGUSR2)
    assert all(wait_title(pid, "Paused").endswith("Paused") for pid in pids)
    os.kill(pool.pid, signal.SIGCONT)
    assert all("Waiting for a" in wait_title(pid, "Waiting for") for pid in pids)
    os.kill(pool.pid, signal.SIGINT)
    assert pool.wait(timeout=15) == 0
    assert all(wait_exited(pid) for pid in pids)


def test_term_while_the_master_waits_for_its_workers_after_quit_ends_the_wait_and_says_so(
    workers: Workers, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    config, log = tmp_path / "resque-pool.yml", tmp_path / "pool.log"
    config.write_text("held: 1\n")
    pool = start_pool(workers, config, log=log)
    (pid,) = ready(workers, 1)
    push_raw(redis_client, namespace, "held", b'{"class":"Held","args":["gate"]}')
    assert workers.next("started")  # the worker is busy: on QUIT it finishes the job first
    os.kill(pool.pid, signal.SIGQUIT)
    assert wait_logged(log, "QUIT: graceful shutdown, waiting for children")
    os.kill(pool.pid, signal.SIGTERM)
    assert pool.wait(timeout=15) == 0
    text = log.read_text()
    assert "Recieved TERM: short circuiting QUIT waitpid" in text  # resque-pool's spelling
    assert "Traceback" not in text
    assert not wait_exited(pid, timeout=0)  # the worker still runs its job ...
    redis_client.rpush(workers.key("gate"), "go")
    assert workers.next("finished") == "gate"  # ... and finishes it
    assert wait_exited(pid)


def wait_logged(log: Path, line: str, timeout: float = 15.0) -> bool:
    """The master writes its log lines to a file: no event to wait on but the file itself."""
    deadline = time.monotonic() + timeout
    while line not in log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
