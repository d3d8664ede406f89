"""The architecture, enforced: the engine (ytm_doctor/ and plugins/) never imports the plugin
folders (checks/, fixers/, reports/), and no module imports itself back through others at run
time. Imports under `if TYPE_CHECKING:` are for type checkers only and do not count; imports
inside functions do (they run). And code stays readable: no engine module over 600 lines, no
function of the fix engine (fix/, store/, mirror/) over 60 lines unless its docstring says why
("Long because ...")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Source folder -> installed package (pyproject.toml maps them under ytm_doctor).
FOLDERS = {
    "ytm_doctor": "ytm_doctor",
    "plugins": "ytm_doctor.plugins",
    "checks": "ytm_doctor.checks",
    "fixers": "ytm_doctor.fixers",
    "reports": "ytm_doctor.reports",
}
PLUGIN_PACKAGES = ("ytm_doctor.checks", "ytm_doctor.fixers", "ytm_doctor.reports")


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {name: runtime_imports(path, name, known) for name, path in known.items()}
    # Importing a package runs its __init__ first: that is Python's doing, not an edge of ours.
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in edges.items()
    }


def is_plugin(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PLUGIN_PACKAGES)


def test_the_engine_never_imports_the_plugin_folders() -> None:
    offending = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if not is_plugin(name)
        for target in targets
        if is_plugin(target)
    )
    assert offending == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_at_run_time() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_engine_import_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ytm_doctor.reports import html\n"
        "def f():\n    from ytm_doctor.checks import vault\n"
    )
    known = {"ytm_doctor.checks.vault": module, "ytm_doctor.reports.html": module}
    assert runtime_imports(module, "ytm_doctor.m", known) == {"ytm_doctor.checks.vault"}


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
FIX_ENGINE = ("ytm_doctor.fix", "ytm_doctor.store", "ytm_doctor.mirror")


def test_no_engine_module_is_over_600_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if not is_plugin(name)
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if length > MAX_FUNCTION_LINES and "Long because" not in doc:
                found.append(f"{path.name}:{node.name} ({length} lines)")
    return found


def test_no_fix_engine_function_is_over_60_lines_without_a_reason() -> None:
    found = [
        item
        for name, path in modules().items()
        if any(name == p or name.startswith(p + ".") for p in FIX_ENGINE)
        for item in long_functions(path)
    ]
    assert found == []


def test_a_long_function_is_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(70))
    module = tmp_path / "m.py"
    module.write_text(f'def f():\n{body}\n\ndef g():\n    """Long because."""\n{body}\n')
    assert long_functions(module) == ["m.py:f (71 lines)"]


def test_every_engine_package_is_installed():
    """A non-editable install ships only the packages pyproject.toml lists: a new subpackage of
    ytm_doctor/ (fix/, store/, runs/ ...) left out works in development and breaks for users."""
    import re

    # tomllib is Python 3.11+; the project supports 3.10: the one line, read as a list literal.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(ast.literal_eval(re.search(r"^packages = (\[.*\])$", text, re.M).group(1)))
    found = {
        ".".join(p.relative_to(ROOT).parent.parts)
        for p in (ROOT / "ytm_doctor").rglob("__init__.py")
    }
    assert found - listed == set()
