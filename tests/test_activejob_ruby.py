"""Live ActiveJob interop with real Rails 6.1 ActiveJob and Ruby Resque, in both directions.

Needs ``ruby`` with activejob 6.1 and globalid (Debian: ruby-activejob, ruby-globalid,
ruby-redis-namespace, ruby-multi-json) and ``RESQUE_REF_LIB`` naming a Resque 3.0 ``lib/``
(as the conformance suite does); skipped otherwise. The replay tests in
``test_activejob_fixtures.py`` cover the same payloads without Ruby.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from resque_compat import Resque
from resque_compat.activejob import GlobalID, Symbol, enqueue

ROOT = Path(__file__).resolve().parent.parent
RUBY_APP = ROOT / "fixtures" / "activejob" / "ruby_worker.rb"


def _ruby_reason() -> str | None:
    if not shutil.which("ruby"):
        return "no ruby"
    if not os.environ.get("RESQUE_REF_LIB"):
        return "RESQUE_REF_LIB is not set (a Resque 3.0 lib/ directory)"
    probe = subprocess.run(
        ["ruby", "-e", 'require "active_job"; require "global_id"; exit(ActiveJob::VERSION::MAJOR)'],
        capture_output=True,
    )
    if probe.returncode not in (6, 7):
        return "activejob 6.x/7.x with globalid is not installed for ruby"
    return None


pytestmark = pytest.mark.skipif(_ruby_reason() is not None, reason=str(_ruby_reason()))


def ruby(redis_url: str, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["ruby", str(RUBY_APP), "--redis", redis_url, "--namespace", namespace, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


APP = """
import json
from resque_compat import Registry
from resque_compat.activejob import install

registry = Registry()
active_jobs = install(registry)

@active_jobs.job("SendInvoiceJob")
def send_invoice(invoice, options, tag, *, notify=False, reason=None):
    record = {"invoice": [invoice.model_name, invoice.model_id], "options": sorted(options.items()),
              "key_types": sorted(type(k).__name__ for k in options), "tag": [type(tag).__name__, tag],
              "notify": notify, "reason": reason}
    with open(OUT, "a") as f:
        f.write(json.dumps(record) + "\\n")

@active_jobs.job("Billing::ChargeJob")
def charge(amount):
    raise ValueError(f"card declined for {amount}")
"""


def test_a_job_rails_enqueued_runs_in_a_python_worker_with_its_arguments(
    redis_url: str, namespace: str, resque: Resque, tmp_path: Path
) -> None:
    # Given a Rails app enqueueing two ActiveJob jobs, one that will fail
    out = tmp_path / "performed.jsonl"
    (tmp_path / "aj_app.py").write_text(f"OUT = {str(out)!r}\n{APP}")
    args = '[Invoice.new(7), {copies: 2, "b" => "x"}, :urgent]'
    ruby(redis_url, namespace, "enqueue", "SendInvoiceJob", args, '{notify: true, reason: "late"}')
    ruby(redis_url, namespace, "enqueue", "Billing::ChargeJob", "[100]")
    # When a Python worker drains the queues
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "resque_compat.cli", "-r", redis_url, "-N", namespace, "work",
           "--app", "aj_app:registry", "--queue", "default,billing", "--interval", "0"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # Then the Python performer got the GlobalID, the symbol-keyed hash and the keyword arguments
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record == {
        "invoice": ["Invoice", "7"],
        "options": [["b", "x"], ["copies", 2]],
        "key_types": ["Symbol", "str"],
        "tag": ["Symbol", "urgent"],
        "notify": True,
        "reason": "late",
    }
    # And the failed job is recorded with the inner class named
    (failure,) = resque.failure.all(0, 10)
    assert failure.record is not None
    assert failure.record["error"] == "Billing::ChargeJob raised ValueError: card declined for 100"


def test_a_job_python_enqueued_runs_in_a_ruby_worker_with_its_arguments(
    redis_url: str, namespace: str, resque: Resque
) -> None:
    # Given an ActiveJob job enqueued from Python with a record, a symbol hash and keywords
    invoice = GlobalID.build("myapp", "Invoice", 7)
    job_id = enqueue(
        resque, "SendInvoiceJob", [invoice, {Symbol("a"): [1, 2], "b": "<&>"}], {"notify": True}, priority=3
    )
    # When a Ruby Resque worker with Rails 6.1's ActiveJob drains the queue
    ruby(redis_url, namespace, "work", "default")
    # Then Ruby's job ran with Ruby values: the located record, a symbol key, a keyword argument
    performed: list[Any] = [json.loads(r) for r in resque.redis.lrange(f"{namespace}:performed", 0, -1)]  # type: ignore[union-attr]
    assert performed == [
        {
            "job_class": "SendInvoiceJob",
            "args": '[#<Invoice id=7>, {:a=>[1, 2], "b"=>"<&>"}]',
            "kwargs": "{:notify=>true}",
            "classes": ["Invoice", "Hash"],
            "locale": "en",
            "job_id": job_id,
            "queue_name": "default",
            "priority": 3,
        }
    ]
    assert resque.failure.count() == 0
