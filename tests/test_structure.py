"""The wiring: layering rules of ARCHITECTURE.md, registration of every page, docstrings, documented tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from metrics.schema import TABLES
from tests.pages_helper import registered_pages

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))
FORBIDDEN_IN_PAGES = [
    r"pl\.col\(",
    r"\.group_by\(",
    r"\.agg\(",
    r"\.join\([^)]*\b(on|how|left_on)=",
    r"read_parquet",
    r"scan_parquet",
    r"unsafe_allow_html\s*=\s*True",
    r"^import polars|^from polars",
]


@pytest.mark.parametrize("page_file", PAGE_FILES, ids=lambda p: p.name)
def test_pages_only_compose(page_file):
    text = page_file.read_text()
    for pattern in FORBIDDEN_IN_PAGES:
        assert not re.search(pattern, text, re.MULTILINE), (
            f"{page_file.name} contains {pattern}: move it to metrics/ or ui/"
        )


def test_every_page_file_is_registered_and_nothing_else():
    assert sorted(registered_pages()) == sorted(f"pages/{p.name}" for p in PAGE_FILES)


def test_only_app_py_sets_up_navigation_and_page_config():
    for f in ROOT.glob("**/*.py"):
        if ".venv" in f.parts or f.name == "app.py" or "tests" in f.parts:
            continue
        text = f.read_text()
        if f == ROOT / "bench" / "live.py":  # the bench's empty app (the floor), written out as text
            text = text.replace(text[text.index("EMPTY_APP = ") : text.index("EMPTY_PAGE = ")], "")
        assert "st.navigation(" not in text and "set_page_config(" not in text, f


@pytest.mark.parametrize("package", ["metrics", "charts"])
def test_pure_layers_do_not_import_streamlit(package):
    for f in (ROOT / package).glob("*.py"):
        tree = ast.parse(f.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any(n.split(".")[0] == "streamlit" for n in names), f"{f.name} imports streamlit"


def test_unsafe_html_only_in_the_fixed_css_module():
    for f in ROOT.glob("**/*.py"):
        if ".venv" in f.parts or "tests" in f.parts:
            continue
        if "unsafe_allow_html=True" in f.read_text():
            assert f.relative_to(ROOT).as_posix() == "ui/style.py", f


def test_every_public_metric_has_a_docstring():
    for f in (ROOT / "metrics").glob("*.py"):
        tree = ast.parse(f.read_text())
        assert ast.get_docstring(tree), f"{f.name} has no module docstring"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{f.name}: {node.name} has no docstring"


def test_every_table_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in TABLES:
        assert f"`{name}`" in readme, f"README does not document table {name}"


def test_no_real_data_files_committed():
    # real published files live beside the project, never inside it
    for f in ROOT.rglob("*"):
        if ".venv" in f.parts or ".git" in f.parts:
            continue
        assert f.suffix.lower() not in {".zip", ".xlsx", ".geojson"} or "tests" in f.parts, f


# ── the presentation layer (issue 25): boardpack and present stay headless, no cycles, no queries in ui/ or pages/ ──
TOP_LEVEL = ("app", "bench", "boardpack", "charts", "deploy", "ingest", "metrics", "pages", "present", "ui")
POLARS_EXPRESSIONS = [r"\bpl\.(col|lit|when|struct|concat_\w+|len)\(", r"\.filter\(", r"\.group_by\(", r"\.agg\("]


def _top_imports(f: Path) -> set[str]:
    """The top-level names a file imports anywhere in it (inside functions too), relative imports left out."""
    found = set()
    for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def _package_of(f: Path) -> str:
    rel = f.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in TOP_LEVEL}
    for f in ROOT.rglob("*.py"):
        rel = f.relative_to(ROOT)
        if rel.parts[0].startswith(".") or rel.parts[0] == "tests" or _package_of(f) not in graph:
            continue
        graph[_package_of(f)] |= (_top_imports(f) & set(TOP_LEVEL)) - {_package_of(f)}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle between packages (as a path that returns to its start), or [] when there is none."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = "done"
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return []


def test_the_headless_pack_imports_neither_streamlit_nor_ui():
    """`python -m boardpack` runs with no Streamlit: checked in a fresh interpreter, where nothing is imported yet."""
    import subprocess
    import sys

    code = (
        "import sys; import boardpack, boardpack.model, boardpack.slides, boardpack.papers, boardpack.__main__, present;"
        "import present.figures, present.tables, present.changes, present.places, present.waits, present.benchmarks;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'ui'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    for package in ("boardpack", "present"):
        for f in (ROOT / package).glob("*.py"):
            assert not _top_imports(f) & {"streamlit", "ui"}, f"{package}/{f.name} imports streamlit or ui"


def test_the_cycle_finder_finds_a_cycle():
    # the rule below must be able to fail: ui → boardpack → ui (how it was before present/) is a cycle
    assert _cycle({"ui": {"boardpack", "metrics"}, "boardpack": {"ui"}, "metrics": set()}) in (
        ["ui", "boardpack", "ui"],
        ["boardpack", "ui", "boardpack"],
    )
    assert _cycle({"ui": {"present"}, "present": {"metrics"}, "metrics": set()}) == []


def test_no_import_cycle_between_top_level_packages():
    graph = _package_graph()
    assert graph["boardpack"] and graph["ui"], "the graph found no imports: the rule would pass on anything"
    assert _cycle(graph) == [], f"import cycle between packages: {' → '.join(_cycle(graph))}"


@pytest.mark.parametrize(
    "f", sorted([*(ROOT / "ui").glob("*.py"), *PAGE_FILES]), ids=lambda f: f"{f.parent.name}/{f.name}"
)
def test_no_polars_expressions_in_ui_or_pages(f):
    """ui/ renders and caches, pages/ compose: the queries are metrics/' and the display tables present/'s."""
    text = f.read_text(encoding="utf-8")
    found = [p for p in POLARS_EXPRESSIONS if re.search(p, text)]
    assert not found, f"{f.parent.name}/{f.name} contains {found}: move the query to metrics/ or present/"


# ── what must not import what, and how long a module may be ───────────────────────────────────────────────────────
def production_modules() -> list[Path]:
    """Every Python file of the product: all but the tests, the virtualenv and hidden folders."""
    return sorted(
        f
        for f in ROOT.rglob("*.py")
        if not any(part in (".venv", "tests") or part.startswith(".") for part in f.relative_to(ROOT).parts[:-1])
    )


def imported(f: Path) -> list[str]:
    """Every module a file imports, at its top or inside a function: `import a.b` and `from a.b import c` give
    "a.b"; a relative import gives its resolved package name."""
    tree = ast.parse(f.read_text(encoding="utf-8"))
    package = ".".join(f.relative_to(ROOT).with_suffix("").parts[:-1])
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            if n.level:
                parent = package.split(".")[: len(package.split(".")) - (n.level - 1)]
                names.append(".".join([*parent, n.module or ""]).strip("."))
            else:
                names.append(n.module or "")
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_import_rules_see_imports_inside_functions():
    # the rule must catch the imports that are hidden in a function (bench imported tests that way)
    f = ROOT / "bench" / "__main__.py"
    assert "bench.pages" in imported(f)
    assert ROOT / "bench" / "live.py" in production_modules() and ROOT / "tests" / "conftest.py" not in (
        production_modules()
    )


def test_pages_import_nothing_from_ingest():
    """A page composes: it reaches the snapshot builders only through ui/ (ui.update, which calls ingest.api)."""
    for f in PAGE_FILES:
        found = [n for n in imported(f) if top(n) == "ingest"]
        assert not found, f"{f.name} imports {found}: go through ui.update and ingest.api"


def test_the_update_page_reaches_ingest_only_through_its_api():
    found = [n for n in imported(ROOT / "ui" / "update.py") if top(n) == "ingest"]
    assert set(found) == {"ingest.api"}, found


def test_no_production_module_imports_tests():
    for f in production_modules():
        found = [n for n in imported(f) if top(n) == "tests"]
        assert not found, f"{f.relative_to(ROOT)} imports {found}: move what it needs out of tests/"


MAX_LINES = 600  # a module longer than this mixes ideas: split it by idea


def test_the_line_limit_covers_every_production_module():
    # the rule below reads production_modules(): every top-level package and app.py must be in it
    folders = {f.relative_to(ROOT).parts[0] for f in production_modules()}
    assert set(TOP_LEVEL) - {"app"} <= folders and ROOT / "app.py" in production_modules()


def test_no_production_module_over_the_line_limit():
    long = {
        f.relative_to(ROOT).as_posix(): n
        for f in production_modules()
        if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
