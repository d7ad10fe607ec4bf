"""Waiting-time importers: the NHS England CHS workbook (both layouts, hand-built fixtures) and the GM locality
return template (good and bad files; every problem listed; nothing written on failure)."""

from __future__ import annotations

from datetime import date

import openpyxl
import polars as pl
import pytest

from ingest.__main__ import main as ingest_main
from ingest.demo_facts import GM_LOCALITIES
from ingest.waits import read_chs_workbook, read_locality_return, service_key
from metrics.snapshot import list_snapshots, open_snapshot, scan_table
from tests.chs_workbooks import HEADERS, ORGS, build, chs_sheets

GM = list(GM_LOCALITIES)


@pytest.mark.parametrize(
    ("layout", "month", "end"), [("old", "August 2024", date(2024, 8, 31)), ("new", "July 2025", date(2025, 7, 31))]
)
def test_chs_workbook_totals_and_bands(tmp_path, layout, month, end):
    frame, problems = read_chs_workbook(build(tmp_path / "chs.xlsx", month, layout))
    assert problems == []
    rows = {(r["area_code"], r["service"]): r for r in frame.iter_rows(named=True)}
    paeds = rows[("RM3", "community_paediatrics")]
    assert (
        paeds["period_end"],
        paeds["waiting_total"],
        paeds["waiting_under_18_weeks"],
        paeds["waiting_over_52_weeks"],
    ) == (end, 2181, 1182, 102)
    salt = rows[("RM3", "salt")]
    assert salt["waiting_total"] == 2118 and salt["waiting_under_18_weeks"] is None  # a blank band: unknown, not 0
    assert ("RM3", "ot") not in rows  # blank total: no submission, no row
    assert rows[("ENG", "ot")]["waiting_total"] == 9000  # the National row becomes ENG
    assert {s for _, s in rows} == {"community_paediatrics", "salt", "ot"}  # adult columns ignored
    assert set(frame["source"]) == {"chs_sitrep_provider"}


def test_chs_service_names():
    assert service_key("(CYP) Audiology") == "audiology"
    assert service_key("(CYP)  Therapy interventions: Speech and language") == "salt"
    assert service_key("(A) Audiology") is None


def test_chs_bad_workbook(tmp_path):
    path = tmp_path / "bad.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Table 4"
    ws["A1"] = "Something else entirely"
    wb.save(path)
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0 and any("expected a waiting-time band" in p for p in problems)
    (tmp_path / "text.xlsx").write_text("not a workbook")
    assert "not a readable XLSX" in read_chs_workbook(tmp_path / "text.xlsx")[1][0]


def test_chs_command_writes_a_snapshot_with_the_provider_mapping(tmp_path, demo_copy):
    root = tmp_path / "snaps"
    demo_copy("2025-10-31", root=root)
    path = build(tmp_path / "chs.xlsx", "July 2025", "new")
    code = ingest_main(
        ["chs", str(path), "--provider-for", "E08000002=RM3", "--out", str(root), "--as-at", "2025-11-20"]
    )
    assert code == 0
    snap = open_snapshot(root / "2025-11-20")
    assert snap.manifest["config"]["provider_for_locality"] == {"E08000002": "RM3"}
    waits = scan_table(snap, "waiting_times").collect()
    # ENG, Y62 and QOP with 3 services each, RM3 with 2 (its OT line is blank): 11 rows
    assert waits.filter(pl.col("source") == "chs_sitrep_provider").height == 11
    base = scan_table(open_snapshot(root / "2025-10-31"), "waiting_times").collect()
    key = ["period_end", "area_code", "service"]
    assert waits.filter(pl.col("source") == "gm_locality_return").sort(key).equals(base.sort(key))


HEADER = "period_end,area_code,service,waiting_total,waiting_under_18_weeks,waiting_over_52_weeks,median_wait_weeks\n"


def test_locality_return_loads_and_rederives_the_indicator(tmp_path, demo_copy):
    root = tmp_path / "snaps"
    demo_copy("2025-10-31", root=root)
    csv = tmp_path / "return.csv"
    csv.write_text(
        HEADER + "2025-08,E08000002,salt,600,228,70,20.5\nAug 2025,E08000003,salt,2000,1000,200,\n"
        "2025-08-31,E08000004,salt,,,,\n",
        encoding="utf-8-sig",
    )
    assert ingest_main(["waits", str(csv), "--out", str(root), "--as-at", "2025-11-21"]) == 0
    snap = open_snapshot(root / "2025-11-21")
    kpi = (
        scan_table(snap, "kpi_values")
        .filter((pl.col("kpi_id") == "wait_u18_salt_pct") & (pl.col("period_end") == date(2025, 8, 31)))
        .collect()
    )
    assert kpi["value"].to_list() == [38.0]  # 228 / 600, derived again from the new return
    oldham = (
        scan_table(snap, "waiting_times")
        .filter((pl.col("area_code") == "E08000004") & (pl.col("period_end") == date(2025, 8, 31)))
        .collect()
    )
    assert oldham["waiting_total"].to_list() == [None]  # a blank return is "no return", never 0


