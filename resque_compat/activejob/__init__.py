"""Rails ActiveJob jobs on Resque, from Python: run the jobs Rails enqueues, enqueue jobs Rails runs.

Rails' Resque adapter puts ``{"class":"ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper",
"args":[<job.serialize>]}`` on the queue. ``install(registry)`` registers the performer of that
wrapper class; Python performers then register under ActiveJob class names::

    from resque_compat import Registry, activejob

    registry = Registry()
    active_jobs = activejob.install(registry)

    @active_jobs.job("SendInvoiceJob", queue="default")
    def send_invoice(invoice: activejob.GlobalID, options: dict, *, notify: bool = False) -> None:
        ...

    activejob.enqueue(resque, "SendInvoiceJob", [activejob.GlobalID.build("myapp", "Invoice", 7)],
                      {"notify": True})

Arguments arrive as the typed values of ``values`` (``Symbol``, ``GlobalID``, ``RubyTime``...).
"""

from ..protocol.records import WRAPPER_CLASS
from .arguments import DEFAULT_CODEC, Codec
from .dispatch import (
    ActiveJobPerformer,
    ActiveJobWrapper,
    active_job_classes,
    enqueue,
    install,
)
from .errors import (
    ActiveJobError,
    ActiveJobPerformError,
    ArgumentDecodeError,
    ArgumentEncodeError,
    NotAnActiveJob,
    UnknownActiveJobClass,
    UnknownEncodingError,
)
from .payload import (
    DEFAULT_QUEUE,
    JobData,
    build_job_data,
    decode_wrapped,
    encode_wrapped,
    inner_class,
    is_wrapped,
    job_data,
)
from .serializers import CustomSerializer, RailsFormat
from .values import (
    Duration,
    GlobalID,
    IndifferentHash,
    KeywordArguments,
    RubyDateTime,
    RubyModule,
    RubyRange,
    RubyTime,
    Symbol,
    TimeWithZone,
)

__all__ = [
    "DEFAULT_CODEC",
    "DEFAULT_QUEUE",
    "WRAPPER_CLASS",
    "ActiveJobError",
    "ActiveJobPerformError",
    "ActiveJobPerformer",
    "ActiveJobWrapper",
    "ArgumentDecodeError",
    "ArgumentEncodeError",
    "Codec",
    "CustomSerializer",
    "Duration",
    "GlobalID",
    "IndifferentHash",
    "JobData",
    "KeywordArguments",
    "NotAnActiveJob",
    "RailsFormat",
    "RubyDateTime",
    "RubyModule",
    "RubyRange",
    "RubyTime",
    "Symbol",
    "TimeWithZone",
    "UnknownActiveJobClass",
    "UnknownEncodingError",
    "active_job_classes",
    "build_job_data",
    "decode_wrapped",
    "encode_wrapped",
    "enqueue",
    "inner_class",
    "install",
    "is_wrapped",
    "job_data",
]
