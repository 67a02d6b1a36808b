"""pytest wiring for the live conformance suite (``pytest conformance/`` or ``make conformance``).

* The reference is found by ``conformance.reference``: a local Ruby (``RESQUE_REF_LIB``) gets a
  throwaway redis-server; the Docker reference is started by **pytest-docker**: ``docker_services``
  brings up ``conformance/docker-compose.yml`` (its ``redis`` service, published on an ephemeral
  port) and the drivers join that compose project with ``docker compose run``. An optional 2.x
  reference (``RESQUE_REF_LIB_2X`` / ``RESQUE_REF_DOCKER_2X``) adds a second column set.
* Every case (``conformance.scenarios.cases``) is one parametrised test per reference; with no
  reference at all each skips with the one-line reason.
* At the end the matrix is printed and written to ``reports/conformance.{md,xml,json}``.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import report
from .harness import Lab, Mismatch, ruby_versions
from .reference import (
    COMPOSE_FILE,
    DEFAULT_COMPOSE_PROJECT,
    Reference,
    docker_redis_endpoint,
    find_reference,
    find_reference_2x,
    start_redis,
)
from .scenarios import Case, cases

RESULTS = pytest.StashKey[list[report.Result]]()
LABS = pytest.StashKey[dict[str, Any]]()
PRIMARY, SECOND = "main", "2.x"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "resque-compat conformance suite")
    group.addoption("--conformance-payloads", default=None, help="a file of captured payloads, one per line")
    group.addoption("--conformance-profile", action="append", default=[], help="limit JSON profiles")
    group.addoption("--conformance-only", action="append", default=[], help="scenario ids to run (substring)")
    group.addoption(
        "--conformance-reports",
        default=str(Path(__file__).resolve().parent.parent / "reports"),
        help="report dir",
    )


def _project() -> str:
    return f"{DEFAULT_COMPOSE_PROJECT}-{os.getpid()}"


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS] = []
    found: dict[str, Reference | str] = {PRIMARY: find_reference(compose_project=_project())}
    second = find_reference_2x(compose_project=_project())
    if second is not None:
        found[SECOND] = second
    config.stash[LABS] = {"found": found, "labs": {}, "python": _python_side()}


def _options(config: pytest.Config) -> dict[str, Any]:
    return {"payloads": config.getoption("--conformance-payloads")}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    config = metafunc.config
    profiles = tuple(config.getoption("--conformance-profile") or ()) or None
    only = tuple(config.getoption("--conformance-only") or ())
    todo = cases(_options(config), profiles, only)
    if not todo:
        asked = " ".join(f"--conformance-only {o}" for o in only) or "the options given"
        raise pytest.UsageError(f"no conformance scenario matches {asked}")
    labels = list(config.stash[LABS]["found"])
    params = [(label, case) for label in labels for case in todo]
    ids = [f"{label}:{case.id}" for label, case in params]
    metafunc.parametrize(("lab_label", "case"), params, ids=ids)


# -- pytest-docker ---------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(COMPOSE_FILE)


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return _project()


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    # Only the redis service: drivers are started per session with `docker compose run`.
    return ["up --build --wait redis"]


# -- labs --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def labs(pytestconfig: pytest.Config) -> Iterator[dict[str, Lab]]:
    state = pytestconfig.stash[LABS]
    try:
        yield state["labs"]
    finally:
        for lab in state["labs"].values():
            lab.close()
        for server in state.get("servers", []):
            server.stop()


@pytest.fixture
def lab(request: pytest.FixtureRequest, lab_label: str, labs: dict[str, Lab]) -> Lab:
    """The started reference for this test's column (skips when it is missing)."""
    if lab_label in labs:
        return labs[lab_label]
    state = request.config.stash[LABS]
    found = state["found"][lab_label]
    if isinstance(found, str):
        pytest.skip(found)
    if found.kind == "docker" and lab_label == PRIMARY:
        endpoint = docker_redis_endpoint(request.getfixturevalue("docker_services"))
    else:
        server = start_redis(found)
        endpoint = server.start()
        state.setdefault("servers", []).append(server)
    labs[lab_label] = Lab(lab_label, found, endpoint)
    where = (
        f"local Ruby, Resque lib {found.lib}"
        if found.kind == "local"
        else f"Docker ({found.compose_project})"
    )
    state.setdefault("descriptions", {})[lab_label] = f"{ruby_versions(labs[lab_label])}; {where}"
    state.setdefault("versions", {})[lab_label] = str(labs[lab_label].versions().get("resque"))
    return labs[lab_label]


# -- results -----------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    rep: pytest.TestReport = outcome.get_result()
    params = getattr(item, "callspec", None)
    if params is None or not isinstance(params.params.get("case"), Case):
        return
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        case: Case = params.params["case"]
        result = report.Result(
            lab=params.params["lab_label"],
            scenario=case.scenario.id,
            row=case.row,
            direction=case.direction,
            variant=case.variant,
            outcome={"passed": "pass", "failed": "fail", "skipped": "skip"}[rep.outcome],
            message=_message(call, rep),
            details=list(getattr(item, "conformance_details", [])),
            seconds=round(rep.duration, 3),
        )
        item.config.stash[RESULTS].append(result)


def _message(call: pytest.CallInfo[None], rep: pytest.TestReport) -> str:
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return str(rep.longrepr[2]).removeprefix("Skipped: ")
    exc = call.excinfo
    if exc is None:
        return ""
    if isinstance(exc.value, Mismatch):
        return str(exc.value)
    frames = traceback.extract_tb(exc.tb)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{exc.typename}: {exc.value}{where}"


def _report(config: pytest.Config) -> report.Report:
    state = config.stash[LABS]
    descriptions = dict(state.get("descriptions", {}))
    for label, found in state["found"].items():
        descriptions.setdefault(label, found if isinstance(found, str) else found.describe())
    return report.Report(
        config.stash[RESULTS], descriptions, state["python"], dict(state.get("versions", {}))
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not config.stash[RESULTS]:
        return
    rep = _report(config)
    terminalreporter.write_line(report.text_report(rep))
    paths = report.write(rep, Path(config.getoption("--conformance-reports")))
    terminalreporter.write_line("reports: " + ", ".join(str(p) for p in paths))


def _python_side() -> str:
    import platform

    import redis

    import resque_compat

    py = platform.python_version()
    return f"resque-compat {resque_compat.__version__} (Python {py}, redis-py {redis.__version__})"
