"""Where the user is: a real `streamlit run` server on a loopback port, driven over Streamlit's own websocket
protocol (the BackMsg/ForwardMsg protobuf messages a browser sends and receives) and by Debian chromium through
Playwright, each figure beside the same measure of an empty two-page Streamlit app started in the same run.

- `server_runs`: per page, the median warm server run (send `rerun_script`, read until `script_finished`) and the
  bytes the server sent for it;
- `browser_clicks`: per page, a click on its navigation link until every visible chart, map and table has drawn,
  and the first load, the app's and the floor's taken turn about in one browser;
- `load_run`: N concurrent websocket sessions paging through every page with no pause: throughput, median and p95
  of a page run, errors, and the server's peak resident memory;
- `contention`: one session's Summary run, alone and then while an officer's session uploads the two-million-string
  workbook again and again and another waits on an identity provider that accepts and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EMPTY_APP = """
import streamlit as st

st.set_page_config(page_title="Empty", layout="wide")
nav = st.navigation([st.Page("one.py", title="One", default=True), st.Page("two.py", title="Two")])
nav.run()
"""
EMPTY_PAGE = 'import streamlit as st\n\nst.title("{title}")\nst.write("An empty page, the floor of every measure.")\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen

    def peak_rss_mb(self) -> float:
        """The server process's peak resident set (VmHWM) so far, in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextlib.contextmanager
def serve(app: Path, cwd: Path, *, secrets: Path | None = None, port: int | None = None) -> Iterator[Server]:
    """`streamlit run app` on a loopback port (a free one unless given) with the secrets file given, or an empty one;
    yields once /_stcore/health says ok."""
    port = port or free_port()
    empty_secrets = secrets or Path(tempfile.mkdtemp(prefix="bench-secrets-")) / "none.toml"
    if secrets is None:
        empty_secrets.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "SEND_SNAPSHOT_ROOT"}
    log_path = Path(tempfile.gettempdir()) / f"bench-server-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            f"--secrets.files={empty_secrets}",
        ],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            if r.read().decode().strip() == "ok":
                break
        time.sleep(0.3)
    else:
        proc.terminate()
        log.close()
        raise RuntimeError("the server did not start: " + log_path.read_text(errors="replace")[-2000:])
    try:
        yield Server(url, port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a server that does not stop when asked is stopped: none is left behind
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@contextlib.contextmanager
def empty_app() -> Iterator[Path]:
    """An empty two-page Streamlit app in a temporary folder: the floor."""
    with tempfile.TemporaryDirectory(prefix="bench-empty-") as folder:
        root = Path(folder)
        (root / "app.py").write_text(EMPTY_APP)
        (root / "one.py").write_text(EMPTY_PAGE.format(title="One"))
        (root / "two.py").write_text(EMPTY_PAGE.format(title="Two"))
        yield root / "app.py"


# ── the websocket protocol ────────────────────────────────────────────────────────────────────────────────────────
@dataclass
class Run:
    ms: float
    sent_bytes: int
    error: bool


@dataclass
class Session:
    """One browser-less session: a websocket to /_stcore/stream speaking Streamlit's protobuf messages."""

    port: int
    pages: dict[str, str] = field(default_factory=dict)  # url path ("" for the default page) → page script hash
    titles: dict[str, str] = field(default_factory=dict)  # url path → navigation title
    ws: object = None

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=30,
            ping_interval=None,  # as a browser: the server keeps the connection alive, the client only answers
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, path: str = "", query: str = "") -> Run:
        """Ask for one run of a page and read until the script has finished; the time, bytes and any error."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        state = ClientState(query_string=query, page_script_hash=self.pages.get(path, ""))
        t0 = time.perf_counter()
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        size, error = 0, False
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), timeout=120)
            size += len(frame)
            msg = ForwardMsg.FromString(frame)
            kind = msg.WhichOneof("type")
            if kind == "navigation" and not self.pages:
                for p in msg.navigation.app_pages:
                    if p.page_script_hash not in self.pages.values():  # the default page is listed twice
                        self.pages[p.url_pathname] = p.page_script_hash
                        self.titles[p.url_pathname] = p.page_name
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                error |= msg.delta.new_element.WhichOneof("type") == "exception"
            elif kind == "script_finished":
                if msg.script_finished in (
                    ForwardMsg.FINISHED_SUCCESSFULLY,
                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                ):
                    return Run((time.perf_counter() - t0) * 1000, size, error)
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    return Run((time.perf_counter() - t0) * 1000, size, True)
                # FINISHED_EARLY_FOR_RERUN: the app asked for a rerun; the server starts it, keep reading


async def _server_runs(port: int, repeat: int, query: str) -> dict[str, Run]:
    s = Session(port)
    await s.open()
    try:
        await s.run(query=query)  # the first run lists the pages
        out = {}
        for path in list(s.pages):
            await s.run(path, query)  # cold: caches filled
            runs = [await s.run(path, query) for _ in range(repeat)]
            out[path] = Run(
                statistics.median(r.ms for r in runs),
                int(statistics.median(r.sent_bytes for r in runs)),
                any(r.error for r in runs),
            )
        return out
    finally:
        await s.close()


def server_runs(server: Server, repeat: int, query: str = "") -> tuple[dict[str, Run], dict[str, str]]:
    """Median warm run and bytes sent per page (url path → Run), and the pages' titles."""
    runs = asyncio.run(_server_runs(server.port, repeat, query))
    titles = asyncio.run(_titles(server.port))
    return runs, titles


