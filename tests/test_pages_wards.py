"""AppTest: the ward page's map, values and disclosure control in board mode (on screen and in downloads)."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import polars as pl
import pytest

import ui.components
from metrics.snapshot import open_snapshot, scan_table
from metrics.wards import ward_rates
from tests.pages_helper import app, registered_pages, tables_chosen, unescape

LATEST = date(2025, 9, 30)


def run_page(mode: str, **state):
    at = app(mode=mode).run()
    at.switch_page("pages/ward_demand.py")
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def map_layer(at) -> dict:
    """The map: the one layer of the page's charts that draws geoshapes."""
    maps = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        maps += [lay for lay in spec.get("layer", []) if (lay.get("mark") or {}).get("type") == "geoshape"]
    assert len(maps) == 1
    return maps[0]


def features(at):
    """The map's wards, as sent to the browser."""
    return map_layer(at)["data"]["values"]


def test_map_has_17_wards_with_the_values_metrics_compute(demo_root):
    at = run_page("officer")
    assert not at.exception
    feats = features(at)
    assert len(feats) == 17
    snap = open_snapshot(demo_root / "2025-10-31")
    expected = ward_rates(
        scan_table(snap, "ward_demand"), scan_table(snap, "wards"), period_end=LATEST, measure="ehcp_caseload"
    ).collect()
    by_code = {r["ward_code"]: r for r in expected.iter_rows(named=True)}
    for f in feats:
        e = by_code[f["ward_code"]]
        assert f["ward_name"] == e["ward_name"]
        assert f["count_text"] == f"{e['count']:,}"
        assert f["rate_text"] == f"{e['rate']:.1f}"
        assert f["ci_text"] == f"{e['lcl']:.1f} to {e['ucl']:.1f}"
        assert f["imd_text"] == str(e["imd_decile"])
        assert f["type"] == "Feature" and f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    titles = [t["title"] for t in map_layer(at)["encoding"]["tooltip"]]
    assert titles == [
        "Ward",
        "Count, Sep 2025",
        "Rate per 1,000 children",
        "95% interval of the rate",
        "Deprivation decile",
    ]
    text = unescape("\n".join(m.value for m in at.markdown))
    assert re.search(r"6 wards significantly above the borough rate of \d+\.\d per 1,000: Bury East", text)


COUNT_PATTERN = re.compile(r"^(c|0|\d{1,3}(,\d{3})*)$")


def assert_protected(value: str, where: str) -> None:
    assert COUNT_PATTERN.match(value), f"{where}: {value!r} is not a shown count"
    if value not in ("c", "0"):
        n = int(value.replace(",", ""))
        assert n >= 8 and n % 5 == 0, f"{where}: {value} is unrounded or below 8"


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"wd_measure": "ap_placements"},  # small counts: most wards suppressed
        {"wd_measure": "eotas", "wd_group": "Towns"},
        {"wd_measure": "ehcp_new", "wd_period": date(2025, 3, 31)},
    ],
)
def test_board_mode_shows_no_small_or_unrounded_count_anywhere(state, monkeypatch):
    produced: list[bytes] = []
    real = ui.components.csv_bytes

    def capture(frame, **kw):
        data = real(frame, **kw)
        produced.append(data)
        return data

    monkeypatch.setattr(ui.components, "csv_bytes", capture)
    at = run_page("board", **state)
    assert not at.exception
    at = tables_chosen(at)
    assert not at.exception
    for f in features(at):
        assert_protected(f["count_text"], f"map {f['ward_name']}")
    checked = 0
    for df in [*at.dataframe, *at.table]:  # board mode shows static tables (st.table)
        frame = df.value
        if "Count" in frame.columns:
            for v in frame["Count"]:
                assert_protected(str(v), "table")
                checked += 1
    assert checked >= 17
    borough = next(m for m in at.metric if m.label.endswith("in the borough"))
    assert_protected(borough.value, "borough metric")
    ward_csvs = [c for c in (pl.read_csv(io.BytesIO(d), infer_schema=False) for d in produced) if "Count" in c.columns]
    assert ward_csvs, "the page offered no download of its counts"
    for csv in ward_csvs:
        for v in csv["Count"]:
            assert_protected(v, "download")
    assert any("c = fewer than 8, suppressed" in c.value for c in at.caption) or any(
        "c = fewer than 8" in i.value for i in at.info
    )


