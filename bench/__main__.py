"""Benchmarks: `python -m bench [--repeat N]`.

Prints median timings (milliseconds) for opening and verifying a snapshot, computing the Summary, the real-data
import, the board pack, then — where the user is (bench.live) — every page on a real server over its websocket and in
a real browser with an empty app measured in the same run as the floor, a run of 20 concurrent sessions, and one
session's page run beside a hostile upload and a hung identity provider (`--contention` runs only that); then a
warm run of every page under AppTest and the process's peak memory. `--live` runs only the measures where the user
is. Warm page runs patch Streamlit's legacy pages-folder
detection off, as it is in a real server after the first run (see ui/state.context), so each timing is one run of
app.py plus the page.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `fn` in milliseconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def report(label: str, ms: float, target: float | None = None) -> None:
    verdict = "" if target is None else f"   (target < {target:g} ms: {'met' if ms < target else 'NOT met'})"
    print(f"  {label:<58} {ms:>9.1f} ms{verdict}")


def bench_snapshot(repeat: int) -> None:
    import polars as pl

    from metrics.kpi import summary
    from metrics.snapshot import list_snapshots, open_snapshot, scan_table

    paths = list_snapshots(ROOT / "data" / "snapshots")
    newest, previous = paths[0], paths[1]
    report("open + verify newest demo snapshot (9 tables)", timed(lambda: open_snapshot(newest), repeat), 100)
    snap, comp = open_snapshot(newest), open_snapshot(previous)

    def run_summary():
        return summary(
            scan_table(snap, "kpi_catalogue"),
            scan_table(snap, "kpi_values"),
            scan_table(comp, "kpi_values"),
            area_code=snap.la_code,
        ).collect()

    n = scan_table(snap, "kpi_catalogue").select(pl.len()).collect().item()
    report(f"Summary metrics ({n} indicators, with compare)", timed(run_summary, repeat))


def bench_pages(repeat: int) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from bench.pages import registered_pages

    real_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    try:
        targets = {"pages/ward_demand.py": 300}  # every other page: under 250 ms
        extra = {"pages/waiting_times.py": {"wt_service": "salt"}}  # one service: league, funnel and trend
        for mode in ("officer", "board"):
            for page in registered_pages():
                at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
                at.query_params["mode"] = mode
                at.run()
                at.switch_page(page).run()
                for k, v in extra.get(page, {}).items():
                    at.session_state[k] = v
                at.run()  # warm: caches filled
                assert not at.exception, [e.value for e in at.exception]
                report(f"warm page run, {mode} mode: {page}", timed(at.run, repeat), targets.get(page, 250))
    finally:
        PagesManager.__init__ = real_init


def bench_wards_national(repeat: int) -> None:
    """Ward metrics at national scale: ~7,000 wards × 84 months × 5 phases × 6 measures, generated here."""
    from datetime import date

    import numpy as np
    import polars as pl

    from metrics.wards import rate_by_deprivation, town_rates, ward_rates

    rng = np.random.default_rng(1)
    n_wards, months = 7_000, 84
    phases = ["early_years", "primary", "secondary", "post16", "post19"]
    measures = ["ehcp_caseload", "ehcp_requests", "ehcp_new", "sen_support", "ap_placements", "eotas"]
    ends = pl.date_range(date(2019, 1, 1), date(2025, 12, 1), "1mo", eager=True).dt.month_end()[:months]
    wards = pl.DataFrame(
        {
            "ward_code": [f"E05{i:06d}" for i in range(n_wards)],
            "ward_name": [f"Ward {i}" for i in range(n_wards)],
            "town": [f"Town {i // 5}" for i in range(n_wards)],
            "imd_decile": rng.integers(1, 11, n_wards).astype("int8"),
            "lon": rng.uniform(-3, 1, n_wards),
            "lat": rng.uniform(50, 55, n_wards),
        }
    )
    t0 = time.perf_counter()
    grid = (
        wards.select("ward_code")
        .join(pl.DataFrame({"period_end": ends}), how="cross")
        .join(pl.DataFrame({"phase": phases}), how="cross")
        .join(pl.DataFrame({"measure": measures}), how="cross")
    )
    demand = grid.with_columns(
        count=pl.Series(rng.poisson(12, grid.height)), population=pl.Series(rng.integers(300, 2500, grid.height))
    )
    build_ms = (time.perf_counter() - t0) * 1000
    print(
        f"  generated national ward_demand: {demand.height:,} rows in {build_ms:,.0f} ms "
        f"({demand.estimated_size('mb'):,.0f} MB)"
    )
    lazy_d, lazy_w = demand.lazy(), wards.lazy()
    last = ends[-1]
    report(
        "ward rates, one month, all phases (7,000 wards)",
        timed(lambda: ward_rates(lazy_d, lazy_w, period_end=last, measure="ehcp_caseload").collect(), repeat),
    )
    report(
        "ward rates, one month, one phase, disclosure-controlled",
        timed(
            lambda: ward_rates(
                lazy_d, lazy_w, period_end=last, measure="ap_placements", phase="secondary", protected=True
            ).collect(),
            repeat,
        ),
    )
    report(
        "town rates and rate by deprivation, one month",
        timed(
            lambda: (
                town_rates(lazy_d, lazy_w, period_end=last, measure="ehcp_caseload").collect(),
                rate_by_deprivation(lazy_d, lazy_w, period_end=last, measure="ehcp_caseload").collect(),
            ),
            repeat,
        ),
    )


def bench_import() -> None:
    """Import of the full DfE EHCP 2025 release zip (all local authorities), in a child process so its peak memory
    is its own. The zip is not part of the project: set BENCH_EHCP_ZIP, or keep ../shared/real-data beside it."""
    import subprocess
    import sys

    zip_path = Path(
        os.environ.get(
            "BENCH_EHCP_ZIP",
            ROOT.parent / "shared" / "real-data" / "ees_ehcp" / "education-health-and-care-plans_2025.zip",
        )
    )
    if not zip_path.is_file():
        print(f"  EHCP 2025 zip not found at {zip_path}: import not timed (set BENCH_EHCP_ZIP)")
        return
    code = (
        "import resource, time, sys; t = time.perf_counter(); from ingest.ees import read_ehcp; "
        f"r = read_ehcp({str(zip_path)!r}); ms = (time.perf_counter() - t) * 1000; "
        "print(f'{ms:.0f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {r.values.height} "
        "{len(r.names)}')"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(3)
    ]
    ms = statistics.median(float(r[0]) for r in runs)
    print(
        f"  {'import EHCP 2025 release zip (' + runs[0][2] + ' rows, ' + runs[0][3] + ' areas)':<58} "
        f"{ms:>9.1f} ms   (peak memory {runs[0][1]} MB, including Python and Polars start-up)"
    )


def bench_import_lait() -> None:
    """Import of DfE's LAIT files (the long data of every measure, area and year, its dictionary and the statistical
    neighbours), in a child process so its peak memory is its own. The files are not part of the project: set
    BENCH_LAIT_DIR, or keep ../shared/real-data beside it."""
    import subprocess
    import sys

    folder = Path(os.environ.get("BENCH_LAIT_DIR", ROOT.parent / "shared" / "real-data" / "lait"))
    files = sorted(str(p) for p in folder.glob("*") if p.suffix in (".parquet", ".csv", ".xlsx"))
    if len(files) < 3:
        print(f"  LAIT files not found in {folder}: import not timed (set BENCH_LAIT_DIR)")
        return
    code = (
        "import resource, time; t = time.perf_counter(); from ingest.lacodes import la_codes; "
        "from ingest.lait import read_lait; "
        f"r = read_lait({files!r}, la_codes()); ms = (time.perf_counter() - t) * 1000; "
        "assert not r.problems, r.problems[:3]; "
        "print(f'{ms:.0f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {r.values.height} "
        "{len(r.kpis)} {len(r.neighbours)}')"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(3)
    ]
    ms = statistics.median(float(r[0]) for r in runs)
    peak = max(float(r[1]) for r in runs)
    label = f"import LAIT ({runs[0][2]} rows of {runs[0][3]} SEN measures, {runs[0][4]} authorities' neighbours)"
    print(f"  {label:<58} {ms:>9.1f} ms   (peak memory {peak:.0f} MB, including Python and Polars start-up)")


def bench_pack() -> None:
    """The board pack (PDF) and the board slides (PowerPoint) of the newest demo snapshot, compared with the one
    before: three cold builds of each, each in a new child process (as `python -m boardpack` runs)."""
    import subprocess
    import sys

    paths = sorted((ROOT / "data" / "snapshots").glob("2025-*"))
    for label, module, function in (
        ("board pack PDF", "boardpack", "build_pdf"),
        ("board slides PPTX", "boardpack.slides", "build_deck"),
    ):
        code = (
            f"import time; from {module} import {function} as build; t = time.perf_counter(); "
            f"out = build({str(paths[-1])!r}, {str(paths[-2])!r}); "
            "print(f'{(time.perf_counter() - t) * 1000:.0f} {len(out)}')"
        )
        runs = [
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
            for _ in range(3)
        ]
        times = sorted(float(r.split()[0]) for r in runs)
        report(f"{label}, newest demo snapshot (median of 3 cold builds)", statistics.median(times), 10_000)
        print(f"  {'  the three builds':<58} {', '.join(f'{t / 1000:.1f} s' for t in times)}")


def bench_papers(repeat: int) -> None:
    """What the download buttons serve after a publish: both papers built once for the newest demo snapshot against
    the one before (boardpack.papers.prebuild, as Publish and `python -m boardpack --prebuild` do, into a copy of the
    two snapshots), then read back as the button reads them (papers.read: the file, its record, its SHA-256)."""
    import shutil
    import tempfile

    from boardpack import papers
    from metrics.snapshot import open_snapshot

    paths = sorted((ROOT / "data" / "snapshots").glob("2025-*"))
    with tempfile.TemporaryDirectory() as root:
        for path in paths[-2:]:
            shutil.copytree(path, Path(root) / path.name)
        snap, compare = (open_snapshot(Path(root) / p.name) for p in (paths[-1], paths[-2]))
        t = time.perf_counter()
        papers.prebuild(root, snap, compare, key=None)
        print(f"  {'both papers built at publish (once, before any download)':<58} {time.perf_counter() - t:>9.1f} s")
        for kind, label in (("pdf", "board pack PDF"), ("pptx", "board slides PPTX")):
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                data = papers.read(root, snap, compare, kind, key=None)
                times.append((time.perf_counter() - t) * 1000)
                assert data, f"the {kind} was not kept"
            report(f"{label} download after publish (median of {repeat})", statistics.median(times), 500)


PAGE_TARGETS = {"click_s": 1.0, "click_ratio": 4.0, "first_ratio": 1.3, "server_ms": 250.0}
LOAD_TARGETS = {"p95_ms": 2000.0, "rss_mb": 600.0}


def bench_live(repeat: int) -> None:
    """A real server and a real browser, each measure beside the empty app's in the same run (bench.live)."""
    from bench.live import app_and_floor

    got = app_and_floor(repeat)
    floor, app = got["floor"], got["app"]
    floor_click = floor["click"]
    floor_run = statistics.median(r.ms for r in floor["runs"].values())
    floor_bytes = statistics.median(r.sent_bytes for r in floor["runs"].values())
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731 - a one-word verdict
    print(
        f"  {'empty two-page app (the floor)':<46} click → drawn {floor_click:5.2f} s   server run {floor_run:6.0f} ms"
        f"   sent {floor_bytes / 1024:6.1f} KiB"
    )
    from bench.pages import registered_pages

    order = [Path(p).stem for p in registered_pages()]
    worst_ratio = 0.0
    paths = sorted(app["titles"], key=lambda p: order.index(p) if p in order else 0)  # "" is the Summary
    for path in paths:
        title = app["titles"][path]
        click, run = app["clicks"][path], app["runs"][path]
        ratio = click / floor_click
        worst_ratio = max(worst_ratio, ratio)
        verdict = met(
            click <= PAGE_TARGETS["click_s"]
            and ratio <= PAGE_TARGETS["click_ratio"]
            and run.ms <= PAGE_TARGETS["server_ms"]
        )
        print(
            f"  {title[:46]:<46} click → drawn {click:5.2f} s ({ratio:4.1f}×)   server run {run.ms:6.0f} ms"
            f"   sent {run.sent_bytes / 1024:6.1f} KiB{'   ERROR' if run.error else ''}   ({verdict})"
        )
    first_ratio = app["first"] / floor["first"]
    print(
        f"  {'first load of the app':<46} {app['first']:5.2f} s against the floor's {floor['first']:.2f} s "
        f"({first_ratio:.2f}×; target ≤ {PAGE_TARGETS['first_ratio']}×: {met(first_ratio <= PAGE_TARGETS['first_ratio'])})"
    )
    load = app["load"]
    print(
        f"  {load.sessions} concurrent sessions, every page twice each: {load.runs} page runs in {load.seconds:.1f} s "
        f"= {load.runs / load.seconds:.1f} runs/s; median {load.median_ms:.0f} ms, p95 {load.p95_ms:.0f} ms "
        f"(target ≤ {LOAD_TARGETS['p95_ms']:.0f}: {met(load.p95_ms <= LOAD_TARGETS['p95_ms'])}); "
        f"errors {load.errors}; server peak RSS {load.peak_rss_mb:.0f} MB "
        f"(target ≤ {LOAD_TARGETS['rss_mb']:.0f}: {met(load.peak_rss_mb <= LOAD_TARGETS['rss_mb'])})"
    )
    from bench.live import failures

    for failure in sorted(set(failures))[:5]:
        print(f"    a session failed: {failure}")
    print(
        f"  targets per page: click → drawn ≤ {PAGE_TARGETS['click_s']} s and ≤ {PAGE_TARGETS['click_ratio']}× the "
        f"floor (worst here {worst_ratio:.1f}×), warm server run ≤ {PAGE_TARGETS['server_ms']:.0f} ms"
    )


