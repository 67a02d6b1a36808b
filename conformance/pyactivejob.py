"""Python ActiveJob performers for the conformance suite, and the typed shape both sides record.

A Python worker loads this module through ``RESQUE_APP=conformance.pyactivejob``: ``registry``
holds the JobWrapper performer (``activejob.install``) with one recording performer per ActiveJob
class in ``JOB_CLASSES``. Each RPUSHes to the namespaced list ``performed`` what it received, in
the same form as the Ruby driver's ActiveJob classes (``aj_define`` in ``ruby/driver.rb``):
``{"job_class","args","kwargs","inspect","job_id","queue_name","priority","locale"}``, where
``args`` and ``kwargs`` are :func:`shape` of the values, so a Ruby ``Symbol`` and a Python
``Symbol``, a located Ruby record and a Python ``GlobalID``, compare equal and a plain string
does not equal a symbol.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from resque_compat import Registry, Resque
from resque_compat.activejob import (
    Duration,
    GlobalID,
    IndifferentHash,
    JobData,
    RubyDateTime,
    RubyModule,
    RubyTime,
    Symbol,
    TimeWithZone,
    install,
)
from resque_compat.activejob.serializers import format_iso8601
from resque_compat.protocol import encode

JOB_CLASSES: tuple[tuple[str, str], ...] = (("SendInvoiceJob", "default"), ("Billing::ChargeJob", "billing"))
"""The ActiveJob classes (name, queue) the Python worker performs, as the Ruby side defines them."""


def shape(value: Any) -> Any:
    """The typed shape of an ActiveJob argument (``ConformanceActiveJob.shape`` in the driver).

    JSON scalars stay as they are, lists element-wise; everything Ruby would see as another class
    is a one-key object naming it: ``{"Symbol": name}``, ``{"Hash": [[k, v], ...]}``,
    ``{"GlobalID": uri}``, ``{"Time": iso8601(9)}``, ``{"Date": "2024-01-02"}`` ...
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"Float": repr(value)}
    if isinstance(value, Symbol):
        return {"Symbol": str(value)}
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return [shape(v) for v in value]
    if isinstance(value, Mapping):
        tag = "HashWithIndifferentAccess" if isinstance(value, IndifferentHash) else "Hash"
        return {tag: [[shape(k), shape(v)] for k, v in value.items()]}
    return _shape_object(value)


def _shape_object(value: Any) -> Any:
    if isinstance(value, RubyTime):
        tag = (
            "TimeWithZone"
            if isinstance(value, TimeWithZone)
            else "DateTime"
            if isinstance(value, RubyDateTime)
            else "Time"
        )
        return {tag: format_iso8601(value, value.nanosecond, z_for_zero=_z_for_zero(value))}
    if isinstance(value, datetime):
        return {"Object": f"datetime: {value!r}"}
    if isinstance(value, date):
        return {"Date": value.isoformat()}
    if isinstance(value, GlobalID):
        return {"GlobalID": value.uri}
    if isinstance(value, Duration):
        return {"Duration": [value.value, [[unit, n] for unit, n in value.parts]]}
    if isinstance(value, RubyModule):
        return {"Module": value.name}
    if isinstance(value, Decimal):
        return {"Object": f"BigDecimal: {value}"}
    return {"Object": f"{type(value).__name__}: {value!r}"}


def _z_for_zero(value: RubyTime) -> bool | None:
    """Ruby's choice of ``Z`` for a zero offset: TimeWithZone always, DateTime never."""
    if isinstance(value, TimeWithZone):
        return True
    if isinstance(value, RubyDateTime):
        return False
    return None


def keyword_shape(kwargs: Mapping[str, Any]) -> Any:
    """The shape of keyword arguments as Ruby's ``**kwargs`` holds them: a Symbol-keyed Hash."""
    return {"Hash": [[{"Symbol": str(k)}, shape(v)] for k, v in kwargs.items()]}


class Recorder:
    """The performer of one ActiveJob class: records what it was called with."""

    def __init__(self, job_class: str) -> None:
        self.job_class = job_class

    def __call__(self, data: JobData, *args: Any, **kwargs: Any) -> None:
        entry = {
            "job_class": self.job_class,
            "args": shape(list(args)),
            "kwargs": keyword_shape(kwargs),
            "inspect": repr(list(args)),
            "job_id": data.job_id,
            "queue_name": data.queue_name,
            "priority": data.priority,
            "locale": data.locale,
        }
        resque = Resque.from_env()
        resque.redis.rpush(resque.keys.physical("performed"), encode(entry))


def build_registry() -> Registry:
    """The JobWrapper performer with a ``Recorder`` for each of ``JOB_CLASSES``."""
    out = Registry()
    active_jobs = install(out)
    for job_class, queue in JOB_CLASSES:
        active_jobs.register(Recorder(job_class), job_class, queue=queue, with_job=True)
    return out


registry = build_registry()
