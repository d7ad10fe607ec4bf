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
    assert got("ehcp_review_4wk_pct") == (49.8, 1055, 1055 + 1064, "")  # as published; 1,055 of 2,119 is 49.79
    assert got("ehcp_review_meeting_pct", "E92000001")[0] == pytest.approx(100 * 330000 / 560000)
    assert v.filter(pl.col("kpi_id") == "ehcp_review_meeting_pct").height == 2  # the Female row is not read
    # requests: share the council agreed to assess, decisions within 6 weeks; England's are x, never 0
    assert got("ehcp_requests_assessed_pct")[:3] == (63.9, 358, 560)  # as published; 358 of 560 is 63.93
    assert got("ehcp_request_6wk_pct")[:3] == (94.9, 535, 535 + 29)  # 535 of 564 is 94.86: they agree, no note
    assert got("ehcp_requests_assessed_pct", "E92000001") == (None, None, 154489, "x")  # the count is kept
    assert got("ehcp_requests_assessed_pct", end=date(2023, 12, 31))[0] == 61.9  # 418 of 675
    # assessments: led to a plan; decisions not to issue within 16 weeks (x in 2022)
    assert got("ehcp_assess_issued_pct")[0] == 97.2  # 347 of 357
    assert got("ehcp_assess_issued_pct", end=date(2022, 12, 31))[0] == 99.1  # 442 of 446
    assert got("ehcp_assess_not_issue_16wk_pct")[:3] == (80.0, 8, 10)
    assert got("ehcp_assess_not_issue_16wk_pct", end=date(2022, 12, 31))[::3] == (None, "x")
    # ceased plans by reason, 2024: 217 in all
    assert got("ehcp_ceased")[0] == 217
    assert got("ehcp_ceased_needs_met_pct")[0] == pytest.approx(100 * 48 / 217)
    assert got("ehcp_ceased_education_employment_pct")[:2] == (pytest.approx(100 * 48 / 217), 13 + 35)
    assert got("ehcp_ceased_moved_pct")[:2] == (pytest.approx(100 * 68 / 217), 66 + 2)
    # personal budgets at the January census (202223 → January 2023); primary need of all plans, January 2025
    assert got("ehcp_personal_budgets", end=date(2023, 1, 31))[0] == 237
    assert got("ehcp_need_asd_pct", end=jan25)[:3] == (23.3, 654, 2804)  # 654 of 2,804 is 23.32
    assert got("ehcp_need_slcn_pct", end=jan25)[0] == 29.0  # 812 of 2,804 is 28.96
    assert got("ehcp_need_semh_pct", end=jan25)[0] == 24.5  # 686 of 2,804 is 24.47
    assert {"annual_reviews.csv", "SEND Tribunals and appeal rate 2014-2024.csv"} <= set(r2025.files)


def test_tribunal_appeal_rate_from_the_untidy_supporting_file(r2025):
    v = r2025.values

    def got(area, year):
        r = row(v, "ehcp_tribunal_appeal_rate_pct", area, date(year, 12, 31))
        return r["value"], r["numerator"], r["denominator"], r["status"]

    assert got("E08000002", 2024) == (2.1, 65, 3046, "")  # the table's own 2.10%; 65 of 3,046 is 2.13%
    assert got("E08000002", 2022)[1:3] == (16, 2393)  # "2,393" with its comma; published 0.70%
    assert got("E08000007", 2022) == (0.0, 0, 1000, "")  # " - " is nil
    assert got("E08000007", 2023) == (None, None, None, "x")  # " .. " is not available
    assert got("E92000001", 2024)[0] == pytest.approx(2.5)  # the "England Total4,9" row
    # the region, which the table does not give: its authorities' counts summed (Bury, Stockport and the
    # fixture's Hartlepool): (65 + 10 + 22) / (3,046 + 2,000 + 1,035) = 97 / 6,081 = 1.60%
    assert got("E12000002", 2024)[:3] == (pytest.approx(100 * 97 / 6081), 97, 6081)
    # 2023: Stockport has no figures (".."), so it is left out of both, and the note says so:
    # (37 + 22) / (2,959 + 934) = 59 / 3,893 = 1.52%
    assert got("E12000002", 2023) == (pytest.approx(100 * 59 / 3893), 59, 3893, "")
    note = row(v, "ehcp_tribunal_appeal_rate_pct", "E12000002", date(2023, 12, 31))["note"]
    assert note == (
        "The sum of 2 of its 3 authorities' counts, leaving out 1 whose figures are not available (Stockport); the "
        "table gives no region figure."
    )
    # code 999 is in no other file of the release: not guessed at
    assert v.filter(pl.col("kpi_id") == "ehcp_tribunal_appeal_rate_pct").height == 3 * 5


