"""Redis I/O: one accessor per key family, each method mirroring one Ruby ``DataStore`` method.

Only this package imports redis. Values cross it as bytes; encoding is the caller's choice.
"""

from ..protocol.keys import FAILED
from .connection import DEFAULT_URL, connect, refuse_cluster
from .counts import Counts, CountsAccess
from .datastore import DataStore
from .delayed import Batch, DelayedQueueAccess, Enqueue, Unmovable
from .failures import FailedQueueAccess
from .history import HistoryAccess
from .inspect import KeyInspector, Window
from .pause import PauseAccess
from .queues import QueueAccess
from .reserve import REDIS_UNAVAILABLE
from .retry import RetryAccess
from .schedules import MasterLock, NodeResqueLocks, ScheduleAccess, redis_supports_lua
from .stats import StatsAccess
from .status import StatusAccess
from .unique import UniqueAccess
from .workers import WorkerRegistry

__all__ = [
    "DEFAULT_URL",
    "FAILED",
    "REDIS_UNAVAILABLE",
    "Batch",
    "Counts",
    "CountsAccess",
    "DataStore",
    "DelayedQueueAccess",
    "Enqueue",
    "FailedQueueAccess",
    "HistoryAccess",
    "KeyInspector",
    "MasterLock",
    "NodeResqueLocks",
    "PauseAccess",
    "QueueAccess",
    "RetryAccess",
    "ScheduleAccess",
    "StatsAccess",
    "StatusAccess",
    "UniqueAccess",
    "Unmovable",
    "Window",
    "WorkerRegistry",
    "connect",
    "redis_supports_lua",
    "refuse_cluster",
]
