"""On the default run (`make run`), Bury's LAIT measures as published: Level 2 and Level 3 at 19 by SEN status for
2023/24 (LAIT's "2024") on Benchmarks and on Theme 3's PIP4, 16–17-year-olds with SEN in education or training on
PIP5 beside the local monthly measure, SEN support on PIP1; its ten statistical neighbours named, each with its
figure, and Bury ranked among them and within its region. The figures come from the committed extract
(data/reference/lait_sen.*), made from LAIT's own files."""

from __future__ import annotations

import json

import polars as pl

from ingest.lait_reference import ABOUT, NEIGHBOURS_ABOUT, read_extract, read_neighbours
from metrics.areas import ordinal
from metrics.benchmarks import is_la
from tests.pages_helper import app, page_text, tables_chosen, unescape

BURY = "E08000002"
TEN = [
    "Lancashire",
    "Cornwall",
    "North Tyneside",
    "Kent",
    "Dudley",
    "Nottinghamshire",
    "Stockton-on-Tees",
    "Norfolk",
    "Medway",
    "Bexley",
]
LEVELS = {  # title: (Bury, England), 2023/24, as LAIT publishes them to two places and the page shows them to one
    "19 year olds qualified to Level 2 - with SEN Support": ("71.9%", "64.9%"),  # 71.89, 64.86
    "19 year olds qualified to Level 2 - with EHCP": ("34.0%", "29.8%"),  # 33.95, 29.81
    "19 year olds qualified to Level 3 - with SEN Support": ("39.6%", "35.1%"),  # 39.63, 35.08
    "19 year olds qualified to Level 3 - with EHCP": ("21.1%", "14.2%"),  # 21.1, 14.15
}


def test_the_extracts_are_lait_s_figures_with_their_source_and_licence():
    values, kpis, names, about = read_extract()
    assert about == json.loads(ABOUT.read_text()) and about["licence"] == "Open Government Licence v3.0"
    assert set(about["derived_from"]) == {"long", "dictionary", "neighbours"}
    assert all(len(f["sha256"]) == 64 for f in about["derived_from"].values())
    assert 2_000 < values.height < 6_000  # a few thousand rows: not the published file
    age19 = values.filter((pl.col("kpi_id") == "lait_age19_sen_s") & (pl.col("period_label") == "2023/24"))
    assert age19.filter(is_la(pl.col("area_code"))).height >= 150  # every authority, for ranks
    assert {k.kpi_id: k.polarity for k in kpis}["lait_age19_sen_s"] == "higher_is_better"
    nearest, nb_about = read_neighbours()
    assert nb_about == json.loads(NEIGHBOURS_ABOUT.read_text())
    assert nb_about["name"] == "DfE children's services statistical neighbours, May 2025"
    assert [names.get(c, c) for c, _ in nearest[BURY]] == TEN
    assert all(len(v) == 10 for v in nearest.values()) and len(nearest) >= 150


def _benchmarks():
    at = app().run()
    at.switch_page("pages/benchmarks.py").run()
    assert not at.exception
    return at


