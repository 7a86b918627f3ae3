"""The shape of the Python code, kept by tests: modules of a readable size, no import cycle,
test modules that do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

from orchestration.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "orchestration"
TESTS = Path(__file__).parent
MAX_MODULE_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules `path` imports, wherever the import statement is (a function's lazy import is an
    edge too), except under `if TYPE_CHECKING:`; `from x import y` counts as x and x.y."""
    tree = ast.parse(path.read_text())
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return found


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(PROJECT_ROOT)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these by what they hold: {long}"


def test_no_import_cycle():
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {
        name: {other for other in _imports(path) if other in modules and other != name}
        for name, path in modules.items()
    }
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for other in graph[name]:
            if other in trail:
                cycles.append(" -> ".join(trail[trail.index(other) :] + [other]))
            elif len(trail) < len(modules):
                visit(other, [*trail, other])

    for name in graph:
        visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


def test_test_modules_do_not_import_each_other():
    test_modules = {path.stem for path in TESTS.glob("test_*.py")}
    offenders = {path.name: found for path in TESTS.glob("*.py") if (found := sorted(test_modules & _imports(path)))}
    assert not offenders, f"move what they share into conftest.py or a helper module: {offenders}"
