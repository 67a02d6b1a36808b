"""The pure protocol layer: key names, payloads, Ruby-exact JSON, time formats, worker ids.

Nothing here performs I/O.
"""

from .keys import DEFAULT_NAMESPACE, Keys, failure_queue_name, job_queue_name
from .payloads import (
    FailureRecord,
    InvalidPayload,
    Job,
    JobEncoder,
    JobPayload,
    WorkingOn,
    decode_job,
    encode_job,
    failure_record,
    filter_backtrace,
    job_payload,
    working_on,
)
from .rubyjson import Profile, decode, encode, oj_float, ruby_float
from .worker_id import WorkerId, format_worker_id, is_safe_for_ruby, parse_worker_id, ruby_split

__all__ = [
    "DEFAULT_NAMESPACE",
    "FailureRecord",
    "InvalidPayload",
    "Job",
    "JobEncoder",
    "JobPayload",
    "Keys",
    "Profile",
    "WorkerId",
    "WorkingOn",
    "decode",
    "decode_job",
    "encode",
    "encode_job",
    "failure_queue_name",
    "failure_record",
    "filter_backtrace",
    "format_worker_id",
    "is_safe_for_ruby",
    "job_payload",
    "job_queue_name",
    "oj_float",
    "parse_worker_id",
    "ruby_float",
    "ruby_split",
    "working_on",
]