CONTENTION_TARGET = 2.0  # another session's page run under a hostile upload and a hung provider, × its run alone


def bench_contention(repeat: int) -> None:
    """Another session's page run while one session uploads the two-million-string workbook and one waits on a hung
    identity provider (bench.contention); then the same with an ordinary small workbook (the control)."""
    from bench.contention import contention

    for hostile in (True, False):
        got = contention(repeat, hostile=hostile)
        what = "2M-string workbook" if hostile else "ordinary small workbook (control)"
        ok = max(got.ratio, got.ratio_by_time) <= CONTENTION_TARGET and not got.errors
        verdict = f"target ≤ {CONTENTION_TARGET:g}× both: {'met' if ok else 'NOT met'}" if hostile else "no target"
        print(
            f"  Summary run, public session, sign-in on, provider hung, an officer uploading the {what}: median "
            f"{got.alone_ms:.1f} ms alone, {got.loaded_ms:.1f} ms under load ({got.ratio:.2f}×); by time "
            f"{got.alone_by_time_ms:.1f} ms alone, {got.loaded_by_time_ms:.1f} ms under load "
            f"({got.ratio_by_time:.2f}×); {verdict}"
        )
        print(f"    under load, of {got.runs} runs: p95 {got.loaded_p95_ms:.1f} ms, slowest {got.loaded_max_ms:.1f} ms")
        rounds = sorted(got.upload_rounds)
        if rounds:
            print(
                f"    meanwhile: {len(rounds)} uploads checked, each refused in {statistics.median(rounds):.1f} s "
                f"(median; {rounds[0]:.1f}–{rounds[-1]:.1f} s from choosing the file to seeing the problem)"
            )
        waits = sorted(got.login_waits)
        if waits:
            print(
                f"    meanwhile: {len(waits)} requests to the sign-in route, each waiting "
                f"{statistics.median(waits):.1f} s on the provider ({got.provider_connections} connections it held)"
            )
        print(f"    server peak resident memory {got.peak_rss_mb:.0f} MB")
        for error in got.errors:
            print(f"    {error}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--live", action="store_true", help="only the real-server, browser and load measures")
    parser.add_argument("--import", dest="imports", action="store_true", help="only the real data imports")
    parser.add_argument(
        "--contention", action="store_true", help="only a page run beside a hostile upload and a hung provider"
    )
    parser.add_argument("--scale", action="store_true", help="only 1, 2 and 3 servers behind HAProxy (bench.scale)")
    parser.add_argument("--papers", action="store_true", help="only the board pack and slides: cold and after publish")
    args = parser.parse_args()
    if args.papers:
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print("Board pack")
        bench_pack()
        bench_papers(args.repeat)
        return
    if args.scale:
        from bench.scale import main as scale

        scale()
        return
    if args.imports:
        print("Real data import")
        bench_import()
        bench_import_lait()
        return
    if args.contention:
        print("A page run beside a hostile upload and a hung identity provider (bench.contention)")
        bench_contention(args.repeat)
        return
    if args.live:
        print("Where the user is: a real server, a real browser, 20 sessions (bench.live)")
        bench_live(args.repeat)
        print("A page run beside a hostile upload and a hung identity provider (bench.contention)")
        bench_contention(args.repeat)
        return
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print("Snapshot and metrics (median of", args.repeat, "runs)")
    bench_snapshot(args.repeat)
    print("Real data import")
    bench_import()
    bench_import_lait()
    print("Ward metrics at national scale")
    bench_wards_national(max(3, args.repeat // 3))
    print("Board pack")
    bench_pack()
    bench_papers(args.repeat)
    print("Where the user is: a real server, a real browser, 20 sessions (bench.live)")
    bench_live(args.repeat)
    print("A page run beside a hostile upload and a hung identity provider (bench.contention)")
    bench_contention(args.repeat)
    print("Pages under AppTest")
    bench_pages(args.repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'peak memory (resident set) of this process':<58} {peak_mb:>9.1f} MB")


if __name__ == "__main__":
    main()