async def _titles(port: int) -> dict[str, str]:
    s = Session(port)
    await s.open()
    try:
        await s.run()
        return dict(s.titles)
    finally:
        await s.close()


@dataclass
class Load:
    sessions: int
    runs: int
    seconds: float
    median_ms: float
    p95_ms: float
    errors: int
    peak_rss_mb: float


failures: list[str] = []  # what went wrong in the load run's sessions, for the report


async def _load(port: int, sessions: int, passes: int, query: str) -> tuple[list[float], int]:
    times: list[float] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        where = [""]
        s = Session(port)
        try:
            await s.open()
            await s.run(query=query)
            order = list(s.pages)
            for k in range(passes):
                for path in order[i % len(order) :] + order[: i % len(order)]:  # each session starts elsewhere
                    where[0] = path
                    r = await s.run(path, query)
                    times.append(r.ms)
                    errors += r.error
                del k
        except Exception as exc:  # a dropped connection or a timeout is an error of the run, not of the bench
            errors += 1
            failures.append(f"{type(exc).__name__} on page '{where[0]}': {exc}"[:200])
        finally:
            await s.close()

    await asyncio.gather(*(one(i) for i in range(sessions)))
    return times, errors


def load_run(server: Server, sessions: int = 20, passes: int = 2, query: str = "") -> Load:
    t0 = time.perf_counter()
    times, errors = asyncio.run(_load(server.port, sessions, passes, query))
    seconds = time.perf_counter() - t0
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else float("nan")
    return Load(
        sessions,
        len(times),
        seconds,
        statistics.median(times) if times else float("nan"),
        p95,
        errors,
        server.peak_rss_mb(),
    )


# ── the browser ───────────────────────────────────────────────────────────────────────────────────────────────────
WATCH = """() => {
  window.__sawRun = false;
  window.__title = document.querySelector('h1')?.textContent;
  // any change of the script state means a run started (it can be over before the observer's callback reads it);
  // the whole document is watched, as the app's element can be replaced on the first navigations
  if (window.__watching) return;
  window.__watching = true;
  new MutationObserver(() => { window.__sawRun = true; })
    .observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
}"""
# a run so short that the front end draws its start and its end at once leaves the script state as it was: the new
# page's title shows it ran
RAN = "(window.__sawRun || document.querySelector('h1')?.textContent !== window.__title)"
# the charts, maps and tables on screen that have not drawn yet: their selectors
PENDING = """(() => {
  const shown = el => el.offsetParent !== null;
  const need = {'[data-testid="stVegaLiteChart"]': 'svg, canvas',
                '[data-testid="stDataFrame"]': 'canvas, table'};
  const out = [];
  for (const [sel, inner] of Object.entries(need))
    for (const el of document.querySelectorAll(sel)) if (shown(el) && !el.querySelector(inner)) out.push(sel);
  return out;
})()"""
STATE = "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
DRAWN = f"() => {RAN} && {STATE} === 'notRunning' && {PENDING}.length === 0"
FIRST = f"() => {STATE} === 'notRunning' && !!document.querySelector('h1') && {PENDING}.length === 0"
STUCK = f"() => [location.href, {RAN}, {STATE}, ...{PENDING}]"


