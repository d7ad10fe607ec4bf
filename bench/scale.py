"""More than one server: `python -m bench --scale`.

One, then two Streamlit servers behind HAProxy (the shipped `deploy/haproxy.cfg`, through `deploy.haproxy`), all on
free loopback ports and reading one snapshot folder; 20, 50 and 100 websocket sessions at once through the proxy,
each paging through every page twice with no pause, as a browser does (its first request to the proxy, which picks a
server and names it in the affinity cookie, then the websocket with that cookie). For each: page runs per second,
median and 95th percentile of a page run, errors, and each server's peak resident memory. Then three servers and
30 sessions paging until stopped, the third server killed mid-run: the sessions on the other two must see no error,
and sessions opened after the kill must land on the survivors. Then the memory an area's snapshots add to a server.

The pieces (`cluster`, `ProxySession`) are what the browser-less parts of tests/e2e/test_scale.py drive.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from deploy import haproxy

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "snapshots"
BURY, MANCHESTER = "E08000002", "E08000003"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ── servers and the proxy ─────────────────────────────────────────────────────────────────────────────────────────
@dataclass
class AppServer:
    name: str  # as the proxy knows it (app1, app2, …), which is also its cookie's value
    port: int
    proc: subprocess.Popen
    log: Path

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM) so far, in MB (NaN once it has gone)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def cpu_seconds(self) -> float:
        """The processor time (user and system) the process has used so far, in seconds (NaN once it has gone)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def kill(self) -> None:
        """Stopped outright (SIGKILL), as a machine that fails: no goodbye to any session."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)


@dataclass
class Cluster:
    port: int  # the proxy's
    servers: list[AppServer]
    root: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server(self, name: str) -> AppServer:
        return next(s for s in self.servers if s.name == name)


def _start(name: str, port: int, root: Path, secrets: Path, env: dict[str, str], logs: Path) -> AppServer:
    log = logs / f"{name}-{port}.log"
    with log.open("wb") as out:  # a file, never a pipe: a pipe nobody reads fills up and stops the server
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
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
                "--client.showErrorDetails=full",
                f"--secrets.files={secrets}",
            ],
            cwd=ROOT,
            env={**env, "SEND_SNAPSHOT_ROOT": str(root), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return AppServer(name, port, proc, log)


def _healthy(server: AppServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        url = f"http://127.0.0.1:{server.port}/_stcore/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as r:
            if r.read().decode().strip() == "ok":
                return
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} did not start: " + server.log.read_text(errors="replace")[-2000:])


@contextlib.contextmanager
def cluster(
    n: int,
    root: Path,
    *,
    secrets: Path | None = None,
    env: dict[str, str] | None = None,
    logs: Path | None = None,
    proxy_port: int | None = None,
) -> Iterator[Cluster]:
    """`n` app servers sharing the snapshot folder `root` (and one secrets file), behind HAProxy; yields once the
    proxy sends each server its own requests. Every process is stopped by its own id when done."""
    logs = logs or Path(tempfile.mkdtemp(prefix="send-scale-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    if secrets is None:
        secrets = logs / "no-secrets.toml"
        secrets.write_text("")
    base = {k: v for k, v in os.environ.items() if k != "SEND_SNAPSHOT_ROOT"}
    servers = [
        _start(haproxy.server_name(i), free_port(), root, secrets, {**base, **(env or {})}, logs)
        for i in range(1, n + 1)
    ]
    try:
        deadline = time.monotonic() + 90
        for server in servers:  # they start side by side; each is waited for in turn
            _healthy(server, deadline)
        port = proxy_port or free_port()
        with haproxy.running(port, [f"127.0.0.1:{s.port}" for s in servers], logs / "haproxy.log"):
            haproxy.wait_until_up(port, [s.name for s in servers])
            yield Cluster(port, servers, root)
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.proc.terminate()
        for server in servers:
            try:
                server.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a server that does not stop when asked is stopped
                server.proc.kill()
                server.proc.wait(timeout=15)


# ── a browser-less session through the proxy ──────────────────────────────────────────────────────────────────────
def _set_cookie(values: list[str]) -> str | None:
    for value in values:
        match = re.match(rf"\s*{haproxy.COOKIE}=([^;]*)", value)
        if match:
            return match.group(1)
    return None


def _first_request(port: int, pin: str | None) -> str | None:
    """A browser's first request (the page): the proxy picks the server and names it in its cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/", headers={"Cookie": f"{haproxy.COOKIE}={pin}"} if pin else {})
        response = conn.getresponse()
        response.read()
        return _set_cookie(response.headers.get_all("Set-Cookie") or []) or pin
    finally:
        conn.close()


