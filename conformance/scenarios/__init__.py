"""The conformance scenarios, one module per family, and the cases they expand into.

A :class:`Scenario` runs in each of its directions and variants (JSON profiles, failure
backends, fixture scenarios ...); each combination is a :class:`Case`, one cell of the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..harness import Ctx


def _always(options: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Scenario:
    """A named check, the directions it runs in and its variants."""

    id: str
    title: str
    func: Callable[[Ctx], None]
    directions: tuple[str, ...]
    variants: tuple[str, ...] = ("",)
    when: Callable[[Mapping[str, Any]], bool] = field(default=_always, compare=False)


@dataclass(frozen=True)
class Case:
    """One cell: a scenario in one direction and variant."""

    scenario: Scenario
    direction: str
    variant: str

    @property
    def id(self) -> str:
        tail = f"-{self.variant}" if self.variant else ""
        return f"{self.scenario.id}-{self.direction}{tail}"

    @property
    def row(self) -> str:
        """The matrix row: the scenario title, with the variant when there are several."""
        return f"{self.scenario.title} [{self.variant}]" if self.variant else self.scenario.title


def all_scenarios() -> list[Scenario]:
    """Every scenario, in the order the matrix shows them."""
    from . import (
        activejob,
        client,
        failures,
        hooks,
        keyspace,
        pause,
        payloads,
        plugin_web,
        retry,
        scheduler,
        status,
        unique,
        web,
        workers,
    )

    out: list[Scenario] = []
    modules = (
        payloads,
        client,
        failures,
        workers,
        hooks,
        web,
        keyspace,
        activejob,
        pause,
        unique,
        status,
        retry,
        plugin_web,
    )
    for module in (*modules, scheduler):
        out.extend(module.SCENARIOS)
    return out


def cases(
    options: Mapping[str, Any], profiles: tuple[str, ...] | None = None, only: tuple[str, ...] = ()
) -> list[Case]:
    """Every case to run: ``profiles`` narrows the JSON-profile variants, ``only`` the scenario ids."""
    out: list[Case] = []
    from ..reference import PROFILES

    for scenario in all_scenarios():
        if only and not any(o in scenario.id for o in only):
            continue
        if not scenario.when(options):
            continue
        for variant in scenario.variants:
            if profiles and variant in PROFILES and variant not in profiles:
                continue
            for direction in scenario.directions:
                out.append(Case(scenario, direction, variant))
    return out
