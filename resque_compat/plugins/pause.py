"""resque-pause on the perform side (``Resque::Plugins::Pause``).

The reserve script already skips paused queues (``store.reserve``, as the plugin's
``Job.reserve`` override does). A job can still reach ``perform`` from a queue paused after it was
taken; a performer that mixes in :class:`Pause` then does what ``before_perform_pause`` does:
sleep ``pause_check_interval`` seconds (default 10), and if the class's queue is still paused,
``LPUSH`` ``{"class","args"}`` back to the head of that queue and skip the job (``DontPerform``:
no failure, no after hooks)::

    class Report(Pause):
        resque_class = "Report"
        queue = "reports"
        pause_check_interval = 5
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from .. import jobs
from ..errors import DontPerform
from ..protocol import encode_job
from .context import current, current_store

PAUSE_CHECK_INTERVAL = 10.0
"""``Resque::Plugins::Pause::PAUSE_CHECK_INTERVAL``: seconds to wait when the queue is paused."""


class Pause:
    """``extend Resque::Plugins::Pause``: the ``before_perform_pause`` hook."""

    pause_check_interval: ClassVar[float | None] = None

    @classmethod
    def before_perform_pause(cls, *args: Any) -> None:
        """``before_perform_pause``: the queue checked is the class's own (Ruby's ``@queue``)."""
        pauses = current_store().pauses
        queue = jobs.queue_from_class(cls) or ""
        if not pauses.paused(queue):
            return
        time.sleep(cls.pause_check_interval if cls.pause_check_interval is not None else PAUSE_CHECK_INTERVAL)
        # ResquePauseHelper.check_paused
        if pauses.paused(queue):
            pauses.push_back(queue, encode_job(jobs.class_name(cls), list(args), current().profile))
            raise DontPerform(f"Queue {queue} is paused!")
