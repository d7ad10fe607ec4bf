"""Where the user is: a real `streamlit run` server on a loopback port, driven over Streamlit's own websocket
protocol (the BackMsg/ForwardMsg protobuf messages a browser sends and receives) and by Debian chromium through
Playwright, each figure beside the same measure of an empty two-page Streamlit app started in the same run.

- `server_runs`: per page, the median warm server run (send `rerun_script`, read until `script_finished`) and the
  bytes the server sent for it;
- `browser_clicks`: per page, a click on its navigation link until every visible chart, map and table has drawn,
  and the first load, the app's and the floor's taken turn about in one browser;
- `load_run`: N concurrent websocket sessions paging through every page with no pause: throughput, median and p95
  of a page run, errors, and the server's peak resident memory;
- and, in bench.contention, one session's Summary run beside a hostile upload and a hung identity provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
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
                    # the default page is listed twice; a hidden page (the areas' landing page) has no link to click
                    if p.page_script_hash not in self.pages.values() and not p.is_hidden:
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
