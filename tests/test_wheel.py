"""The wheel ``python -m build`` makes works on its own: installed into a fresh virtual
environment (nothing from the checkout), its command line answers, its dashboard serves pages
from the templates and static files it carries, and a burst worker runs a job on a real Redis.

``python -m build`` makes the sdist first and the wheel from that sdist, so a file the sdist
left out is missing from the wheel too. Building and installing take a minute, once a session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from resque_compat import Resque
from resque_compat.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = ["resque_compat/web/templates/layout.html", "resque_compat/web/static/style.css",
                "resque_compat/py.typed"]  # fmt: skip
APP = """
from resque_compat import Registry
from resque_compat.store import connect

registry = Registry()

@registry.job("Wheel::Ping")
def ping(redis_url, key):
    client = connect(redis_url)
    client.rpush(key, "pong")
    client.close()
"""


def run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env
    )
    assert result.returncode == 0, f"{cmd}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def fail_or_skip(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The sdist and the wheel, built once for this module."""
    out = tmp_path_factory.mktemp("dist")
    try:
        import build  # noqa: F401  (the dev extra's build frontend)
    except ImportError:
        fail_or_skip("the build package is missing (it is in the dev extra)")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if result.returncode != 0:
        fail_or_skip(f"python -m build failed (it fetches setuptools from PyPI): {result.stderr[-1500:]}")
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    yield sdist, wheel
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def installed(built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel and its cli and web extras; its bin/."""
    venv = tmp_path_factory.mktemp("wheel-venv")
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    result = subprocess.run([*pip, f"{built[1]}[cli,web]"], capture_output=True, text=True, timeout=600,
                            check=False)  # fmt: skip
    if result.returncode != 0:
        fail_or_skip(f"installing the wheel's dependencies from PyPI failed: {result.stderr[-1500:]}")
    yield venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on the import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "QUEUE", "QUEUES")}
    return {**env, **extra}


def test_the_sdist_and_the_wheel_carry_the_templates_and_static_files(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    with tarfile.open(sdist) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    for name in PACKAGE_DATA:
        assert name in in_sdist and name in in_wheel, name
    templates = {n for n in in_wheel if n.startswith("resque_compat/web/templates/")}
    assert len(templates) == len(list((ROOT / "resque_compat/web/templates").glob("*.html")))


def test_the_installed_wheel_answers_help_and_runs_from_the_environment_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    where = run([str(installed / "python"), "-c", "import resque_compat; print(resque_compat.__file__)"],
                cwd=tmp_path, env=clean_env()).stdout  # fmt: skip
    assert str(installed.parent) in where and str(ROOT) not in where
    assert "work" in run([str(installed / "resque-compat"), "--help"], cwd=tmp_path, env=clean_env()).stdout
    web_help = run([str(installed / "resque-compat"), "web", "--help"], cwd=tmp_path, env=clean_env()).stdout
    assert "--port" in web_help


def test_the_installed_wheel_serves_the_dashboard_and_a_burst_worker_runs_a_job(
    installed: Path, tmp_path: Path, redis_url: str, redis_client: redis.Redis, namespace: str, resque: Resque
) -> None:
    (tmp_path / "wheel_app.py").write_text(APP)
    key = f"{namespace}:wheel-pong"
    resque.enqueue_to("q", "Wheel::Ping", redis_url, key)
    env = clean_env(PYTHONPATH=str(tmp_path), QUEUE="q", INTERVAL="0")  # INTERVAL=0: drain, then exit
    cli = [str(installed / "resque-compat"), "-r", redis_url, "-N", namespace]
    run([*cli, "work", "--app", "wheel_app:registry"], cwd=tmp_path, env=env, timeout=120)
    assert redis_client.lrange(key, 0, -1) == [b"pong"]
    assert resque.info()["processed"] == 1 and resque.size("q") == 0

    port = free_port()
    web = subprocess.Popen([*cli, "web", "-p", str(port)], cwd=tmp_path, env=clean_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        page = _get(f"{base}/overview", web)
        assert 'href="/queues/' in page or "Queues" in page
        css = [line for line in page.splitlines() if ".css" in line]
        assert css, "the page links no stylesheet"
        assert _get(f"{base}/static/style.css", web).strip()
    finally:
        web.terminate()
        web.wait(timeout=30)
        if web.stderr is not None:
            web.stderr.close()


def _get(url: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """GET ``url`` once the server answers (it binds a moment after starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(
                    f"resque-compat web exited: {proc.stderr.read() if proc.stderr else ''}"
                ) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
