"""Loading the application: the modules the user names, never one a payload names.

``--app myapp.jobs`` imports ``myapp.jobs`` and takes every ``Registry`` (performers by Ruby
class name) and ``WorkerHooks`` it holds at module level; ``--app myapp.jobs:registry`` takes
that one attribute (a ``Registry``, any mapping of Ruby class names to performers, or a
``WorkerHooks``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..jobs import Registry
from .hooks import WorkerHooks


@dataclass
class App:
    """What the named modules provide."""

    performers: dict[str, Any] = field(default_factory=dict)
    hooks: WorkerHooks = field(default_factory=WorkerHooks)

    def add(self, value: Any, origin: str) -> bool:
        if isinstance(value, WorkerHooks):
            self.hooks.merge([value])
            return True
        if isinstance(value, Registry | Mapping):
            for name, performer in value.items():
                existing = self.performers.get(name)
                if existing is not None and existing is not performer:
                    raise ConfigError(f"{name!r} is registered twice ({origin})")
                self.performers[name] = performer
            return True
        return False


def load_app(specs: Iterable[str]) -> App:
    """Import each ``module`` or ``module:attr`` and collect performers and worker hooks.

    The current directory is importable, as it is for ``python -m`` and Ruby's ``rake``
    (a console script's ``sys.path`` lacks it), so ``--app myapp.jobs`` works from the project.
    Raises ``ConfigError`` when a module cannot be imported or provides nothing.
    """
    here = os.getcwd()
    if "" not in sys.path and here not in sys.path:
        sys.path.insert(0, here)
    app = App()
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"cannot import {module_name!r}: {exc}") from exc
        if attr:
            if not hasattr(module, attr) or not app.add(getattr(module, attr), spec):
                raise ConfigError(f"{spec!r} is not a Registry, a mapping or WorkerHooks")
            continue
        # Only our own types when scanning: a mapping imported into the module is not an app.
        found = [
            app.add(v, spec) for v in list(vars(module).values()) if isinstance(v, Registry | WorkerHooks)
        ]
        if not any(found):
            raise ConfigError(f"{module_name!r} holds no Registry, mapping or WorkerHooks at module level")
    return app


def classify(name: str) -> str:
    """``Resque.classify``: ``job-name`` -> ``JobName`` (done before constant lookup)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("-")) if "-" in name else name


def find_performer(performers: Mapping[str, Any], name: str) -> Any:
    """The performer registered for a payload's class (``Job#payload_class``), or ``None``."""
    return performers.get(name) or performers.get(classify(name))
