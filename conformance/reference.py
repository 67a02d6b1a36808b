"""Locate and drive the Ruby Resque reference used by the conformance suite.

This module has no dependency on ``resque_compat``: it only knows how to find a
real Ruby Resque, start ``conformance/ruby/driver.rb`` against a Redis server and
talk to it over its JSON-lines protocol.

A reference is found, in order:

1. **local** -- ``RESQUE_REF_LIB`` names a Resque ``lib/`` directory (a checkout
   of github.com/resque/resque at the wanted tag); ``RESQUE_REF_RUBY`` names the
   ruby executable (default ``ruby``).  The driver is started as
   ``$RESQUE_REF_RUBY -I $RESQUE_REF_LIB conformance/ruby/driver.rb ...``.
2. **docker** -- when ``docker info`` answers, the image described by
   ``conformance/Dockerfile`` (Ruby + ``gem install resque`` + redis-server) is
   used through ``conformance/docker-compose.yml``.

``RESQUE_REF=local|docker|none`` forces one choice.  When nothing is found,
:func:`find_reference` returns a one-line reason instead of a reference, which
callers hand to ``pytest.skip``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

CONFORMANCE_DIR = Path(__file__).resolve().parent
REPO_ROOT = CONFORMANCE_DIR.parent
DRIVER_PATH = CONFORMANCE_DIR / "ruby" / "driver.rb"
COMPOSE_FILE = CONFORMANCE_DIR / "docker-compose.yml"
DEFAULT_COMPOSE_PROJECT = "resque-compat-ref"

PROFILES: tuple[str, ...] = ("json_gem", "oj", "rails")

NO_REFERENCE = (
    "no Ruby Resque reference: set RESQUE_REF_LIB to a Resque lib/ directory "
    "(see DEVELOPERS.md) or run with a Docker engine"
)

BYTES_MARKER = "__bytes_b64__"


class ReferenceError(RuntimeError):
    """The reference could not be started or stopped talking."""


class RubyError(RuntimeError):
    """The driver answered ``ok: false``: Ruby raised while running a command."""

    def __init__(self, cmd: str, error_class: str, error: str, backtrace: list[str]) -> None:
        self.cmd = cmd
        self.error_class = error_class
        self.error = error
        self.backtrace = backtrace
        super().__init__(f"Ruby raised on {cmd!r}: {error_class}: {error}")


# --------------------------------------------------------------------------
# finding a reference
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """How to start the Ruby driver."""

    kind: Literal["local", "docker"]
    ruby: str = "ruby"
    lib: Path | None = None
    compose_file: Path = COMPOSE_FILE
    compose_project: str = DEFAULT_COMPOSE_PROJECT
    compose_env: tuple[tuple[str, str], ...] = ()
    """Variables for ``docker compose`` itself (``RESQUE_VERSION=2.7.0`` picks the 2.x image)."""

    def describe(self) -> str:
        if self.kind == "local":
            return f"local ruby {self.ruby!r} with Resque from {self.lib}"
        return f"docker compose project {self.compose_project!r} ({self.compose_file.name})"

    def environ(self) -> dict[str, str]:
        """The process environment for ``docker compose`` (and the local driver)."""
        return {**os.environ, **dict(self.compose_env)}

    def compose_argv(self) -> list[str]:
        return [
            "docker",
            "compose",
            "-f",
            str(self.compose_file),
            "-p",
            self.compose_project,
        ]

    def driver_argv(
        self,
        redis_url: str,
        namespace: str,
        profile: str,
        env: Mapping[str, str] | None = None,
    ) -> list[str]:
        """The command line that starts the driver (env given to docker as ``-e``)."""
        tail = ["--redis", redis_url, "--namespace", namespace, "--json", profile]
        if self.kind == "local":
            assert self.lib is not None
            driver = DRIVER_PATH.relative_to(REPO_ROOT).as_posix()  # cwd is REPO_ROOT
            return [self.ruby, "-I", str(self.lib), *plugin_lib_flags(), driver, *tail]
        flags: list[str] = []
        for key, value in (env or {}).items():
            flags += ["-e", f"{key}={value}"]
        return [*self.compose_argv(), "run", "--rm", "-T", *flags, "driver", *tail]


def _local_reference() -> Reference | str:
    lib_setting = os.environ.get("RESQUE_REF_LIB", "")
    if not lib_setting:
        return "RESQUE_REF_LIB is not set"
    lib = Path(lib_setting).expanduser()
    if not (lib / "resque.rb").is_file():
        return f"RESQUE_REF_LIB={lib_setting} has no resque.rb (it must name Resque's lib/)"
    ruby = os.environ.get("RESQUE_REF_RUBY", "ruby")
    if shutil.which(ruby) is None:
        return f"RESQUE_REF_RUBY={ruby!r} is not an executable on PATH"
    return Reference(kind="local", ruby=ruby, lib=lib.resolve())


PLUGIN_LIBS: dict[str, tuple[str, str]] = {
    # setting -> (the file its lib/ must hold, what it is)
    "RESQUE_SCHEDULER_LIB": ("resque-scheduler.rb", "resque-scheduler 5.0"),
}
"""Plugin references for a local Ruby: each setting names a plugin's ``lib/``, put on the
driver's load path after Resque's."""


def plugin_lib_problem(setting: str) -> str | None:
    """Why the plugin that ``setting`` names cannot be used (``None`` when it can)."""
    marker, what = PLUGIN_LIBS[setting]
    value = os.environ.get(setting, "")
    if not value:
        return f"{setting} is not set (it names {what}'s lib/ directory; see DEVELOPERS.md)"
    if not (Path(value).expanduser() / marker).is_file():
        return f"{setting}={value} has no {marker} (it must name {what}'s lib/ directory)"
    return None


def plugin_lib_flags() -> list[str]:
    """``-I <lib>`` for every plugin setting that names a usable ``lib/``."""
    flags: list[str] = []
    for setting in PLUGIN_LIBS:
        if plugin_lib_problem(setting) is None:
            flags += ["-I", str(Path(os.environ[setting]).expanduser().resolve())]
    return flags


def docker_available(timeout: float = 15.0) -> bool:
    """True when a Docker engine answers ``docker info``."""
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "info"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_reference_2x(compose_project: str | None = None) -> Reference | str | None:
    """The optional 2.x reference: ``RESQUE_REF_LIB_2X`` (a Resque 2.x ``lib/``), or
    ``RESQUE_REF_DOCKER_2X`` (a gem version such as ``2.7.0``) with a Docker engine.
    ``None`` when neither is set; a reason string when one is set but unusable."""
    lib_setting = os.environ.get("RESQUE_REF_LIB_2X", "")
    if lib_setting:
        lib = Path(lib_setting).expanduser()
        if not (lib / "resque.rb").is_file():
            return f"RESQUE_REF_LIB_2X={lib_setting} has no resque.rb (it must name Resque's lib/)"
        ruby = os.environ.get("RESQUE_REF_RUBY", "ruby")
        return Reference(kind="local", ruby=ruby, lib=lib.resolve())
    version = os.environ.get("RESQUE_REF_DOCKER_2X", "")
    if version:
        if not docker_available():
            return f"RESQUE_REF_DOCKER_2X={version} but no Docker engine answers `docker info`"
        project = f"{compose_project or DEFAULT_COMPOSE_PROJECT}-2x"
        return Reference(kind="docker", compose_project=project, compose_env=(("RESQUE_VERSION", version),))
    return None


def find_reference(compose_project: str | None = None) -> Reference | str:
    """Return a :class:`Reference`, or a one-line reason why there is none."""
    forced = os.environ.get("RESQUE_REF", "").strip().lower()
    if forced == "none":
        return "RESQUE_REF=none: Ruby reference disabled"
    project = compose_project or DEFAULT_COMPOSE_PROJECT
    if forced in ("", "local"):
        local = _local_reference()
        if isinstance(local, Reference):
            return local
        if forced == "local":
            return f"no Ruby Resque reference: {local} (see DEVELOPERS.md)"
    if forced in ("", "docker") and docker_available():
        return Reference(kind="docker", compose_project=project)
    return NO_REFERENCE


# --------------------------------------------------------------------------
# Redis servers
# --------------------------------------------------------------------------


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """A bare RESP PING, so this module needs no Redis client library."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisEndpoint:
    """A Redis as seen from Python (``url``) and from the driver (``driver_url``)."""

    host: str
    port: int
    driver_url: str = ""

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def __post_init__(self) -> None:
        if not self.driver_url:
            self.driver_url = self.url


