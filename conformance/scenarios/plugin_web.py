"""Each plugin's own resque-web tab, loaded into Ruby's ``Resque::Server`` (resque-pause's
``/pause``, resque-retry's ``/retry`` and ``/retry/<timestamp>``, resque-status's ``/statuses``
and ``/statuses/<id>``), renders the state Python wrote: 200, no error page, Python's data shown.

Python pauses a queue, runs a resque-retry job that fails once (its retry waits in the delayed
queue, its failure suppressed in ``failure-resque-retry:...``) and a resque-status job.
"""

from __future__ import annotations

from ..harness import PYTHON_TO_RUBY, Ctx
from ..plugins import need_plugin
from . import Scenario

RETRY_JOB = "Web::Later"
STATUS_JOB = "Web::Export"
SUPPRESSION_PY = {"RESQUE_FAILURE_BACKENDS": "resque_compat.plugins.retry_failure:suppression"}


def plugin_tabs(ctx: Ctx) -> None:
    need_plugin(ctx, "pause", "retry", "status")
    python, ruby = ctx.python(), ctx.ruby()
    retry_spec = {"name": "retry", "options": {"retry_limit": 3, "retry_delay": 600}}
    for side in (python, ruby):
        for plugin in ("pause", "retry", "status"):
            side.call("plugin_load", name=plugin)
        side.call("define_job", name=RETRY_JOB, queue="wq", behaviour="raise", plugin=retry_spec)
        side.call("define_job", name=STATUS_JOB, queue="wq", plugin={"name": "status"})
    python.call("pause", op="pause", queue="held")
    python.call("enqueue", queue="held", args=[1], **{"class": STATUS_JOB})
    python.call("enqueue", args=[7, "x"], **{"class": RETRY_JOB})
    uuid = python.call("status", op="create", options={"file": "a.pdf"}, **{"class": STATUS_JOB})
    done = python.call("work", queues=["wq"], interval=0, env=SUPPRESSION_PY)
    ctx.equal(0, done.get("exitstatus"), "the Python worker's exit status")
    timestamp = python.resque.delayed_queue_peek(0, 1)[0]
    pages = {
        "/pause": ["held", "checked"],
        "/retry": [RETRY_JOB, "[7, &quot;x&quot;]"],
        f"/retry/{timestamp}": [RETRY_JOB, "RuntimeError", "boom"],
        "/statuses": [uuid, "completed"],
        f"/statuses/{uuid}": [uuid, "Completed at "],
    }
    for path, wanted in pages.items():
        got = ruby.call("web_get", path=path)
        body = str(got["body"])
        ctx.equal(200, got["status"], f"GET {path} status")
        for bad in ("Internal Server Error", "NoMethodError", "Sinatra::NotFound"):
            ctx.expect(bad not in body, f"GET {path} shows {bad!r}")
        for text in wanted:
            ctx.expect(text in body, f"GET {path} does not show {text!r}")
    ctx.note("rendered by the plugins' own server.rb: " + ", ".join(pages))


SCENARIOS = (
    Scenario("plugin_web", "Plugins' resque-web tabs on Python's state", plugin_tabs, (PYTHON_TO_RUBY,)),
)
