"""The pure protocol layer: key names, payloads, failure records, Ruby-exact JSON, time formats,
worker ids.

Nothing here performs I/O.
"""

from ..errors import InvalidPayload
from .failure import FailureRecord, exception_name, filter_backtrace, unreadable_payload
from .keys import DEFAULT_NAMESPACE, Keys, failure_queue_name, job_queue_name
from .payloads import (
    Job,
    JobEncoder,
    decode_job,
    encode_job,
    job_payload,
)
from .rubyjson import Profile, decode, encode, oj_float, ruby_float
from .worker_id import WorkerId, format_worker_id, is_safe_for_ruby, parse_worker_id, ruby_split

__all__ = [
    "DEFAULT_NAMESPACE",
    "FailureRecord",
    "InvalidPayload",
    "Job",
    "JobEncoder",
    "Keys",
    "Profile",
    "WorkerId",
    "decode",
    "decode_job",
    "encode",
    "encode_job",
    "exception_name",
    "failure_queue_name",
    "filter_backtrace",
    "format_worker_id",
    "is_safe_for_ruby",
    "job_payload",
    "job_queue_name",
    "oj_float",
    "parse_worker_id",
    "ruby_float",
    "ruby_split",
    "unreadable_payload",
]
