"""HAProxy's configuration for N app servers, written from the shipped `deploy/haproxy.cfg`, and HAProxy run in the
foreground for the tests and `python -m bench --scale` (so they run the very file the README ships).

    python -m deploy.haproxy --listen 127.0.0.1:8500 --server 127.0.0.1:8501 --server 127.0.0.1:8502 > haproxy.cfg

Only the frontend's `bind` line and the backend's `server` lines change: every other setting (cookie affinity, the
health checks, the timeouts) is the shipped file's.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CONFIG = Path(__file__).with_name("haproxy.cfg")
COOKIE = "SEND_SERVER"  # the affinity cookie the shipped configuration inserts (its value names the server)
ADDRESS = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$")


def server_name(n: int) -> str:
    """The name (and cookie value) of the n-th app server, from 1."""
    return f"app{n}"


def render(listen: str, servers: list[str], template: str | None = None) -> str:
    """The shipped configuration listening on `listen` ("address:port") with one `server` line per app server
    address, named (and its cookie valued) app1, app2, …"""
    bad = [a for a in [listen, *servers] if not ADDRESS.match(a)]
    if bad or not servers:
        raise ValueError(f"addresses must be host:port, and at least one server is needed: {bad or 'none given'}")
    out, section, bound, placed = [], "", False, False
    for line in (template if template is not None else CONFIG.read_text(encoding="utf-8")).splitlines():
        words = line.split()
        if line and not line[0].isspace() and words:
            section = " ".join(words[:2])
        if section == "frontend dashboard" and words[:1] == ["bind"]:
            out.append(f"    bind {listen}")
            bound = True
            continue
        if section == "backend streamlit" and words[:1] == ["server"]:
            if not placed:
                out += [f"    server {server_name(n)} {a} cookie {server_name(n)}" for n, a in enumerate(servers, 1)]
                placed = True
            continue
        out.append(line)
    if not (bound and placed):
        raise ValueError(
            "the template has no `bind` line in `frontend dashboard` or no `server` line in `backend streamlit`"
        )
    return "\n".join(out) + "\n"


def executable() -> str:
    """Debian's haproxy (in /usr/sbin, which is not on every user's PATH)."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise RuntimeError("HAProxy is not installed: `sudo apt-get install haproxy` (make test does it)")
    return found


@contextlib.contextmanager
def running(port: int, servers: list[str], log: Path) -> Iterator[subprocess.Popen]:
    """HAProxy in the foreground on 127.0.0.1:`port` in front of `servers`, its log in `log`; stopped by its own
    process id when done."""
    folder = Path(tempfile.mkdtemp(prefix="send-haproxy-"))
    cfg = folder / "haproxy.cfg"
    cfg.write_text(render(f"127.0.0.1:{port}", servers), encoding="utf-8")
    check = subprocess.run([executable(), "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"HAProxy refused the configuration: {check.stdout}{check.stderr}")
    with log.open("wb") as out:
        proc = subprocess.Popen([executable(), "-f", str(cfg), "-db"], stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("HAProxy did not start: " + log.read_text(errors="replace")[-2000:])
                time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            shutil.rmtree(folder, ignore_errors=True)


def served_by(port: int, server: str, path: str = "/_stcore/health") -> str | None:
    """Which server answers a request through the proxy that asks for `server` by its cookie: `server` itself when
    it is up (the proxy sets no new cookie), the one it was sent to instead (the new cookie), None on no answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Cookie": f"{COOKIE}={server}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            return None
        for value in response.headers.get_all("Set-Cookie") or []:
            match = re.match(rf"{COOKIE}=([^;]*)", value)
            if match:
                return match.group(1)
        return server
    except OSError:
        return None
    finally:
        conn.close()


def wait_until_up(port: int, servers: list[str], timeout: float = 30) -> None:
    """Until the proxy sends each named server its own requests: its health checks have passed (about 4 s)."""
    deadline = time.monotonic() + timeout
    while any(served_by(port, s) != s for s in servers):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the proxy did not mark every server up in {timeout:g} s")
        time.sleep(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.haproxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8500", help="address:port the proxy listens on")
    parser.add_argument("--server", action="append", required=True, help="address:port of an app server (repeat)")
    args = parser.parse_args()
    print(render(args.listen, args.server), end="")


if __name__ == "__main__":
    main()
