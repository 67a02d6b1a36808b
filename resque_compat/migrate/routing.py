"""Routing for a gradual rollout: chosen job classes go to Python-only queues, the rest stay with
Ruby, and a class goes back to Ruby in one step.

A route says "jobs of class C enqueued for queue F go to queue T instead". Python workers
listen on T; Ruby workers keep listening on F (and must not match T: no bare ``*`` in their
QUEUE, or add ``!T``). Routes live in the namespace's hash ``resque-compat:routes`` (field: the
class, ActiveJob jobs by their job class; value: ``{"from":F,"to":T}``) so every process, Ruby
or Python, reads the same table:

* Python enqueuers ask a ``Router`` for the queue;
* Ruby enqueuers read the hash in ``queue_as`` / ``self.queue`` (docs/migration.md has the
  ten lines of Ruby);
* jobs enqueued without asking (old code, other apps) are moved by ``sweep`` (a cron job or
  ``resque-compat route sweep --every 5``), atomic per job like ``move``.

``add`` writes the route and moves the class's waiting jobs from F to T; ``remove`` deletes the
route and moves the class's waiting jobs from T back to F: one command each way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DecodeError
from ..jobs import class_name
from ..protocol import Profile, decode, encode
from ..protocol.keys import ROUTES
from ..store.migration import MigrationAccess
from . import access
from .move import MoveReport, Selector, Source, run_move

if TYPE_CHECKING:
    from ..client import Resque

ROUTES_KEY = ROUTES


@dataclass(frozen=True, slots=True)
class Route:
    """Jobs of ``job_class`` bound for ``from_queue`` go to ``to_queue``."""

    job_class: str
    from_queue: str
    to_queue: str

    def encode(self) -> bytes:
        return encode({"from": self.from_queue, "to": self.to_queue}, Profile.JSON_GEM, "route")


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """The routes by class (pure)."""

    routes: Mapping[str, Route]

    def queue_for(self, job_class: str, queue: str) -> str:
        """Where a job of ``job_class`` bound for ``queue`` should go."""
        route = self.routes.get(job_class)
        return route.to_queue if route is not None and route.from_queue == queue else queue

    @classmethod
    def parse(cls, items: Mapping[bytes, bytes]) -> RoutingTable:
        """Read the hash; entries that are not ``{"from","to"}`` are ignored (doctor-style)."""
        routes = {}
        for raw_field, raw in items.items():
            try:
                value = decode(raw)
            except DecodeError:
                continue
            if (
                isinstance(value, dict)
                and isinstance(value.get("from"), str)
                and isinstance(value.get("to"), str)
            ):
                name = raw_field.decode("utf-8", "replace")
                routes[name] = Route(name, value["from"], value["to"])
        return cls(routes)


def load(store: MigrationAccess) -> RoutingTable:
    return RoutingTable.parse(store.route_items())


def add(
    store: MigrationAccess, route: Route, *, move: bool = True, profile: Profile = Profile.JSON_GEM
) -> MoveReport | None:
    """Route a class to a Python-only queue, then move its jobs already waiting on ``from_queue``."""
    if route.from_queue == route.to_queue:
        raise ValueError(f"a route needs two different queues, got {route.from_queue!r} twice")
    store.set_route(route.job_class, route.encode())
    if not move:
        return None
    return run_move(
        store,
        Source(route.from_queue),
        Selector(frozenset({route.job_class})),
        route.to_queue,
        profile=profile,
    )


def remove(
    store: MigrationAccess, job_class: str, *, move: bool = True, profile: Profile = Profile.JSON_GEM
) -> tuple[Route | None, MoveReport | None]:
    """Turn a class back to Ruby: delete its route, then move its jobs still waiting on the
    Python queue back to the Ruby one. Returns the route removed (``None`` if there was none)."""
    route = load(store).routes.get(job_class)
    if route is None:
        return None, None
    store.delete_route(job_class)
    if not move:
        return route, None
    selector = Selector(frozenset({job_class}))
    return route, run_move(store, Source(route.to_queue), selector, route.from_queue, profile=profile)


def sweep(store: MigrationAccess, profile: Profile = Profile.JSON_GEM) -> list[tuple[Route, MoveReport]]:
    """Move jobs of every routed class that were enqueued on the Ruby queue anyway."""
    out = []
    for route in load(store).routes.values():
        selector = Selector(frozenset({route.job_class}))
        report = run_move(store, Source(route.from_queue), selector, route.to_queue, profile=profile)
        out.append((route, report))
    return out


class Router:
    """For Python code that enqueues: the queue a job should go to under the current routes.

    The table is read at most every ``refresh`` seconds (each ``Router`` keeps its own copy)::

        router = Router(resque)
        router.enqueue_to("default", "Billing::Charge", 42)   # to "default_py" if routed
    """

    def __init__(
        self, resque: Resque, refresh: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.resque = resque
        self.store = access(resque)
        self.refresh = refresh
        self.clock = clock
        self._table: RoutingTable | None = None
        self._read_at = 0.0

    def table(self) -> RoutingTable:
        now = self.clock()
        if self._table is None or now - self._read_at >= self.refresh:
            self._table, self._read_at = load(self.store), now
        return self._table

    def queue_for(self, job_class: str, queue: str) -> str:
        return self.table().queue_for(job_class, queue)

    def enqueue_to(self, queue: str, job_class: Any, *args: Any) -> bool | None:
        """``Resque.enqueue_to`` with the routed queue."""
        return self.resque.enqueue_to(self.queue_for(class_name(job_class), queue), job_class, *args)
