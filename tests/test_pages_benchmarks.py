"""Benchmarks on the default run: the demonstration snapshot carries the committed extract of published DfE
headline figures (data/reference), so Bury is ranked among every English local authority, with its quartile."""

from __future__ import annotations

import json

import polars as pl

from ingest.reference import ABOUT, MEASURES, read_extract
from metrics.benchmarks import is_la
from tests.pages_helper import app, unescape


def test_the_extract_is_the_published_figures_with_its_release_and_licence():
    values, names, about = read_extract()
    assert about == json.loads(ABOUT.read_text())
    assert about["licence"] == "Open Government Licence v3.0" and about["publisher"] == "Department for Education"
    assert "reporting year 2025" in about["release"]
    assert set(values["kpi_id"]) == set(MEASURES)
    las = values.filter(is_la(pl.col("area_code")) & (pl.col("kpi_id") == "ehcp_20wk_pct"))
    assert las.filter(pl.col("period_label") == "2024").height == 153  # every English LA with a 2024 figure
    bury = values.filter((pl.col("area_code") == "E08000002") & (pl.col("period_label") == "2024"))
    got = bury.filter(pl.col("kpi_id") == "ehcp_20wk_pct").select("value", "numerator", "denominator").row(0)
    assert got == (99.0, 293.0, 296.0)  # as published (DATA_FORMATS.md §1)
    caseload = values.filter((pl.col("kpi_id") == "ehcp_caseload") & (pl.col("area_code") == "E08000002"))
    assert dict(zip(caseload["period_label"], caseload["value"], strict=True)) == {
        "January 2024": 2686.0,
        "January 2025": 2804.0,
    }
    assert names["E08000002"] == "Bury" and names["E12000003"] == "Yorkshire and The Humber"


def test_make_run_shows_bury_ranked_in_england_with_its_quartile():
    at = app().run()
    at.switch_page("pages/benchmarks.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["Indicator"] == "New EHC plans issued within 20 weeks (DfE)"].iloc[0]
    # Bury 2024: 99.0%; four authorities higher and at least one level with it: =5th of the 153; the top quarter
    assert row[["Period", "Area", "England", "North West", "Rank in England", "Quartile (A = best)"]].tolist() == [
        "2024",
        "99.0%",
        "45.9%",
        "49.6%",
        "=5th of 153",
        "A",
    ]
    review = table[table["Indicator"] == "EHC plans with an annual review meeting in the year (DfE)"].iloc[0]
    assert review["Area"] == f"{100 * 1304 / 2422:.1f}%"  # 1,304 meetings in 2024 of 2,422 expected
    caption = unescape(" ".join(c.value for c in at.caption))
    assert "This snapshot holds 153 local authorities" in caption
    banner = unescape(at.warning[0].value)
    assert "EHC plan statistics for every local authority are the published figures" in banner
