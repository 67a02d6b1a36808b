"""The layering rules of design.md, checked on the source: only ``store/`` talks to Redis,
only ``config/`` reads the environment, only ``runtime/`` forks or installs signal handlers,
and ``protocol/`` performs no I/O; every key is spelled in ``protocol/keys/``; imports run one
way (presentation -> library -> store -> protocol).

Nobody reaches through the client for a store: the worker, ``Admin`` and the scheduler take a
``DataStore`` and the failure backend they need (a client only where a job or hook needs the
enqueue API), and plugin hooks take their keys from ``plugins.context.current_store()``. What
still reads a store off a ``Resque`` is listed in ``STILL_THROUGH_THE_CLIENT``, each with why:
the one-call ``from_client``-style conveniences beside constructors that take the store, and the
plugins' public helpers (``status.get(resque, uuid)``...) that take a client as Ruby's plugins
read the global ``Resque``. Presentation (``cli/``, ``web/``) composes from a client freely."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "resque_compat"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(tree: ast.Module) -> set[str]:
    found = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def attribute_uses(tree: ast.Module) -> set[str]:
    """``os.environ``, ``os.fork``, ``signal.signal`` ... as dotted names."""
    return {
        f"{node.value.id}.{node.attr}"
        for node in runtime_nodes(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_each_module_keeps_to_its_layer(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = where(path)
    if not name.startswith("store/"):
        assert "redis" not in imported_modules(tree), f"{name} imports redis: go through store/"
    if not name.startswith("config/"):
        reads = {"os.environ", "os.getenv", "os.putenv"} & attribute_uses(tree)
        assert not reads, f"{name} reads the environment ({reads}): go through config/"
    if not name.startswith("runtime/"):
        process = {"os.fork", "signal.signal", "signal.set_wakeup_fd", "os.setpgid"} & attribute_uses(tree)
        assert not process, f"{name} forks or handles signals ({process}): that is runtime/'s job"
    if name.startswith("protocol/"):
        io = {"socket", "subprocess", "redis", "pathlib", "urllib"} & imported_modules(tree)
        assert not io, f"{name} is pure protocol but imports {io}"
        assert "open" not in {
            n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }


# Key families as Ruby and resque-compat spell them: a string holding one of these names a key.
KEY_PREFIX = re.compile(
    r"(?<![\w-])(queue|worker|workers|stat|delayed|timestamps|pause|loners|lock|resque-compat):(?!\s)"
)
KEY_NAMES = {
    "queues",
    "workers",
    "failed",
    "failed_queues",
    "pause-all-workers",
    "pruning_dead_workers_in_progress",
    "delayed_queue_schedule",
}
# Where a bare family name ("failed", "queues") can only mean a key: the layer that addresses
# Redis and the failure backends (elsewhere they are also page names, JSON fields, CLI words).
ADDRESSING = ("store/", "failure")


def string_literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every one-line string constant and f-string piece, docstrings excepted (a multi-line
    string is a Lua script, which is handed its keys as ``KEYS[i]``)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "\n" not in node.value
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


# The package where every key is spelled, one module per family (Resque's, resque-scheduler's,
# the plugins', resque-compat's own) and the namespace's physical names.
KEYS_PACKAGE = "protocol/keys/"


def spells_keys(name: str) -> bool:
    """Whether the module ``name`` (relative to the package) is one of ``protocol/keys/``."""
    return name.startswith(KEYS_PACKAGE)


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_no_module_but_protocol_keys_spells_a_redis_key(path: Path) -> None:
    name = where(path)
    if spells_keys(name):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = name.startswith(ADDRESSING)
    found = [
        f"line {line}: {text!r}"
        for line, text in string_literals(tree)
        if KEY_PREFIX.search(text) or (bare and text in KEY_NAMES)
    ]
    assert not found, f"{name} spells Redis keys itself (build them in protocol/keys/): {found}"


def test_the_key_rule_catches_a_key_spelled_outside_protocol_keys() -> None:
    tree = ast.parse('def f(q):\n    """queue:<q> is fine in a docstring"""\n    return f"queue:{q}"\n')
    assert [text for _, text in string_literals(tree) if KEY_PREFIX.search(text)] == ["queue:"]
    assert spells_keys("protocol/keys/resque.py") and spells_keys("protocol/keys/__init__.py")
    assert not any(spells_keys(n) for n in ("protocol/keys.py", "protocol/keysmith.py", "store/keys/x.py"))


def test_the_keys_package_is_where_the_key_rule_looks() -> None:
    """The exemption names real modules: every family module exists and spells a key."""
    families = [f"{KEYS_PACKAGE}{m}.py" for m in ("resque", "scheduler", "plugins", "project")]
    assert set(families) <= {where(p) for p in SOURCES if spells_keys(where(p))}
    for name in families:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        assert any(KEY_PREFIX.search(t) or t in KEY_NAMES for _, t in string_literals(tree)), name


# Layers, lowest first. A module may import its own layer and those below, never one above.
LAYERS = {
    "errors.py": 0,
    "protocol/": 1,
    "store/": 2,
    "cli/": 4,
    "web/": 4,
    "console.py": 4,
}
LIBRARY = 3  # everything else: the client, jobs, failure backends, config, runtime, admin, migrate


def layer_of(name: str) -> int:
    for prefix, rank in LAYERS.items():
        if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
            return rank
    return LIBRARY


def package_imports(path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """The package modules ``path`` imports at run time (lazy imports included), as paths
    relative to the package (``store/queues.py`` or ``store/``)."""
    here = path.relative_to(PACKAGE).parent.parts
    for node in runtime_nodes(tree):
        targets: list[list[str]] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - node.level + 1])
            elif node.module and node.module.split(".")[0] == "resque_compat":
                base = []
            else:
                continue
            module = [p for p in (node.module or "").split(".") if p]
            module = module[1:] if not node.level else module
            targets = [base + module + [alias.name] for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "resque_compat"]
        for parts in targets:
            yield node.lineno, _resolve(parts)


def _resolve(parts: list[str]) -> str:
    """The file or package a dotted path names (its longest existing prefix)."""
    for n in range(len(parts), 0, -1):
        candidate = PACKAGE.joinpath(*parts[:n])
        if candidate.with_suffix(".py").is_file():
            return "/".join(parts[:n]) + ".py"
        if candidate.is_dir():
            return "/".join(parts[:n]) + "/"
    return "__init__.py"


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_no_import_runs_up_the_layers(path: Path) -> None:
    name = where(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upward = [
        f"line {line}: {target}"
        for line, target in package_imports(path, tree)
        if layer_of(target) > layer_of(name)
    ]
    assert not upward, (
        f"{name} (layer {layer_of(name)}) imports from a higher layer "
        f"(presentation -> library -> store -> protocol): {upward}"
    )


def test_the_layer_rule_sees_relative_lazy_and_absolute_imports() -> None:
    source = "def f():\n    from ..store import connect\n    import resque_compat.cli\n"
    found = {t for _, t in package_imports(PACKAGE / "protocol" / "delayed.py", ast.parse(source))}
    assert found == {"store/", "cli/"}


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_only_the_store_turns_a_logical_name_into_a_key(path: Path) -> None:
    name = where(path)
    if name.startswith("store/") or spells_keys(name):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "physical"]
    assert not calls, f"{name} turns names into keys itself (lines {calls}): ask a store method"


# Within the library: what the client and the worker share sits below both.
BELOW_THE_CLIENT = ("config/", "jobs/", "failure/")


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_the_client_never_climbs_into_the_worker_and_settings_never_build_clients(path: Path) -> None:
    name = where(path)
    targets = {t for _, t in package_imports(path, ast.parse(path.read_text(encoding="utf-8")))}
    if name == "client.py" or name.startswith(BELOW_THE_CLIENT):
        assert not {t for t in targets if t.startswith("runtime/")}, f"{name} imports runtime/"
    if name.startswith(BELOW_THE_CLIENT):
        assert "client.py" not in targets, f"{name} imports the client: build it with Resque.from_settings"


# The client's store attributes: a library module is handed the DataStore (or the accessor and
# the failure backend it needs) instead of reading them off a ``Resque``.
STORE_ATTRIBUTES = {
    "store",
    "redis",
    "keys",
    "worker_registry",
    "queue_store",
    "failed_store",
    "stats",
    "pauses",
    "unique",
    "statuses",
    "retries",
    "delayed_store",
    "schedule_store",
    "_failure_backend",
}
# Presentation builds the objects it shows, from a client: it may read the store off one.
COMPOSITION_ROOTS = ("cli/", "web/", "console.py")
# Library modules that still reach through a client for a store, and how often: the number may
# only go down (hand the module a DataStore or an accessor instead); no other module may start.
# The worker, Admin and the scheduler take a DataStore and their failure backend; what remains:
STILL_THROUGH_THE_CLIENT = {
    # the one-call conveniences that take a client for the common case, beside constructors
    # and functions that take the DataStore (or the accessor) itself
    "activejob/dispatch.py": 1,  # enqueue(resque | store)
    "admin/__init__.py": 1,  # Admin.from_client(resque); Admin(store, failure)
    "migrate/__init__.py": 1,  # access(resque): the thin convenience the tools' callers use
    "runtime/pruning.py": 1,  # prune(resque, queues), Ruby's console call; prune_dead_workers(workers)
    "runtime/scheduler.py": 1,  # Scheduler.from_client(resque, ...); Scheduler(store, ..., client=)
    "runtime/worker.py": 1,  # Worker.from_client(resque, ...); Worker(store, failure, ..., client=)
    # the plugins' hooks take their keys from plugins.context.current_store(); what remains is
    # the public API a caller hands a client, as Ruby's plugins read the global Resque
    "plugins/retry_failure.py": 1,  # suppression(resque): the RESQUE_FAILURE_BACKENDS factory
    "plugins/status.py": 4,  # status.create/get/set_status/statuses(resque, ...): Status::Hash
}


# What a client is called where one is held: ``resque``, or ``client`` (the worker's and the
# scheduler's keyword; in store/ ``client`` is a redis-py client, which has no such attributes).
CLIENT_NAMES = {"resque", "client"}


def store_reads_through_a_client(tree: ast.Module) -> list[int]:
    """Lines reading ``resque.<store attribute>`` or ``self.resque.<store attribute>`` (or
    ``client``...)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in STORE_ATTRIBUTES
        and (
            (isinstance(node.value, ast.Name) and node.value.id in CLIENT_NAMES)
            or (isinstance(node.value, ast.Attribute) and node.value.attr in CLIENT_NAMES)
        )
    ]


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_no_library_module_newly_reaches_through_the_client_for_a_store(path: Path) -> None:
    name = where(path)
    if name == "client.py" or name.startswith(COMPOSITION_ROOTS):
        return
    lines = store_reads_through_a_client(ast.parse(path.read_text(encoding="utf-8")))
    allowed = STILL_THROUGH_THE_CLIENT.get(name, 0)
    assert len(lines) <= allowed, (
        f"{name} reads a store off a Resque client at lines {lines} ({allowed} allowed): take the "
        "DataStore (or the accessor and failure backend needed) as an argument instead"
    )
    assert len(lines) == allowed, f"{name} reads fewer stores off a client now: lower its allowance"


