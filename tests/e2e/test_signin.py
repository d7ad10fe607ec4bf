"""Sign-in end to end in a real browser: a mock OpenID provider (`oidc-provider-mock`) and the app with `[auth]`
pointing at it, both on loopback ports of their own. Anonymous → public view on every page, with no exact ward count
in anything the browser receives (every websocket frame decoded); Sign in as an officer on the list → exact
figures; Sign out → public again; a signed-in stranger stays public and is told why.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import SHOTS, _free_port, streamlit_server, wait_until_drawn
from tests.leaks import exact_ward_counts, frames_sent
from tests.pages_helper import registered_pages

OFFICIAL = "Official – not for publication"
USERS = [
    {"sub": "officer", "email": "Data.Officer@bury.gov.uk", "email_verified": True, "name": "Data officer"},
    {"sub": "stranger", "email": "someone@example.com", "email_verified": True, "name": "A visitor"},
]


@pytest.fixture(scope="module")
def provider():
    port = _free_port()
    cli = Path(sys.executable).with_name("oidc-provider-mock")
    args = [str(cli), "--host", "127.0.0.1", "--port", str(port)]
    for user in USERS:
        args += ["--user-claims", json.dumps(user)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = (SHOTS / "oidc-provider.log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # a file: an unread pipe would fill up
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/.well-known/openid-configuration") as r:
            if r.status == 200:
                break
        time.sleep(0.2)
    else:
        proc.terminate()
        log.close()
        raise RuntimeError("the mock provider did not start: " + (SHOTS / "oidc-provider.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def auth_app(provider, sentinel_root, tmp_path_factory):
    """The app with sign-in configured, serving the snapshots with recognisable ward counts."""
    port = _free_port()
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-cookie-secret-for-the-browser-tests-only-0123456789"\n'
        'client_id = "send-dashboard"\n'
        'client_secret = "test-only-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        "[officers]\n"
        'domains = ["bury.gov.uk"]\n'
    )
    with streamlit_server(env={"SEND_SNAPSHOT_ROOT": str(sentinel_root)}, secrets=secrets, port=port) as url:
        yield url


def loopback_only(page) -> None:
    """Refuse every request that would leave this machine (the mock provider's page links a stylesheet on a CDN)."""

    def route(r):
        host = urlparse(r.request.url).hostname
        return r.continue_() if host in ("127.0.0.1", "localhost") else r.abort()

    page.route("**/*", route)


def record_frames(page) -> list[bytes]:
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    return frames


def sidebar_text(page) -> str:
    """The sidebar's text as read (without the invisible word joiners that stop addresses becoming links)."""
    return " ".join(page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "").split())


def one_button(page, name: str) -> int:
    """How many buttons of that name the page has, once the first is drawn: the sidebar's buttons come just after its
    text, so an immediate count can see none."""
    button = page.get_by_role("button", name=name)
    with contextlib.suppress(PlaywrightTimeoutError):
        button.first.wait_for(state="attached", timeout=15_000)
    return button.count()


def open_sidebar(page) -> None:
    """The public view is the board presentation, whose sidebar starts collapsed: open it as a person would."""
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.is_visible():
        expand.click()
        page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Sign out")).first.wait_for()


def sign_in(page, app_url: str, sub: str) -> None:
    page.goto(app_url)
    wait_until_drawn(page)
    open_sidebar(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    wait_until_drawn(page)


@pytest.mark.e2e
def test_anonymous_browser_gets_the_public_view_and_no_exact_ward_count(auth_app, sentinel_root, page):
    exact = exact_ward_counts(sentinel_root / "2025-10-31")
    loopback_only(page)
    frames = record_frames(page)
    page.set_viewport_size({"width": 1600, "height": 1400})
    for page_file in registered_pages():
        stem = Path(page_file).stem
        page.goto(f"{auth_app}/{'' if page_file == registered_pages()[0] else stem}?mode=officer")
        wait_until_drawn(page)
        text = page.locator('[data-testid="stApp"]').inner_text()
        assert OFFICIAL not in text, page_file
        assert "Public view." in sidebar_text(page), page_file
        assert one_button(page, "Sign in") == 1, (page_file, sidebar_text(page))
        assert page.get_by_role("switch", name="Board mode").count() == 0
        if stem == "ward_demand":
            page.screenshot(path=SHOTS / "public_ward_demand.png", full_page=True)
    received, numbers = frames_sent(frames)
    assert len(frames) > 20 and "Ward demand" in received
    assert not numbers & exact, sorted(numbers & exact)[:10]
    assert OFFICIAL not in received


@pytest.mark.e2e
def test_an_officer_signs_in_sees_exact_figures_and_signs_out_to_the_public_view(auth_app, sentinel_root, page):
    exact = exact_ward_counts(sentinel_root / "2025-10-31")
    loopback_only(page)
    page.set_viewport_size({"width": 1600, "height": 1400})
    sign_in(page, auth_app, "officer")
    assert "Signed in as Data officer (Data.Officer@bury.gov.uk), on the officers' list." in sidebar_text(page)
    assert one_button(page, "Sign out") == 1
    assert page.get_by_role("switch", name="Board mode").count() == 1
    frames = record_frames(page)
    page.goto(f"{auth_app}/ward_demand")
    wait_until_drawn(page)
    assert OFFICIAL in page.locator('[data-testid="stMain"]').inner_text()
    page.screenshot(path=SHOTS / "officer_ward_demand.png", full_page=True)
    _, numbers = frames_sent(frames)
    assert len(numbers & exact) >= 17  # the officer's browser does get the exact ward counts

    page.get_by_role("button", name="Sign out").click()
    # Streamlit clears its sign-in cookie and sends the browser to the provider's end-session page (the mock's
    # is a page of its own), from where the person comes back to the dashboard.
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.goto(f"{auth_app}/ward_demand?mode=officer")
    wait_until_drawn(page)
    assert "Public view." in sidebar_text(page)
    assert OFFICIAL not in page.locator('[data-testid="stApp"]').inner_text()
    assert one_button(page, "Sign in") == 1


@pytest.mark.e2e
def test_a_stranger_stays_public_with_the_reason(auth_app, page):
    loopback_only(page)
    page.set_viewport_size({"width": 1600, "height": 1400})
    sign_in(page, auth_app, "stranger")
    assert (
        "You are signed in as A visitor (someone@example.com), who is not on this dashboard's officers' list: you "
        "see the public view." in sidebar_text(page)
    )
    assert page.locator('[data-testid="stSidebar"] a[href^="mailto:"]').count() == 0  # the address is not a link
    assert one_button(page, "Sign out") == 1
    assert page.get_by_role("switch", name="Board mode").count() == 0
    page.goto(f"{auth_app}/ward_demand?mode=officer")
    wait_until_drawn(page)
    assert OFFICIAL not in page.locator('[data-testid="stApp"]').inner_text()
    page.screenshot(path=SHOTS / "stranger_ward_demand.png", full_page=True)
