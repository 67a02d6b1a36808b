"""resque-compat: Ruby Resque's Redis key schema and payload format in Python.

Python workers take jobs Ruby enqueued, Ruby workers run jobs Python enqueued, and every Ruby
tool (resque-web, ``Resque.workers``, pruning, failure requeue, ``Job.destroy``) sees a Python
worker as a Ruby one.
"""

from .client import Resque
from .errors import (
    ConfigError,
    DecodeError,
    EncodeError,
    NoClassError,
    NoQueueError,
    ResqueError,
)
from .failure import FailureEntry, MultipleFailure, RedisFailure, RedisMultiQueueFailure
from .jobs import Registry
from .protocol import Job, Keys, Profile
from .worker_reads import Working

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "FailureEntry",
    "Job",
    "Keys",
    "MultipleFailure",
    "NoClassError",
    "NoQueueError",
    "Profile",
    "RedisFailure",
    "RedisMultiQueueFailure",
    "Registry",
    "Resque",
    "ResqueError",
    "Working",
    "__version__",
]
