"""``Resque::Failure::MultipleWithRetrySuppression``: failures of a job that resque-retry is
about to retry are not recorded; only the final one (when it gives up, or a job that is not
retryable) reaches the backends. With a retry delay the suppressed failure is kept for
``2 * delay`` seconds in ``failure-resque-retry:...`` (the plugin's web tab shows it).

Use it from a worker with ``RESQUE_FAILURE_BACKENDS=resque_compat.plugins.retry_failure:suppression``
(the Redis backend beneath), or build one over other backends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..failure import FailureBackend, MultipleFailure
from ..protocol import Profile, encode
from ..protocol.failure import FailureRecord
from ..protocol.keys import retry_failure_key
from ..protocol.records import payload_args, payload_class
from ..protocol.times import format_multi_queue_retried_at
from .retry import Retry

if TYPE_CHECKING:
    from ..client import Resque
    from ..store.retry import RetryAccess


class MultipleWithRetrySuppression(MultipleFailure):
    """``MultipleWithRetrySuppression`` over ``backends``, on resque-retry's keys (``retries``);
    the job's class is looked up in ``registry`` (Ruby constantizes the payload's class) and a
    kept failure encoded under ``profile``."""

    def __init__(
        self,
        backends: Sequence[FailureBackend],
        retries: RetryAccess,
        registry: Mapping[str, Any],
        profile: Profile = Profile.JSON_GEM,
    ) -> None:
        super().__init__(backends)
        self.retries = retries
        self.registry = registry
        self.profile = profile

    def save(self, record: FailureRecord) -> None:
        """``#save``: to every backend unless the job is being retried."""
        if not self._suppressed(record):
            super().save(record)

    def save_releasing(self, record: FailureRecord, worker_id: str, held: bytes) -> bool | None:
        """``Multiple.save_releasing`` unless the job is being retried (then ``None``: kept as a
        suppressed failure, nothing released)."""
        if self._suppressed(record):
            return None
        return super().save_releasing(record, worker_id, held)

    def save_settling(
        self, record: FailureRecord, worker_id: str, mark: str, *, count: bool, anyway: bool
    ) -> int | None:
        """``Multiple.save_settling`` unless the job is being retried (then ``None``: kept as a
        suppressed failure, its ``done_working`` left to the next reserve)."""
        if self._suppressed(record):
            return None
        return super().save_settling(record, worker_id, mark, count=count, anyway=anyway)

    def _suppressed(self, record: FailureRecord) -> bool:
        """Whether the job is being retried (its failure then kept aside, with a delay); a job
        that is not has its suppressed-failure log cleaned up (``cleanup_retry_failure_log!``)."""
        payload = record.payload
        performer = self._retry_class(payload)
        args = payload_args(payload)
        key = performer.redis_retry_key(*args) if performer is not None else None
        if performer is None or key is None or not self.retries.exists(key):
            if key is not None:
                self.retries.delete(retry_failure_key(key))  # cleanup_retry_failure_log!
            return False
        delay = performer.delay(performer.last_exception_class)
        if delay > 0:
            kept = {
                "failed_at": format_multi_queue_retried_at(),  # the same "%Y/%m/%d %H:%M:%S"
                "payload": payload,
                "exception": record.exception,
                "error": record.error,
                "backtrace": list(record.backtrace),
                "worker": record.worker,
                "queue": record.queue,
            }
            encoded = encode(kept, self.profile, "failure")
            self.retries.save_failure(retry_failure_key(key), int(2 * delay), encoded)
        return True

    def _retry_class(self, payload: Any) -> type[Retry] | None:
        """``retryable?``: the registered performer of the payload's class extends the plugin."""
        name = payload_class(payload)
        found = self.registry.get(name) if name is not None else None
        return found if isinstance(found, type) and issubclass(found, Retry) else None


def suppression(resque: Resque) -> MultipleWithRetrySuppression:
    """The backend ``RESQUE_FAILURE_BACKENDS`` names: suppression over the client's backend."""
    return MultipleWithRetrySuppression([resque.failure], resque.retries, resque.registry, resque.profile)
