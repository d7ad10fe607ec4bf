"""The app and the board papers show the same things: for the demo's newest snapshot (compared with the one before),
the Summary rows, what changed since the last board and one indicator figure as the app shows them equal what the
pack model (the PDF's and the slides' source) holds."""

from __future__ import annotations

import io

import polars as pl
import pytest

from boardpack import model
from metrics.snapshot import open_snapshot
from tests.pages_helper import app, unescape

AS_AT, COMPARE = "2025-10-31", "2025-09-30"
FIGURE = "wait_u18_salt_pct"  # charted in the pack: more than model.CHART_FROM points


@pytest.fixture(scope="module")
def pack(demo_root):
    charts = []
    built = model.build(
        open_snapshot(demo_root / AS_AT),
        open_snapshot(demo_root / COMPARE),
        draw=lambda chart, w, h: charts.append(chart) or f"chart-{len(charts)}",
    )
    return built, charts


def _cells(frame) -> list[dict]:
    """An AppTest dataframe (pandas) as rows of text, the way the pack holds them (model.rows: None as ""), RAG
    pills (lists of one word) as the word."""
    out = []
    for r in frame.to_dict("records"):
        word = {k: v[0] if hasattr(v, "__len__") and not isinstance(v, str) else v for k, v in r.items()}
        out.append({k: "" if v is None else str(v) for k, v in word.items()})
    return out


def test_summary_rows_are_the_apps(pack):
    built, _ = pack
    at = app(as_at=AS_AT, compare=COMPARE).run()
    assert not at.exception
    shown = _cells(at.dataframe[0].value)
    # the papers' columns, under the headings the app's table gives them (its column labels)
    headings = {"Variation": "SPC variation", "Assurance": "SPC assurance"}
    columns = ["Workstream", "Indicator", "Latest", "Period", "Target", "RAG", "Trend", "Variation", "Assurance"]
    apps = [{headings.get(c, c): r[c] for c in columns} for r in shown]
    assert len(apps) == len(built.summary) > 20
    assert apps == built.summary


def test_since_last_board_is_the_apps(pack):
    built, _ = pack
    at = app(as_at=AS_AT, compare=COMPARE).run()
    at.switch_page("pages/since_last_board.py").run()
    assert not at.exception
    assert built.since["paragraph"] and built.since["paragraph"] in [unescape(m.value) for m in at.markdown]
    tables = iter(at.dataframe)
    headers = [h.value for h in at.header]
    for title, rows in built.since["sections"]:
        assert title in headers
        if rows:  # the app draws a table for each kind that changed, in the same order
            assert _cells(next(tables).value) == rows, title
    assert sum(1 for _, rows in built.since["sections"] if rows) >= 3  # the demo has changes of several kinds
    assert next(tables, None) is None


def test_an_indicator_figure_is_the_apps(pack, demo_root):
    from ui import data, snapshots

    built, charts = pack
    indicator = next(i for ws in built.workstreams for i in ws.indicators if i.kpi_id == FIGURE)
    snap = snapshots.snapshot(demo_root / AS_AT)
    assert indicator.description == data.description(snap, FIGURE, "all")
    table = data.indicator_table(snap, FIGURE, "all")
    keep = [c for c in indicator.recent[0]]
    assert indicator.recent == model.rows(table.select(keep).tail(4))
    # the chart the PDF draws plots the very rows the app's chart does
    spec = data.indicator_spec(snap, FIGURE, "all", board=False)
    assert indicator.figure is not None and indicator.figure.alt == indicator.description
    drawn = charts[int(indicator.figure.ref.removeprefix("chart-")) - 1].to_dict()
    app_sets = {k: pl.read_ipc_stream(io.BytesIO(v)) for k, v in spec["datasets"].items()}
    pack_sets = {k: pl.DataFrame(v) for k, v in drawn["datasets"].items()}
    assert app_sets.keys() == pack_sets.keys() and app_sets
    for name, frame in app_sets.items():
        assert frame.to_dicts() == pack_sets[name].to_dicts(), name


def test_the_papers_ward_map_and_heat_table_are_the_apps(pack):
    """The PDF's ward map shades each ward as the app's map does for the public (the same classes and colours), and
    its waiting-times heat table is the app's figure, described in the app's words."""
    from tests.test_pages_wards import features, run_page

    built, charts = pack
    at = run_page("board")  # disclosure-controlled, as the papers always are
    assert not at.exception
    apps = {f["ward_name"]: f["fill"] for f in features(at)}
    drawn = charts[int(built.figures["ward_map"].ref.removeprefix("chart-")) - 1].to_dict()
    shapes = next(layer for layer in drawn["layer"] if (layer.get("mark") or {}).get("type") == "geoshape")
    papers = {f["ward_name"]: f["fill"] for f in shapes["data"]["values"]}
    assert papers == apps and len(set(apps.values())) >= 4  # 17 wards in several classes
    heat = built.figures["waits_heat"]
    assert heat.alt.startswith("Per cent waiting under 18 weeks and rank for each service and locality")
    heat_spec = charts[int(heat.ref.removeprefix("chart-")) - 1].to_dict()
    assert heat_spec["description"] == heat.alt


def test_a_counts_chart_leaves_out_englands_line_which_would_flatten_the_areas_and_its_table_keeps_it(demo_root):
    """England's active EHC plans (hundreds of thousands) on Bury's axis (a few thousand) drew Bury's line along the
    bottom; a count's chart draws the area alone, in the app and the papers, while its table still gives England's."""
    from metrics import series
    from metrics.areas import setup_of
    from metrics.kpi import catalogue_row
    from metrics.snapshot import scan_table
    from present.figures import indicator_figure

    snap = open_snapshot(demo_root / "2025-10-31")
    names = setup_of(snap.manifest).comparator_names()
    values = scan_table(snap, "kpi_values")

    def figure(kpi_id):
        kpi = catalogue_row(scan_table(snap, "kpi_catalogue"), kpi_id)
        result = series.indicator_series(values, kpi, area_code=snap.la_code, phase="all").collect()
        comps = series.comparator_series(values, kpi_id, names).collect()
        return result, comps, indicator_figure(result, comps, kpi)

    result, comps, count = figure("ehcp_caseload")
    england = comps.filter(pl.col("area_name") == "England")["value"].drop_nulls()
    assert england.min() > 100 * result["value"].max()  # why England is left off a count's chart
    assert "England" not in str(count.spec()) and "England" in count.table.columns
    _, _, share = figure("ehcp_20wk_pct")  # a percentage: England's line is drawn
    assert "England" in str(share.spec()) and "England" in share.table.columns
