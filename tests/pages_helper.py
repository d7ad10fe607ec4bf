"""Helpers for AppTest page tests: the registered pages and a ready-to-run app."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.pages import registered_pages  # noqa: F401 - the tests take the list from here as before

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


# An [auth] block pointing at a port nothing listens on: sign-in is configured, the provider never reached.
TEST_AUTH = {
    "redirect_uri": "http://127.0.0.1:9/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-forty-characters!",
    "client_id": "dashboard",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
TEST_OFFICERS = {"emails": ["chair@partner.org.uk"], "domains": ["bury.gov.uk"]}


def with_sign_in(at: AppTest, user: dict | None = None) -> AppTest:
    """Configure sign-in (TEST_AUTH, TEST_OFFICERS) and, when given, the signed-in user's claims (with a verified
    email unless they say otherwise)."""
    at.secrets["auth"] = TEST_AUTH
    at.secrets["officers"] = TEST_OFFICERS
    if user:
        at.user = {"is_logged_in": True, "email_verified": True, **user}
    return at


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


def tables_chosen(at: AppTest) -> AppTest:
    """The run again with every chart-or-table control set to Table, so that every table twin is built and shown
    (each is built only when chosen)."""
    controls = [c for c in at.segmented_control if c.options == ["Chart", "Table"]]
    for control in controls:
        control.set_value("Table")
    return at.run() if controls else at
