"""AppTest: the role decides what reaches the browser. With sign-in configured, the public and a signed-in stranger
get disclosure-controlled figures on every page — in every element's payload, not just on screen — and never the
officer label or the board-mode toggle; an officer on the list gets exact figures.

Exact ward counts are made recognisable in a fixture snapshot (tests/leaks.py), so any found is a leak.
"""

from __future__ import annotations

import re

import pytest

import ui.components
from metrics.formatting import md_escape
from metrics.snapshot import open_snapshot
from tests.leaks import SCALE, exact_ward_counts, numbers_in_text, sent
from tests.pages_helper import TEST_AUTH, TEST_OFFICERS, app, registered_pages, tables_chosen, with_sign_in

USERS = {
    "public": None,
    "stranger": {
        "is_logged_in": True,
        "email": "someone@example.com",
        "email_verified": True,
        "name": "A member of the public",
    },
    "officer": {
        "is_logged_in": True,
        "email": "Data.Officer@bury.gov.uk",
        "email_verified": True,
        "name": "Data officer",
    },
}
OFFICIAL = "Official – not for publication"


@pytest.fixture(scope="module")
def exact_counts(sentinel_root) -> set[int]:
    return exact_ward_counts(sentinel_root / "2025-10-31")


def run(root, monkeypatch, who: str, page: str, **query):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app(**query)
    at.secrets["auth"] = TEST_AUTH
    at.secrets["officers"] = TEST_OFFICERS
    if USERS[who]:
        at.user = USERS[who]
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def downloads(monkeypatch):
    produced: list[bytes] = []
    real = ui.components.csv_bytes
    monkeypatch.setattr(ui.components, "csv_bytes", lambda f, **kw: produced.append(real(f, **kw)) or produced[-1])
    return produced


@pytest.mark.parametrize("page_file", registered_pages())
@pytest.mark.parametrize("who", ["public", "stranger"])
def test_the_public_receives_no_exact_ward_count_on_any_page(
    sentinel_root, exact_counts, monkeypatch, downloads, who, page_file
):
    at = run(sentinel_root, monkeypatch, who, page_file, mode="officer")  # the link asks for officer mode: ignored
    text, numbers = sent(at)
    leaked = sorted(numbers & exact_counts)
    assert not leaked, f"{page_file}: exact counts sent to a {who} browser: {leaked[:10]}"
    at = tables_chosen(at)  # and every chart's table twin, once chosen
    assert not at.exception
    text, numbers = sent(at)
    leaked = sorted(numbers & exact_counts)
    assert not leaked, f"{page_file}: exact counts in a table sent to a {who} browser: {leaked[:10]}"
    for csv in downloads:
        assert not numbers_in_text(csv.decode("utf-8-sig")) & exact_counts, (
            f"{page_file}: a download holds exact counts"
        )
    assert OFFICIAL not in text
    assert not at.sidebar.toggle  # no board-mode toggle, so no way to an officer view
    assert at.query_params["mode"] in ("board", ["board"])


def test_the_ward_page_for_the_public_shows_protected_figures(sentinel_root, monkeypatch):
    at = run(sentinel_root, monkeypatch, "public", "pages/ward_demand.py")
    text, numbers = sent(at)
    assert "c = fewer than 8, suppressed to protect privacy" in text
    assert any(n >= SCALE and n % 5 == 0 for n in numbers)  # rounded sentinel counts are there
    assert "Public view." in text and [b.label for b in at.sidebar.button] == []  # provider unreachable: no button


def test_a_stranger_is_told_why_they_see_the_public_view(sentinel_root, monkeypatch):
    at = run(sentinel_root, monkeypatch, "stranger", "pages/summary.py")
    message = "\n".join(i.value for i in at.sidebar.info)
    who = f"{md_escape('A member of the public')} ({md_escape('someone@example.com')})"
    assert f"You are signed in as {who}, who is not on this dashboard's " in message
    assert "officers' list: you see the public view" in message
    assert [b.label for b in at.sidebar.button] == ["Sign out"]


