"""A page run beside trouble (`python -m bench`, "contention"): one session's Summary run, alone and then while an
officer's session uploads the two-million-string workbook again and again and another waits on an identity provider
that accepts and never answers; then the same with an ordinary small workbook (the control). The server, its
websocket sessions and the browser are bench.live's.
"""

import asyncio
import contextlib
import os
import re
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.live import FIRST, LAUNCH_ARGS, ROOT, VIEWPORT, Session, free_port, serve

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

    from bench.workbooks import two_million_strings, xlsx

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
