"""The process title Ruby's tools read (``Worker#procline``, spec 5.5).

Ruby's same-host pruning keeps a worker only if ``ps -A -o pid,command`` shows it matching
``resque-<digit>``, ``resque: Starting`` or ``resque:work``; god and monit match the same
strings. ``setproctitle`` rewrites what ``ps`` shows, as Ruby's ``$0 =`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from setproctitle import getproctitle, setproctitle

RESQUE_VERSION = "3.0.0"
"""The Resque version Python workers present themselves as (``Resque::VERSION``)."""

STARTING = "resque: Starting"

set_title = setproctitle
"""Set the title as it is, with no comparison first (the forked parent's, whose pid is new).
``Procline.forget`` first: ``Procline.set`` compares with what it set last."""


_shown: list[str | None] = [None]
"""The title ``Procline`` set last in this process (``None``: unknown). Kept here rather than
read back: ``getproctitle`` scans the whole argv area, about 9,000 instructions a call
(callgrind). A list item, not a class attribute: setting one of those invalidates the type's
caches."""


@dataclass(frozen=True, slots=True)
class Procline:
    """Sets ``<RESQUE_PROCLINE_PREFIX>resque-3.0.0: <state>`` (``Worker#procline``)."""

    prefix: str = ""

    def text(self, state: str) -> str:
        return f"{self.prefix}resque-{RESQUE_VERSION}: {state}"

    def forked_parts(self, at: int) -> tuple[str, str]:
        """``forked(pid, at)``'s title around the pid, built before the fork (the parent sets
        it right after with ``set_title``, see ``child.fork``): the next ``set`` sets its title
        whatever it reads."""
        _shown[0] = None
        return self.text("Forked "), f" at {at}"

    def set(self, state: str) -> None:
        """Set the title unless it already reads so (``Processing <q> since <second>`` repeats
        within a second): each ``setproctitle`` is a system call (``prctl``)."""
        title = f"{self.prefix}resque-{RESQUE_VERSION}: {state}"
        if _shown[0] != title:
            setproctitle(title)
            _shown[0] = title

    def set_now(self, state: str) -> None:
        """Set the title without comparing or keeping it (the forked parent's ``Processing``
        title, which always differs from its last ``Forked`` one): a title string still held at
        the fork and freed after it would be one more page the parent writes then."""
        _shown[0] = None
        setproctitle(f"{self.prefix}resque-{RESQUE_VERSION}: {state}")

    @staticmethod
    def forget() -> None:
        """The title is about to be set by ``set_title``: the next ``set`` sets it whatever it reads."""
        _shown[0] = None

    @staticmethod
    def starting() -> None:
        """``$0 = "resque: Starting"`` (no version, no prefix), the first thing ``startup`` does."""
        setproctitle(STARTING)
        _shown[0] = STARTING

    @staticmethod
    def current() -> str:
        return str(getproctitle())

    @staticmethod
    def put_back(title: str) -> None:
        """The title a process had before it worked (``Worker.work`` run inside a program, or a
        test process, is not left looking like a live worker to a pruner on this host)."""
        setproctitle(title)
        _shown[0] = None


def waiting(queues: list[str]) -> str:
    return f"Waiting for {','.join(queues)}"


def processing(queue: str, since: int, class_name: str) -> str:
    return f"Processing {queue} since {since} [{class_name}]"


def forked(child: int, at: int) -> str:
    return f"Forked {child} at {at}"


PAUSED = "Paused"
