"""Recording the plugins' fixtures (``python -m conformance.record`` calls these when every
plugin setting is there; see ``conformance/plugins.py``):

* ``fixtures/plugins/unique_keys.json`` -- for each argument list (JSON values, as a worker
  receives them), resque-loner's digest per JSON profile, resque-lock's key and
  resque-lock-timeout's key, computed by the plugins' own methods;
* ``fixtures/keyspace/plugin_*.json`` -- keyspaces after small plugin scenarios, replayed by
  ``tests/test_keyspace_replay.py`` like the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .reference import PROFILES, RedisEndpoint, Reference, RubyDriver

Json = dict[str, Any]

UNIQUE_ARGS: list[list[Any]] = [
    [],
    [1, "two"],
    [1, {"b": 2, "a": [1, {"z": 1, "y": 2}]}, "x", 1.5, None],
    [{"z": None, "a": {"d": 1, "c": 2}}, {"é": "ü"}, True, False],
    ['q"b\\s', "#{x} #$y #@z", "tab\tnl\n\u0001\u007f", "\u2028 \u00a0 \u200b", "😀"],
    [1.0e20, 1.0e-5, 100.0, -0.0, 123456789.123, 18446744073709551616],
    [[1, [2, "x"]], {}, [], [None, None]],
]

PLUGIN_KEYSPACE: dict[str, str] = {
    "plugin_pause_held": "resque-pause: pause:queue:held set, two jobs enqueued there, one on "
    "'open'; a burst worker on held,open takes only the open one.",
    "plugin_loner_enqueue": "resque-loner: Uniq enqueued twice with the same arguments (hash "
    "arguments), once with others.",
    "plugin_loner_performed": "plugin_loner_enqueue, then a burst worker: every loner key gone.",
    "plugin_lock": "resque-lock: Locked enqueued twice (the second refused), then a burst worker: "
    "the lock key deleted after perform.",
    "plugin_lock_timeout_loner": "resque-lock-timeout with @loner = true: enqueued twice (the "
    "second refused); loner:lock:<Class>:<args.join('-')> holds 'true'.",
    "plugin_lock_timeout_performed": "plugin_lock_timeout_loner, then a burst worker: no lock left.",
    "plugin_status_queued": "resque-status: two Status::Export jobs created (Klass.create) with "
    "different options; no worker has run.",
    "plugin_status_completed": "plugin_status_queued, then a burst worker: both statuses completed "
    "(at 1 of 4, a tick, an extra field, then completed).",
}


def record_unique_keys(ref: Reference, endpoint: RedisEndpoint) -> Json:
    """The plugins' own key methods over ``UNIQUE_ARGS``."""
    cases: list[Json] = [{"args": args, "loner": {}} for args in UNIQUE_ARGS]
    for profile in PROFILES:
        with RubyDriver(ref, endpoint.driver_url, "rec_unique", profile) as drv:
            for name in ("loner", "lock", "lock_timeout"):
                drv.call("plugin_load", name=name)
            drv.call("define_job", name="Uniq", queue="u", plugin={"name": "loner"})
            drv.call("define_job", name="Locked", queue="u", plugin={"name": "lock"})
            drv.call("define_job", name="Timed", queue="u", plugin={"name": "lock_timeout"})
            for case in cases:
                drv.call("redis", argv=["SET", "rec_args", json.dumps(case["args"], ensure_ascii=False)])
                args = "Resque.decode(Resque.redis.get('rec_args'))"
                case["loner"][profile] = drv.call(
                    "ruby", code=f"Uniq.redis_key({{'class' => 'Uniq', 'args' => {args}}})"
                )
                if profile == "json_gem":
                    case["lock"] = drv.call("ruby", code=f"Locked.lock(*{args})")
                    case["lock_timeout"] = drv.call("ruby", code=f"Timed.redis_lock_key(*{args})")
            drv.call("flush")
    return {"cases": cases}


def record_plugin_keyspace(fresh: Callable[[str], Any], snap: Callable[[str, str, Any], None]) -> None:
    """The plugin keyspace scenarios, through ``record.py``'s fresh-driver and snapshot helpers."""
    args = [1, {"b": 2, "a": "x"}, 2.5]
    with fresh("rec_ks_pause") as sc:
        sc("plugin_load", name="pause")
        sc("define_job", name="Echo", queue="held", behaviour="noop")
        sc("pause", op="pause", queue="held")
        sc("enqueue", queue="held", args=[1], **{"class": "Echo"})
        sc("enqueue", queue="held", args=[2], **{"class": "Echo"})
        sc("enqueue", queue="open", args=[3], **{"class": "Echo"})
        sc("work", queues=["held", "open"], interval=0)
        snap("plugin_pause_held", PLUGIN_KEYSPACE["plugin_pause_held"], sc)
    with fresh("rec_ks_loner") as sc:
        sc("plugin_load", name="loner")
        sc("define_job", name="Uniq", queue="u", behaviour="noop", plugin={"name": "loner"})
        sc("enqueue", args=args, **{"class": "Uniq"})
        sc("enqueue", args=args, **{"class": "Uniq"})
        sc("enqueue", args=[{"z": 1, "a": None}], **{"class": "Uniq"})
        snap("plugin_loner_enqueue", PLUGIN_KEYSPACE["plugin_loner_enqueue"], sc)
        sc("work", queues=["u"], interval=0)
        snap("plugin_loner_performed", PLUGIN_KEYSPACE["plugin_loner_performed"], sc)
    with fresh("rec_ks_lock") as sc:
        sc("plugin_load", name="lock")
        sc("define_job", name="Locked", queue="l", behaviour="noop", plugin={"name": "lock"})
        sc("enqueue", args=args, **{"class": "Locked"})
        sc("enqueue", args=args, **{"class": "Locked"})
        sc("work", queues=["l"], interval=0)
        snap("plugin_lock", PLUGIN_KEYSPACE["plugin_lock"], sc)
    with fresh("rec_ks_lock_timeout") as sc:
        sc("plugin_load", name="lock_timeout")
        spec = {"name": "lock_timeout", "options": {"loner": True}}
        sc("define_job", name="Single", queue="lt", behaviour="noop", plugin=spec)
        sc("enqueue", args=args, **{"class": "Single"})
        sc("enqueue", args=args, **{"class": "Single"})
        snap("plugin_lock_timeout_loner", PLUGIN_KEYSPACE["plugin_lock_timeout_loner"], sc)
        sc("work", queues=["lt"], interval=0)
        snap("plugin_lock_timeout_performed", PLUGIN_KEYSPACE["plugin_lock_timeout_performed"], sc)
    with fresh("rec_ks_status") as sc:
        sc("plugin_load", name="status")
        sc("define_job", name="Status::Export", queue="st", plugin={"name": "status"})
        sc(
            "status",
            op="create",
            options={"file": "a.pdf", "n": 2, "tags": ["x", None]},
            **{"class": "Status::Export"},
        )
        sc("status", op="create", options={"file": "b.pdf"}, **{"class": "Status::Export"})
        snap("plugin_status_queued", PLUGIN_KEYSPACE["plugin_status_queued"], sc)
        sc("work", queues=["st"], interval=0)
        snap("plugin_status_completed", PLUGIN_KEYSPACE["plugin_status_completed"], sc)