@dataclass
class Run:
    ms: float
    sent_bytes: int
    error: bool


@dataclass
class ProxySession:
    """One session through the proxy, speaking Streamlit's websocket protocol (BackMsg / ForwardMsg protobufs).
    `pin` asks for a server by its cookie, as a returning browser does; `server` is where the proxy put it."""

    port: int
    pin: str | None = None
    query: str = ""
    server: str | None = None
    pages: dict[str, str] = field(default_factory=dict)  # url path ("" for the default page) → page script hash
    titles: dict[str, str] = field(default_factory=dict)
    messages: list = field(default_factory=list)  # the last run's ForwardMsgs, when kept
    ws: object = None

    async def open(self) -> None:
        import websockets

        self.server = await asyncio.to_thread(_first_request, self.port, self.pin)
        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": f"{haproxy.COOKIE}={self.server}"},
            max_size=None,
            open_timeout=30,
            ping_interval=None,  # as a browser: the server keeps the connection alive, the client only answers
        )
        # a server that went down between the page and the websocket: the proxy sent it elsewhere and says where
        self.server = _set_cookie(self.ws.response.headers.get_all("Set-Cookie")) or self.server

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def run(self, path: str = "", query: str | None = None, keep: bool = False) -> Run:
        """One run of a page, read until the script has finished: its time, the bytes sent and any error shown."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        state = ClientState(
            query_string=self.query if query is None else query, page_script_hash=self.pages.get(path, "")
        )
        self.messages = []
        t0 = time.perf_counter()
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        size, error = 0, False
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), timeout=120)
            size += len(frame)
            msg = ForwardMsg.FromString(frame)
            if keep:
                self.messages.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "navigation" and not self.pages:
                for p in msg.navigation.app_pages:
                    if p.page_script_hash not in self.pages.values() and p.url_pathname != "areas":
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

    def elements(self, kind: str) -> list:
        """The elements of one kind (e.g. "selectbox", "download_button") the last kept run drew."""
        out = []
        for msg in self.messages:
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == kind:
                    out.append(getattr(element, kind))
        return out

    def get(self, path: str) -> bytes:
        """A file this session's server serves (a download's /media/… address), through the proxy with its cookie."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Cookie": f"{haproxy.COOKIE}={self.server}"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            return body
        finally:
            conn.close()


# ── loads ─────────────────────────────────────────────────────────────────────────────────────────────────────────
@dataclass
class Load:
    servers: int
    sessions: int
    runs: int
    seconds: float
    median_ms: float
    p95_ms: float
    errors: int
    peak_rss_mb: dict[str, float]
    placed: dict[str, int]  # server → sessions the proxy put there
    failures: list[str] = field(default_factory=list)
    server_cpu_s: float = float("nan")  # the servers' processor time during the load, all together

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds else float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)] if ordered else float("nan")


async def _paging(port: int, sessions: int, passes: int, query: str, pins: list[str | None] | None = None):
    times: list[float] = []
    failures: list[str] = []
    placed: list[ProxySession] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        s = ProxySession(port, pin=pins[i] if pins else None, query=query)
        where = ""
        try:
            await s.open()
            placed.append(s)
            await s.run()
            order = list(s.pages)
            for _ in range(passes):
                for path in order[i % len(order) :] + order[: i % len(order)]:  # each session starts elsewhere
                    where = path
                    r = await s.run(path)
                    times.append(r.ms)
                    errors += r.error
        except Exception as exc:  # a dropped connection or a timeout is an error of the run, not of the bench
            errors += 1
            failures.append(f"{s.server}: {type(exc).__name__} on page '{where}': {exc}"[:200])
        finally:
            await s.close()

    await asyncio.gather(*(one(i) for i in range(sessions)))
    return times, errors, failures, placed


def load(c: Cluster, sessions: int, passes: int = 2, query: str = "") -> Load:
    """`sessions` sessions at once through the proxy, each paging through every page `passes` times."""
    cpu = sum(s.cpu_seconds() for s in c.servers)
    t0 = time.perf_counter()
    times, errors, failures, placed = asyncio.run(_paging(c.port, sessions, passes, query))
    seconds = time.perf_counter() - t0
    cpu = sum(s.cpu_seconds() for s in c.servers) - cpu
    where: dict[str, int] = {s.name: 0 for s in c.servers}
    for s in placed:
        where[s.server] = where.get(s.server, 0) + 1
    return Load(
        len(c.servers),
        sessions,
        len(times),
        seconds,
        statistics.median(times) if times else float("nan"),
        percentile(times, 0.95),
        errors,
        {s.name: s.peak_rss_mb() for s in c.servers},
        where,
        failures,
        cpu,
    )