class RedisServer:
    """A throwaway ``redis-server`` on a free loopback port (no persistence)."""

    def __init__(self, executable: str | None = None, port: int | None = None) -> None:
        self.executable = executable or os.environ.get("RESQUE_REF_REDIS_SERVER", "redis-server")
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = RedisEndpoint("127.0.0.1", self.port)

    def start(self, timeout: float = 10.0) -> RedisEndpoint:
        if shutil.which(self.executable) is None:
            raise ReferenceError(f"{self.executable!r} not found: install redis-server")
        argv = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir()
        )
        deadline = time.monotonic() + timeout
        while not redis_ping("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ReferenceError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self.endpoint

    def version(self) -> str:
        out = subprocess.run(
            [self.executable, "--version"], capture_output=True, text=True, check=False
        ).stdout
        for word in out.split():
            if word.startswith("v="):
                return word[2:]
        return out.strip()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> RedisEndpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class DockerServices(Protocol):
    """The part of pytest-docker's ``docker_services`` fixture used here."""

    def port_for(self, service: str, container_port: int) -> int: ...

    def wait_until_responsive(self, check: Any, timeout: float, pause: float, clock: Any = ...) -> None: ...


def docker_redis_endpoint(docker_services: DockerServices, timeout: float = 60.0) -> RedisEndpoint:
    """pytest-docker glue: the compose ``redis`` service as an endpoint.

    In ``tests/conftest.py``::

        @pytest.fixture(scope="session")
        def docker_compose_file() -> str:
            return str(reference.COMPOSE_FILE)

        @pytest.fixture(scope="session")
        def ruby_redis(docker_services):
            return reference.docker_redis_endpoint(docker_services)

    and build the :class:`Reference` with
    ``find_reference(compose_project=<docker_compose_project_name fixture>)`` so that
    ``docker compose run driver`` joins the same compose network.
    """
    port = docker_services.port_for("redis", 6379)
    docker_services.wait_until_responsive(
        check=lambda: redis_ping("127.0.0.1", port), timeout=timeout, pause=0.2
    )
    return RedisEndpoint("127.0.0.1", port, driver_url="redis://redis:6379/0")


class DockerRedis:
    """Start the compose ``redis`` service without pytest-docker (used by the recorder)."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference

    def _compose(self, *args: str, capture: bool = False) -> str:
        done = subprocess.run(
            [*self.reference.compose_argv(), *args],
            capture_output=capture,
            text=True,
            check=True,
            env=self.reference.environ(),
        )
        return done.stdout if capture else ""

    def start(self, timeout: float = 120.0) -> RedisEndpoint:
        self._compose("up", "-d", "--build", "redis")
        port = int(self._compose("port", "redis", "6379", capture=True).strip().rsplit(":", 1)[1])
        deadline = time.monotonic() + timeout
        while not redis_ping("127.0.0.1", port):
            if time.monotonic() > deadline:
                raise ReferenceError("compose redis service did not answer PING")
            time.sleep(0.2)
        return RedisEndpoint("127.0.0.1", port, driver_url="redis://redis:6379/0")

    def version(self) -> str:
        out = self._compose("exec", "-T", "redis", "redis-server", "--version", capture=True)
        for word in out.split():
            if word.startswith("v="):
                return word[2:]
        return out.strip()

    def stop(self) -> None:
        self._compose("down", "-v", "--remove-orphans")


def start_redis(reference: Reference) -> RedisServer | DockerRedis:
    """A Redis server suitable for ``reference`` (not yet started)."""
    return RedisServer() if reference.kind == "local" else DockerRedis(reference)


# --------------------------------------------------------------------------
# the driver
# --------------------------------------------------------------------------


def _unwire(value: Any) -> Any:
    """Turn the driver's ``{"__bytes_b64__": ...}`` markers back into ``bytes``."""
    if isinstance(value, dict):
        if len(value) == 1 and BYTES_MARKER in value:
            return base64.b64decode(value[BYTES_MARKER])
        return {k: _unwire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwire(v) for v in value]
    return value


@dataclass
class RubyDriver:
    """One ``driver.rb`` process bound to a Redis URL, a namespace and a JSON profile."""

    reference: Reference
    redis_url: str
    namespace: str = "resque"
    profile: str = "json_gem"
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 120.0
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    altered: bool = field(default=False, init=False)
    """Set by the harness once a command changed this Ruby process (a plugin loaded ...)."""
    _stderr: Any = field(default=None, init=False, repr=False)
    _buffer: bytes = field(default=b"", init=False, repr=False)

    def start(self) -> RubyDriver:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown JSON profile {self.profile!r}; one of {PROFILES}")
        argv = self.reference.driver_argv(self.redis_url, self.namespace, self.profile, self.env)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the driver
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=REPO_ROOT,
            env={**self.reference.environ(), **self.env},
        )
        return self

    def stderr_text(self, limit: int = 4000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        data: bytes = self._stderr.read()
        return data[-limit:].decode("utf-8", "replace")

    def _readline(self, timeout: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise ReferenceError(f"driver gave no reply in {timeout}s")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise ReferenceError("driver exited; stderr:\n" + self.stderr_text())
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def request(self, cmd: str, /, **kw: Any) -> dict[str, Any]:
        """Send one command and return the raw reply object.

        ``_timeout`` (seconds) overrides the driver's reply timeout for this call.
        """
        timeout = float(kw.pop("_timeout", None) or self.timeout)
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        line = json.dumps({"cmd": cmd, **kw}, ensure_ascii=True) + "\n"
        try:
            self.proc.stdin.write(line.encode("ascii"))
            self.proc.stdin.flush()
        except BrokenPipeError as exc:
            raise ReferenceError("driver is gone; stderr:\n" + self.stderr_text()) from exc
        reply: dict[str, Any] = json.loads(self._readline(timeout))
        return reply

    def call(self, cmd: str, /, **kw: Any) -> Any:
        """Run ``cmd`` and return its result; raise :class:`RubyError` if Ruby raised.

        Strings that were not valid UTF-8 on the Ruby side come back as ``bytes``.
        """
        reply = self.request(cmd, **kw)
        if not reply.get("ok"):
            raise RubyError(
                cmd,
                str(reply.get("error_class")),
                str(reply.get("error")),
                list(reply.get("backtrace") or []),
            )
        return _unwire(reply.get("result"))

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.write(b'{"cmd":"quit"}\n')
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> RubyDriver:
        return self.start() if self.proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextlib.contextmanager
def reference_session(
    reference: Reference | None = None,
) -> Iterator[tuple[Reference, RedisEndpoint, RedisServer | DockerRedis]]:
    """Find a reference and start a throwaway Redis for it (raises if there is none)."""
    found = reference or find_reference()
    if isinstance(found, str):
        raise ReferenceError(found)
    server = start_redis(found)
    endpoint = server.start()
    try:
        yield found, endpoint, server
    finally:
        server.stop()
