"""Cached wrappers around metric calls. Keys are small values (snapshot path + fingerprint, phase, kpi_id). Frames
come back collected, ready for display. Polars frames are cached as resources, shared by every session rather than
copied on each read (a Polars frame is never changed in place); chart specs and bytes are cached as data.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import polars as pl
import streamlit as st

from charts.palette import readable
from charts.spc import indicator_chart
from metrics import benchmarks, diff, exceptions, kpi, plan, series, signing, waits, wards
from metrics.schema import TABLES
from metrics.snapshot import INDEX_FILE, Snapshot, SnapshotError, open_snapshot, scan_table
from present.csv import stamped_csv
from present.tables import series_display
from present.waits import heat_cells

LOG = logging.getLogger(__name__)
BOARD_SCALE = 16 / 11  # board mode: the charts' 11 px text at the app's 16 px body size
RUN_LOCK = threading.RLock()  # held by a script run (app.py) and by a fragment's rerun: one at a time per server


def _streamlit_secrets() -> dict:
    """The app's secrets as Streamlit read them (whichever files `--secrets.files` names); {} when there is no
    secrets file. A file that does not parse raises SigningKeyError: never read as "no key"."""
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError as exc:
        if getattr(exc, "error_id", "") == "no-secrets-found":
            return {}
        LOG.error("Secrets file could not be read: %s", exc)
        raise signing.SigningKeyError(signing.unreadable(str(exc))) from exc
    except Exception as exc:
        LOG.error("Secrets file could not be read: %s", exc)
        raise signing.SigningKeyError("the secrets file cannot be read") from exc


# Every reader and writer in this process (the checks, Publish, the board pack) gets the key from the app's secrets.
signing.use_secrets(_streamlit_secrets)


def key_problem() -> str:
    """Why no snapshot can be checked ("" when the key, or the lack of one, is clear): see metrics.signing."""
    try:
        signing.snapshot_key()
    except signing.SigningKeyError as exc:
        return str(exc)
    return ""


def snapshot_key() -> bytes | None:
    """The snapshot signing key (None: unsigned); raises SnapshotError when it cannot be known (fail closed)."""
    try:
        return signing.snapshot_key()
    except signing.SigningKeyError as exc:
        raise SnapshotError(f"no snapshot can be checked: {exc}") from exc


SNAPSHOT_FILES = ("manifest.json", *[f"{t}.parquet" for t in TABLES])
# One look at a snapshot's files per script run: a page asks for its data many times in a run, so the fingerprints
# are worked out once a run (app.py calls new_run first) and reused until the next run of that session.
_RUN_FINGERPRINTS: dict[str, dict[str, str]] = {}


def new_run() -> None:
    """Start this session's run afresh: the next fingerprint of each snapshot looks at its files again."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        if len(_RUN_FINGERPRINTS) > 2048:  # sessions that have gone: forget them all, they are cheap to redo
            _RUN_FINGERPRINTS.clear()
        _RUN_FINGERPRINTS[ctx.session_id] = {}


def fingerprint(path: Path | str) -> str:
    """Sizes, modification times and inodes of a snapshot's files and of the signed index beside it, and which
    signing key is in force: cheap, and changes whenever a file, the index or the key does, so a cached handle is
    never reused after any of them changes. Worked out once per snapshot per run of a session (see new_run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    memo = _RUN_FINGERPRINTS.get(ctx.session_id) if ctx is not None else None
    folder = os.fspath(path)
    if memo is not None and folder in memo:
        return memo[folder]
    try:
        key = signing.snapshot_key()
        parts = [f"key:{hashlib.sha256(key).hexdigest()[:16] if key else ''}"]
    except signing.SigningKeyError as exc:
        parts = [f"key-problem:{exc}"]
    # the folder's files, and the signed index beside it, which says whether the folder is the published one
    for file in (
        *[os.path.join(folder, name) for name in SNAPSHOT_FILES],
        os.path.join(os.path.dirname(os.path.normpath(folder)), INDEX_FILE),
    ):
        try:
            s = os.stat(file)
            parts.append(f"{os.path.basename(file)}:{s.st_size}:{s.st_mtime_ns}:{s.st_ino}")
        except FileNotFoundError:
            parts.append(f"{os.path.basename(file)}:missing")
    value = "|".join(parts)
    if memo is not None:
        memo[folder] = value
    return value


@st.cache_resource(max_entries=16, show_spinner=False)
def _open(path: str, fp: str) -> Snapshot:
    return open_snapshot(path, key=snapshot_key())


@st.cache_data(max_entries=64, show_spinner=False)
def _verdict(path: str, fp: str) -> str:
    try:
        _open(path, fp)
        return ""
    except SnapshotError as exc:
        LOG.warning("Snapshot at %s refused: %s", path, exc)  # the server log gets the full path
        return str(exc)


def verdict(path: Path | str) -> str:
    """Why the snapshot at `path` cannot be shown ("" when it verifies); the outcome is cached per fingerprint."""
    return _verdict(str(path), fingerprint(path))


def snapshot(path: Path | str) -> Snapshot:
    """The verified snapshot at `path`; raises SnapshotError naming the file when it cannot be trusted."""
    return _open(str(path), fingerprint(path))


def _key(snap: Snapshot | None) -> tuple[str, str]:
    return ("", "") if snap is None else (str(snap.path), fingerprint(snap.path))


@st.cache_resource(max_entries=64, show_spinner=False)
def _table(path: str, fp: str, name: str) -> pl.DataFrame:
    return scan_table(_open(path, fp), name).collect()


def table(snap: Snapshot, name: str) -> pl.DataFrame:
    """A whole snapshot table, collected once per snapshot and cached."""
    return _table(*_key(snap), name)


@st.cache_resource(max_entries=64, show_spinner=False)
def _summary(path: str, fp: str, cpath: str, cfp: str, phase: str) -> pl.DataFrame:
    snap = _open(path, fp)
    compare = scan_table(_open(cpath, cfp), "kpi_values") if cpath else None
    return kpi.summary(
        scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), compare, area_code=snap.la_code, phase=phase
    ).collect()


def summary(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The Summary frame (metrics.kpi.summary) for a snapshot, compare snapshot and phase."""
    return _summary(*_key(snap), *_key(compare), phase)


