"""More than one server (issue 28), for real on loopback: two `streamlit run` servers reading one snapshot folder,
behind Debian's HAProxy running the shipped `deploy/haproxy.cfg` (deploy.haproxy puts in the free ports), with
sign-in against the mock OpenID provider and Bury's officers listed under `[areas.E08000002.officers]`.

Browser-less sessions (bench.scale.ProxySession: the page request that gets the affinity cookie, then the websocket
with it) and Debian chromium drive everything through the proxy:

- sessions are shared between the servers, and each keeps to its own;
- the board papers kept with the snapshot are served by both servers, byte for byte, without a build;
- signing in on one server holds on the other (one cookie secret);
- a snapshot published on one server is offered at the next click of a session on the other;
- two officers publishing the same date on the two servers at once: one wins, the other is told, nothing is left
  half-written;
- a server killed mid-run loses only its own sessions; new ones go to the survivor (on a pair of servers of its own).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import threading
from datetime import date, timedelta

import pytest

from bench import scale
from boardpack import papers
from deploy.haproxy import COOKIE
from metrics.formatting import fmt_date
from metrics.snapshot import list_snapshots, open_snapshot, scan_table
from tests.e2e.conftest import SHOTS, _free_port, wait_until_drawn
from tests.e2e.test_browser import assert_accessible
from tests.e2e.test_signin import loopback_only, provider, sidebar_text, sign_in  # noqa: F401 (a fixture)

BURY = "E08000002"
DATES = ("2025-09-30", "2025-10-31")
PDF, PPTX = b"%PDF-1.7 the board pack kept with the snapshot", b"PK the board slides kept with the snapshot"
ON_THE_LIST = "Signed in as Data officer (Data.Officer@bury.gov.uk), on the officers' list for Bury."


@pytest.fixture(scope="module")
def two_servers(provider, demo_root, tmp_path_factory):  # noqa: F811 (the imported fixture)
    """Two app servers behind HAProxy, sharing a snapshot folder of one area (its own folder, named by its code)
    holding two demonstration snapshots and the papers a board publishes for the newer."""
    root = tmp_path_factory.mktemp("shared") / "snapshots"
    area = root / BURY
    for name in DATES:
        shutil.copytree(demo_root / name, area / name)
    snap, compare = open_snapshot(area / DATES[1]), open_snapshot(area / DATES[0])
    papers.write(area, snap, compare, "pdf", PDF, key=None)
    papers.write(area, snap, compare, "pptx", PPTX, key=None)
    port = _free_port()
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "one-cookie-secret-shared-by-every-server-0123456789"\n'
        'client_id = "send-dashboard"\n'
        'client_secret = "test-only-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        f"[areas.{BURY}.officers]\n"
        'domains = ["bury.gov.uk"]\n'
    )
    with scale.cluster(2, root, secrets=secrets, logs=SHOTS / "scale", proxy_port=port) as c:
        yield c


@pytest.fixture(scope="module")
def officers(two_servers, browser):
    """An officer signed in through the proxy in each of two browsers, one held to each server by its cookie."""
    pages = {}
    for name in ("app1", "app2"):
        context = browser.new_context(viewport={"width": 1600, "height": 1400})
        context.add_cookies([{"name": COOKIE, "value": name, "url": two_servers.url}])
        page = context.new_page()
        loopback_only(page)
        sign_in(page, two_servers.url, "officer")
        assert ON_THE_LIST in sidebar_text(page), sidebar_text(page)
        pages[name] = page
    yield pages
    for page in pages.values():
        page.context.close()


class Loop:
    """An event loop of its own in a thread: Playwright's sync API keeps one running in the test's thread, so the
    browser-less sessions run here, and a session can be kept open across steps of a test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 180):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def in_thread(fn, *args, **kwargs):
    """A function that runs its own event loop (asyncio.run), called from a thread of its own."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result(300)


def server_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)


async def _open(port: int, pin: str | None, page: str = "", keep: bool = True, query: str = "") -> scale.ProxySession:
    s = scale.ProxySession(port, pin=pin, query=query or f"area={BURY}")
    await s.open()
    await s.run()
    if page:
        await s.run(page, keep=keep)
    return s


def snapshot_options(s: scale.ProxySession) -> list[str]:
    return next(list(e.options) for e in s.elements("selectbox") if e.label == "Snapshot (data as at)")


def prepare_an_edit(page, url: str, day: date, note: str) -> None:
    """On Update data: a new snapshot dated `day` with a note for the first workstream, checked and ready to publish."""
    page.goto(f"{url}/update_data?area={BURY}")
    wait_until_drawn(page)
    field = page.get_by_label("Data as at (the new snapshot's date, day/month/year)")
    field.fill(day.strftime("%d/%m/%Y"))
    field.press("Enter")
    page.get_by_text(f"The new snapshot will be dated {day:%A} {fmt_date(day)}.").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Edit actions, risks and commentary").click()
    wait_until_drawn(page)
    page.get_by_label("Written by (role, not a name)").fill("Head of SEND")
    page.get_by_label("Written by (role, not a name)").press("Tab")
    page.get_by_label("Note (bold, italic, lists and paragraphs; links show as text)").fill(note)
    page.get_by_label("Note (bold, italic, lists and paragraphs; links show as text)").press("Tab")
    wait_until_drawn(page)
    page.get_by_role("button", name="Check changes").click()
    page.get_by_text("Your changes passed their checks.").wait_for(timeout=60_000)
    wait_until_drawn(page)


def outcome(page) -> str:
    """What the page said after Publish: the success, or the error it showed."""
    said = page.get_by_text("Published the snapshot of").or_(page.locator('[data-testid="stAlertContentError"]'))
    said.first.wait_for(timeout=60_000)
    return " ".join(said.first.inner_text().replace("\u2060", "").split())


@pytest.mark.e2e
def test_sessions_through_the_proxy_are_shared_between_the_servers_and_each_keeps_to_its_own(two_servers):
    result = in_thread(scale.load, two_servers, sessions=8, passes=1, query=f"area={BURY}")
    assert result.errors == 0, result.failures
    assert result.placed["app1"] >= 2 and result.placed["app2"] >= 2, result.placed

    async def pinned():  # a returning browser's cookie takes it back to its server, for the page and the websocket
        sessions = [await _open(two_servers.port, pin) for pin in ("app1", "app2", "app2")]
        try:
            return [s.server for s in sessions]
        finally:
            for s in sessions:
                await s.close()

    assert in_thread(asyncio.run, pinned()) == ["app1", "app2", "app2"]


@pytest.mark.e2e
def test_the_board_papers_kept_with_the_snapshot_are_served_by_every_server(two_servers):
    async def fetch(pin: str) -> tuple[str, dict[str, bytes]]:
        # the snapshot the papers were kept for, whatever the other tests have published since
        s = await _open(two_servers.port, pin, query=f"area={BURY}&as_at={DATES[1]}")
        try:
            await s.run("", keep=True)  # the Summary
            buttons = {b.label: b.url for b in s.elements("download_button") if "board" in b.label}
            return s.server, {label: await asyncio.to_thread(s.get, url) for label, url in buttons.items()}
        finally:
            await s.close()

    for pin in ("app1", "app2"):
        server, served = in_thread(asyncio.run, fetch(pin))
        assert server == pin
        assert served == {"Download board pack (PDF)": PDF, "Download board slides (PowerPoint)": PPTX}


@pytest.mark.e2e
def test_signing_in_on_one_server_holds_on_the_other(two_servers, officers):
    page = officers["app1"]
    page.context.add_cookies([{"name": COOKIE, "value": "app2", "url": two_servers.url}])  # now sent to the other
    page.goto(f"{two_servers.url}/?area={BURY}")
    wait_until_drawn(page)
    assert server_of(page) == "app2"  # the proxy kept the cookie: that server answered
    assert ON_THE_LIST in sidebar_text(page)
    assert page.get_by_role("switch", name="Board mode").count() == 1
    page.context.add_cookies([{"name": COOKIE, "value": "app1", "url": two_servers.url}])


@pytest.mark.e2e
def test_a_snapshot_published_on_one_server_is_offered_at_the_next_click_on_the_other(two_servers, officers):
    day = date.today() - timedelta(days=1)

    loop = Loop()
    try:
        watching = loop.run(_open(two_servers.port, "app2", "ward_demand"))
        assert watching.server == "app2"
        before = snapshot_options(watching)
        assert "31 October 2025" in before and fmt_date(day) not in before
        page = officers["app1"]
        prepare_an_edit(page, two_servers.url, day, "Published through the first server.")
        page.get_by_role("button", name="Publish snapshot").click()
        assert outcome(page).startswith(f"Published the snapshot of {fmt_date(day)}.")
        assert server_of(page) == "app1"
        loop.run(watching.run("ward_demand", keep=True))  # the watcher's next click
        assert snapshot_options(watching) == [fmt_date(day), *before]  # the newest, offered at once
        loop.run(watching.close())
    finally:
        loop.close()


@pytest.mark.e2e
def test_two_officers_publishing_one_date_on_two_servers_one_wins_the_other_is_told(two_servers, officers):
    day = date.today() - timedelta(days=2)
    area = two_servers.root / BURY
    for name, page in officers.items():
        prepare_an_edit(page, two_servers.url, day, f"Published through {name}.")
    assert [server_of(p) for p in officers.values()] == ["app1", "app2"]
    for page in officers.values():  # both at once, each on its own server
        page.get_by_role("button", name="Publish snapshot").click(no_wait_after=True)
    said = {name: outcome(page) for name, page in officers.items()}
    won = [n for n, text in said.items() if text.startswith(f"Published the snapshot of {fmt_date(day)}.")]
    assert len(won) == 1, said
    lost = said["app2" if won == ["app1"] else "app1"]
    assert "Snapshot not written:" in lost, said
    # at once: told while writing; a moment later: told before writing anything (its page predates the other's)
    assert "published by someone else a moment ago" in lost or "may have been published a moment ago" in lost, said
    # the winner's snapshot, whole and verified; nothing of the loser's; no lock, journal or temporary folder left
    notes = scan_table(open_snapshot(area / day.isoformat()), "commentary").collect()["text"].to_list()
    assert f"Published through {won[0]}." in notes
    assert not [n for n in notes if n.startswith("Published through app") and n != f"Published through {won[0]}."]
    assert [p.name for p in list_snapshots(area)].count(day.isoformat()) == 1
    assert not [p.name for p in area.iterdir() if p.name.startswith((".tmp-", ".lock", ".publishing"))]


@pytest.mark.e2e
def test_an_unknown_area_in_the_address_gives_the_landing_page_through_the_proxy(two_servers, page):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{two_servers.url}/ward_demand?area=E09999999")
    wait_until_drawn(page)
    main = " ".join(page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "").split())
    assert "This dashboard has no area \u2018E09999999\u2019" in main
    assert page.locator('[data-testid="stException"]').count() == 0
    assert_accessible(page, "landing page")
    page.get_by_role("link", name="Bury (E08000002)").click()  # back to the page asked for, in the area chosen
    page.get_by_role("heading", name="Ward demand").first.wait_for(timeout=30_000)
    wait_until_drawn(page)
    assert f"area={BURY}" in page.url and "This dashboard has no area" not in page.locator("body").inner_text()


@pytest.mark.e2e
def test_a_server_killed_mid_run_loses_only_its_own_sessions_and_new_ones_go_to_the_survivor(demo_root, tmp_path):
    """On two servers of its own (pytest may run this file's tests in another order, and this kills one)."""
    area = tmp_path / "snapshots" / BURY
    for name in DATES:
        shutil.copytree(demo_root / name, area / name)
    with scale.cluster(2, area.parent, logs=SHOTS / "scale-kill") as c:
        result = in_thread(scale.kill_run, c, "app2", sessions=6, seconds=6, kill_at=3, new=2, query=f"area={BURY}")
        assert result.sessions.get("app1", 0) >= 2 and result.sessions.get("app2", 0) >= 2, result
        assert result.errors.get("app1", 0) == 0, result.failures  # the survivor's sessions saw nothing
        assert result.errors.get("app2") == result.sessions["app2"], result  # the killed server's sessions are lost
        assert result.runs_after_kill.get("app1", 0) > 0
        assert result.new_sessions == {"app1": 2} and result.new_errors == 0, result  # half asked for the dead one
