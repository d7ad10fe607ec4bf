"""DfE EHCP (SEN2) reader on small fixtures written in the real formats (tests/fixtures/ees_2025, ees_2022):
BOM and CRLF, mixed-case names, x/z markers, the duplicated column, "All …" rows by prefix, old_la_code before
new_la_code, empty quoted fields; zip or folder; the newer release wins."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ingest.ees import combine, read_ehcp

FIX = Path(__file__).parent / "fixtures"


def row(frame, kpi_id, area, end):
    hit = frame.filter((pl.col("kpi_id") == kpi_id) & (pl.col("area_code") == area) & (pl.col("period_end") == end))
    assert hit.height == 1, (kpi_id, area, end, hit)
    return hit.row(0, named=True)


@pytest.fixture(scope="module")
def r2025():
    return read_ehcp(FIX / "ees_2025")


def test_2025_release_rows(r2025):
    assert r2025.problems == []
    v = r2025.values
    bury = row(v, "ehcp_20wk_pct", "E08000002", date(2024, 12, 31))
    assert (bury["value"], bury["numerator"], bury["denominator"], bury["status"]) == (99.0, 293.0, 296.0, "")
    assert bury["period_label"] == "2024"
    # the Sex breakdown row is not an "All" row and is not read
    assert v.filter((pl.col("kpi_id") == "ehcp_20wk_pct") & (pl.col("area_code") == "E08000002")).height == 2
    england = row(v, "ehcp_20wk_pct", "E92000001", date(2024, 12, 31))  # National: empty region/LA fields
    assert england["value"] == 45.9
    assert row(v, "ehcp_20wk_pct", "E12000002", date(2024, 12, 31))["value"] == 49.6
    stockport = row(v, "ehcp_20wk_excl_pct", "E08000007", date(2024, 12, 31))  # PC_ column, x marker
    assert stockport["value"] is None and stockport["status"] == "x"
    assert row(v, "ehcp_requests", "E08000002", date(2024, 12, 31))["value"] == 560  # not the Aged 10 row
    assert row(v, "ehcp_new_plans", "E08000002", date(2024, 12, 31))["value"] == 361  # topic "New EHC plans"
    case = row(v, "ehcp_caseload", "E08000002", date(2025, 1, 31))  # academic year 202425 → January 2025
    assert case["value"] == 2804 and case["period_label"] == "January 2025"
    mainstream = row(v, "ehcp_placement_mainstream_pct", "E08000002", date(2025, 1, 31))
    assert mainstream["value"] == pytest.approx(100 * 1323 / 2804)  # 47.18%
    indep = row(v, "ehcp_placement_independent_pct", "E08000002", date(2025, 1, 31))
    assert indep["numerator"] == 172 + 26
    marked = row(v, "ehcp_placement_independent_pct", "E08000002", date(2024, 1, 31))
    assert marked["value"] is None and marked["status"] == "x"  # a part was x: the share is x, never 0
    assert r2025.names["E08000002"] == "Bury" and r2025.names["E92000001"] == "England"
    assert r2025.regions["E08000002"] == ("E12000002", "North West")  # each LA's region, as the files give it


def test_every_2025_table_the_board_needs(r2025):
    """Hand-checked against the fixture rows (Bury's are the published ones; DATA_FORMATS.md §1)."""
    v = r2025.values
    y24, jan25 = date(2024, 12, 31), date(2025, 1, 31)

    def got(kpi_id, area="E08000002", end=y24):
        r = row(v, kpi_id, area, end)
        return r["value"], r["numerator"], r["denominator"], r["status"]

    # annual reviews: meetings held in 2024 (review_meeting_24) of those expected; decisions within 4 weeks
    assert got("ehcp_review_meeting_pct") == (pytest.approx(100 * 1304 / 2422), 1304, 2422, "")  # 53.8%
    assert got("ehcp_review_4wk_pct") == (pytest.approx(49.7876, abs=1e-4), 1055, 1055 + 1064, "")  # published 49.8
    assert got("ehcp_review_meeting_pct", "E92000001")[0] == pytest.approx(100 * 330000 / 560000)
    assert v.filter(pl.col("kpi_id") == "ehcp_review_meeting_pct").height == 2  # the Female row is not read
    # requests: share the council agreed to assess, decisions within 6 weeks; England's are x, never 0
    assert got("ehcp_requests_assessed_pct")[:3] == (pytest.approx(63.9286, abs=1e-4), 358, 560)  # published 63.9
    assert got("ehcp_request_6wk_pct")[0] == pytest.approx(100 * 535 / 564)  # 94.9
    assert got("ehcp_requests_assessed_pct", "E92000001") == (None, None, 154489, "x")  # the count is kept
    assert got("ehcp_requests_assessed_pct", end=date(2023, 12, 31))[0] == pytest.approx(100 * 418 / 675)  # 61.9
    # assessments: led to a plan; decisions not to issue within 16 weeks (x in 2022)
    assert got("ehcp_assess_issued_pct")[0] == pytest.approx(100 * 347 / 357)  # 97.2
    assert got("ehcp_assess_issued_pct", end=date(2022, 12, 31))[0] == pytest.approx(100 * 442 / 446)  # 99.1
    assert got("ehcp_assess_not_issue_16wk_pct")[:3] == (80.0, 8, 10)
    assert got("ehcp_assess_not_issue_16wk_pct", end=date(2022, 12, 31))[::3] == (None, "x")
    # ceased plans by reason, 2024: 217 in all
    assert got("ehcp_ceased")[0] == 217
    assert got("ehcp_ceased_needs_met_pct")[0] == pytest.approx(100 * 48 / 217)
    assert got("ehcp_ceased_education_employment_pct")[:2] == (pytest.approx(100 * 48 / 217), 13 + 35)
    assert got("ehcp_ceased_moved_pct")[:2] == (pytest.approx(100 * 68 / 217), 66 + 2)
    # personal budgets at the January census (202223 → January 2023); primary need of all plans, January 2025
    assert got("ehcp_personal_budgets", end=date(2023, 1, 31))[0] == 237
    assert got("ehcp_need_asd_pct", end=jan25)[:3] == (pytest.approx(100 * 654 / 2804), 654, 2804)  # 23.3
    assert got("ehcp_need_slcn_pct", end=jan25)[0] == pytest.approx(100 * 812 / 2804)  # 29.0
    assert got("ehcp_need_semh_pct", end=jan25)[0] == pytest.approx(100 * 686 / 2804)  # 24.5
    assert {"annual_reviews.csv", "SEND Tribunals and appeal rate 2014-2024.csv"} <= set(r2025.files)


def test_tribunal_appeal_rate_from_the_untidy_supporting_file(r2025):
    v = r2025.values

    def got(area, year):
        r = row(v, "ehcp_tribunal_appeal_rate_pct", area, date(year, 12, 31))
        return r["value"], r["numerator"], r["denominator"], r["status"]

    assert got("E08000002", 2024) == (pytest.approx(100 * 65 / 3046), 65, 3046, "")  # published as 2.10%
    assert got("E08000002", 2022)[0] == pytest.approx(100 * 16 / 2393)  # "2,393" with its comma
    assert got("E08000007", 2022) == (0.0, 0, 1000, "")  # " - " is nil
    assert got("E08000007", 2023) == (None, None, None, "x")  # " .. " is not available
    assert got("E92000001", 2024)[0] == pytest.approx(2.5)  # the "England Total4,9" row
    # the region: its authorities summed (Bury, Stockport and the fixture's Hartlepool), x when one is missing
    assert got("E12000002", 2024)[:3] == (pytest.approx(100 * 97 / 6081), 97, 6081)
    assert got("E12000002", 2023) == (None, None, None, "x")
    # code 999 is in no other file of the release: not guessed at
    assert v.filter(pl.col("kpi_id") == "ehcp_tribunal_appeal_rate_pct").height == 3 * 5


def test_a_bad_cell_in_the_tribunal_file_is_reported_with_its_row_and_column(tmp_path):
    from ingest.ees import read_tribunal

    text = (FIX / "ees_2025" / "supporting-files" / "SEND Tribunals and appeal rate 2014-2024.csv").read_bytes()
    bad = text.replace(b"Bury,351,16,", b"Bury,351,sixteen,")
    rows, problems = read_tribunal("t.csv", bad, {"351": "E08000002"}, {})
    assert rows.height == 0
    assert problems == [
        "t.csv, row 7, column 3 (2022): value 'sixteen' — expected a number of appeals or decisions, or one of "
        "the markers -, .., ~, x"
    ]
    assert "no header row" in read_tribunal("t.csv", b"title\nnot,tidy\n", {"351": "E08000002"}, {})[1][0]
    alone = read_ehcp(FIX / "ees_2025" / "supporting-files" / "SEND Tribunals and appeal rate 2014-2024.csv")
    assert "give the whole release" in alone.problems[0]  # its three-digit codes need the release's other files


def test_2022_release_and_newer_wins(r2025):
    old = read_ehcp(FIX / "ees_2022" / "sen2_mi.csv")
    assert old.problems == []
    v = old.values
    assert row(v, "ehcp_20wk_pct", "E08000002", date(2021, 12, 31))["value"] == 34.2  # 34.200000000000
    assert row(v, "ehcp_requests", "E08000002", date(2021, 12, 31))["value"] == 477
    assert row(v, "ehcp_20wk_pct", "E92000001", date(2021, 12, 31))["value"] == 57.9
    z = row(v, "ehcp_requests", "E08000002", date(2014, 12, 31))
    assert z["value"] is None and z["status"] == "z"
    rows, notes = combine([old, r2025])
    # both releases have Bury 2023: the 2025 release's 74.1 wins over the older file's 0.1
    assert row(rows, "ehcp_20wk_pct", "E08000002", date(2023, 12, 31))["value"] == 74.1
    assert row(rows, "ehcp_20wk_pct", "E08000002", date(2021, 12, 31))["value"] == 34.2  # only in the older
    assert notes and "superseded" in notes[0]


def test_zip_reads_like_the_folder(tmp_path, r2025):
    archive = tmp_path / "education-health-and-care-plans_2025.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in (FIX / "ees_2025").iterdir():
            if f.is_file():
                z.write(f, f"data/{f.name}")
        for f in (FIX / "ees_2025" / "supporting-files").iterdir():
            z.write(f, f"supporting-files/{f.name}")
        z.writestr("supporting-files/sen2_dmo_dco.csv", "not,read\n")  # supporting files other than the tribunal
    got = read_ehcp(archive)
    assert got.problems == []
    assert got.values.sort(["kpi_id", "area_code", "period_end"]).equals(
        r2025.values.sort(["kpi_id", "area_code", "period_end"])
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), (b"not a zip", "not a readable zip file"), (b"a,b\n1,2\n", "not an EES file")],
)
def test_bad_sources(tmp_path, content, message):
    path = tmp_path / ("x.zip" if content == b"not a zip" else "x.csv")
    if content is not None:
        path.write_bytes(content)
    got = read_ehcp(path)
    assert got.values.height == 0 and any(message in p for p in got.problems)