def test_the_officer_sees_exact_ward_counts_under_the_official_label(
    sentinel_root, exact_counts, monkeypatch, downloads
):
    at = run(sentinel_root, monkeypatch, "officer", "pages/ward_demand.py", mode="officer")
    text, numbers = sent(at)
    assert len(numbers & exact_counts) >= 17  # every ward's exact count, at least
    assert OFFICIAL in text
    assert f"Signed in as **Data officer ({md_escape('Data.Officer@bury.gov.uk')})**" in text
    assert [t.label for t in at.sidebar.toggle] == ["Board mode"] and [b.label for b in at.sidebar.button] == [
        "Sign out"
    ]
    for csv in downloads:  # downloads are protected whoever asks
        assert not numbers_in_text(csv.decode("utf-8-sig")) & exact_counts


def test_an_officer_in_board_mode_is_protected_exactly_as_the_public(sentinel_root, exact_counts, monkeypatch):
    at = run(sentinel_root, monkeypatch, "officer", "pages/ward_demand.py", mode="board")
    text, numbers = sent(at)
    assert not numbers & exact_counts
    assert OFFICIAL not in text


def test_without_auth_the_app_works_as_before_with_a_warning(sentinel_root, exact_counts, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(sentinel_root))
    at = app(mode="officer").run()
    at.switch_page("pages/ward_demand.py").run()
    text, numbers = sent(at)
    assert "Sign-in is not configured:** anyone who can open this address sees exact figures" in text
    assert numbers & exact_counts and OFFICIAL in text
    assert [t.label for t in at.sidebar.toggle] == ["Board mode"]


def test_a_broken_auth_shows_the_problem_and_the_public_view(sentinel_root, exact_counts, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(sentinel_root))
    at = app(mode="officer")
    at.secrets["auth"] = {"client_id": "dashboard", "client_secret": "s"}
    at.secrets["officers"] = TEST_OFFICERS
    at.user = USERS["officer"]
    at.run()
    at.switch_page("pages/ward_demand.py").run()
    assert not at.exception
    text, numbers = sent(at)
    assert "Sign-in is not working:** \\[auth\\] has no redirect\\_uri" in text
    assert "not-a-real-secret" not in text and "s" not in at.sidebar.error[0].value.split()
    assert not numbers & exact_counts and OFFICIAL not in text


def test_sign_in_button_when_the_provider_answers(sentinel_root, monkeypatch):
    import ui.signin

    monkeypatch.setattr(ui.signin, "provider_problem", lambda url: "")
    at = run(sentinel_root, monkeypatch, "public", "pages/summary.py")
    assert [b.label for b in at.sidebar.button] == ["Sign in"]


def test_the_board_pack_holds_no_exact_ward_count(sentinel_root, exact_counts):
    from boardpack import build_html

    document = build_html(open_snapshot(sentinel_root / "2025-10-31"), open_snapshot(sentinel_root / "2025-09-30"))
    assert not numbers_in_text(re.sub(r"data:[^\"']+", "", document)) & exact_counts


def test_the_public_data_and_methods_page_holds_no_developer_content():
    """Sources and methods in plain English for the public (and for a shared screen); checksums, file names,
    commands and the signature's details only in an officers' technical section."""
    from tests.pages_helper import page_text

    public = with_sign_in(app()).run()
    public.switch_page("pages/data_methods.py").run()
    assert not public.exception
    text = page_text(public)
    for developer in ("SHA-256", "python -m", "Signature:", "README", "ingest/demo.py", "this project", "E08000002"):
        assert developer not in text, developer
    assert "Department for Education" in text and "Open Government Licence v3.0" in text
    sources = next(t.value for t in public.table if "Publisher" in t.value.columns)  # static: the public's view
    assert list(sources.columns) == ["Source", "Publisher", "Published", "Licence"]

    officer = app(mode="officer").run()  # sign-in not configured: the person running it locally is an officer
    officer.switch_page("pages/data_methods.py").run()
    text = page_text(officer)
    assert "Technical details (officers)" in text and "python -m ingest build" in text and "Signature:" in text
    board = app(mode="board").run()
    board.switch_page("pages/data_methods.py").run()
    assert "Technical details (officers)" not in page_text(board)  # a shared screen is the public's view
