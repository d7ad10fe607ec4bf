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
