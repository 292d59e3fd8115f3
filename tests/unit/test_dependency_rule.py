"""Dependencies point one way (docs/architecture.md, "The dependency rule").

Every import in every module of the application — at the top of a file or hidden inside a
function — is read from the source, the way ``test_translations.py`` reads the catalogues. An
import from a lower layer to a higher one fails, and so does a cycle between the modules of a
layer, which is how a ring between packages starts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import its own layer and the layers before it, never one after.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("grassroots_config",),  # the YAML the code reads (folder config/)
    ("models",),  # tables, the engine, migrations
    ("services",),  # the domain: use cases, rules, views of data
    ("infra",),  # settings, i18n, metrics, logging, leadership, threads, rate limits
    ("handlers",),  # the chat interface, one folder per feature, with its jobs
    ("web",),  # the web pages, over the same services and checks as the chat
    ("scheduler",),  # the outbox sender and the jobs' timetable
    ("bot",),  # the composition root: the Application, transports, runtime, admin CLI
)
TEST_SUPPORT = ("tests", "faults", "benchmarks", "testkit")
FOLDERS = {"grassroots_config": "config"}


def layer_of(module: str) -> int | None:
    top = module.split(".")[0]
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    return None


def modules() -> Iterator[tuple[str, Path]]:
    for names in LAYERS:
        for package in names:
            folder = ROOT / FOLDERS.get(package, package)
            for path in sorted(folder.rglob("*.py")):
                if "migrations" in path.parts:
                    continue  # Alembic's scripts import models only, and are loaded by Alembic
                relative = path.relative_to(folder).with_suffix("")
                parts = [package, *relative.parts]
                if parts[-1] == "__init__":
                    parts.pop()
                yield ".".join(parts), path


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:  # "from handlers import menu" imports handlers.common.menu
                yield f"{target}.{alias.name}", node.lineno


def test_the_rule_sees_the_code() -> None:
    found = dict(modules())
    assert "bot.app" in found and "handlers.common.context" in found
    assert len(found) > 80
    edges = {(m, t) for m, p in found.items() for t, _ in imports_of(m, p)}
    assert any(m.startswith("handlers") and t.startswith("services") for m, t in edges)


def test_no_import_points_up() -> None:
    wrong = []
    for module, path in modules():
        own = layer_of(module)
        assert own is not None
        for target, line in imports_of(module, path):
            top = target.split(".")[0]
            if top in TEST_SUPPORT:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports test support {target}")
                continue
            theirs = layer_of(target)
            if theirs is not None and theirs > own:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line} ({LAYERS[own][0]}) imports {target} "
                    f"({LAYERS[theirs][0]})"
                )
    assert not wrong, "imports against the dependency rule:\n" + "\n".join(sorted(set(wrong)))


def _package_of(module: str) -> str:
    # The unit of a cycle: the first two levels ("services.concerns", "handlers.reports").
    return ".".join(module.split(".")[:2])


def test_no_cycle_between_packages() -> None:
    found = dict(modules())
    known = set(found)
    graph: dict[str, set[str]] = {}
    for module, path in found.items():
        source = _package_of(module)
        for target, _ in imports_of(module, path):
            if layer_of(target) is None:
                continue
            # "from services import access" names services.access; "from x.y import Name" x.y
            candidate = target if target in known else target.rsplit(".", 1)[0]
            if candidate not in known:
                continue
            destination = _package_of(candidate)
            if destination != source and not destination.count(".") < source.count("."):
                graph.setdefault(source, set()).add(destination)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "package cycles:\n" + "\n".join(cycles)


# --- test support -----------------------------------------------------------------------------
# tests/, faults/ and benchmarks/ share what they need through testkit/ only: a test module is no
# library for another (shared helpers live in testkit or a conftest), and the fault scripts and the
# test suite never reach into each other.

SUPPORT_ALLOWED: dict[str, frozenset[str]] = {
    "tests": frozenset({"tests", "testkit"}),  # tests: only conftest modules (checked below)
    "faults": frozenset({"faults", "testkit"}),
    "benchmarks": frozenset({"benchmarks", "testkit"}),
    "testkit": frozenset({"testkit"}),
}


def support_modules() -> Iterator[tuple[str, Path]]:
    for package in SUPPORT_ALLOWED:
        folder = ROOT / package
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def support_import_problems(found: Iterator[tuple[str, Path]]) -> list[str]:
    wrong: dict[str, str] = {}  # place → the problem (one per import line)
    for module, path in found:
        home = module.split(".")[0]
        for target, line in imports_of(module, path):
            top = target.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line}"
            if top in SUPPORT_ALLOWED and top not in SUPPORT_ALLOWED[home]:
                wrong.setdefault(where, f"{where}: {home}/ imports {target}")
            elif home == "benchmarks" and (ROOT / home / f"{top}.py").exists():
                # Run as `python benchmarks/x.py`, a benchmark sees the others as top-level
                # modules ("from report_throughput import ..."): what they share is testkit's.
                wrong.setdefault(where, f"{where}: a benchmark imports another, {target}")
            elif top == "tests" and home == "tests":
                # "from tests.e2e import conftest" names tests.e2e.conftest; a bare package is
                # fine (its __init__ is empty); anything else is another test module.
                parts = target.split(".")
                if "conftest" not in parts and not (ROOT.joinpath(*parts) / "__init__.py").exists():
                    wrong.setdefault(where, f"{where}: test module imports test module {target}")
    return sorted(wrong.values())


def test_the_support_rule_sees_the_code() -> None:
    found = dict(support_modules())
    assert {"tests.conftest", "faults.fuzz", "testkit.chat", "benchmarks.latency"} <= set(found)
    edges = {(m, t) for m, p in found.items() for t, _ in imports_of(m, p)}
    assert any(m.startswith("faults") and t.startswith("testkit") for m, t in edges)


def test_test_support_shares_through_testkit_only() -> None:
    wrong = support_import_problems(support_modules())
    assert not wrong, "test support importing past testkit:\n" + "\n".join(wrong)
