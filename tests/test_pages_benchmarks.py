"""Benchmarks on the default run: the demonstration snapshot carries the committed extract of published DfE
headline figures (data/reference), so Bury is ranked among every English local authority, with its quartile."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import metrics.benchmarks as bm
from ingest.__main__ import main as ingest_main
from ingest.catalogue import DFE
from ingest.reference import ABOUT, MEASURES, read_extract
from metrics import kpi
from metrics.benchmarks import is_la
from metrics.snapshot import open_snapshot, scan_table
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
    # Bury 2024: 99.0% (293 of 296). Of the 153 authorities with a figure, three rest on fewer than 10 plans and
    # are not ranked (the Isles of Scilly's 1 of 1, the City of London's 4 of 5, the Isle of Wight's 2 of 7);
    # of the other 150, three show 100.0% (Windsor and Maidenhead, Barnet, Wandsworth) and two more show 99.0% as
    # Bury does (Kensington and Chelsea, Lincolnshire): =4th of 150; the top quarter
    cols = ["Period", "Area", "Counts", "England", "North West", "Rank in England", "Quartile (A = best)", "Note"]
    assert row[cols].tolist() == ["2024", "99.0%", "293 of 296", "45.9%", "49.6%", "=4th of 150", "A", ""]
    review = table[table["Indicator"] == "EHC plans with an annual review meeting in the year (DfE)"].iloc[0]
    assert review["Area"] == f"{100 * 1304 / 2422:.1f}%"  # 1,304 meetings in 2024 of 2,422 expected
    caption = unescape(" ".join(c.value for c in at.caption))
    assert "This snapshot holds 153 local authorities" in caption
    banner = unescape(at.warning[0].value)
    assert "EHC plan statistics for every local authority are the published figures" in banner


FIX = Path(__file__).parent / "fixtures" / "ees_published"
ISLINGTON, SCILLY = "E09000019", "E06000053"
SYSTEM = ["E09000007", "E09000012", "E09000019"]  # Camden, Hackney, Islington


def _build(root: Path, la_code: str, la_name: str, system: list[str] | None) -> Path:
    """An area built from the fixture release alone (2025 layout, made-up figures), as `python -m ingest build`."""
    block = f'[system]\nname = "North Central"\nlocalities = {system!r}\n'.replace("'", '"') if system else ""
    (root / "ingest.toml").write_text(
        f'[area]\nla_code = "{la_code}"\nla_name = "{la_name}"\n{block}[sources]\nehcp = ["{FIX}"]\n'
    )
    out = root / "snapshots"
    args = ["build", "--config", str(root / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out)]
    assert ingest_main(args) == 0
    return out


@pytest.fixture(scope="module")
def islington(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("islington"), ISLINGTON, "Islington", SYSTEM)


@pytest.fixture(scope="module")
def scilly(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("scilly"), SCILLY, "Isles of Scilly", None)


def _benchmarks(root: Path, monkeypatch):
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    monkeypatch.setattr(bm, "NATIONAL_MIN", 3)  # the fixture's five authorities stand in for the 153
    at = app().run()
    at.switch_page("pages/benchmarks.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    return at, {r["Indicator"]: r for r in table.to_dict("records")}


def test_an_area_built_from_the_release_shows_published_figures_and_aggregates_by_hand(islington, monkeypatch):
    at, rows = _benchmarks(islington, monkeypatch)
    six = rows[DFE["ehcp_request_6wk_pct"].title]
    # decisions within 6 weeks, 2024: Islington's published 96.6% (not the 98.5% its counts give), London's own
    # 83.4% (not 83.6%), England 90.0%. The system is pooled from counts: (300 + 200 + 572) / (400 + 250 + 581)
    # = 1,072 / 1,231 = 87.1%. Ranked on the shown figures: Islington 96.6, Cornwall 90.0, Hackney 80.0, Camden
    # 75.0 (the Isles of Scilly's 2 of 3 is not ranked): 1st of 4; in the system 1st of 3; quartile A (type 7 Q3 =
    # 90.0 + 0.25 × 6.6 = 91.65)
    assert {k: six[k] for k in ("Area", "Counts", "England", "London", "North Central")} == {
        "Area": "96.6%",
        "Counts": "572 of 581",
        "England": "90.0%",
        "London": "83.4%",
        "North Central": "87.1%",
    }
    assert (six["Rank in North Central"], six["Rank in England"], six["Quartile (A = best)"]) == (
        "1st of 3",
        "1st of 4",
        "A",
    )
    assert six["Note"] == "The published 96.6% differs from its counts: 572 of 581 is 98.5%."
    # January 2024 placements; Hackney returned its 100 plans' total only. Mainstream: London's and England's own
    # 50.0% and 47.4% (London's counts, 250 of 600, would say 41.7%); the system (100 + 150) / (200 + 300) = 50.0%
    # from 2 of its 3 authorities
    main = rows[DFE["ehcp_placement_mainstream_pct"].title]
    assert (main["Area"], main["Counts"], main["England"], main["London"]) == ("50.0%", "150 of 300", "47.4%", "50.0%")
    assert main["North Central"] == "50.0% (2 of 3 authorities)"
    # independent special schools, which the release gives no percentage for: London (30 + 6) / (600 − 100) =
    # 7.2%, England (80 + 20) / (2,000 − 100) = 5.3% (from counts alone: 6.0% and 5.0%); the system
    # (12 + 24) / (200 + 300) = 7.2%
    indep = rows[DFE["ehcp_placement_independent_pct"].title]
    assert (indep["Area"], indep["England"], indep["London"]) == ("8.0%", "5.3%", "7.2%")
    assert indep["North Central"] == "7.2% (2 of 3 authorities)"
    # counts are summed for the system, never "x": 200 + 100 + 300 = 600 plans
    caseload = rows[DFE["ehcp_caseload"].title]
    assert (caseload["Area"], caseload["North Central"], caseload["Rank in England"]) == (
        "300",
        "600",
        "Not ranked (a count)",
    )
    # the tribunal rate, 2024: Islington's published 1.20%; London, which the table does not give, (18 + 30 + 12) /
    # (1,200 + 2,000 + 1,000) = 60 / 4,200 = 1.4%
    tribunal = rows[DFE["ehcp_tribunal_appeal_rate_pct"].title]
    assert (tribunal["Area"], tribunal["Counts"], tribunal["London"]) == ("1.2%", "12 of 1,000", "1.4%")
    caption = unescape(" ".join(c.value for c in at.caption))
    assert "leaving out of both any authority whose figure is suppressed or not available" in caption
    assert 'equal figures share a rank, shown with "="' in caption


def test_one_plan_of_one_is_shown_with_a_caution_and_no_rank_quartile_or_rag(scilly, monkeypatch):
    _, rows = _benchmarks(scilly, monkeypatch)
    t20 = rows[DFE["ehcp_20wk_pct"].title]
    assert (t20["Area"], t20["Counts"]) == ("100.0%", "1 of 1")
    assert (t20["Rank in England"], t20["Quartile (A = best)"]) == (
        "Not ranked: fewer than 10 cases",
        "Not given: fewer than 10 cases",
    )
    assert t20["Note"] == "Small number: 1 of 1, fewer than 10 cases; shown without rank or quartile."
    snap = open_snapshot(scilly / "2025-11-03")
    summary = kpi.summary(
        scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), None, area_code=SCILLY
    ).collect()
    got = {r["kpi_id"]: r for r in summary.iter_rows(named=True)}
    # 100% against a 90% target would be Green; on one plan it is Grey
    assert got["ehcp_20wk_pct"]["rag"] == "Grey"
    # the tribunal series: 2023's blank appeals cell is the published 0.00%, so 2024's 0.00% (0 of 57) still has a
    # trend against it
    assert (got["ehcp_tribunal_appeal_rate_pct"]["previous_value"], got["ehcp_tribunal_appeal_rate_pct"]["trend"]) == (
        0.0,
        "► No change",
    )


def test_the_dfe_break_reaches_the_built_catalogue_and_an_older_snapshot_still_opens(islington):
    from metrics import series
    from metrics.schema import conform, validate_frame

    snap = open_snapshot(islington / "2025-11-03")
    cat = scan_table(snap, "kpi_catalogue").collect()
    breaks = dict(zip(cat["kpi_id"], cat["series_breaks"].to_list(), strict=True))
    # the 2023 person-level collection: calendar-year flows from 2022, the January census from January 2023
    assert breaks["ehcp_20wk_pct"] == [date(2022, 1, 1)] and breaks["ehcp_caseload"] == [date(2023, 1, 1)]
    kpi_row = cat.filter(pl.col("kpi_id") == "ehcp_20wk_pct").row(0, named=True)
    got = series.indicator_series(scan_table(snap, "kpi_values"), kpi_row, area_code=ISLINGTON, phase="all").collect()
    assert got.filter(pl.col("series_break"))["period_label"].to_list() == ["2022"]
    # a catalogue written before the column existed reads as having no declared break
    older = cat.drop("series_breaks")
    assert validate_frame("kpi_catalogue", older) == ["missing column(s): series_breaks"]
    assert validate_frame("kpi_catalogue", conform("kpi_catalogue", older)) == []
