"""The readers of a keyspace full of garbage: every reading CLI command and every GET route of
the dashboard (from the app's route table), each asked to answer without a traceback or a 500
and, when it cannot show a key, to name it."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from resque_compat import Resque
from resque_compat.admin import Admin
from resque_compat.cli import main
from resque_compat.config.web import WebSettings
from resque_compat.store import connect
from resque_compat.web import create_app

COMMANDS = [
    ["queues"], ["info"], ["inventory"], ["doctor", "--json"], ["workers", "list"], ["failures", "list"],
    ["failures", "count"], ["delayed", "list"], ["schedule", "list"], ["route", "list"],
]  # fmt: skip
PARAMS = {"name": "q1", "index": "0", "failed_queue": "failed", "section": "resque", "timestamp": "1"}


def _reported_errors(command: list[str], text: str) -> bool:
    """``doctor`` exits 1 while errors remain: fine when it listed them (a key of the wrong type
    among them) rather than stopping."""
    if command[0] != "doctor":
        return False
    try:
        found = json.loads(text)["findings"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(f["severity"] == "error" for f in found)


def crashed_readers(url: str, namespace: str) -> list[str]:
    """What crashed (a traceback, a 500) or failed without naming a key; empty when none did."""
    out = []
    runner = CliRunner()
    for command in COMMANDS:
        result = runner.invoke(main, ["-r", url, "-N", namespace, *command])
        text = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            out.append(f"resque-compat {' '.join(command)}: {result.exception!r}")
        elif result.exit_code != 0 and "holds a" not in text and not _reported_errors(command, text):
            out.append(f"resque-compat {' '.join(command)}: {text[-300:]}")
    client = connect(url)
    resque = Resque(client, namespace=namespace)
    app = create_app(resque=resque, admin=Admin.from_client(resque), web=WebSettings(history=False))
    with TestClient(app, raise_server_exceptions=False) as web:
        for route in app.routes:
            if not (isinstance(route, Route) and "GET" in (route.methods or ())):
                continue
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m.group(1), "x"), route.path)
            response = web.get(path, follow_redirects=False)
            unnamed = response.status_code == 409 and "holds a" not in response.text
            if response.status_code >= 500 or unnamed:
                out.append(f"GET {path}: {response.status_code} {response.text[-300:]}")
    client.close()
    return out
