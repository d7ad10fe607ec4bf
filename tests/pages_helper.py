"""Helpers for AppTest page tests: the registered pages and a ready-to-run app."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def registered_pages() -> list[str]:
    """Page files registered in app.py's st.navigation, in navigation order."""
    return re.findall(r'st\.Page\(\s*"(pages/[a-z0-9_]+\.py)"', APP.read_text())


def app(**query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def unescape(markdown: str) -> str:
    """Markdown source as people read it: backslash escapes undone, invisible word joiners dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def page_text(at: AppTest) -> str:
    """All visible text of a run as people read it: markdown, captions, titles, alerts, metrics."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return unescape("\n".join(parts))
