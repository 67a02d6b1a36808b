"""The production recipes in docs/recipes/ say what the worker needs (QUIT to stop, the whole
group reached, time enough for a job and RESQUE_TERM_TIMEOUT), and the liveness probe the
Kubernetes recipe uses answers from a real worker's heartbeat."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from worker_harness import Workers, workers

__all__ = ["workers"]
RECIPES = Path(__file__).resolve().parent.parent / "docs" / "recipes"


def env_values(pairs: list[str]) -> dict[str, str]:
    return dict(p.split("=", 1) for p in pairs)


def test_the_systemd_unit_stops_with_quit_and_outwaits_the_term_timeout() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    text = RECIPES.joinpath("resque-worker.service").read_text()
    unit.read_string(text)
    service = unit["Service"]
    assert (service["KillSignal"], service["KillMode"]) == ("SIGQUIT", "mixed")
    environment = env_values(
        [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Environment=")]
    )
    assert float(service["TimeoutStopSec"]) > float(environment["RESQUE_TERM_TIMEOUT"])
    assert "resque-compat work" in service["ExecStart"]


def test_the_systemd_unit_is_valid_for_systemd(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = RECIPES.joinpath("resque-worker.service").read_text()
    executable = Path(sys.executable).parent / "resque-compat"
    unit = tmp_path / "resque-worker.service"
    unit.write_text(
        text.replace("/srv/app/.venv/bin/resque-compat", str(executable)).replace("User=app\n", "")
    )
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, check=False)
    if done.returncode != 0 and "System has not been booted with systemd" in done.stderr:
        pytest.skip("systemd-analyze needs a systemd-booted machine")
    assert done.returncode == 0, done.stderr


def test_supervisord_stops_with_quit_and_reaches_the_whole_group() -> None:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(RECIPES.joinpath("supervisord.conf").read_text())
    program = conf["program:resque-worker"]
    assert (program["stopsignal"], program["stopasgroup"], program["killasgroup"]) == ("QUIT", "true", "true")
    assert int(program["stopwaitsecs"]) > 10


def test_the_kubernetes_deployment_quits_gracefully_and_probes_the_heartbeat() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (the pool or scheduler extra) is not installed")
    spec = yaml.safe_load(RECIPES.joinpath("kubernetes.yaml").read_text())["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert spec["terminationGracePeriodSeconds"] > float(env["RESQUE_TERM_TIMEOUT"])
    assert "kill -QUIT 1" in " ".join(container["lifecycle"]["preStop"]["exec"]["command"])
    probe = container["livenessProbe"]["exec"]["command"]
    assert probe[:3] == ["resque-compat", "workers", "alive"]
    max_age = float(probe[probe.index("--max-age") + 1])
    assert max_age > float(env["RESQUE_HEARTBEAT_INTERVAL"])


def test_the_dockerfile_runs_the_worker_under_tini_and_stops_it_with_quit() -> None:
    lines = [line.strip() for line in RECIPES.joinpath("Dockerfile").read_text().splitlines()]
    assert "STOPSIGNAL SIGQUIT" in lines
    assert 'ENTRYPOINT ["/usr/bin/tini", "-g", "--"]' in lines
    assert any(line.startswith('CMD ["resque-compat", "work"') for line in lines)


def test_the_liveness_probe_answers_from_the_workers_heartbeat(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    def probe(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "resque_compat.cli", "workers", "alive", *args]
        return subprocess.run(cmd, env=workers.env(), capture_output=True, text=True, timeout=30, check=False)

    assert probe().returncode == 1  # no worker yet
    proc = workers.start(QUEUE="q")
    live = probe("--max-age", "180")
    assert live.returncode == 0 and workers.worker_id(proc) in live.stdout
    assert probe("--host", "elsewhere").returncode == 1
    assert workers.stop(proc) == 0
    assert probe().returncode == 1
