"""The house's import contract, read from the source with `ast` (nothing is imported or run).

- The core (model, mail, extract, directory, rules, route, compose) imports nothing from the edges
  (store, io, run, tools) or the command line: everything in it is testable from an .eml.
- No module imports another module's private (`_underscored`) names: what two modules share is public.
- The core reads no clock: `now` is passed in.
- No import cycle between modules, and no module over 500 lines (past that, a second noun hides).
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from samples import REPO

PACKAGE = REPO / "inboxbot"
CORE = ("model", "mail", "extract", "directory", "rules", "route", "compose")
EDGES = ("store", "io", "run", "tools", "web", "cli", "logsetup")
MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    module: str  # importing module, dotted
    target: str  # imported module, dotted
    names: tuple[str, ...]
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("inboxbot"):
                    yield Import(name, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inboxbot"):
            yield Import(name, node.module, tuple(alias.name for alias in node.names), node.lineno)


def all_imports() -> list[Import]:
    return [imp for name, path in modules().items() for imp in imports_of(name, path)]


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_core_imports_nothing_from_the_edges() -> None:
    wrong = [f"{imp.module}:{imp.line} imports {imp.target}" for imp in all_imports()
             if package_of(imp.module) in CORE and package_of(imp.target) in EDGES]
    assert wrong == []


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = []
    for imp in all_imports():
        private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if private:
            wrong.append(f"{imp.module}:{imp.line} takes {', '.join(private)} from {imp.target}")
    assert wrong == []


def _resolved(imp: Import, known: set[str]) -> set[str]:
    """The modules an import statement loads: `from inboxbot.x import y` may name module x.y."""
    found = {imp.target} if imp.target in known else set()
    found |= {f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known}
    return found


def test_no_import_cycles() -> None:
    known = set(modules())
    graph: dict[str, set[str]] = {name: set() for name in known}
    for imp in all_imports():
        graph[imp.module] |= _resolved(imp, known) - {imp.module}
    # packages' __init__ are docstrings only, so an edge to a package is not an edge to its modules
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
               ("time", "monotonic")}


def test_the_core_reads_no_clock() -> None:
    wrong = []
    for name, path in modules().items():
        if package_of(name) not in CORE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in CLOCK_CALLS):
                wrong.append(f"{name}:{node.lineno} calls {node.func.value.id}.{node.func.attr}()")
    assert wrong == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_500_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)}: {lines} lines"


def test_the_contract_sees_the_package() -> None:
    """Guards the guards: a contract that read no file would pass every test above."""
    names = modules()
    assert {f"inboxbot.{p}" for p in CORE + EDGES[:4]} <= set(names)
    assert len(all_imports()) > 100
