"""Routing for gradual rollout: a class to a Python-only queue, and back to Ruby in one step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from resque_compat import Resque
from resque_compat.activejob import enqueue as enqueue_active_job
from resque_compat.cli import main
from resque_compat.migrate import access, routing
from resque_compat.migrate.routing import Route, Router, RoutingTable
from resque_compat.protocol import decode
from resque_compat.protocol.times import format_started


def classes(resque: Resque, queue: str) -> list[str]:
    out = []
    for raw in resque.queue_store.everything_in_queue(queue):
        job = decode(raw)
        out.append(job["args"][0]["job_class"] if "job_class" in str(job) else job["class"])
    return out


def test_a_route_applies_only_to_its_class_on_its_queue() -> None:
    table = RoutingTable({"Billing::Charge": Route("Billing::Charge", "default", "default_py")})
    assert table.queue_for("Billing::Charge", "default") == "default_py"
    assert table.queue_for("Billing::Charge", "critical") == "critical"
    assert table.queue_for("Report", "default") == "default"


def test_routes_that_are_not_routes_are_ignored_when_read() -> None:
    table = RoutingTable.parse({b"A": b'{"from":"q","to":"p"}', b"B": b"nonsense", b"C": b'{"from":1}'})
    assert list(table.routes) == ["A"]


def test_adding_a_route_moves_waiting_jobs_and_routes_new_ones(resque: Resque) -> None:
    # Given Ruby's queue holding jobs of the class to move, plain and ActiveJob, among others
    resque.enqueue_to("default", "Billing::Charge", 1)
    resque.enqueue_to("default", "Report", 1)
    enqueue_active_job(resque, "SendInvoiceJob", [1])
    store = access(resque)
    # When both classes are routed to the Python-only queue
    first = routing.add(store, Route("Billing::Charge", "default", "default_py"))
    second = routing.add(store, Route("SendInvoiceJob", "default", "default_py"))
    # Then their waiting jobs moved, the rest stayed, and new enqueues follow the route
    assert first is not None and second is not None and (first.total, second.total) == (1, 1)
    router = Router(resque)
    router.enqueue_to("default", "Billing::Charge", 2)
    router.enqueue_to("default", "Report", 2)
    assert classes(resque, "default_py") == ["Billing::Charge", "SendInvoiceJob", "Billing::Charge"]
    assert classes(resque, "default") == ["Report", "Report"]


def test_removing_a_route_sends_the_class_back_to_ruby_in_one_step(resque: Resque) -> None:
    store = access(resque)
    routing.add(store, Route("Billing::Charge", "default", "default_py"))
    resque.enqueue_to("default_py", "Billing::Charge", 1)
    resque.enqueue_to("default_py", "Other", 1)
    found, report = routing.remove(store, "Billing::Charge")
    assert found == Route("Billing::Charge", "default", "default_py")
    assert report is not None and report.total == 1
    assert classes(resque, "default") == ["Billing::Charge"] and classes(resque, "default_py") == ["Other"]
    assert routing.load(store).routes == {}
    assert routing.remove(store, "Billing::Charge") == (None, None)


def test_a_router_rereads_the_table_only_after_its_refresh_interval(resque: Resque) -> None:
    now = [0.0]
    router = Router(resque, refresh=5.0, clock=lambda: now[0])
    assert router.queue_for("A", "default") == "default"
    routing.add(access(resque), Route("A", "default", "default_py"), move=False)
    assert router.queue_for("A", "default") == "default"  # cached
    now[0] = 5.0
    assert router.queue_for("A", "default") == "default_py"


def test_sweep_moves_jobs_that_were_enqueued_without_asking_the_router(resque: Resque) -> None:
    store = access(resque)
    routing.add(store, Route("A", "default", "default_py"))
    resque.enqueue_to("default", "A", 1)
    resque.enqueue_to("default", "B", 1)
    (swept,) = routing.sweep(store)
    assert swept[1].total == 1 and classes(resque, "default_py") == ["A"]


def test_the_route_commands_add_list_and_remove(redis_url: str, namespace: str, resque: Resque) -> None:
    resque.enqueue_to("default", "A", 1)
    # A worker that would take from the Python-only queue (a `*` worker of another process)
    resque.worker_registry.register_worker("rubyhost:4242:*", format_started())

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, ["-r", redis_url, "-N", namespace, "route", *args])

    added = cli("add", "A", "--from", "default", "--to", "default_py")
    assert added.exit_code == 0 and "A: default -> default_py; moved 1 waiting job(s)" in added.stdout
    (row,) = json.loads(cli("list", "--json").stdout)
    assert (row["class"], row["from"], row["to"]) == ("A", "default", "default_py")
    assert sum(row["to_listeners"].values()) == 1  # the `*` worker
    removed = cli("remove", "A")
    assert removed.exit_code == 0 and "moved 1 waiting job(s) back" in removed.stdout
    assert resque.size("default") == 1
    assert cli("remove", "A").exit_code == 1
    assert cli("add", "A", "--from", "q", "--to", "q").exit_code == 2


ROOT = Path(__file__).resolve().parent.parent


def _ruby_snippet() -> str:
    text = (ROOT / "docs" / "migration.md").read_text(encoding="utf-8")
    after = text.split("<!-- ruby-routes-snippet -->", 1)[1]
    return after.split("```ruby\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(
    not (shutil.which("ruby") and os.environ.get("RESQUE_REF_LIB")),
    reason="needs ruby with activejob and RESQUE_REF_LIB (a Resque 3.0 lib/)",
)
def test_the_ruby_initializer_in_the_guide_sends_routed_rails_jobs_to_the_python_queue(
    redis_url: str, namespace: str, resque: Resque, tmp_path: Path
) -> None:
    # Given the guide's initializer loaded into a Rails 6.1 ActiveJob app
    initializer = tmp_path / "resque_compat_routes.rb"
    initializer.write_text(_ruby_snippet())

    def rails_enqueue() -> str:
        app = str(ROOT / "fixtures" / "activejob" / "ruby_worker.rb")
        cmd = ["ruby", app, "--redis", redis_url, "--namespace", namespace,
               "--require", str(initializer), "enqueue", "SendInvoiceJob", "[1]"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["queue_name"])

    # When the class is routed, Rails enqueues it on the Python queue; unrouted, on its own again
    assert rails_enqueue() == "default"
    routing.add(access(resque), Route("SendInvoiceJob", "default", "default_py"), move=False)
    assert rails_enqueue() == "default_py"
    routing.remove(access(resque), "SendInvoiceJob", move=False)
    assert rails_enqueue() == "default"
    assert classes(resque, "default_py") == ["SendInvoiceJob"] and resque.size("default") == 2
    queued = decode(resque.queue_store.everything_in_queue("default_py")[0])
    assert queued["args"][0]["queue_name"] == "default_py"
