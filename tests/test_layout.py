"""The packages keep the shape a maintainer can read: no import cycle, layers that run
downward, small modules, Prefect kept out of the library, one service layer that the shells
call and nothing else wires, the whole store named only where it is opened and wired, and
tests that mirror the source tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGE = ROOT / "src" / "newsletter"
FLOWS = ROOT / "src" / "newsletter_flows"  # the Prefect flows, a package of their own
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT / "src").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(package: Path) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(package.rglob("*.py")) if "migrations" not in p.parts}


MODULES = modules_of(PACKAGE)
FLOW_MODULES = modules_of(FLOWS)
EVERY_MODULE = {**MODULES, **FLOW_MODULES}


def imports_of(path: Path, known: dict[str, Path] = EVERY_MODULE) -> set[str]:
    """The packages' modules this one imports, type-only and relative imports included."""
    name = module_name(path)
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from . import x`, `from .x import y`
                parent = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:  # `from newsletter.x import y` may name a module y
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known}


def top_level_imports(path: Path) -> set[str]:
    """Every distribution-level name this module imports (`click`, `prefect`, …)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize("package", [MODULES, FLOW_MODULES], ids=["newsletter", "newsletter_flows"])
def test_there_is_no_import_cycle_in_the_package(package: dict[str, Path]) -> None:
    graph = {name: imports_of(path, package) - {name} for name, path in package.items()}
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


# The shells: what a person or a scheduler starts. They call newsletter.services (and show
# what comes back); nothing of theirs wires the library's steps or opens the store itself.
SHELLS = ("newsletter.cli", "newsletter.web", "newsletter.demo", "newsletter_flows")
# The steps a service wires, and the store: a shell importing one is wiring it itself.
STEPS = (
    "newsletter.store",
    "newsletter.feeds.ingest",
    "newsletter.issue.build",
    "newsletter.issue.lookup",
    "newsletter.delivery.send",
    "newsletter.engagement.ingest",
    "newsletter.engagement.report",
    "newsletter.engagement.retention",
    "newsletter.engagement.interest",
    "newsletter.selection",
    "newsletter.subscribers",
)

# (importer prefix, imported prefix): layers that meet through a shared lower module instead
FORBIDDEN = [
    ("newsletter.feeds", "newsletter.render"),  # placeholders: newsletter.domain.placeholders
    ("newsletter.issue.build", "newsletter.engagement"),  # the readers' history is a parameter
    ("newsletter.domain", "newsletter.selection"),
    ("newsletter", "newsletter_flows"),  # the library never needs its flows
    *((shell, step) for shell in SHELLS for step in STEPS),
    # layers run downward: the library below the services never calls up into them or a shell
    *(
        (layer, upper)
        for layer in (
            "newsletter.domain",
            "newsletter.store",
            "newsletter.feeds",
            "newsletter.selection",
            "newsletter.issue",
            "newsletter.render",
            "newsletter.delivery",
            "newsletter.engagement",
            "newsletter.subscribers",
            "newsletter.config",
            "newsletter.ops",
        )
        for upper in ("newsletter.services", "newsletter.app", *SHELLS)
    ),
    ("newsletter.services", "newsletter.cli"),
    ("newsletter.services", "newsletter.web"),
    ("newsletter.services", "newsletter.demo"),
]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_layers_meet_where_they_should(importer: str, imported: str) -> None:
    for name, path in EVERY_MODULE.items():
        if _within(name, importer) and not _within(name, imported):
            wrong = sorted(m for m in imports_of(path) if _within(m, imported))
            assert not wrong, f"{name} imports {', '.join(wrong)}"


def test_the_services_stay_free_of_every_shell() -> None:
    """No command line, web framework or scheduler in newsletter.services: any shell can call it."""
    for name, path in MODULES.items():
        if _within(name, "newsletter.services"):
            shells = top_level_imports(path) & {"click", "rich", "starlette", "uvicorn", "prefect"}
            assert not shells, f"{name} imports {', '.join(sorted(shells))}"


# Where the whole Store may be named as a parameter's type: the store itself, the
# composition root that opens it, and the services that wire the steps over it.
WHOLE_STORE_ALLOWED = ("newsletter.store", "newsletter.app", "newsletter.services")


def whole_store_parameters(source: str) -> list[str]:
    """`function(parameter)` for each parameter annotated with the whole `Store`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
                if arg is not None and arg.annotation is not None:
                    if re.search(r"\bStore\b", ast.unparse(arg.annotation)):
                        found.append(f"{node.name}({arg.arg})")
    return found


def test_only_the_store_the_root_and_the_services_take_the_whole_store() -> None:
    """Everything else declares the narrow door it uses (a Protocol beside itself)."""
    seen = whole_store_parameters(
        "def f(a: Store, b: 'Store | None', *, c: int, d: StoreError, e: Iterator[Store]): ..."
    )
    assert seen == ["f(a)", "f(b)", "f(e)"]  # what the check sees, string annotations too
    shells = {f"flows.{p.stem}": p for p in (ROOT / "flows").glob("*.py")}
    outside = {
        name: found
        for name, path in {**EVERY_MODULE, **shells}.items()
        if not any(_within(name, allowed) for allowed in WHOLE_STORE_ALLOWED)
        and (found := whole_store_parameters(path.read_text(encoding="utf-8")))
    }
    assert outside == {}, f"take a narrow Protocol instead of the whole Store: {outside}"


def test_no_module_keeps_state_behind_a_global() -> None:
    """Caches and compiled tables are objects their callers hold, not module globals."""
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(isinstance(n, ast.Global) for n in ast.walk(tree)), f"{name} uses global"


@pytest.mark.parametrize("name", sorted(EVERY_MODULE))
def test_modules_stay_small(name: str) -> None:
    lines = len(EVERY_MODULE[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it along what it does"


def test_the_library_imports_no_prefect() -> None:
    for name, path in MODULES.items():
        assert "prefect" not in top_level_imports(path), f"{name} imports Prefect"


def test_the_flows_reach_the_library_through_the_services() -> None:
    """newsletter_flows imports its own modules relatively and calls newsletter.services;
    besides those it takes only types, settings and errors from the library."""
    allowed = (
        "newsletter.services",
        "newsletter.app",
        "newsletter.config",
        "newsletter.domain",
        "newsletter.errors",
        "newsletter.issue.edits",  # the one model of a week's edits, the approval form's
        "newsletter.engagement.tables",  # the report's tables, as artifacts
    )
    for name, path in FLOW_MODULES.items():
        used = {m for m in imports_of(path) if m.startswith("newsletter.")}
        wrong = sorted(m for m in used if not any(_within(m, a) for a in allowed))
        assert not wrong, f"{name} imports {', '.join(wrong)}"
        absolute = [
            n.module
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module
        ]
        assert not any(m.startswith("newsletter_flows") for m in absolute), name


def test_the_packages_are_typed() -> None:
    assert (PACKAGE / "py.typed").is_file() and (FLOWS / "py.typed").is_file()


def test_the_architecture_page_names_every_package() -> None:
    """Each package folder under src/newsletter, and the flows package, has its row in the
    table of docs/architecture.md."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"^\| .*?\|", page, flags=re.M))
    cells = " ".join(named)
    folders = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert folders, "no package folders found"
    missing = [f for f in folders if f"`{f}/`" not in cells]
    assert not missing, f"docs/architecture.md's table does not name {missing}"
    assert "`newsletter_flows/`" in cells


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


def test_the_readme_is_a_first_screen() -> None:
    """At most 150 lines, its first two code blocks the two commands, and every file it links
    to or shows there; the rest of the documentation is the site in docs/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150, f"README.md has {len(readme.splitlines())} lines"
    blocks = re.findall(r"^```\w*\n(.*?)^```", readme, flags=re.M | re.S)
    assert blocks[0].strip().endswith("newsletter demo"), blocks[0]
    assert blocks[1].strip().endswith("pytest -q"), blocks[1]
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t]
    assert "docs/issue.png" in local and "docs/report.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_every_docs_page_is_in_the_site() -> None:
    """docs/ holds the site's pages, their images and the generators, nothing else; every
    page is in mkdocs.yml's nav (mkdocs --strict fails on a nav entry without its page)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    for path in (ROOT / "docs").iterdir():
        assert path.suffix in {".md", ".png", ".py"}, f"stray file in docs/: {path.name}"
        if path.suffix == ".md":
            assert f" {path.name}\n" in nav, f"docs/{path.name} is not in mkdocs.yml's nav"


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_starts_from_the_project_root(script: str) -> None:
    """Benches run as scripts (`python bench/x.py`), with no tests/ on the path until they put it there."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, f"bench/{script}", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]