def test_bad_locality_return_lists_every_problem_and_writes_nothing(tmp_path, demo_copy, capsys):
    root = tmp_path / "snaps"
    demo_copy("2025-10-31", root=root)
    csv = tmp_path / "bad.csv"
    csv.write_text(
        HEADER
        + "2025-08,E08000002,salt,six hundred,228,70,\n"  # row 2: not a number
        + "2025-08,E08000003,salt,100,150,0,\n"  # row 3: under 18 weeks more than total
        + "2025-08,E09000001,salt,100,50,0,\n"  # row 4: not a GM locality
        + "2025-08,E08000005,salt,100,50,0,\n"  # row 5
        + "2025-08,E08000005,salt,100,50,0,\n"  # row 6: duplicate of row 5
        + "2025-08,E08000006,dentistry,100,50,0,\n",  # row 7: unknown service
        encoding="utf-8",
    )
    assert ingest_main(["waits", str(csv), "--out", str(root), "--as-at", "2025-11-21"]) == 1
    err = capsys.readouterr().err
    assert "bad.csv, row 2, column 'waiting_total': value 'six hundred' — expected a whole number" in err
    assert "bad.csv, row 3: waiting_under_18_weeks (150) is greater than waiting_total (100)" in err
    assert "bad.csv, row 4, column 'area_code': value 'E09000001' — expected one of E08000001" in err
    assert "bad.csv, row 6: duplicates row 5 on (period_end, area_code, service)" in err
    assert "bad.csv, row 7, column 'service': value 'dentistry'" in err
    assert [p.name for p in list_snapshots(root)] == ["2025-10-31"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "period_end,area_code,service,waiting_total\n2025-08,E08000002,salt,5\n",
            "missing column(s) waiting_under_18_weeks, waiting_over_52_weeks",
        ),
        ("", "the file is empty"),
        (HEADER, "no data rows under the header"),
        (HEADER + "2031-01,E08000002,salt,5,1,0,\n", "expected a date that is not in the future"),
        (HEADER + "31/13/2025,E08000002,salt,5,1,0,\n", "expected a month such as 2025-07"),
        (
            HEADER.replace("waiting_total", "waiting_totl") + "2025-08,E08000002,salt,5,1,0,\n",
            "unexpected column(s) waiting_totl (misspelt?)",
        ),
    ],
)
def test_template_file_problems(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    frame, problems = read_locality_return(path, GM)
    assert frame.height == 0 and any(message in p for p in problems), problems


def test_a_locality_return_needs_the_systems_localities(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(HEADER + "2025-08,E08000002,salt,600,228,70,20.5\n")
    frame, problems = read_locality_return(path, [])
    assert frame.height == 0 and "needs the area's health and care system" in problems[0]
    frame, problems = read_locality_return(path, ["E06000001"])  # another system's localities: Bury is not one
    assert frame.height == 0 and "E08000002" in problems[0]


def test_windows_1252_and_xlsx_templates(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes((HEADER + "2025-08,E08000002,salt,600,228,70,20.5\n").encode("cp1252"))
    assert read_locality_return(path, GM)[0].height == 1
    xlsx = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.strip().split(","))
    wb.active.append([date(2025, 8, 31), "E08000002", "salt", 600, 228, 70, 20.5])
    wb.save(xlsx)
    frame, problems = read_locality_return(xlsx, GM)
    assert problems == [] and frame["waiting_under_18_weeks"].to_list() == [228]
    (tmp_path / "w.pdf").write_text("x")
    assert "expected .csv or .xlsx" in read_locality_return(tmp_path / "w.pdf", GM)[1][0]


# the names the 2023 workbooks give, with no codes (the first rows' ORGS, in the case those files write them)
NAMED = {
    "ENG": "England",
    "Y62": "North West",
    "QOP": "Greater Manchester",
    "RM3": "Northern Care Alliance NHS Foundation Trust",
}


def workbook_2023(path, month: str | None, layout: str, months_done: int = 2):
    """A workbook in a 2023 layout, with the same figures as `build(…, "old")`. "mid" (June and July 2023):
    'Organisation Type, Organisation Name' and no code. "early" (before June 2023): a blank first column, the title
    in B1, no labels over type and name, the type given once per group, blanks as empty text, '*' for a withheld
    adult column. `month` None: the titles leave the month out, as February 2023's do, and 'Table 1' (one column per
    month from October, England's row filled to the month the workbook is for) says it."""
    wb = openpyxl.Workbook()
    wb.active.title = "Cover page"
    table1 = wb.create_sheet("Table 1")
    table1.append([None, "Number of organisations of 136 providers in scope that did not submit data"])
    table1.append([])
    table1.append([])
    table1.append([None, None, None, *[date(2022 + (m < 10), m, 1) for m in (10, 11, 12, 1, 2, 3)]])
    table1.append([None, None, "England", *([6] * (3 + months_done)), *([None] * (3 - months_done))])
    for sheet, (title, values) in chs_sheets("old").items():
        ws = wb.create_sheet(sheet)
        text = f"{title} by service" + (f", {month}" if month else "")
        pad = [None] if layout == "early" else []
        ws.append([*pad, text])
        ws.append([*pad, "Blanks indicate no organisation submitted for the service line."])
        ws.append([])
        ws.append([])
        ws.append(
            [None, None, None, *HEADERS] if layout == "early" else ["Organisation Type", "Organisation Name", *HEADERS]
        )
        for kind, code, _ in ORGS:
            cells = ["" if v is None and layout == "early" else v for v in values[code or "ENG"]]
            cells[0] = "*"  # the adult column: withheld
            typed = "" if layout == "early" and kind == "National" else kind
            ws.append([*pad, typed, NAMED[code or "ENG"], *cells])
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("layout", "month", "end"),
    [
        ("early", "January 2023", date(2023, 1, 31)),
        ("mid", "June 2023", date(2023, 6, 30)),
        ("early", None, date(2023, 2, 28)),
    ],
)
def test_2023_workbooks_are_matched_by_name_to_the_codes_of_a_newer_one_read_with_them(tmp_path, layout, month, end):
    from ingest.waits import read_chs_workbooks

    older = workbook_2023(tmp_path / "community_health_2023.xlsx", month, layout)
    newer = build(tmp_path / "chs.xlsx", "August 2024", "old")
    notes: list[str] = []
    (_, old, problems), (_, new, more) = read_chs_workbooks([older, newer], {}, notes)
    assert problems == more == notes == []
    # the same figures, under the codes the newer workbook gives: the month from the title, or (February 2023's
    # titles leave it out) Table 1's last month with England's figure
    assert set(old["period_end"]) == {end}
    key = ["area_code", "service", "waiting_total", "waiting_under_18_weeks", "waiting_over_52_weeks"]
    assert old.select(key).sort(key).equals(new.select(key).sort(key))
    paeds = old.filter((pl.col("area_code") == "RM3") & (pl.col("service") == "community_paediatrics")).row(
        0, named=True
    )
    assert (paeds["waiting_total"], paeds["waiting_under_18_weeks"]) == (2181, 1182)  # 34+65+168+630+285


def test_a_2023_workbook_alone_names_what_it_cannot_match(tmp_path):
    from ingest.waits import read_chs_workbooks

    older = workbook_2023(tmp_path / "community_health_2023.xlsx", "May 2023", "early")
    notes: list[str] = []
    ((_, frame, problems),) = read_chs_workbooks([older], {"QOP": "Greater Manchester ICB"}, notes)
    # the ICB is known (say, from the snapshot being updated); the region is not: a problem, nothing read
    assert (
        problems
        == [
            "community_health_2023.xlsx: region(s) North West — expected an organisation named in a newer workbook "
            "(from August 2023, which gives each organisation's code) read with this one"
        ]
        and frame.height == 0
    )
    notes.clear()
    ((_, frame, problems),) = read_chs_workbooks([older], {"QOP": "Greater Manchester ICB", "Y62": "North West"}, notes)
    # a provider no newer workbook names (one since merged or closed) is left out, and said so
    assert problems == [] and "RM3" not in set(frame["area_code"]) and "QOP" in set(frame["area_code"])
    assert notes == [
        "community_health_2023.xlsx: not read, as no newer workbook read with it names them with their codes (since "
        "merged or closed): Northern Care Alliance NHS Foundation Trust."
    ]


def test_months_missing_from_the_workbooks_are_a_gap_in_the_trend_not_a_line_across(tmp_path):
    from charts.waits import trend_chart

    trend = pl.DataFrame(
        {
            "period_end": [date(2023, 1, 31), date(2023, 2, 28), date(2024, 8, 31), date(2025, 7, 31)],
            "pct": [55.0, 56.0, 51.0, 63.0],
            "pooled_pct": [60.0, 61.0, 58.0, 62.0],
            "rank": [1, 1, 1, 1],
            "m": [1, 1, 1, 1],
        }
    )
    spec = trend_chart(trend, area="Greater Manchester ICB", reference="England").to_dict()
    rows = next(iter(spec["datasets"].values()))
    segments = [(r["series"], r["segment"]) for r in sorted(rows, key=lambda r: (r["series"], r["period_end"]))]
    # January and February 2023 one line; August 2024 after a gap of 17 months a second; July 2025 a third
    assert segments == [(s, k) for s in ("England", "Greater Manchester ICB") for k in (0, 0, 1, 2)]
    assert spec["encoding"]["detail"]["field"] == "segment"  # one line per segment
