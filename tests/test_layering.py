"""The package layering: no import cycles between Lockgate's packages, and the lower layers never
reach up. Only module-level imports count; ``if TYPE_CHECKING:`` blocks and imports inside
functions are not edges (they run late, after every module is loaded)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import lockgate

ROOT = Path(lockgate.__file__).parent

FORBIDDEN = {
    "calls": {"chat", "gateway", "images"},
    "gate": {"calls", "chat", "gateway", "http"},
    "providers": {"gate", "calls"},
    # The vector layer is a floor below the cache and the call path (calls/embedder.py is the
    # provider-backed embedder precisely so that vectors never imports calls).
    "vectors": {"calls", "cache", "chat", "gateway", "gate", "providers", "images", "documents"},
    "cache": {"calls", "chat", "gateway", "images", "gate", "providers"},
}


def package_of(module: str) -> str:
    """``lockgate.chat.service`` → ``chat``; a top-level module (``lockgate.deps``) is its own.

    Alembic's scripts (``db/migrations``) are loaded by path, never imported: a node of their own.
    """
    parts = module.split(".")
    if parts[1:3] == ["db", "migrations"]:
        return "db.migrations"
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time: the body, and the branches of ``if``/``try`` in it."""
    for node in body:
        if isinstance(node, ast.If):
            if not is_type_checking(node.test):
                yield from top_level(node.body)
            yield from top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from top_level(block)
            for handler in node.handlers:
                yield from top_level(handler.body)
        else:
            yield node


def imports_of(path: Path) -> Iterator[str]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    for node in top_level(ast.parse(path.read_text()).body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from lockgate import chat` imports the module `lockgate.chat`;
            # `from lockgate import __version__` only a name of the package itself.
            if target == "lockgate":
                yield from (
                    f"lockgate.{alias.name}"
                    for alias in node.names
                    if (ROOT / alias.name).is_dir() or (ROOT / f"{alias.name}.py").is_file()
                )


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        source = package_of(module_name(path))
        edges = graph.setdefault(source, set())
        for target in imports_of(path):
            if target == "lockgate" or not target.startswith("lockgate."):
                continue
            if (other := package_of(target)) != source:
                edges.add(other)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a path ``[a, b, …, a]``, or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_stack:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in done and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        on_stack.discard(node)
        done.add(node)
        return None

    for node in sorted(graph):
        if node not in done and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_graph_sees_the_packages() -> None:
    graph = package_graph()
    assert {"calls", "chat", "gate", "gateway", "providers", "state"} <= graph.keys()
    assert "gate" in graph["calls"]
    assert {"models", "auth"} <= graph["db.migrations"]
    assert "__version__" not in graph["app"]


def test_no_import_cycle_between_packages() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, " → ".join(cycle or ())


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_lower_layers_do_not_reach_up() -> None:
    graph = package_graph()
    reaching_up = {
        package: sorted(graph.get(package, set()) & forbidden)
        for package, forbidden in FORBIDDEN.items()
        if graph.get(package, set()) & forbidden
    }
    assert reaching_up == {}


def every_import(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever (also under ``TYPE_CHECKING`` or in a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_services_receive_pieces_not_the_state_or_a_request() -> None:
    """A service gets what it uses from its endpoint's dependency: never the whole State (a
    service locator), never the HTTP request."""
    banned = ("lockgate.state", "lockgate.deps", "fastapi", "starlette")
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in every_import(path) if name.startswith(banned)
        )
        for path in sorted(ROOT.rglob("service.py"))
    }
    assert len(offenders) >= 5
    assert {path: names for path, names in offenders.items() if names} == {}
