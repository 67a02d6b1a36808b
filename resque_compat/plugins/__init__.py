"""The Resque plugins whose Redis state Python keeps exactly: resque-pause, resque-loner,
resque-lock, resque-lock-timeout, resque-retry and resque-status.

Each module mirrors one plugin: a mixin a Python performer inherits, as a Ruby job class
``extend``s or ``include``s the plugin, writing and reading the plugin's keys byte for byte.
"""

from .lock import Lock, LockTimeout
from .loner import Loner
from .pause import Pause
from .retry import ExponentialBackoff, Retry
from .status import StatusJob

__all__ = ["ExponentialBackoff", "Lock", "LockTimeout", "Loner", "Pause", "Retry", "StatusJob"]
