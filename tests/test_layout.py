"""The package keeps the shape a maintainer can read: no import cycle, small modules,
Prefect kept out of the library, and tests that mirror the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGE = ROOT / "src" / "newsletter"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def imports_of(path: Path) -> set[str]:
    """The package's modules this one imports, type-only imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from newsletter.x import y` may name a module y
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES}


def test_there_is_no_import_cycle_in_the_package() -> None:
    graph = {name: imports_of(path) - {name} for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# (importer prefix, imported prefix): layers that meet through a shared lower module instead
FORBIDDEN = [
    ("newsletter.feeds", "newsletter.render"),  # placeholders: newsletter.domain.placeholders
    ("newsletter.issue.build", "newsletter.engagement"),  # the readers' history is a parameter
    ("newsletter.domain", "newsletter.selection"),
]


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_layers_meet_where_they_should(importer: str, imported: str) -> None:
    for name, path in MODULES.items():
        if name == importer or name.startswith(importer + "."):
            wrong = sorted(m for m in imports_of(path) if m.startswith(imported))
            assert not wrong, f"{name} imports {', '.join(wrong)}"


def test_no_module_keeps_state_behind_a_global() -> None:
    """Caches and compiled tables are objects their callers hold, not module globals."""
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(isinstance(n, ast.Global) for n in ast.walk(tree)), f"{name} uses global"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it along what it does"


def test_the_library_imports_no_prefect() -> None:
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            assert not any(n.split(".")[0] == "prefect" for n in names), f"{name} imports Prefect"


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


def test_tests_mirror_the_source_tree() -> None:
    """Each test folder is named after a package folder (or flows/, release/, support/)."""
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    folders = {
        p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    assert folders - packages <= {"flows", "release", "support"}, sorted(folders - packages)


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv")]
    assert len(commands) == 2 and commands[1].endswith(
        "pytest -q"
    )  # install + demo, install + tests
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_starts_from_the_project_root(script: str) -> None:
    """Benches run as scripts (`python bench/x.py`), with no tests/ on the path until they put it there."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, f"bench/{script}", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]
