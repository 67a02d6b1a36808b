"""Queue list resolution (``Worker#queues=``, ``#queues``, ``#glob_match``; spec section 4).

Entries starting with ``!`` are skip patterns. If any skip pattern exists or any entry holds one
of ``* ? { } [ ]`` the list is *dynamic*: every reserve matches each entry against the current
``queues`` set with Ruby's ``File.fnmatch?`` (no brace expansion), sorts each entry's matches,
removes skipped ones, concatenates in entry order and de-duplicates. Otherwise the list is used
verbatim, duplicates kept.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

WILDCARDS = ("*", "?", "{", "}", "[", "]")


def fnmatch_ruby(pattern: str, name: str) -> bool:
    """``File.fnmatch?(pattern, name)`` without flags: ``*``, ``?`` and ``[set]`` (``[^…]`` and
    ``[!…]`` negate); a leading ``.`` is matched only by a literal ``.``; braces are literal."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    translated = pattern.replace("[^", "[!")
    return fnmatch.fnmatchcase(name, translated)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A worker's queue spec as given (``QUEUE=critical,*,!low``)."""

    entries: tuple[str, ...]

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(q for q in self.entries if not q.startswith("!"))

    @property
    def skips(self) -> tuple[str, ...]:
        return tuple(q[1:] for q in self.entries if q.startswith("!"))

    @property
    def dynamic(self) -> bool:
        """``@has_dynamic_queues``."""
        joined = "".join(self.patterns)
        return bool(self.skips) or any(ch in joined for ch in WILDCARDS)

    def resolve(self, current: Iterable[str] = ()) -> list[str]:
        """The queues to reserve from, in priority order; ``current`` is ``SMEMBERS queues``
        (only read for a dynamic spec)."""
        if not self.dynamic:
            return list(self.patterns)
        names = list(current)
        skips = self.skips
        out: list[str] = []
        seen: set[str] = set()
        for pattern in self.patterns:
            matched = sorted(
                q for q in names if fnmatch_ruby(pattern, q) and not any(fnmatch_ruby(s, q) for s in skips)
            )
            for q in matched:
                if q not in seen:
                    seen.add(q)
                    out.append(q)
        return out
