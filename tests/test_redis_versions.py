"""Every supported redis-py line (``redis>=5.0.1,<9``) runs the connection layer's tests.

``make test`` runs the whole suite on the newest redis-py and ``make test-compat`` the store and
worker tests on 5.x; this runs test_command_sender.py, test_connection.py, test_sentinel.py and
test_store_typed.py (CommandSender, the only code below redis-py's public client, the connection
layer around it, both through a Sentinel failover, and the store's typed view of redis-py's
commands) once per line, with
that line's release installed from PyPI into ``.venv-redis-py/<version>`` in the checkout (kept
for the next run) and put ahead of the environment's own redis-py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venv-redis-py"
# The newest release of each supported line, and the lower bound, 5.0.1 (which, like 5.0-5.2,
# needs a command name for get_connection). 5.0.0 is excluded: its Redis.close() never closes the
# pool, so a held connection outlived its client.
VERSIONS = ["5.0.1", "5.3.1", "6.4.0", "7.4.1", "8.1.0"]
TESTS = [
    "tests/test_command_sender.py",
    "tests/test_connection.py",
    "tests/test_sentinel.py",
    "tests/test_store_typed.py",
]


def installed(version: str) -> Path:
    """``redis==version`` and its dependencies in a directory of their own."""
    target = CACHE / version
    done = target / ".installed"
    if done.exists():
        return target
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--target", str(target), "--upgrade", f"redis=={version}"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        message = f"could not install redis=={version} from PyPI: {result.stderr.strip()[-400:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done.touch()
    return target


@pytest.mark.parametrize("version", VERSIONS)
def test_the_connection_layer_passes_its_tests_on_each_supported_redis_py(version: str) -> None:
    target = installed(version)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)]),
        "RESQUE_COMPAT_EXPECT_REDIS_PY": version,
    }
    env.pop("REDIS_URL", None)  # each run starts its own throwaway server
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"redis-py {version}:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-500:]
