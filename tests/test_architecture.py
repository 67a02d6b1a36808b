"""The layering rules of design.md, checked on the source: only ``store/`` talks to Redis,
only ``config/`` reads the environment, only ``runtime/`` forks or installs signal handlers,
and ``protocol/`` performs no I/O."""

from __future__ import annotations

import ast
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
