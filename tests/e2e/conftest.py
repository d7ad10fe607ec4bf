"""Real-browser fixtures: one Streamlit server per session on a free port, Debian chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    *args: str, env: dict[str, str] | None = None, secrets: Path | None = None, port: int | None = None
):
    """A `streamlit run app.py` on a free loopback port, reading secrets only from `secrets` (none by default, so
    a developer's own secrets file never changes what the tests see); yields its base URL."""
    port = port or _free_port()
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SHOTS / f"server-{port}.log"
    log = log_path.open("wb")
    base = {k: v for k, v in os.environ.items() if k != "SEND_SNAPSHOT_ROOT"}  # the committed demo unless asked
    env = {**base, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--client.showErrorDetails=full",
            f"--secrets.files={secrets or ROOT / 'tests' / 'e2e' / 'no-secrets.toml'}",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,  # a file, not a pipe: a pipe nobody reads fills up and stops the server mid-test
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        log.close()
        raise RuntimeError("Streamlit did not start: " + log_path.read_text(errors="replace")[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def server():
    with streamlit_server() as url:
        yield url


def wait_until_drawn(page) -> None:
    """Until the script has finished and every chart (the map is one) and table on the page has drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=45_000)
    # Let requests for scripts and data settle. The checks below, not this, decide that the page has drawn: a
    # long-lived request can keep the network busy (seen once in CI, on the ward map page).
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=10_000)
    inner = {
        '[data-testid="stVegaLiteChart"]': "svg, canvas",
        '[data-testid="stDataFrame"]': "canvas, table",
    }
    for selector, drawn in inner.items():
        for i in range(page.locator(selector).count()):
            element = page.locator(selector).nth(i)
            if element.is_visible():  # charts and tables in an unopened tab draw when the tab opens
                element.locator(drawn).first.wait_for(state="attached", timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=45_000)
