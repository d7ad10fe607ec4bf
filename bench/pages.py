"""The page files app.py registers, in navigation order: the bench times each, and the tests run each.

Read from app.py's text, not by running it (running it would start the app's navigation)."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"


def registered_pages() -> list[str]:
    """Page files registered in app.py's st.navigation, in navigation order."""
    return re.findall(r'st\.Page\(\s*"(pages/[a-z0-9_]+\.py)"', APP.read_text())