def test_the_store_rule_sees_a_store_read_through_a_client() -> None:
    source = "def f(resque, self, client):\n    resque.store.queues\n    self.resque.worker_registry\n"
    tree = ast.parse(source + "    client.keys\n    self.client.redis\n    resque.profile\n")
    assert sorted(store_reads_through_a_client(tree)) == [2, 3, 4, 5]


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_only_protocol_reads_the_payload_out_of_a_record(path: Path) -> None:
    """A failure record's or working-on value's job is ``records.record_payload(record)``, its
    class and arguments ``payload_class``/``payload_args``: one reader per record kind."""
    name = where(path)
    if name.startswith("protocol/"):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    digging = [
        node.lineno
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "payload"
        )
        or (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == "payload"
        )
    ]
    assert not digging, (
        f"{name} digs a payload out of a record itself (lines {digging}): use protocol.records"
    )


MODULE_LINES = 400
FUNCTION_LINES = 60


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_each_module_stays_under_400_lines_and_each_function_under_60(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= MODULE_LINES, f"{where(path)} has {text.count(chr(10))} lines: split it"
    assert long_functions(ast.parse(text)) == [], f"{where(path)}: functions over {FUNCTION_LINES} lines"


def long_functions(tree: ast.Module) -> list[tuple[str, int]]:
    """``(name, lines)`` of each function or method longer than ``FUNCTION_LINES``."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]


def test_the_length_rule_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    assert long_functions(ast.parse(f"def f():\n{body}\n")) == [("f", FUNCTION_LINES + 1)]