def test_officer_mode_shows_exact_counts_but_downloads_are_protected(monkeypatch):
    produced: list[bytes] = []
    real = ui.components.csv_bytes
    monkeypatch.setattr(ui.components, "csv_bytes", lambda f, **kw: produced.append(real(f, **kw)) or produced[-1])
    at = tables_chosen(run_page("officer", wd_measure="ap_placements"))
    counts = [str(v) for df in at.dataframe if "Count" in df.value.columns for v in df.value["Count"]]
    assert any(c not in ("c", "0") and int(c.replace(",", "")) % 5 for c in counts)  # exact on screen
    assert any("Official – not for publication" in w.value for w in at.warning)
    ward_csvs = [c for c in (pl.read_csv(io.BytesIO(d), infer_schema=False) for d in produced) if "Count" in c.columns]
    assert ward_csvs
    for csv in ward_csvs:
        for v in csv["Count"]:
            assert_protected(v, "officer download")


def test_ward_profile_follows_the_select_box():
    at = run_page("officer", wd_ward="E05014160")
    labels = {m.label: m.value for m in at.metric}
    assert labels["Rank (1 = highest rate)"] == "2 of 17"  # Radcliffe East
    assert labels["Deprivation decile"] == "2 of 10"


def test_no_ward_data_gives_a_plain_message(demo_root, tmp_path, monkeypatch):
    from ingest.writer import write_snapshot
    from metrics.schema import empty_frame

    snap = open_snapshot(demo_root / "2025-10-31")
    tables = {
        name: scan_table(snap, name).collect()
        for name in (
            "kpi_catalogue",
            "kpi_values",
            "wards",
            "waiting_times",
            "actions",
            "risks",
            "commentary",
            "milestones",
        )
    }
    tables["ward_demand"] = empty_frame("ward_demand")
    write_snapshot(tables, out_root=tmp_path, as_at="2025-10-31", area=snap.manifest["area"], demo=True)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    at = app().run()
    at.switch_page("pages/ward_demand.py").run()
    assert not at.exception
    assert "No ward data in this snapshot" in at.info[0].value


@pytest.mark.parametrize("page_file", registered_pages())
def test_board_mode_every_page_protects_its_counts(page_file):
    """Every page in board mode: any table column of counts shows only 0, c or a multiple of 5 from 10."""
    at = app(mode="board").run()
    at.switch_page(page_file).run()
    assert not at.exception
    at = tables_chosen(at)
    assert not at.exception
    for df in at.dataframe:
        frame = df.value
        for column in [c for c in frame.columns if c == "Count"]:
            for v in frame[column]:
                assert_protected(str(v), f"{page_file} {column}")
    for table in at.table:
        frame = table.value
        for column in [c for c in frame.columns if c == "Count"]:
            for v in frame[column]:
                assert_protected(str(v), f"{page_file} {column}")


def test_a_click_on_the_map_gives_its_ward_code_and_nothing_else_does():
    codes = ["E05014160", "E05014161"]
    pick = ui.components.picked_ward
    assert pick({"selection": {"ward_2": [{"ward_code": "E05014161"}]}}, codes, selection="ward_2") == "E05014161"
    old_map = {"selection": {"ward_1": [{"ward_code": "E05014161"}]}}  # a click on the map before the last one
    assert pick(old_map, codes, selection="ward_2") is None
    assert pick({"selection": {"ward_2": [{"ward_code": "E0599"}]}}, codes, selection="ward_2") is None  # not a ward
    assert pick({"selection": {"ward_2": {}}}, codes, selection="ward_2") is None  # nothing clicked yet
    assert pick(None, codes, selection="ward_2") is None