@st.cache_resource(max_entries=64, show_spinner=False)
def _exceptions(path: str, fp: str, cpath: str, cfp: str, phase: str) -> pl.DataFrame:
    snap = _open(path, fp)
    frame = _summary(path, fp, cpath, cfp, phase).join(
        icons(snap, phase), on="kpi_id", how="left", maintain_order="left"
    )
    ratings = _board_diff(path, fp, cpath, cfp, phase)["ratings"] if cpath else None
    return exceptions.exceptions(frame, ratings)


def exceptions_frame(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The indicators needing the board's attention (metrics.exceptions), worst first."""
    return _exceptions(*_key(snap), *_key(compare), phase)


def rag_counts(frame: pl.DataFrame, theme: int | None = None) -> dict[str, int]:
    """RAG word → number of indicators in an already-computed summary frame (optionally one theme)."""
    lf = frame.lazy() if theme is None else frame.lazy().filter(pl.col("theme") == theme)
    return dict(kpi.rag_counts(lf).collect().iter_rows())


@st.cache_resource(max_entries=64, show_spinner=False)
def _icons(path: str, fp: str, phase: str) -> pl.DataFrame:
    snap = _open(path, fp)
    return series.all_icons(
        scan_table(snap, "kpi_catalogue").collect(),
        scan_table(snap, "kpi_values"),
        area_code=snap.la_code,
        phase=phase,
    )


def icons(snap: Snapshot, phase: str) -> pl.DataFrame:
    """Variation and assurance icons of every indicator (kpi_id, variation, assurance, n_points)."""
    return _icons(*_key(snap), phase)


def summary_with_icons(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The Summary frame with each indicator's variation and assurance icons."""
    return summary(snap, compare, phase).join(icons(snap, phase), on="kpi_id", how="left", maintain_order="left")


@st.cache_resource(max_entries=512, show_spinner=False)
def _series(path: str, fp: str, kpi_id: str, phase: str) -> pl.DataFrame:
    snap = _open(path, fp)
    kpi = scan_table(snap, "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)
    return series.indicator_series(scan_table(snap, "kpi_values"), kpi, area_code=snap.la_code, phase=phase).collect()


def indicator(snap: Snapshot, kpi_id: str, phase: str) -> pl.DataFrame:
    """One indicator's series for the area with SPC columns (metrics.series.indicator_series)."""
    return _series(*_key(snap), kpi_id, phase)


@st.cache_resource(max_entries=512, show_spinner=False)
def _comparators(path: str, fp: str, kpi_id: str) -> pl.DataFrame:
    snap = _open(path, fp)
    return series.comparator_series(scan_table(snap, "kpi_values"), kpi_id, setup(snap).comparator_names()).collect()


def comparators(snap: Snapshot, kpi_id: str) -> pl.DataFrame:
    """England's and the area's region's values of one indicator."""
    return _comparators(*_key(snap), kpi_id)


@st.cache_resource(max_entries=32, show_spinner=False)
def _needs(path: str, fp: str, kpi_ids: tuple[str, ...]) -> pl.DataFrame:
    from metrics.formatting import fmt_value

    snap = _open(path, fp)
    where = setup(snap)
    cat = scan_table(snap, "kpi_catalogue").filter(pl.col("kpi_id").is_in(list(kpi_ids))).collect()
    values = scan_table(snap, "kpi_values").filter(pl.col("kpi_id").is_in(list(kpi_ids)) & (pl.col("phase") == "all"))
    mine = values.filter(pl.col("area_code") == snap.la_code).drop_nulls("value").collect()
    if mine.height == 0:
        return pl.DataFrame()
    latest = mine["period_end"].max()
    at = values.filter(pl.col("period_end") == latest).collect()
    columns = {snap.la_code: where.la_name, **where.comparator_names()}
    rows = []
    for k in cat.iter_rows(named=True):
        row = {"Primary need": k["title"].removeprefix("Primary need: ").removesuffix(" (DfE)").capitalize()}
        for code, label in columns.items():
            hit = at.filter((pl.col("kpi_id") == k["kpi_id"]) & (pl.col("area_code") == code))["value"]
            row[label] = hit[0] if len(hit) else None
        rows.append(row)
    order = pl.DataFrame(rows).sort(where.la_name, descending=True, nulls_last=True)
    return order.with_columns(
        pl.col(c).map_elements(lambda v: fmt_value(v, "percent", 1), return_dtype=pl.String).fill_null("x")
        for c in columns.values()
    )


def needs_table(snap: Snapshot, kpi_ids: list[str]) -> pl.DataFrame:
    """The area's EHC plans by primary type of need beside England and its region, at the latest period."""
    return _needs(*_key(snap), tuple(kpi_ids))


@st.cache_resource(max_entries=128, show_spinner=False)
def _actions(path: str, fp: str, workstreams: tuple[str, ...]) -> pl.DataFrame:
    snap = _open(path, fp)
    return plan.workstream_actions(scan_table(snap, "actions"), list(workstreams), snap.as_at).collect()


def actions(snap: Snapshot, workstreams: list[str]) -> pl.DataFrame:
    """Actions of some workstreams with RAG and overdue flags, overdue first."""
    return _actions(*_key(snap), tuple(workstreams))


@st.cache_resource(max_entries=32, show_spinner=False)
def _risk_register(path: str, fp: str) -> pl.DataFrame:
    return (
        scan_table(_open(path, fp), "risks")
        .sort(["status", "score", "risk_id"], descending=[True, True, False])
        .collect()
    )


def risk_register(snap: Snapshot) -> pl.DataFrame:
    """Every risk, open ones first, highest score first."""
    return _risk_register(*_key(snap))


@st.cache_resource(max_entries=32, show_spinner=False)
def _risk_grid(path: str, fp: str) -> pl.DataFrame:
    return plan.risk_grid(scan_table(_open(path, fp), "risks")).collect()


def risk_grid(snap: Snapshot) -> pl.DataFrame:
    """The 5 × 5 likelihood × severity grid of the open risks (metrics.plan.risk_grid)."""
    return _risk_grid(*_key(snap))


@st.cache_data(max_entries=32, show_spinner=False)
def _risk_chart(path: str, fp: str, board: bool) -> dict:
    from charts.plan import risk_grid_chart

    grid = _risk_grid(path, fp)
    sentence = plan.describe_grid(grid)
    spec = risk_grid_chart(grid, font_scale=BOARD_SCALE if board else 1.0, description=sentence).to_dict()
    return arrow_datasets(readable(spec) if board else spec)


def risk_chart(snap: Snapshot, board: bool) -> dict:
    """The risk heat grid's Vega-Lite spec, its description naming where every risk sits."""
    return _risk_chart(*_key(snap), board)


@st.cache_resource(max_entries=128, show_spinner=False)
def _commentary(path: str, fp: str, workstream: str) -> pl.DataFrame:
    return plan.latest_commentary(scan_table(_open(path, fp), "commentary"), workstream).collect()


def commentary(snap: Snapshot, workstream: str) -> pl.DataFrame:
    """A workstream's commentary, newest first, with the latest date's entries marked."""
    return _commentary(*_key(snap), workstream)


@st.cache_data(max_entries=32, show_spinner=False)
def _board_diff(path: str, fp: str, cpath: str, cfp: str, phase: str) -> dict[str, pl.DataFrame]:
    return diff_between(_open(path, fp), _open(cpath, cfp), phase)


def diff_between(a: Snapshot, b: Snapshot, phase: str = "all") -> dict[str, pl.DataFrame]:
    """What changed from snapshot `b` to `a` (uncached: also for a candidate snapshot not yet written)."""

    def t(snap: Snapshot, name: str) -> pl.LazyFrame:
        return scan_table(snap, name)

    def rated(snap: Snapshot) -> pl.LazyFrame:
        s = kpi.summary(t(snap, "kpi_catalogue"), t(snap, "kpi_values"), None, area_code=snap.la_code, phase=phase)
        icons_ = series.all_icons(
            t(snap, "kpi_catalogue").collect(), t(snap, "kpi_values"), area_code=snap.la_code, phase=phase
        )
        return s.join(icons_.lazy(), on="kpi_id", how="left")

    cat = t(a, "kpi_catalogue")
    return {
        "new": diff.new_periods(
            cat, t(a, "kpi_values"), t(b, "kpi_values"), area_code=a.la_code, phase=phase
        ).collect(),
        "revised": diff.revisions(
            cat, t(a, "kpi_values"), t(b, "kpi_values"), area_code=a.la_code, phase=phase
        ).collect(),
        "ratings": diff.rating_changes(rated(a), rated(b)).collect(),
        "risks": diff.risk_changes(t(a, "risks"), t(b, "risks")).collect(),
        "actions": diff.action_changes(t(a, "actions"), t(b, "actions")).collect(),
    }


def board_diff(snap: Snapshot, compare: Snapshot, phase: str) -> dict[str, pl.DataFrame]:
    """Everything that changed between two snapshots (metrics.diff), as frames keyed new, revised, ratings,
    risks and actions."""
    return _board_diff(*_key(snap), *_key(compare), phase)


@st.cache_data(max_entries=1024, show_spinner=False)
def _indicator_spec(path: str, fp: str, kpi_id: str, phase: str, board: bool) -> dict:
    snap = _open(path, fp)
    kpi = scan_table(snap, "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)
    result = _series(path, fp, kpi_id, phase)
    comps = _comparators(path, fp, kpi_id)
    chart = indicator_chart(
        result,
        title=None,
        unit=kpi["unit"],
        decimals=kpi["decimals"],
        target=kpi["target"],
        comparators=comps if comps.height else None,
        description=series.describe(result, kpi),
        height=380 if board else 300,
        font_scale=BOARD_SCALE if board else 1.0,
    )
    spec = chart.to_dict()
    return arrow_datasets(readable(spec) if board else spec)


def arrow_datasets(spec: dict) -> dict:
    """Replace a Vega-Lite spec's inline datasets with Arrow IPC bytes, which Streamlit passes straight through;
    otherwise it converts every dataset through pandas on every run."""
    from streamlit import dataframe_util

    spec = dict(spec)
    spec["datasets"] = {
        name: rows if isinstance(rows, dict) else dataframe_util.convert_anything_to_arrow_bytes(pl.DataFrame(rows))
        for name, rows in spec.get("datasets", {}).items()
    }
    return spec


def indicator_spec(snap: Snapshot, kpi_id: str, phase: str, board: bool) -> dict:
    """The Vega-Lite spec of one indicator's chart (charts.spc.indicator_chart), built once per snapshot, phase and
    mode: building and validating an Altair chart costs ~100 ms, far more than drawing a cached spec."""
    return _indicator_spec(*_key(snap), kpi_id, phase, board)


@st.cache_data(max_entries=1024, show_spinner=False)
def _description(path: str, fp: str, kpi_id: str, phase: str) -> str:
    kpi = scan_table(_open(path, fp), "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)
    return series.describe(_series(path, fp, kpi_id, phase), kpi)


def description(snap: Snapshot, kpi_id: str, phase: str) -> str:
    """The one-sentence description of an indicator's chart (metrics.series.describe)."""
    return _description(*_key(snap), kpi_id, phase)


@st.cache_resource(max_entries=1024, show_spinner=False)
def _indicator_table(path: str, fp: str, kpi_id: str, phase: str) -> pl.DataFrame:
    kpi = scan_table(_open(path, fp), "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)
    return series_display(_series(path, fp, kpi_id, phase), _comparators(path, fp, kpi_id), kpi)


def indicator_table(snap: Snapshot, kpi_id: str, phase: str) -> pl.DataFrame:
    """The table twin of an indicator chart (present.tables.series_display), cached."""
    return _indicator_table(*_key(snap), kpi_id, phase)


@st.cache_data(max_entries=1024, show_spinner=False)
def _indicator_csv(path: str, fp: str, kpi_id: str, phase: str) -> bytes:
    snap = _open(path, fp)
    kpi = scan_table(snap, "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)
    return stamped_csv(
        _indicator_table(path, fp, kpi_id, phase), as_at=snap.as_at, demo=snap.demo, source=kpi["source"]
    )


def indicator_csv(snap: Snapshot, kpi_id: str, phase: str) -> bytes:
    """indicator_table as the stamped CSV its download gives (present.csv.stamped_csv), cached."""
    return _indicator_csv(*_key(snap), kpi_id, phase)


@st.cache_data(max_entries=16, show_spinner=False)
def _ward_periods(path: str, fp: str) -> list:
    frame = scan_table(_open(path, fp), "ward_demand").select(pl.col("period_end").unique()).collect()
    return sorted(frame["period_end"].to_list(), reverse=True)


def ward_periods(snap: Snapshot) -> list:
    """Months with ward data, newest first (empty when the snapshot has no ward data)."""
    return _ward_periods(*_key(snap))


@st.cache_resource(max_entries=256, show_spinner=False)
def _ward_rates(path: str, fp: str, period, measure: str, phase: str, protected: bool, towns: bool) -> pl.DataFrame:
    snap = _open(path, fp)
    fn = wards.town_rates if towns else wards.ward_rates
    return fn(
        scan_table(snap, "ward_demand"),
        scan_table(snap, "wards"),
        period_end=period,
        measure=measure,
        phase=phase,
        protected=protected,
    ).collect()


def ward_rates(
    snap: Snapshot, period, measure: str, phase: str, *, protected: bool, towns: bool = False
) -> pl.DataFrame:
    """Ward (or town) rates per 1,000 with intervals, borough comparison and rank (metrics.wards)."""
    return _ward_rates(*_key(snap), period, measure, phase, protected, towns)


@st.cache_data(max_entries=256, show_spinner=False)
def _ward_borough(path: str, fp: str, period, measure: str, phase: str, protected: bool) -> dict:
    snap = _open(path, fp)
    return (
        wards.borough_total(
            scan_table(snap, "ward_demand"), period_end=period, measure=measure, phase=phase, protected=protected
        )
        .collect()
        .row(0, named=True)
    )


def ward_borough(snap: Snapshot, period, measure: str, phase: str, *, protected: bool) -> dict:
    """The borough's count, population and rate with limits for one month."""
    return _ward_borough(*_key(snap), period, measure, phase, protected)


@st.cache_resource(max_entries=256, show_spinner=False)
def _deprivation(path: str, fp: str, period, measure: str, phase: str, protected: bool) -> pl.DataFrame:
    snap = _open(path, fp)
    return wards.rate_by_deprivation(
        scan_table(snap, "ward_demand"),
        scan_table(snap, "wards"),
        period_end=period,
        measure=measure,
        phase=phase,
        protected=protected,
    ).collect()


def deprivation(snap: Snapshot, period, measure: str, phase: str, *, protected: bool) -> pl.DataFrame:
    """Rate per 1,000 by the wards' deprivation decile."""
    return _deprivation(*_key(snap), period, measure, phase, protected)


@st.cache_resource(max_entries=256, show_spinner=False)
def _ward_trend(path: str, fp: str, ward_code: str, measure: str, protected: bool) -> pl.DataFrame:
    return wards.ward_trend(
        scan_table(_open(path, fp), "ward_demand"), ward_code=ward_code, measure=measure, protected=protected
    ).collect()


def ward_trend(snap: Snapshot, ward_code: str, measure: str, *, protected: bool) -> pl.DataFrame:
    """One ward's monthly rate per phase."""
    return _ward_trend(*_key(snap), ward_code, measure, protected)


@st.cache_data(max_entries=512, show_spinner=False)
def _ward_chart(
    path: str,
    fp: str,
    kind: str,
    period,
    measure: str,
    phase: str,
    protected: bool,
    towns: bool,
    highlight: str | None,
    board: bool,
    shade: str,
    selection: str,
) -> dict:
    from charts import wards as wc
    from metrics.schema import PHASE_LABELS

    scale = 1.35 if board else 1.0
    label = wards.MEASURE_LABELS[measure]
    if kind == "map":
        from present.places import map_rows

        rates = _ward_rates(path, fp, period, measure, phase, protected, False)
        rows = map_rows(rates, scan_table(_open(path, fp), "wards").collect(), shade=shade)
        imd = shade == "imd"
        what = "deprivation decile" if imd else f"{label} per 1,000 children, {period:%B %Y}"
        chart = wc.ward_map(
            rows,
            value="shade",
            breaks=wards.map_breaks(rates, shade),
            tooltip=[
                ("count_text", f"Count, {period:%b %Y}"),
                ("rate_text", "Rate per 1,000 children"),
                ("ci_text", "95% interval of the rate"),
                ("imd_text", "Deprivation decile"),
            ],
            selection=selection,
            highlight=highlight,
            font_size=15 if board else 11,
            reverse=imd,
            height_px=620 if board else 520,
            description=f"Map of wards shaded by {what}. The ranked chart and its table give every ward's figures.",
        )
    elif kind == "ranked":
        rates = _ward_rates(path, fp, period, measure, phase, protected, towns)
        name, word = ("town", "town") if towns else ("ward_name", "ward")
        borough = _ward_borough(path, fp, period, measure, phase, protected)
        chart = wc.ranked_bars(
            rates,
            label=label,
            name=name,
            borough_rate=borough["rate"],
            font_scale=scale,
            highlight=None if towns else highlight,
            description=wards.significance_sentence(rates, area_word=word, name=name),
        )
    elif kind == "deprivation":
        chart = wc.deprivation_chart(
            _deprivation(path, fp, period, measure, phase, protected), label=label, font_scale=scale
        )
    else:  # trend of the highlighted ward
        labels = {"all": "All phases", **{k: v for k, v in PHASE_LABELS.items() if k != "all"}}
        chart = wc.trend_chart(
            _ward_trend(path, fp, highlight, measure, protected), label=label, phase_labels=labels, font_scale=scale
        )
    return arrow_datasets(chart.to_dict())


def ward_chart(
    snap: Snapshot,
    kind: str,
    *,
    period,
    measure: str,
    phase: str,
    protected: bool,
    towns: bool = False,
    highlight: str | None = None,
    board: bool = False,
    shade: str = "rate",
    selection: str = "ward",
) -> dict:
    """Cached Vega-Lite spec of a ward chart: "map" (wards shaded by `shade`, "rate" or "imd"), "ranked",
    "deprivation" or "trend" (charts.wards). `selection` names the map's point selection."""
    return _ward_chart(*_key(snap), kind, period, measure, phase, protected, towns, highlight, board, shade, selection)


def setup(snap: Snapshot):
    """The area's comparators and names (metrics.areas.Setup): region, system, neighbours, from the manifest."""
    from metrics.areas import setup_of

    return setup_of(snap.manifest)


LOCAL = "gm_locality_return"  # the `source` of the locality returns' rows (DATA_MODEL.md)
NHS = "chs_sitrep_provider"  # the `source` of the NHS England workbook's rows


@st.cache_data(max_entries=32, show_spinner=False)
def _wait_months(path: str, fp: str, service: str | None, source: str = LOCAL) -> list:
    rows = scan_table(_open(path, fp), "waiting_times").filter(
        (pl.col("source") == source) & pl.col("waiting_total").is_not_null()
    )
    if service:
        rows = rows.filter(pl.col("service") == service)
    return sorted(rows.select(pl.col("period_end").unique()).collect()["period_end"].to_list(), reverse=True)


def wait_months(snap: Snapshot, service: str | None = None, source: str = LOCAL) -> list:
    """Months with locality returns (or NHS England rows) for one service, or any, newest first."""
    return _wait_months(*_key(snap), service, source)


@st.cache_data(max_entries=32, show_spinner=False)
def _wait_services(path: str, fp: str, source: str = LOCAL) -> list[str]:
    from metrics.schema import SERVICES

    have = set(
        scan_table(_open(path, fp), "waiting_times")
        .filter((pl.col("source") == source) & pl.col("waiting_total").is_not_null())
        .select(pl.col("service").unique())
        .collect()["service"]
    )
    return [s for s in SERVICES if s in have] + sorted(have - set(SERVICES))


def wait_services(snap: Snapshot, source: str = LOCAL) -> list[str]:
    """Services with locality returns (or NHS England rows): the board's five first, then the rest A–Z."""
    return _wait_services(*_key(snap), source)


@st.cache_data(max_entries=64, show_spinner=False)
def _nhs_orgs(path: str, fp: str, kind: str, period, service: str) -> list[str]:
    from metrics.areas import nhs_kind

    codes = (
        scan_table(_open(path, fp), "waiting_times")
        .filter((pl.col("source") == NHS) & (pl.col("period_end") == period) & (pl.col("service") == service))
        .select(pl.col("area_code").unique())
        .collect()["area_code"]
    )
    return sorted(c for c in codes if nhs_kind(c) == kind)


def _league_of(level: str) -> tuple[str, str | None]:
    """The rows and reference of a league: the system's localities against their pooled figure, or every ICB or
    provider in the NHS England workbook against England."""
    return (LOCAL, None) if level == "locality" else (NHS, "ENG")


@st.cache_resource(max_entries=256, show_spinner=False)
def _league(path: str, fp: str, period, service: str, level: str = "locality") -> pl.DataFrame:
    snap = _open(path, fp)
    source, reference = _league_of(level)
    members = list(setup(snap).localities) if level == "locality" else _nhs_orgs(path, fp, level, period, service)
    frame = waits.league(
        scan_table(snap, "waiting_times"),
        period_end=period,
        service=service,
        localities=members,
        source=source,
        reference=reference,
    ).collect()
    names = setup(snap).names
    return frame.with_columns(area_name=pl.col("area_code").replace_strict(names, default=pl.col("area_code")))


def league(snap: Snapshot, period, service: str, level: str = "locality") -> pl.DataFrame:
    """The league table for a month and service (metrics.waits.league), with names: the system's localities
    (`level` "locality"), or every English ICB ("icb") or provider ("provider") against England."""
    return _league(*_key(snap), period, service, level)


@st.cache_resource(max_entries=64, show_spinner=False)
def _area_trend(path: str, fp: str, service: str, level: str = "locality", code: str = "") -> pl.DataFrame:
    snap = _open(path, fp)
    source, reference = _league_of(level)
    system = setup(snap).system
    providers = None  # the area's own ICB: its figure leaves out any of its providers with no figures that month
    if level == "locality":
        members = list(setup(snap).localities)
    else:
        from metrics.areas import nhs_kind

        codes = scan_table(snap, "waiting_times").filter(pl.col("source") == NHS).select("area_code").unique()
        members = [c for c in codes.collect()["area_code"] if nhs_kind(c) == level]
        if level == "icb" and system and system.icb == code and system.providers:
            providers = list(system.providers)
    return waits.area_trend(
        scan_table(snap, "waiting_times"),
        service=service,
        area_code=code or snap.la_code,
        localities=members,
        source=source,
        reference=reference,
        providers=providers,
    ).collect()


def area_trend(snap: Snapshot, service: str, level: str = "locality", code: str = "") -> pl.DataFrame:
    """Monthly % under 18 weeks of the area (or of one ICB or provider, `code`), the reference figure (the pooled
    system figure, or England's) and its rank."""
    return _area_trend(*_key(snap), service, level, code)


@st.cache_resource(max_entries=64, show_spinner=False)
def _heat(path: str, fp: str, period, services: tuple[str, ...]) -> pl.DataFrame:
    # each service at its latest month up to the chosen one (CAMHS returns run a month behind the others)
    months = {s: next((m for m in _wait_months(path, fp, s) if m <= period), period) for s in services}
    return waits.heat_table(
        scan_table(_open(path, fp), "waiting_times"),
        period_end=months,
        services=list(services),
        localities=list(setup(_open(path, fp)).localities),
    ).collect()


def heat(snap: Snapshot, period, services: list[str]) -> pl.DataFrame:
    """Services × localities for a month with rank quarters."""
    return _heat(*_key(snap), period, tuple(services))


@st.cache_resource(max_entries=64, show_spinner=False)
def _providers(path: str, fp: str, period, services: tuple[str, ...], orgs: tuple[str, ...]) -> pl.DataFrame:
    return (
        scan_table(_open(path, fp), "waiting_times")
        .filter(
            (pl.col("source") == NHS)
            & (pl.col("period_end") == period)
            & pl.col("service").is_in(list(services))
            & pl.col("area_code").is_in(list(orgs))
        )
        .sort("service", "area_code")
        .collect()
    )


def providers(snap: Snapshot, period, services: list[str], orgs: list[str]) -> pl.DataFrame:
    """NHS England workbook rows for some organisations, services and a month (empty when not loaded)."""
    return _providers(*_key(snap), period, tuple(services), tuple(orgs))


@st.cache_data(max_entries=256, show_spinner=False)
def _wait_chart(
    path: str,
    fp: str,
    kind: str,
    period,
    service: str | None,
    services: tuple[str, ...],
    board: bool,
    level: str = "locality",
    code: str = "",
) -> dict:
    from charts import waits as wch
    from metrics.waits import SERVICE_NAMES

    snap = _open(path, fp)
    where = setup(snap)
    scale = 1.3 if board else 1.0
    focus = where.name(code or snap.la_code)
    reference = where.system_name if level == "locality" else "England"
    members = {"locality": "localities", "icb": "integrated care boards", "provider": "NHS providers"}[level]
    what = SERVICE_NAMES.get(service or "", (service or "").replace("_", " "))
    if kind == "heat":
        chart = wch.heat(
            heat_cells(_heat(path, fp, period, services), where.names),
            area=focus,
            font_scale=scale,
            description=f"Per cent waiting under 18 weeks and rank for each service and locality, {period:%B %Y}",
        )
    elif kind == "funnel":
        lg = _league(path, fp, period, service, level)
        providers = where.system.providers if where.system else ()
        chart = wch.funnel_chart(
            lg,
            waits.funnel(lg),
            area=focus,
            highlight=[where.name(p) for p in providers] if level == "provider" else None,
            reference=f"{reference} figure",
            font_scale=scale,
            description=f"Funnel plot of the {lg.height} {members} for {what}, {period:%B %Y}",
        )
    else:
        chart = wch.trend_chart(
            _area_trend(path, fp, service, level, code),
            area=focus,
            reference=reference,
            font_scale=scale,
            description=f"{focus} against {reference} over time for {what}",
            names=where.names,
        )
    return arrow_datasets(chart.to_dict())


def wait_chart(
    snap: Snapshot,
    kind: str,
    *,
    period,
    service: str | None = None,
    services: list[str] = (),
    board: bool = False,
    level: str = "locality",
    code: str = "",
) -> dict:
    """Cached Vega-Lite spec of a waiting-time chart: "heat", "funnel" or "trend" (charts.waits), for the system's
    localities or for a national ICB or provider league (`level`, `code` the organisation followed)."""
    return _wait_chart(*_key(snap), kind, period, service, tuple(services), board, level, code)


def area_names(snap: Snapshot) -> dict[str, str]:
    """Names of areas and organisations: from the DfE and NHS files the snapshot was built from, its system and
    region (metrics.areas.Setup.names)."""
    return setup(snap).names


@st.cache_resource(max_entries=16, show_spinner=False)
def _benchmarks(path: str, fp: str) -> pl.DataFrame:
    snap = _open(path, fp)
    where = setup(snap)
    from metrics.schema import WORKSTREAMS

    order = {w: i for i, w in enumerate(WORKSTREAMS)}  # the plan's order, context (primary need) last
    cat = (
        scan_table(snap, "kpi_catalogue")
        .filter(pl.col("source").is_in(benchmarks.PUBLISHED_SOURCES))
        .collect()
        .sort(pl.col("workstream").replace_strict(order, default=len(order)), "theme", maintain_order=True)
    )
    table = benchmarks.benchmark_table(
        scan_table(snap, "kpi_values"),
        cat,
        area=snap.la_code,
        region=where.region_code,
        system=list(where.localities),
        neighbours=list(where.neighbours),
        region_las=list(where.region_authorities),
    )
    topics = cat.select("kpi_id", topic=pl.col("topic").fill_null(pl.lit(benchmarks.SEN2_TOPIC)))
    return table.join(topics, on="kpi_id", how="left", maintain_order="left")


def benchmark_rows(snap: Snapshot, topic: str | None = None) -> pl.DataFrame:
    """The benchmark table (metrics.benchmarks.benchmark_table) of the published DfE indicators, with each one's
    topic; only one topic's with `topic`."""
    rows = _benchmarks(*_key(snap))
    return rows if topic is None else rows.filter(pl.col("topic") == topic)


def comparison_words(where) -> str:
    """England, the region and the system as a sentence's list: "England, the East Midlands and Derbyshire"
    (the region and system only when the area has them)."""
    parts = ["England"]
    if where.region_name:
        parts.append(
            f"the {where.region_name}"
            if where.region_name.startswith(("North", "South", "East", "West"))
            else where.region_name
        )
    if where.system_name:
        parts.append(where.system_name)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@st.cache_data(max_entries=128, show_spinner=False)
def _bench_chart(path: str, fp: str, kind: str, kpi_id: str, board: bool, region_only: bool = False) -> dict:
    from charts import benchmarks as bc
    from charts.spc import UNIT_AXIS

    snap = _open(path, fp)
    where = setup(snap)
    row = _benchmarks(path, fp).filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
    names = where.names
    area = where.la_name
    scale = 1.3 if board else 1.0
    if kind == "trend":
        trend = benchmarks.comparator_trend(
            scan_table(snap, "kpi_values"),
            kpi_id=kpi_id,
            area=snap.la_code,
            region=(where.region_code, where.region_name) if where.region_code else None,
            system=(where.system_name, list(where.localities)) if where.system else None,
            count=row["unit"] == "count",
        ).collect()
        cat = scan_table(snap, "kpi_catalogue").filter(pl.col("kpi_id") == kpi_id).collect()
        breaks = cat["series_breaks"].to_list()[0] if cat.height else None
        chart = bc.comparator_trend_chart(
            trend,
            breaks=list(breaks or []),
            area=area,
            unit_title=UNIT_AXIS[row["unit"]],
            decimals=row["decimals"],
            font_scale=scale,
            description=f"{row['title']}: {area} against {comparison_words(where)} over time",
        )
    else:
        dist = benchmarks.distribution(
            scan_table(snap, "kpi_values"),
            kpi_id=kpi_id,
            period_end=row["period_end"],
            area=snap.la_code,
            system=list(where.localities),
            only=list(where.region_authorities) if region_only else None,
        ).collect()
        dist = dist.with_columns(name=pl.col("area_code").replace_strict(names, default=pl.col("area_code")))
        chart = bc.strip(
            dist,
            area=area,
            unit_title=UNIT_AXIS[row["unit"]],
            decimals=row["decimals"],
            font_scale=scale,
            description=f"{row['title']}, {row['period_label']}: every local authority"
            + (f" of the {where.region_name}" if region_only else "")
            + f", {area} highlighted",
        )
    return arrow_datasets(chart.to_dict())


def bench_chart(snap: Snapshot, kind: str, kpi_id: str, board: bool, region_only: bool = False) -> dict:
    """Cached spec of a benchmark chart: "trend" or "strip" (charts.benchmarks), the strip of every English local
    authority or (`region_only`) of the region's."""
    return _bench_chart(*_key(snap), kind, kpi_id, board, region_only)


@st.cache_resource(max_entries=64, show_spinner=False)
def _neighbours(path: str, fp: str, kpi_id: str) -> pl.DataFrame:
    snap = _open(path, fp)
    where = setup(snap)
    row = _benchmarks(path, fp).filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
    return benchmarks.neighbour_table(
        scan_table(snap, "kpi_values"),
        kpi_id=kpi_id,
        period_end=row["period_end"],
        area=snap.la_code,
        neighbours=list(where.neighbours),
        decimals=row["decimals"],
        polarity=row["polarity"],
    )


def neighbours(snap: Snapshot, kpi_id: str) -> pl.DataFrame:
    """The area and each statistical neighbour on one benchmark indicator, ranked (metrics.benchmarks)."""
    return _neighbours(*_key(snap), kpi_id)


def edited_frame(edited, table: str) -> pl.DataFrame:
    """Rows back from `st.data_editor` (a pandas frame) as Polars with the snapshot table's types for the columns
    it has; a value that cannot take the type becomes empty and is then refused by the contract check."""
    frame = pl.from_pandas(edited)
    schema = TABLES[table].columns
    return frame.with_columns(
        pl.col(c).cast(schema[c], strict=False)
        if not isinstance(schema[c], pl.Date)
        else pl.col(c).cast(pl.Date, strict=False)
        for c in frame.columns
        if c in schema
    )