@dataclass
class KillRun:
    sessions: dict[str, int]  # server → sessions on it when the run started
    errors: dict[str, int]  # server → sessions that ended in an error
    runs_after_kill: dict[str, int]  # server → page runs finished after the kill
    new_sessions: dict[str, int]  # server → sessions opened after the kill
    new_errors: int
    failures: list[str]


async def _kill_run(c: Cluster, victim: str, sessions: int, seconds: float, kill_at: float, new: int, query: str):
    stop = asyncio.Event()
    killed = asyncio.Event()
    started: list[ProxySession] = []
    errors: dict[str, int] = {}
    after: dict[str, int] = {}
    failures: list[str] = []

    async def paging(i: int, s: ProxySession, loop_until_stopped: bool) -> bool:
        """True when the session ended in an error."""
        where = ""
        try:
            await s.open()
            started.append(s)
            await s.run()
            order = list(s.pages)
            k = i
            while True:
                where = order[k % len(order)]
                await s.run(where)
                k += 1
                if killed.is_set():
                    after[s.server] = after.get(s.server, 0) + 1
                if (not loop_until_stopped and k - i >= len(order)) or stop.is_set():
                    return False
        except Exception as exc:
            failures.append(f"{s.server}: {type(exc).__name__} on page '{where}': {exc}"[:200])
            return True
        finally:
            await s.close()

    async def first(i: int) -> None:
        s = ProxySession(c.port, query=query)
        if await paging(i, s, True):
            errors[s.server] = errors.get(s.server, 0) + 1

    async def timeline() -> tuple[list[ProxySession], int]:
        await asyncio.sleep(kill_at)
        await asyncio.to_thread(c.server(victim).kill)
        killed.set()
        await asyncio.sleep(0.5)
        # new browsers, and returning ones whose cookie names the server that has gone
        late = [ProxySession(c.port, pin=victim if i % 2 else None, query=query) for i in range(new)]
        outcomes = await asyncio.gather(*(paging(i, s, False) for i, s in enumerate(late)))
        late_errors = sum(outcomes)
        await asyncio.sleep(max(0.0, seconds - kill_at - 0.5))
        stop.set()
        return late, late_errors

    results = await asyncio.gather(*(first(i) for i in range(sessions)), timeline())
    late, late_errors = results[-1]
    first_sessions = [s for s in started if s not in late]
    placed: dict[str, int] = {}
    for s in first_sessions:
        placed[s.server] = placed.get(s.server, 0) + 1
    new_placed: dict[str, int] = {}
    for s in late:
        new_placed[str(s.server)] = new_placed.get(str(s.server), 0) + 1
    return KillRun(placed, errors, after, new_placed, late_errors, failures)


def kill_run(
    c: Cluster, victim: str, sessions: int = 30, seconds: float = 20, kill_at: float = 6, new: int = 10, query=""
) -> KillRun:
    """`sessions` sessions paging until stopped; `victim` killed `kill_at` seconds in; then `new` sessions opened
    (half of them asking for the victim by its cookie), each paging through every page once."""
    return asyncio.run(_kill_run(c, victim, sessions, seconds, kill_at, new, query))


# ── the snapshot folders measured ─────────────────────────────────────────────────────────────────────────────────
def area_folders(root: Path, codes: tuple[str, ...] = (BURY,)) -> Path:
    """The demonstration snapshots as Bury's folder under `root`, and, when asked, the same dates as Manchester's
    (the demonstration's tables with the two codes swapped in every row naming an area), each in a folder of its own."""
    dates = sorted(p.name for p in DEMO.iterdir() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name))
    for code in codes:
        if code == BURY:
            for name in dates:
                shutil.copytree(DEMO / name, root / BURY / name)
            continue
        import polars as pl

        from ingest.demo import build_tables
        from ingest.writer import write_snapshot

        swap = {BURY: code, code: BURY}
        for name in dates:
            tables = build_tables(date.fromisoformat(name))
            for table in ("kpi_values", "waiting_times"):
                tables[table] = tables[table].with_columns(area_code=pl.col("area_code").replace(swap))
            write_snapshot(
                tables, out_root=root / code, as_at=name, area={"la_code": code, "la_name": "Manchester"}, demo=True
            )
    return root


