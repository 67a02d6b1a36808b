"""Every conformance case as one test: ``pytest conformance/`` (``make conformance`` runs this).

The cases, the reference columns and the reports come from ``conformance/conftest.py``; each
scenario lives in ``conformance/scenarios/``.
"""

from __future__ import annotations

import pytest

from .harness import Ctx, Lab, Skip
from .scenarios import Case


def test_resque_compat_behaves_as_ruby_resque_in_this_case(
    request: pytest.FixtureRequest, lab: Lab, case: Case
) -> None:
    ctx = Ctx(
        lab, case.direction, case.variant, {"payloads": request.config.getoption("--conformance-payloads")}
    )
    request.node.conformance_details = ctx.details
    try:
        case.scenario.func(ctx)
    except Skip as exc:
        pytest.skip(str(exc))
    finally:
        ctx.close()