def test_a_bad_cell_in_the_tribunal_file_is_reported_with_its_row_and_column(tmp_path):
    from ingest.ees_tribunal import read_tribunal

    text = (FIX / "ees_2025" / "supporting-files" / "SEND Tribunals and appeal rate 2014-2024.csv").read_bytes()
    bad = text.replace(b"Bury,351,16,", b"Bury,351,sixteen,")
    rows, problems = read_tribunal("t.csv", bad, {"351": "E08000002"}, {})
    assert rows.height == 0
    assert problems == [
        "t.csv, row 7, column '3 (2022)': value 'sixteen' — expected a number of appeals or decisions, a rate, or "
        "one of the markers -, .., ~, x"
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


@pytest.fixture(scope="module")
def published():
    """tests/fixtures/ees_published: made-up figures in the 2025 release's exact layout, where the publisher's own
    percentages and its counts part company, as they do in the real files."""
    got = read_ehcp(FIX / "ees_published")
    assert got.problems == []
    return got.values


def test_the_publishers_percentage_is_the_value_and_a_disagreement_is_noted(published):
    r = row(published, "ehcp_request_6wk_pct", "E09000019", date(2024, 12, 31))
    # Islington: published 96.6%; its counts, 572 within 6 weeks and 9 after, give 572 / 581 = 98.45%, shown 98.5%
    assert (r["value"], r["numerator"], r["denominator"], r["status"]) == (96.6, 572, 581, "")
    assert r["note"] == "The published 96.6% differs from its counts: 572 of 581 is 98.5%."
    london = row(published, "ehcp_request_6wk_pct", "E12000007", date(2024, 12, 31))
    # the region's own row: published 83.4%; 19,306 / (19,306 + 3,784) = 19,306 / 23,090 = 83.61%
    assert (london["value"], london["numerator"], london["denominator"]) == (83.4, 19306, 23090)
    assert london["note"] == "The published 83.4% differs from its counts: 19,306 of 23,090 is 83.6%."
    camden = row(published, "ehcp_request_6wk_pct", "E09000007", date(2024, 12, 31))
    assert (camden["value"], camden["note"]) == (75.0, "")  # 300 of 400 is exactly the published 75.0%
    # 20-week timeliness is the published column too: the Isles of Scilly's one plan, on time
    scilly = row(published, "ehcp_20wk_pct", "E06000053", date(2024, 12, 31))
    assert (scilly["value"], scilly["numerator"], scilly["denominator"]) == (100.0, 1, 1)


def test_a_suppressed_authority_is_left_out_of_its_regions_worked_out_share(published):
    jan24 = date(2024, 1, 31)
    # mainstream: the publisher's own London and England percentages, which leave Hackney out of both parts and
    # total (250 of the 500 plans of Camden and Islington = 50.0%); London's counts alone give 250 / 600 = 41.7%
    london = row(published, "ehcp_placement_mainstream_pct", "E12000007", jan24)
    assert (london["value"], london["numerator"], london["denominator"]) == (50.0, 250, 600)
    assert london["note"] == "The published 50.0% differs from its counts: 250 of 600 is 41.7%."
    assert row(published, "ehcp_placement_mainstream_pct", "E92000001", jan24)["value"] == 47.4
    hackney = row(published, "ehcp_placement_mainstream_pct", "E09000012", jan24)
    assert (hackney["value"], hackney["status"], hackney["denominator"]) == (None, "x", 100)
    # independent and non-maintained special schools: the release publishes no percentage, so it is worked out,
    # and Hackney's 100 plans come off London's 600 and England's 2,000 as its placements are "x":
    # London (30 + 6) / (600 − 100) = 36 / 500 = 7.2% (not 36 / 600 = 6.0%);
    # England (80 + 20) / (2,000 − 100) = 100 / 1,900 = 5.26% (not 100 / 2,000 = 5.0%)
    indep = row(published, "ehcp_placement_independent_pct", "E12000007", jan24)
    assert (indep["value"], indep["numerator"], indep["denominator"]) == (pytest.approx(7.2), 36, 500)
    assert indep["note"] == (
        "Worked out from the published counts leaving out 1 authority whose figures are not available (Hackney), "
        "from the total as well as the parts."
    )
    england = row(published, "ehcp_placement_independent_pct", "E92000001", jan24)
    assert (england["value"], england["denominator"]) == (pytest.approx(100 * 100 / 1900), 1900)
    south_west = row(published, "ehcp_placement_independent_pct", "E12000009", jan24)
    assert (south_west["value"], south_west["note"]) == (pytest.approx(100 * 64 / 1400), "")  # nobody left out


def test_tribunal_blank_appeals_are_the_published_nil_and_regions_leave_out_the_missing(published):
    def got(area, year):
        r = row(published, "ehcp_tribunal_appeal_rate_pct", area, date(year, 12, 31))
        return r["value"], r["numerator"], r["denominator"], r["status"]

    # the Isles of Scilly, 2023: a blank appeals cell beside 20 appealable decisions, published as 0.00%
    assert got("E06000053", 2023) == (0.0, 0, 20, "")
    assert got("E06000053", 2022) == (0.0, 0, 16, "")  # " - " is nil too
    # London, 2023: Hackney is ".." (not available), so it is left out of appeals and decisions alike:
    # (12 + 11) / (1,100 + 1,000) = 23 / 2,100 = 1.095%
    assert got("E12000007", 2023) == (pytest.approx(100 * 23 / 2100), 23, 2100, "")
    assert got("E09000012", 2023) == (None, None, None, "x")
    # London, 2024: all three: (18 + 30 + 12) / (1,200 + 2,000 + 1,000) = 60 / 4,200 = 1.43%
    assert got("E12000007", 2024)[:3] == (pytest.approx(100 * 60 / 4200), 60, 4200)
    # the authorities' own rates are the table's: Cornwall 52 / 4,000 = 1.30% as published
    assert got("E06000052", 2023)[0] == 1.3


def test_2023_release_snake_case_aggregate_file_checked_against_its_own_percentages():
    got = read_ehcp(FIX / "ees_2023" / "sen2_mi.csv")
    assert got.problems == [] and got.release == 2022
    v = got.values
    # Bury 2022: 219 of 429 plans in 20 weeks, the file's own rate " 51.049" (which 219 / 429 = 51.05% agrees with)
    t20 = row(v, "ehcp_20wk_pct", "E08000002", date(2022, 12, 31))
    assert (t20["value"], t20["numerator"], t20["denominator"], t20["note"]) == (51.049, 219, 429, "")
    # Bolton's published 45.0% is not what its counts say (100 of 200 is 50.0%): shown as published, noted
    bolton = row(v, "ehcp_20wk_pct", "E08000001", date(2022, 12, 31))
    assert bolton["value"] == 45.0
    assert bolton["note"] == "The published 45.0% differs from its counts: 100 of 200 is 50.0%."
    # its excluding-exceptions count is "x": a null with its symbol, never 0
    excl = row(v, "ehcp_20wk_excl_pct", "E08000001", date(2022, 12, 31))
    assert (excl["value"], excl["status"]) == (None, "x")
    # plans ceased in 2022 by reason, adding up as the 2025 release's do: 192 ceased; needs met 0 + 5 = 5 (2.6%);
    # higher education or employment 13 + 44 = 57 (29.7%); moved to another authority or abroad 31 + 16 + 2 = 49
    # (25.5%)
    assert row(v, "ehcp_ceased", "E08000002", date(2022, 12, 31))["value"] == 192
    for kpi_id, n in (
        ("ehcp_ceased_needs_met_pct", 5),
        ("ehcp_ceased_education_employment_pct", 57),
        ("ehcp_ceased_moved_pct", 49),
    ):
        r = row(v, kpi_id, "E08000002", date(2022, 12, 31))
        assert (r["numerator"], r["denominator"], round(r["value"], 1)) == (n, 192, round(100 * n / 192, 1))
    # ceased plans were not collected before 2022 ("z"): no row, rather than an empty one
    assert v.filter((pl.col("kpi_id") == "ehcp_ceased") & (pl.col("period_end") < date(2022, 1, 1))).height == 0
    # mediation: 14 cases in 2021, 1 followed by an appeal, the file's own 7.14286%; assessments that led to a plan
    # in 2022: 442 of 446, its own " 99.10"
    assert row(v, "ehcp_mediations", "E08000002", date(2021, 12, 31))["value"] == 14
    med = row(v, "ehcp_mediation_tribunal_pct", "E08000002", date(2021, 12, 31))
    assert (med["value"], med["numerator"], med["denominator"]) == (7.14286, 1, 14)
    issued = row(v, "ehcp_assess_issued_pct", "E08000002", date(2022, 12, 31))
    assert (issued["value"], issued["numerator"], issued["denominator"]) == (99.1, 442, 446)


def test_the_2022_caseload_goes_back_to_2010_and_the_newest_release_wins_counting_what_it_replaced(r2025):
    old = read_ehcp(FIX / "ees_2022")  # sen2_mi.csv (CamelCase) and sen2_age_caseload.csv
    assert old.problems == [] and set(old.files) == {"sen2_mi.csv", "sen2_age_caseload.csv"}
    v = old.values
    # the January census, all ages: Bury 1,065 in January 2010, all statements of SEN; 1,378 in January 2017, 771
    # of them statements; 2,087 EHC plans in January 2022
    first = row(v, "ehcp_caseload", "E08000002", date(2010, 1, 31))
    assert (first["period_label"], first["value"], first["note"]) == (
        "January 2010",
        1065,
        "Includes 1,065 statements of SEN.",
    )
    assert row(v, "ehcp_caseload", "E08000002", date(2017, 1, 31))["note"] == "Includes 771 statements of SEN."
    assert row(v, "ehcp_caseload", "E08000002", date(2022, 1, 31))["value"] == 2087
    assert row(v, "ehcp_caseload", "E92000001", date(2010, 1, 31))["value"] == 228221
    middle = read_ehcp(FIX / "ees_2023" / "sen2_mi.csv")
    rows, notes = combine([old, middle, r2025])
    # newest first by the latest period each holds: the 2025 fixture (to 2025), the 2022 fixture (whose sen2_mi has
    # a made-up 2023 row, to test this), the 2023 fixture (to 2022). Each says how many of its rows were replaced
    # and by which: the 2025 fixture's 2023 row replaces the 2022 fixture's 2023 Bury figures, its 2022 figures
    # replace 5 of the 2023 fixture's, and the 2022 fixture's 2021 rows 8 more of the 2023 fixture's
    assert notes == [
        "3 rows of the release to 2023 (ees_2022) were superseded by a newer release, to 2025 (ees_2025).",
        "5 rows of the release to 2022 (sen2_mi.csv) were superseded by a newer release, to 2025 (ees_2025).",
        "8 rows of the release to 2022 (sen2_mi.csv) were superseded by a newer release, to 2023 (ees_2022).",
    ]
    assert row(rows, "ehcp_20wk_pct", "E08000001", date(2022, 12, 31))["value"] == 45.0  # only in the 2023 file
    # the caseload runs from January 2010 to the 2025 release's years
    caseload = rows.filter((pl.col("kpi_id") == "ehcp_caseload") & (pl.col("area_code") == "E08000002"))
    assert caseload["period_end"].min() == date(2010, 1, 31)