# ── the report ────────────────────────────────────────────────────────────────────────────────────────────────────
def _warm(c: Cluster, query: str) -> None:
    """One session per server through every page, so that caches are filled before anything is measured."""
    asyncio.run(_paging(c.port, len(c.servers), 1, query, pins=[s.name for s in c.servers]))


def scale(counts: tuple[int, ...] = (20, 50, 100), servers: tuple[int, ...] = (1, 2), passes: int = 2) -> list[Load]:
    results = []
    with tempfile.TemporaryDirectory(prefix="send-scale-") as folder:
        root = area_folders(Path(folder) / "snapshots")
        query = f"area={BURY}"
        for n in servers:
            for sessions in counts:
                with cluster(n, root, logs=Path(folder) / f"logs-{n}-{sessions}") as c:  # fresh: peak memory is per run
                    _warm(c, query)
                    result = load(c, sessions, passes, query)
                results.append(result)
                rss = ", ".join(f"{k} {v:,.0f} MB" for k, v in result.peak_rss_mb.items())
                where = ", ".join(f"{k} {v}" for k, v in result.placed.items())
                print(
                    f"  [load average {os.getloadavg()[0]:.1f}] "
                    f"{n} server{'s' if n > 1 else ''}, {sessions:>3} sessions: {result.runs:>5} page runs in "
                    f"{result.seconds:5.1f} s ({result.per_second:5.1f} runs/s); median {result.median_ms:,.0f} ms, "
                    f"p95 {result.p95_ms:,.0f} ms; {result.errors} errors; peak memory {rss}; sessions placed: {where}; "
                    f"servers' processor time {1000 * result.server_cpu_s / max(result.runs, 1):.1f} ms a page run",
                    flush=True,
                )
                for failure in result.failures[:5]:
                    print(f"      {failure}")
    return results


def killed(sessions: int = 30) -> KillRun:
    with tempfile.TemporaryDirectory(prefix="send-scale-") as folder:
        root = area_folders(Path(folder) / "snapshots")
        query = f"area={BURY}"
        with cluster(3, root, logs=Path(folder) / "logs-kill") as c:
            _warm(c, query)
            result = kill_run(c, "app3", sessions=sessions, query=query)
    print(
        f"  [load average {os.getloadavg()[0]:.1f}] 3 servers, {sessions} sessions paging, app3 killed mid-run: sessions per server {result.sessions}; "
        f"sessions that ended in an error {result.errors or 'none'}; page runs after the kill {result.runs_after_kill}; "
        f"{sum(result.new_sessions.values())} sessions opened after it went to {result.new_sessions}, "
        f"{result.new_errors} errors",
        flush=True,
    )
    for failure in result.failures[:5]:
        print(f"      {failure}")
    return result


def areas_memory(sessions: int = 20) -> None:
    """One server, `sessions` sessions paging every page: all in one area, then half in each of two areas."""
    with tempfile.TemporaryDirectory(prefix="send-scale-") as folder:
        root = area_folders(Path(folder) / "snapshots", (BURY, MANCHESTER))
        one = Path(folder) / "one"
        one.mkdir()
        shutil.copytree(root / BURY, one / BURY)
        peaks = {}
        for label, where, queries in (
            ("one area", one, [f"area={BURY}"]),
            ("two areas", root, [f"area={BURY}", f"area={MANCHESTER}"]),
        ):
            with cluster(1, where, logs=Path(folder) / f"logs-{label}") as c:

                async def both(c=c, queries=queries):
                    await asyncio.gather(*(_paging(c.port, sessions // len(queries), 2, q) for q in queries))

                asyncio.run(both())
                peaks[label] = c.servers[0].peak_rss_mb()
        print(
            f"  1 server, {sessions} sessions: peak memory {peaks['one area']:,.0f} MB with one area's 5 snapshots, "
            f"{peaks['two areas']:,.0f} MB with two areas' (+{peaks['two areas'] - peaks['one area']:,.0f} MB)",
            flush=True,
        )


def main() -> None:
    print(
        "(The load average before each line is the machine's, over the last minute: anything above the run's own "
        "servers and sessions is other work sharing the cores.)"
    )
    print(
        f"More than one server (bench.scale): {os.cpu_count()} cores; HAProxy "
        f"{subprocess.run([haproxy.executable(), '-v'], capture_output=True, text=True).stdout.split()[2]}; each "
        "session paging through every page twice, no pause"
    )
    scale()
    killed()
    areas_memory()