def click_until_drawn(page, link, what: str) -> float:
    """Seconds from a click on the link until the page has run and drawn. Now and then the front end takes a click
    as a change of address only and starts no run (neither the script state nor the title changes); that click is
    not a measure, so it is made again."""
    for _ in range(3):
        page.evaluate(WATCH)
        t0 = time.perf_counter()
        link.click()
        try:
            page.wait_for_function(f"() => {RAN}", polling="raf", timeout=5_000)
        except Exception:
            continue  # no run started: click again
        try:
            page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
        except Exception as exc:
            raise RuntimeError(f"{what} did not draw: {page.evaluate(STUCK)}") from exc
        return time.perf_counter() - t0
    raise RuntimeError(f"{what}: three clicks started no run")


LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWPORT = {"width": 1600, "height": 1000}


def first_load(browser, url: str) -> float:
    """Seconds from asking for the address, in a new browser context (nothing cached), until the first page has
    run and drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_function(FIRST, polling="raf", timeout=120_000)
        return time.perf_counter() - t0
    finally:
        context.close()


def opened(browser, url: str):
    """A page of the app in a context of its own, loaded and settled, its navigation ready to click."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(FIRST, polling="raf", timeout=120_000)
    with contextlib.suppress(Exception):  # a click before the links are wired would reload the page
        page.wait_for_load_state("networkidle", timeout=10_000)
    return page


def nav_link(page, title: str):
    return page.locator('[data-testid="stSidebar"] a').filter(has_text=title).first


def browser_clicks(
    app: tuple[str, dict[str, str]], floor: tuple[str, dict[str, str]], repeat: int, query: str = ""
) -> dict:
    """The app's and the floor's measures taken turn about in one browser, so that whatever else the machine is
    doing falls on both alike. `app` and `floor` are each (url, url path → navigation title).

    - first loads: `repeat` of each, alternately, each in a new browser context;
    - clicks: after one pass that warms the browser's code and the servers' caches, `repeat` passes round the app's
      pages in navigation order, each click on an app page followed by a click between the floor's two pages; a
      click is timed until every visible chart, map and table has drawn.

    Returns medians: per app page (url path → seconds), the floor's click, and the two first loads."""
    from playwright.sync_api import sync_playwright

    (app_url, app_titles), (floor_url, floor_titles) = app, floor
    app_start = f"{app_url}/?{query}" if query else app_url
    clicks: dict[str, list[float]] = {p: [] for p in app_titles}
    floor_clicks: list[float] = []
    firsts: dict[str, list[float]] = {"app": [], "floor": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=LAUNCH_ARGS
        )
        try:
            first_load(browser, app_start)  # the server's first session: not a measure
            first_load(browser, floor_url)
            for n in range(repeat):
                pair = [("app", app_start), ("floor", floor_url)]
                for which, url in pair if n % 2 == 0 else pair[::-1]:
                    firsts[which].append(first_load(browser, url))
            app_page, floor_page = opened(browser, app_start), opened(browser, floor_url)
            order = list(app_titles)
            floor_order = list(floor_titles)
            turn = 0
            for n in range(repeat + 1):
                for path in order[1:] + order[:1]:  # from the default page round to it again
                    took = click_until_drawn(app_page, nav_link(app_page, app_titles[path]), f"{app_url}: {path}")
                    # a person reads before the next click; one within a few milliseconds of a run's end can be
                    # taken by the front end as a change of address only, with no run
                    app_page.wait_for_timeout(300)
                    turn += 1
                    other = floor_titles[floor_order[turn % len(floor_order)]]
                    floor_took = click_until_drawn(floor_page, nav_link(floor_page, other), f"{floor_url}: {other}")
                    floor_page.wait_for_timeout(300)
                    if n:  # the first pass warms the browser's code and the servers' caches
                        clicks[path].append(took)
                        floor_clicks.append(floor_took)
        finally:
            browser.close()
    return {
        "clicks": {p: statistics.median(v) for p, v in clicks.items()},
        "floor_click": statistics.median(floor_clicks),
        "first": statistics.median(firsts["app"]),
        "floor_first": statistics.median(firsts["floor"]),
    }


def app_and_floor(repeat: int) -> dict:
    """Every measure on the app and on the empty app, both servers running side by side in this run."""
    with empty_app() as empty, serve(empty, empty.parent) as floor, serve(ROOT / "app.py", ROOT) as app:
        floor_runs, floor_titles = server_runs(floor, repeat)
        runs, titles = server_runs(app, repeat)
        browser = browser_clicks((app.url, titles), (floor.url, floor_titles), repeat)
        load = load_run(app)
    return {
        "floor": {"runs": floor_runs, "click": browser["floor_click"], "first": browser["floor_first"]},
        "app": {"runs": runs, "clicks": browser["clicks"], "first": browser["first"], "titles": titles, "load": load},
    }


