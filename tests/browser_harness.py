"""The dashboard in a real browser, shared by the browser tests: Debian's Chromium through
Playwright (never a downloaded browser), a real ``resque-compat web`` process on a free port over
a namespace of its own, and pages that collect every script error.

Chromium comes from ``RESQUE_COMPAT_CHROMIUM`` or ``/usr/bin/chromium`` (``.ci/run`` installs it).
Without it the browser tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from resque_compat import Resque
from resque_compat.store import connect
from resque_compat.testing import free_port

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def chromium_path() -> str:
    path = os.environ.get("RESQUE_COMPAT_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        message = f"no Chromium at {path} (apt-get install chromium, or set RESQUE_COMPAT_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def new_page(browser: Any, **options: Any) -> Any:
    """A page in a fresh context (``options``: Playwright's, e.g. ``color_scheme``); its
    ``errors`` collect uncaught exceptions and console errors."""
    context = browser.new_context(**options)
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))
    p.on("console", lambda msg: p.errors.append(msg.text) if msg.type == "error" else None)
    return p


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = new_page(browser)
    try:
        yield p
    finally:
        p.context.close()


class Dashboard:
    """A ``resque-compat web`` process; ``url(path)`` builds its addresses."""

    def __init__(self, redis_url: str, namespace: str, *extra: str) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "web", "-N", namespace,
               "-o", "127.0.0.1", "-p", str(port), "--strict-port", *extra]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed once the socket listens
        assert line.startswith("resque-compat web: http://"), line

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@contextmanager
def dashboard_over(redis_url: str, prefix: str) -> Iterator[tuple[Dashboard, Resque]]:
    """A dashboard over a namespace of its own (``<prefix>-<pid>``), and a client of it; the
    namespace's keys are deleted at the end."""
    namespace = f"{prefix}-{os.getpid()}"
    client = connect(redis_url)
    dash = Dashboard(redis_url, namespace)
    try:
        yield dash, Resque(client, namespace=namespace)
    finally:
        dash.stop()
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def reseeded(shared: tuple[Dashboard, Resque], seed: Callable[[Resque], None]) -> tuple[Dashboard, Resque]:
    """The shared dashboard over its namespace emptied and seeded again."""
    dash, resque = shared
    keys = list(resque.redis.scan_iter(match=f"{resque.namespace}:*"))
    if keys:
        resque.redis.delete(*keys)
    seed(resque)
    return dash, resque
