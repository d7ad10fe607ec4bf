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
    assert "annual_reviews.csv" not in r2025.files  # other files are read without error but not used


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
            z.write(f, f"data/{f.name}")
        z.writestr("supporting-files/SEND Tribunals and appeal rate 2014-2024.csv", "title row\nnot,tidy\n")
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