# ── contention: a hostile upload and a hung identity provider beside an ordinary page run ────────────────────────────
COOKIE_SECRET = "bench-only-cookie-secret-0123456789abcdef"  # for this run's own server, which it signs a cookie for
OFFICER = {"email": "bench.officer@bench.example", "email_verified": True, "name": "Bench officer", "sub": "bench"}


@contextlib.contextmanager
def hung_provider() -> Iterator[tuple[str, list]]:
    """A loopback socket that accepts every connection and never answers: its OpenID configuration address, and the
    connections it holds."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    held: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(server.accept()[0])  # accepted, never read from or written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/.well-known/openid-configuration", held
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def signin_secrets(folder: Path, port: int, metadata_url: str) -> Path:
    """Sign-in configured against `metadata_url`, officers on the bench's own domain."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "send-dashboard-bench"\n'
        'client_secret = "bench-only"\n'
        f'server_metadata_url = "{metadata_url}"\n'
        "[officers]\n"
        'domains = ["bench.example"]\n'
    )
    return path


def officer_cookie(url: str) -> str:
    """Streamlit's sign-in cookie for the bench's officer, signed with the server's cookie secret as Streamlit signs
    it after a sign-in (the provider is hung, so no one can sign in through it)."""
    import json

    from itsdangerous import URLSafeTimedSerializer

    value = json.dumps({**OFFICER, "origin": url, "is_logged_in": True, "provider": "default"})
    return URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user").dumps(value)


def login_address(url: str) -> str:
    """Streamlit's own sign-in route, as the Sign in button sends the browser to it (its provider token is a JWT
    signed with the cookie secret): the server then asks the hung provider for its configuration."""
    from joserfc import jwt
    from joserfc.jwk import OctKey

    token = jwt.encode(
        {"alg": "HS256"}, {"provider": "default", "exp": int(time.time()) + 3600}, OctKey.import_key(COOKIE_SECRET)
    )
    return f"{url}/auth/login?provider={token}"


def workbooks(n: int, *, hostile: bool = True) -> list[bytes]:
    """`n` copies of the review's workbook (two million shared strings, none declared), or of an ordinary one with the
    same row and no shared strings (the control), each with one more small part so that each is a new file to the
    server (whose readers keep what they read by the file's SHA-256). Either is refused by the check: the hostile one
    by its cap, the ordinary one for its missing columns."""
    import io
    import zipfile

    from tests.workbooks import two_million_strings, xlsx

    base = two_million_strings() if hostile else xlsx([[1, 2, 3]])
    out = []
    for i in range(n):
        buf = io.BytesIO(base)
        with zipfile.ZipFile(buf, "a") as z:
            z.writestr(f"docProps/bench-{i}.txt", str(i))
        out.append(buf.getvalue())
    return out