def test_make_run_shows_level_2_and_3_at_19_by_sen_status_as_published_and_the_ten_neighbours():
    at = _benchmarks()
    rows = {r["Indicator"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert {t: (rows[t]["Area"], rows[t]["England"], rows[t]["Period"]) for t in LEVELS} == {
        t: (*v, "2023/24") for t, v in LEVELS.items()
    }
    values, _, _names, _ = read_extract()
    nearest, _ = read_neighbours()
    codes = [c for c, _ in nearest[BURY]]
    # Level 2 with an EHC plan: Bury's 34.0% is ranked among itself and its ten neighbours, worked here from the
    # extract: the neighbours whose figure shows above 34.0 to one place, plus one
    year = values.filter((pl.col("kpi_id") == "lait_age19_sen_s") & (pl.col("period_label") == "2023/24"))
    shown = {c: round(v * 10) / 10 for c, v in year.drop_nulls("value").select("area_code", "value").iter_rows()}
    above = sum(1 for c in codes if c in shown and shown[c] > shown[BURY])
    tied = any(c in shown and shown[c] == shown[BURY] for c in codes)
    ranked = 1 + sum(1 for c in codes if c in shown)
    expected = ("=" if tied else "") + f"{ordinal(above + 1)} of {ranked}"
    assert rows["19 year olds qualified to Level 2 - with EHCP"]["Rank among neighbours"] == expected
    # each neighbour on the chosen indicator, nearest first, the set named with its date
    at.selectbox(key="bm_kpi").set_value("lait_age19_sen_s").run()
    neighbours = at.dataframe[1].value
    assert neighbours["Local authority"].tolist() == ["Bury", *TEN]
    assert neighbours["Statistical neighbour"].tolist()[:2] == ["The area itself", "Very close"]
    assert neighbours["2023/24"].tolist()[0] == "34.0%"
    caption = unescape(" ".join(c.value for c in at.caption))
    assert "DfE children's services statistical neighbours, May 2025" in caption
    assert "the 10 authorities most like Bury" in caption
    # the view within the region: ranked among the North West's authorities, the strip of them only
    at.radio(key="bm_view").set_value("Within the North West only").run()
    table = at.dataframe[0].value
    assert "Rank in the North West" in table.columns and "Rank in England" not in table.columns
    nw = values.filter(
        (pl.col("kpi_id") == "lait_age19_sen_s") & (pl.col("period_label") == "2023/24") & is_la(pl.col("area_code"))
    )
    from ingest.lacodes import la_codes

    region = {c for c, r in la_codes().regions.items() if r == "E12000002"}
    nw_shown = {
        c: round(v * 10) / 10 for c, v in nw.drop_nulls("value").select("area_code", "value").iter_rows() if c in region
    }
    better = sum(1 for v in nw_shown.values() if v > nw_shown[BURY])
    row = table[table["Indicator"] == "19 year olds qualified to Level 2 - with EHCP"].iloc[0]
    assert row["Rank in the North West"].endswith(f"of {len(nw_shown)}") and row["Rank in the North West"].startswith(
        ("=" if list(nw_shown.values()).count(nw_shown[BURY]) > 1 else "") + f"{better + 1}"
    )
    assert "Every local authority in the North West" in [h.value for h in at.header]


def test_theme_pages_show_lait_s_measures_where_the_plan_places_them():
    at = app().run()
    at.switch_page("pages/theme_3.py").run()
    at.radio(key="theme_ws").set_value("PIP4").run()
    assert not at.exception
    metrics = {unescape(m.label): m.value for m in at.metric}
    assert {t: metrics[t] for t in LEVELS} == {t: v[0] for t, v in LEVELS.items()}
    text = page_text(at)
    assert "Source: DfE Local Authority Interactive Tool (LAIT)" in text
    twins = tables_chosen(at)
    latest = {  # each table twin's latest row: the period, the area's figure and England's
        (d.value["Period"].iloc[-1], d.value["Value"].iloc[-1], d.value["England"].iloc[-1])
        for d in twins.dataframe
        if {"Period", "Value", "England"} <= set(d.value.columns)
    }
    assert {("2023/24", *v) for v in LEVELS.values()} <= latest
    # PIP5: LAIT's annual measure (at 31 March 2025) and the local monthly one, two indicators
    at.radio(key="theme_ws").set_value("PIP5").run()
    metrics = {unescape(m.label): m.value for m in at.metric}
    assert metrics["16-17 yr olds with SEN in education & training, as at 31 March"] == "77.6%"
    assert metrics["16–17-year-olds with SEND in education or training"] == "86%"
    # PIP1 on Theme 1: pupils at SEN support, January 2025
    at.switch_page("pages/theme_1.py").run()
    at.radio(key="theme_ws").set_value("PIP1").run()
    metrics = {unescape(m.label): m.value for m in at.metric}
    assert metrics["Total pupils with Special Educational Needs (SEN) Support"] == "13.0%"


def test_data_and_methods_gives_each_lait_measure_its_dates_year_type_and_link():
    at = app().run()
    at.switch_page("pages/data_methods.py").run()
    assert not at.exception
    from metrics.snapshot import open_snapshot, scan_table
    from tests.conftest import DEMO_ROOT

    cat = scan_table(open_snapshot(DEMO_ROOT / "2025-10-31"), "kpi_catalogue").collect()
    title = cat.filter(cat["kpi_id"] == "lait_age19_sen_s")["title"].item()
    table = next(d.value for d in at.dataframe if "Year type" in d.value.columns)  # the public view has no ids
    row = table[table["Indicator"] == title].iloc[0]
    # LAIT's dictionary: Last Update 45748 (1 April 2025), Next Update 46113 (1 April 2026), Academic Year
    assert (row["Last update"], row["Next update"], row["Year type"]) == (
        "1 April 2025",
        "1 April 2026",
        "Academic Year",
    )
    assert row["Link"].endswith("/level-2-and-3-attainment-by-young-people-aged-19")
    assert row["Source"] == "DfE Local Authority Interactive Tool (LAIT) (Children with SEN)"