def upload_loop(
    url: str,
    stop: threading.Event,
    started: threading.Event,
    rounds: list[float],
    errors: list[str],
    files: list[bytes],
):
    """An officer's browser on Update data, with no pause: choose risks.xlsx (a new workbook of `files` each time),
    wait for the page to take it, Check files, wait for the problem, remove the file; again until stopped. The seconds
    from choosing the file to seeing the problem, per round."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=LAUNCH_ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.add_cookies([{"name": "_streamlit_user", "value": officer_cookie(url), "url": url}])
            page = context.new_page()
            page.goto(f"{url}/update_data")
            page.wait_for_function(FIRST, polling="raf", timeout=120_000)
            page.get_by_role("button", name="Check files").count()  # the page is an officer's (no redirect)
            i = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                    [{"name": "risks.xlsx", "mimeType": "application/octet-stream", "buffer": files[i % len(files)]}]
                )
                page.get_by_text("local template: risks").first.wait_for(state="attached", timeout=300_000)
                started.set()
                page.get_by_role("button", name="Check files").click()
                page.get_by_text(re.compile(r"\d+ problems? found")).first.wait_for(timeout=300_000)
                rounds.append(time.perf_counter() - t0)
                page.get_by_role("button", name="Remove risks.xlsx").first.click()
                page.get_by_text("Choose files to upload").wait_for(timeout=60_000)
                i += 1
        except Exception as exc:  # reported beside the figures, never a crash of the bench
            errors.append(f"upload session: {type(exc).__name__}: {exc}"[:300])
            started.set()
        finally:
            browser.close()


def login_loop(url: str, stop: threading.Event, waits: list[float]) -> None:
    """Someone who pressed Sign in: the browser's request to Streamlit's sign-in route, which waits on the hung
    provider until the server gives up; again until stopped. The seconds each waited."""
    address = login_address(url)
    while not stop.is_set():
        t0 = time.perf_counter()
        with contextlib.suppress(Exception):
            urllib.request.urlopen(address, timeout=60).read()
        waits.append(time.perf_counter() - t0)


def by_time(times: list[float], share: float = 0.5) -> float:
    """The run time below which runs account for `share` of the time spent in runs: the median by time. A run held
    up for a minute among a thousand quick ones moves the ordinary median not at all, though the session spent most
    of its time in it; this is what a visitor who clicks at any moment meets."""
    total, acc = sum(times), 0.0
    for t in sorted(times):
        acc += t
        if acc >= share * total:
            return t
    return float("nan")


@dataclass
class Contention:
    alone_ms: float  # the median
    alone_by_time_ms: float
    loaded_ms: float  # the median
    loaded_by_time_ms: float
    loaded_p95_ms: float
    loaded_max_ms: float
    runs: int
    upload_rounds: list[float]
    login_waits: list[float]
    provider_connections: int
    errors: list[str]
    peak_rss_mb: float

    @property
    def ratio(self) -> float:
        return self.loaded_ms / self.alone_ms

    @property
    def ratio_by_time(self) -> float:
        return self.loaded_by_time_ms / self.alone_by_time_ms


async def _summary_runs(port: int, n: int, keep_going: Callable[[], bool] = lambda: False) -> list[float]:
    """One public session: three runs of the Summary that fill the caches, then at least `n` measured runs, and more
    while `keep_going()` says so. One session throughout, so that a run held up is always a measured one."""
    s = Session(port)
    await s.open()
    try:
        for _ in range(3):
            await s.run()
        times: list[float] = []
        while len(times) < n or keep_going():
            times.append((await s.run()).ms)
        return times
    finally:
        await s.close()


def contention(repeat: int, *, hostile: bool = True) -> Contention:
    """The Summary's warm run in a public session of the app with sign-in configured against a hung provider: alone,
    then while (1) an officer's browser uploads and checks the two-million-string workbook over and over (with
    `hostile` False, an ordinary small workbook: the control, what the upload session's own page runs cost) and (2) a
    request to the sign-in route waits on the provider over and over. At least `repeat` × 3 runs each time."""
    n = max(9, 3 * repeat)
    port = free_port()
    with hung_provider() as (metadata_url, held), tempfile.TemporaryDirectory(prefix="bench-contention-") as folder:
        secrets = signin_secrets(Path(folder), port, metadata_url)
        with serve(ROOT / "app.py", ROOT, secrets=secrets, port=port) as app:
            asyncio.run(_summary_runs(app.port, 3))  # the provider's first check starts, and gives up
            time.sleep(5)
            alone = asyncio.run(_summary_runs(app.port, n))
            stop, started = threading.Event(), threading.Event()
            rounds: list[float] = []
            waits: list[float] = []
            errors: list[str] = []
            workers = [
                threading.Thread(
                    target=upload_loop,
                    args=(app.url, stop, started, rounds, errors, workbooks(60, hostile=hostile)),
                    daemon=True,
                ),
                threading.Thread(target=login_loop, args=(app.url, stop, waits), daemon=True),
            ]
            for w in workers:
                w.start()
            started.wait(timeout=300)
            # the measured session runs the Summary over and over until the upload session has been through `n`
            # // 3 whole rounds (at least three) and the sign-in route has been waited on twice, or five minutes
            deadline = time.monotonic() + 300

            def keep_going() -> bool:
                busy = len(rounds) < max(3, n // 3) or len(waits) < 2
                return busy and not errors and workers[0].is_alive() and time.monotonic() < deadline

            loaded = asyncio.run(_summary_runs(app.port, n, keep_going))
            stop.set()
            for w in workers:
                w.join(timeout=90)
            ordered = sorted(loaded)
            return Contention(
                statistics.median(alone),
                by_time(alone),
                statistics.median(loaded),
                by_time(loaded),
                ordered[max(0, round(0.95 * len(ordered)) - 1)],
                ordered[-1],
                len(loaded),
                rounds,
                waits,
                len(held),
                errors,
                app.peak_rss_mb(),
            )
