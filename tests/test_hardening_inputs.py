"""Hardening: every bad input file is refused with a listed problem (file, row, column, value, expectation), never
a traceback, and nothing is written (rows 1, 7, 13–21 of the hardening issue); plus property-based tests that throw
random rows and bytes at the template, DfE and GeoJSON readers."""

from __future__ import annotations

import io
import json
import shutil
import struct
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest.templates as templates
from ingest.__main__ import main as ingest_main
from ingest.ees import read_ehcp
from ingest.geo import read_wards
from ingest.local import TEMPLATES
from ingest.templates import validate
from ingest.waits import read_chs_workbook
from tests.test_ingest_waits import build as chs_build

FIX = Path(__file__).parent / "fixtures"
EES = FIX / "ees_2025"


def problems_of(result) -> str:
    return "\n".join(result.problems)


# --- row 1: a DfE CSV cut mid-row -------------------------------------------------------------------------------------


def test_a_dfe_csv_cut_mid_row_is_refused_with_its_row(tmp_path):
    data = (EES / "requests.csv").read_bytes()
    cut = data[: data.rindex(b",Bury,") + 6]  # the download stopped in the middle of the last row
    (tmp_path / "requests.csv").write_bytes(cut)
    result = read_ehcp(tmp_path / "requests.csv")
    last_row, fields = cut.count(b"\n") + 1, cut.rsplit(b"\n", 1)[1].count(b",") + 1
    assert (fields, last_row) == (11, 5)
    assert "requests.csv, row 5: 11 fields but the header has 29 (a file cut short" in problems_of(result)
    assert result.values.height == 0


def test_a_build_from_a_cut_file_writes_nothing(tmp_path, capsys):
    src = tmp_path / "ees"
    shutil.copytree(EES, src)
    data = (src / "caseload.csv").read_bytes()
    (src / "caseload.csv").write_bytes(data[: len(data) - 40])
    config = tmp_path / "ingest.toml"
    config.write_text(f'[area]\nla_code = "E08000002"\nla_name = "Bury"\n[sources]\nehcp = ["{src}"]\n')
    out = tmp_path / "out"
    assert ingest_main(["build", "--config", str(config), "--as-at", "2025-11-03", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "caseload.csv, row" in err and "fields but the header has" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


# --- row 7: non-finite numbers --------------------------------------------------------------------------------------

KPI_HEADER = "kpi_id,period_start,period_end,period_label,phase,value,numerator,denominator,status,note\n"


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "NaN", "-1e308", "1e400"])
def test_non_finite_or_absurd_values_in_kpi_values_are_listed(tmp_path, bad):
    f = tmp_path / "kpi_values.csv"
    f.write_text(KPI_HEADER + f"senco_survey_pct,2025-01-01,2025-03-31,Q1 2025,all,{bad},,,,\n")
    rows, problems = validate(f, TEMPLATES["kpi_values"])
    assert rows == []
    assert problems and problems[0].startswith(f"kpi_values.csv, row 2, column 'value': value '{bad}' — expected")


def test_the_snapshot_contract_refuses_nan_and_infinity_in_every_float_column():
    from metrics.schema import empty_frame, validate_frame

    frame = pl.concat(
        [
            empty_frame("kpi_values"),
            pl.DataFrame(
                {
                    "kpi_id": ["a", "b"],
                    "period_start": [date(2025, 1, 1)] * 2,
                    "period_end": [date(2025, 1, 31)] * 2,
                    "period_label": ["Jan 2025"] * 2,
                    "area_code": ["E08000002"] * 2,
                    "phase": ["all"] * 2,
                    "value": [float("nan"), 1.0],
                    "numerator": [1.0, float("inf")],
                    "denominator": [2.0, 2.0],
                    "status": ["", ""],
                    "note": ["", ""],
                },
                schema=empty_frame("kpi_values").schema,
            ),
        ]
    )
    problems = validate_frame("kpi_values", frame)
    assert any(p.startswith("column 'value' has 1 value(s) that are not finite numbers") for p in problems)
    assert any(p.startswith("column 'numerator' has 1 value(s) that are not finite numbers") for p in problems)


def test_rag_and_trend_treat_nan_as_missing():
    from metrics.kpi import rag_expr, trend_expr

    frame = pl.DataFrame({"v": [float("nan"), 95.0], "prev": [90.0, float("nan")], "t": [90.0, 90.0]})
    out = frame.select(
        rag=rag_expr(pl.col("v"), pl.col("t"), pl.lit("higher_is_better"), pl.lit(0)),
        trend=trend_expr(pl.col("v"), pl.col("prev"), pl.lit("higher_is_better"), pl.lit(0)),
    )
    assert out["rag"].to_list() == ["Grey", "Green"]  # NaN is not a Green
    assert out["trend"].to_list() == [None, None]  # nor an "▲ Improving"


# --- row 13: NHS CHS counts ---------------------------------------------------------------------------------------


def _chs_with(tmp_path, sheet: str, org_row: int, column: int, value):
    path = chs_build(tmp_path / "chs.xlsx", "July 2025", "new")
    wb = openpyxl.load_workbook(path)
    wb[sheet].cell(row=org_row, column=column, value=value)
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("value", "shown"), [(-50, "-50"), (12.5, "12.5"), (True, "True"), ("12 (est)", "12 (est)"), (10**9, "1000000000")]
)
def test_chs_counts_must_be_whole_non_negative_numbers(tmp_path, value, shown):
    # Table 4a row 8 is RM3 (after the title, note, two blank rows, header, England, Y62, QOP); column 5 community
    # paediatrics' first band.
    path = _chs_with(tmp_path, "Table 4a", 9, 5, value)
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0
    assert any(
        "sheet 'Table 4a', organisation RM3" in p and f"value '{shown}' — expected a whole number of children" in p
        for p in problems
    ), problems


def test_chs_under_18_weeks_larger_than_the_whole_list_is_refused(tmp_path):
    path = _chs_with(tmp_path, "Table 4", 9, 5, 100)  # RM3 community paediatrics total 2181 → 100 < 1182 under 18
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0
    assert any(
        "organisation RM3" in p and "1,182 waiting under 18 weeks but 100 on the whole list" in p for p in problems
    )


# --- rows 14, 15, 21: zips and folders ----------------------------------------------------------------------------


def _zip_of(path: Path, members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compress) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_only_used_members_are_read_and_a_zip_bomb_is_refused(tmp_path, monkeypatch):
    real = {f"data/{p.name}": p.read_bytes() for p in EES.glob("*.csv") if p.name != "annual_reviews.csv"}
    real["data/work_based_placements.csv"] = (EES / "annual_reviews.csv").read_bytes()  # a file no measure needs
    bomb = b"a," * (20 * 1024 * 1024)  # 40 MB of the same two bytes: compresses about a thousandfold
    archive = _zip_of(tmp_path / "release.zip", {**real, "data/unused_big.csv": bomb, "data/newplans.csv": bomb})
    read: list[str] = []
    original = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile,
        "read",
        lambda self, name, pwd=None: read.append(getattr(name, "filename", name)) or original(self, name, pwd),
    )
    result = read_ehcp(archive)
    assert "data/unused_big.csv" not in read and "data/work_based_placements.csv" not in read  # never opened
    assert "data/newplans.csv" not in read  # checked, refused, never decompressed
    assert "release.zip/data/newplans.csv: compressed" in problems_of(result) and "zip bomb" in problems_of(result)


def _patch_header(path: Path, member: str, *, flags: int = 0, method: int | None = None) -> None:
    """Set a member's general-purpose flags or compression method in both its local and central headers, as an
    encrypted or Deflate64 zip has them (zipfile cannot write either)."""
    blob = bytearray(path.read_bytes())
    name = member.encode()
    # signature, where the flags, the method, the name's length and the name itself are in that header
    for signature, flag_at, method_at, length_at, name_at in (
        (b"PK\x03\x04", 6, 8, 26, 30),
        (b"PK\x01\x02", 8, 10, 28, 46),
    ):
        start = 0
        while (i := blob.find(signature, start)) >= 0:
            (n,) = struct.unpack_from("<H", blob, i + length_at)
            if bytes(blob[i + name_at : i + name_at + n]) == name:
                (old,) = struct.unpack_from("<H", blob, i + flag_at)
                struct.pack_into("<H", blob, i + flag_at, old | flags)
                if method is not None:
                    struct.pack_into("<H", blob, i + method_at, method)
            start = i + 4
    path.write_bytes(bytes(blob))


def test_encrypted_and_deflate64_members_are_listed_every_one(tmp_path):
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for name in ("requests.csv", "newplans.csv", "caseload.csv"):
            z.writestr(name, (EES / name).read_bytes())
    _patch_header(archive, "requests.csv", flags=0x1)  # marked encrypted, as a password-protected zip is
    _patch_header(archive, "newplans.csv", method=9)  # Deflate64
    result = read_ehcp(archive)
    text = problems_of(result)
    assert "release.zip/requests.csv: the file is encrypted" in text
    assert "release.zip/newplans.csv: compressed with a method this reader cannot open (method 9" in text


TRIBUNAL_TABLE = EES / "supporting-files" / "SEND Tribunals and appeal rate 2014-2024.csv"


def _recording_reads(monkeypatch) -> list[str]:
    read: list[str] = []
    original = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile,
        "read",
        lambda self, name, pwd=None: read.append(getattr(name, "filename", name)) or original(self, name, pwd),
    )
    return read


def test_any_number_of_tribunal_tables_in_one_zip_are_refused_and_none_is_read(tmp_path, monkeypatch):
    """Every distinctly named "SEND Tribunals and appeal rate …" member was read and held (a 10 MB zip of them held
    1.8 GB): one table of each kind is read, and more than one of a kind is refused before any is decompressed."""
    real = {f"data/{p.name}": p.read_bytes() for p in EES.glob("*.csv")}
    table = TRIBUNAL_TABLE.read_bytes()
    copies = {f"supporting-files/SEND Tribunals and appeal rate 2014-{year}.csv": table for year in (2022, 2023, 2024)}
    archive = _zip_of(tmp_path / "release.zip", {**real, **copies})
    read = _recording_reads(monkeypatch)
    result = read_ehcp(archive)
    assert not [n for n in read if "Tribunals" in n]  # none of the three was decompressed
    assert problems_of(result) == (
        "release.zip: 3 tribunal appeal-rate tables (supporting-files/SEND Tribunals and appeal rate 2014-2022.csv, "
        "supporting-files/SEND Tribunals and appeal rate 2014-2023.csv, supporting-files/SEND Tribunals and appeal "
        "rate 2014-2024.csv); keep one release's files per folder or zip"
    )
    # the same in a folder
    folder = tmp_path / "release"
    shutil.copytree(EES, folder)
    (folder / "supporting-files" / "SEND Tribunals and appeal rate 2014-2023.csv").write_bytes(table)
    assert "release: 2 tribunal appeal-rate tables" in problems_of(read_ehcp(folder))


def test_a_release_over_its_budget_is_refused_before_any_member_is_read(tmp_path, monkeypatch):
    """All the used members of one archive together have a budget (MAX_ARCHIVE_BYTES), checked on the sizes the zip
    declares (zipfile never gives more than the size declared) before any member is decompressed."""
    import ingest.ees_files as ees

    real = {f"data/{p.name}": p.read_bytes() for p in EES.glob("*.csv")}
    total = sum(len(d) for d in real.values())
    archive = _zip_of(tmp_path / "release.zip", real)
    monkeypatch.setattr(ees, "MAX_ARCHIVE_BYTES", total - 1)
    read = _recording_reads(monkeypatch)
    result = read_ehcp(archive)
    assert read == [] and result.values.height == 0
    assert problems_of(result) == (
        f"release.zip: the files this reader uses add up to {total:,} bytes uncompressed, more than the "
        f"{total - 1:,} bytes one release may hold (the whole 2025 release is about 30 MB); none is read"
    )
    monkeypatch.setattr(ees, "MAX_ARCHIVE_BYTES", total)
    assert read_ehcp(archive).problems == []  # exactly at the budget: read


def test_a_zip_listing_more_parts_than_the_cap_is_refused_before_its_directory_is_read(tmp_path, monkeypatch):
    import ingest.workbook as workbook

    archive = _zip_of(tmp_path / "release.zip", {f"data/x{i}.txt": b"" for i in range(30)})
    monkeypatch.setattr(workbook, "MAX_PARTS", 20)
    opened = []
    original = zipfile.ZipFile.__init__
    monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda self, *a, **k: opened.append(1) or original(self, *a, **k))
    assert read_ehcp(archive).problems == ["release.zip: it holds 30 files inside; at most 20 are read"]
    assert opened == []


def test_two_files_of_the_same_name_in_one_folder_are_refused(tmp_path):
    shutil.copytree(EES, tmp_path / "release")
    (tmp_path / "release" / "old").mkdir()
    shutil.copy(EES / "requests.csv", tmp_path / "release" / "old" / "requests.csv")
    result = read_ehcp(tmp_path / "release")
    assert "release: 2 files called requests.csv (old/requests.csv, requests.csv)" in problems_of(result)


# --- row 16: values no reader expected -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["NaN", "inf", "-Infinity", "1e400", "1,0e999"])
def test_nan_or_infinity_in_a_dfe_file_is_named_by_file_row_and_column(tmp_path, bad):
    """Polars reads each of these as a number that is not finite, and the snapshot check refused it naming only the
    table ("kpi_values: column 'value' has 1 value(s) that are not finite numbers"); the reader names the cell."""
    lines = (EES / "requests.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ",Bury," in lines[2]  # row 3, as a spreadsheet numbers it: Bury's 560 requests in 2024
    lines[2] = lines[2].replace(",560,", f',"{bad}",', 1)
    (tmp_path / "requests.csv").write_text("\n".join(lines) + "\n")
    result = read_ehcp(tmp_path / "requests.csv")
    assert result.values.height == 0
    assert problems_of(result) == (
        f"requests.csv, row 3, column 'requests_received_in_year': value '{bad}' — expected a number or one of the "
        "DfE's markers (x, z, c, :, low), not nan or infinity"
    )


def test_a_place_called_nan_is_a_name_not_a_number(tmp_path):
    lines = (EES / "requests.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",Bury,", ",Nan,", 1).replace(",North West,", ",Inf,", 1)
    (tmp_path / "requests.csv").write_text("\n".join(lines) + "\n")
    result = read_ehcp(tmp_path / "requests.csv")
    assert result.problems == [] and result.values.height > 0


@pytest.mark.parametrize("period", ["20x4", "999900", "202426", "1800"])
def test_dfe_time_periods_that_are_not_years_are_listed(tmp_path, period):
    lines = (EES / "requests.csv").read_text().splitlines()
    lines[2] = period + lines[2][lines[2].index(",") :]
    (tmp_path / "requests.csv").write_text("\n".join(lines) + "\n")
    result = read_ehcp(tmp_path / "requests.csv")
    assert f"requests.csv, row 3, column 'time_period': value '{period}' — expected a year such as 2024" in (
        problems_of(result)
    )


@pytest.mark.parametrize(
    ("template", "row", "message"),
    [
        ("ward_demand", "0001-07,E05014152,primary,ehcp_caseload,5,500", "a date from 1900 to 2100"),
        ("ward_demand", "Dec 9999,E05014152,primary,ehcp_caseload,5,500", "expected a month such as 2025-07"),
        ("ward_demand", "1850-07,E05014152,primary,ehcp_caseload,5,500", "a date from 1900 to 2100"),
        ("annual_reviews", "2025-08-31,2024/25,1e30,10", "a number no larger than 2,147,483,647"),
    ],
)
def test_template_years_and_sizes_outside_their_range_are_listed(tmp_path, template, row, message):
    f = tmp_path / f"{template}.csv"
    f.write_text(",".join(TEMPLATES[template].header()) + "\n" + row + "\n")
    rows, problems = validate(f, TEMPLATES[template])
    assert rows == [] and any(message in p for p in problems), problems


@pytest.mark.parametrize("label", ['=HYPERLINK("http://x")', "+1", "-2024", "@SUM(A1)", "=1+1", "Q1 2025 " + "x" * 33])
@pytest.mark.parametrize(
    ("template", "header", "row", "column"),
    [
        ("kpi_values", KPI_HEADER, "senco_survey_pct,2025-01-01,2025-03-31,{},all,50,,,,\n", "period_label"),
        (
            "annual_reviews",
            "academic_year_end,period_label,plans_due,reviews_overdue\n",
            "2025-08-31,{},100,5\n",
            "period_label",
        ),
        (
            "kpi_catalogue",
            "kpi_id,theme,workstream,title,definition,unit,polarity,target,target_date,baseline_value,"
            "baseline_period,frequency,decimals,source\n",
            "x_pct,1,PIP1,A title,A definition,percent,higher_is_better,,,40,{},monthly,0,Local\n",
            "baseline_period",
        ),
    ],
)
def test_a_period_label_a_spreadsheet_would_run_or_over_40_characters_is_listed(
    tmp_path, template, header, row, column, label
):
    """A period's name is written into tables, downloads and the board's slides (whose charts embed workbooks): one
    starting with =, +, -, @ (or a tab or carriage return, which the reader strips first) would be run as a formula,
    and one over 40 characters is no period's name. 'Q1 2025 ' and 33 x's are 41 characters."""
    f = tmp_path / f"{template}.csv"
    quoted = '"' + label.replace('"', '""') + '"'
    f.write_text(header + row.format(quoted), encoding="utf-8")
    rows, problems = validate(f, TEMPLATES[template])
    assert rows == []
    assert problems == [
        f"{template}.csv, row 2, column '{column}': value '{label}' — expected a period's name such as Q1 2025 or "
        "2024-25, at most 40 characters, not starting with =, +, -, @, a tab or a carriage return"
    ]


def test_period_labels_as_people_write_them_are_read():
    for label in ("Q1 2025", "2024-25", "2024/25", "Oct 2025", "2025 survey", "x" * 40):
        assert templates._convert(label, TEMPLATES["kpi_values"].columns[3]) == (label, None)


def test_decimals_and_over_long_cells_are_listed(tmp_path):
    header = ",".join(TEMPLATES["kpi_catalogue"].header())
    f = tmp_path / "kpi_catalogue.csv"
    row = [
        "x_pct",
        "1",
        "PIP1",
        "Title",
        "Definition",
        "percent",
        "higher_is_better",
        "",
        "",
        "",
        "",
        "annual",
        "1000",
        "s",
    ]
    long = [*row[:4], "d" * 140_000, *row[5:]]
    f.write_text(header + "\n" + ",".join(row) + "\n" + ",".join(long) + "\n")
    rows, problems = validate(f, TEMPLATES["kpi_catalogue"])
    assert rows == []
    assert "kpi_catalogue.csv, row 2, column 'decimals': value '1000' — expected a number of at most 6" in problems
    assert "kpi_catalogue.csv, row 3, column 'definition': 140,000 characters — expected at most 10,000" in problems


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([1], "feature 1: '1' is not a GeoJSON feature"),
        (
            [{"type": "Feature", "properties": 5, "geometry": None}],
            "feature 1, column 'properties': value '5' — expected an object",
        ),
        (
            [
                {
                    "properties": {"WD23CD": "E05014152", "WD23NM": "X"},
                    "geometry": {"type": "Polygon", "coordinates": "abc"},
                }
            ],
            "column 'geometry': a polygon that is not a list of rings",
        ),
        (
            [
                {
                    "properties": {"WD23CD": "E05014152", "WD23NM": "X"},
                    "geometry": {"type": "Polygon", "coordinates": [[[1], [2], [3], [1]]]},
                }
            ],
            "column 'geometry': a position '[1]' that is not [longitude, latitude]",
        ),
        (
            [
                {
                    "properties": {"WD23CD": "E05014152", "WD23NM": "X"},
                    "geometry": {"type": "Polygon", "coordinates": [[["a", "b"], [0, 1], [1, 1], ["a", "b"]]]},
                }
            ],
            "whose coordinates are not numbers",
        ),
    ],
)
def test_malformed_geojson_features_are_listed(tmp_path, features, message):
    f = tmp_path / "wards.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    wards, problems = read_wards(f, "E08000002")
    assert wards == [] and any(message in p for p in problems), problems


# --- row 17: a detailed outline is simplified by GEOS, and a cap on points -------------------------------------------


def _circle_ward(points: int) -> dict:
    import math

    ring = [
        [-2.3 + 0.01 * math.cos(2 * math.pi * i / points), 53.59 + 0.01 * math.sin(2 * math.pi * i / points)]
        for i in range(points)
    ]
    ring.append(ring[0])
    return {
        "type": "Feature",
        "properties": {"WD23CD": "E05014152", "WD23NM": "Besses", "LAD23CD": "E08000002"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_an_8000_point_outline_is_simplified_and_a_100001_point_one_refused(tmp_path):
    f = tmp_path / "wards.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [_circle_ward(8000)]}))
    wards, problems = read_wards(f, "E08000002")
    assert problems == []
    ring = json.loads(wards[0].geometry)["coordinates"][0]
    assert 8 < len(ring) < 400 and ring[0] == ring[-1]  # about a 1 km circle at 10–15 m tolerance
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [_circle_ward(100_001)]}))
    wards, problems = read_wards(f, "E08000002")
    assert wards == [] and "100,002 points, more than the 100,000 a ward outline may have" in problems[0]


# --- row 18: an XLSX with too many rows stops at the cap --------------------------------------------------------------


def test_an_xlsx_with_more_rows_than_the_cap_is_refused_without_reading_them_all(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "MAX_ROWS", 1_000)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(TEMPLATES["risks"].header())
    for i in range(5_000):
        ws.append([f"R{i}"])
    wb.save(tmp_path / "risks.xlsx")
    rows, problems = validate(tmp_path / "risks.xlsx", TEMPLATES["risks"])
    assert rows == [] and problems == ["risks.xlsx: more than 1,000 rows; split the file or check it is the right one"]


# --- row 19: encodings ------------------------------------------------------------------------------------------------

WARDS_CSV = "ward_code,ward_name,town,imd_decile\nE05014152,Bury East,Bury,2\nE05014153,Ramsbottom,Ramsbottom,7\n"


def test_utf8_with_one_stray_byte_is_reported_with_its_row_not_read_as_windows_1252(tmp_path):
    f = tmp_path / "wards.csv"
    f.write_bytes(
        WARDS_CSV.replace("Bury East", "Bury Éast").encode("utf-8").replace(b"Ramsbottom,7", b"Ramsb\xf6ttom,7")
    )
    rows, problems = validate(f, TEMPLATES["wards"])
    assert rows == []
    assert problems[0].startswith(
        "wards.csv, row 3: byte 0xf6 is not valid UTF-8, although the rest of the file is UTF-8"
    )


def test_a_utf16_file_is_read_by_its_bom(tmp_path):
    f = tmp_path / "wards.csv"
    f.write_bytes(WARDS_CSV.replace("Bury East", "Bury Éast").encode("utf-16"))
    rows, problems = validate(f, TEMPLATES["wards"])
    assert problems == [] and rows[0]["ward_name"] == "Bury Éast"


# --- row 20: counts beyond their population ----------------------------------------------------------------------------


def test_a_ward_count_above_its_population_is_refused_for_stock_measures(tmp_path):
    f = tmp_path / "ward_demand.csv"
    f.write_text(
        ",".join(TEMPLATES["ward_demand"].header())
        + "\n2025-07,E05014152,primary,ehcp_caseload,50,10\n2025-07,E05014152,primary,ehcp_requests,5,10\n"
    )
    rows, problems = validate(f, TEMPLATES["ward_demand"])
    assert rows == []
    assert problems == [
        "ward_demand.csv, row 2: count (50) is greater than population (10): a ward cannot have more children "
        "counted for ehcp_caseload than children of the phase living there"
    ]


def test_a_short_csv_row_is_listed(tmp_path):
    f = tmp_path / "wards.csv"
    f.write_text("ward_code,ward_name,town,imd_decile\nE05014152,Bury East\n")
    rows, problems = validate(f, TEMPLATES["wards"])
    assert rows == [] and problems[0].startswith("wards.csv, row 2: 2 cells but the header has 4 columns")


# --- property-based: random input never ends in a traceback, and nothing is written ---------------------------------

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def _only_input_left(folder: Path, name: str) -> None:
    assert [p.name for p in folder.iterdir()] == [name]


@SETTINGS
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=8), max_size=6), template=st.sampled_from(sorted(TEMPLATES)))
def test_random_template_rows_give_problems_not_tracebacks(tmp_path_factory, rows, template):
    folder = tmp_path_factory.mktemp("tpl")
    buf = io.StringIO()
    import csv

    csv.writer(buf).writerows([TEMPLATES[template].header(), *rows])
    f = folder / f"{template}.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    out, problems = validate(f, TEMPLATES[template])
    assert isinstance(out, list) and isinstance(problems, list)
    assert not (out and problems)  # rows only when there is no problem
    _only_input_left(folder, f.name)


@SETTINGS
@given(blob=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_as_a_template_give_problems_not_tracebacks(tmp_path_factory, blob, suffix):
    folder = tmp_path_factory.mktemp("bytes")
    f = folder / f"risks{suffix}"
    f.write_bytes(blob)
    out, problems = validate(f, TEMPLATES["risks"])
    assert out == [] or not problems
    _only_input_left(folder, f.name)


@SETTINGS
@given(blob=st.binary(max_size=600), name=st.sampled_from(["requests.csv", "caseload.csv", "release.zip"]))
def test_random_bytes_as_a_dfe_file_give_problems_not_tracebacks(tmp_path_factory, blob, name):
    folder = tmp_path_factory.mktemp("ees")
    f = folder / name
    f.write_bytes(blob)
    result = read_ehcp(f)
    # fewer than 600 random bytes never hold an EES file (a header naming time_period, geographic_level,
    # new_la_code, region_code and a measure, then rows): every blob is refused with a problem, and gives no row
    assert result.problems
    assert result.values.height == 0
    _only_input_left(folder, name)


@SETTINGS
@given(
    rows=st.lists(
        st.lists(
            st.one_of(cells, st.sampled_from(["2024", "202425", "National", "Local authority", "x", "E08000002"])),
            min_size=0,
            max_size=16,
        ),
        max_size=5,
    )
)
def test_random_dfe_rows_give_problems_not_tracebacks(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("eesrows")
    header = (EES / "requests.csv").read_text().splitlines()[0]
    import csv

    buf = io.StringIO()
    buf.write(header + "\n")
    csv.writer(buf).writerows(rows)
    (folder / "requests.csv").write_text(buf.getvalue())
    read_ehcp(folder / "requests.csv")
    _only_input_left(folder, "requests.csv")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(
    features=st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "type": st.just("Feature"),
                    "properties": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"WD23CD": st.just("E05014152"), "WD23NM": cells, "LAD23CD": st.just("E08000002")}
                        ),
                    ),
                    "geometry": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"type": st.sampled_from(["Polygon", "MultiPolygon", "Point"]), "coordinates": json_values}
                        ),
                    ),
                }
            ),
        ),
        max_size=4,
    )
)
def test_random_geojson_gives_problems_not_tracebacks(tmp_path_factory, features):
    folder = tmp_path_factory.mktemp("geo")
    f = folder / "wards.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    wards, problems = read_wards(f, "E08000002")
    assert wards or problems
    _only_input_left(folder, "wards.geojson")


def test_an_oversized_chs_workbook_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    import ingest.waits as waits

    path = chs_build(tmp_path / "chs.xlsx", "July 2025", "new")
    monkeypatch.setattr(waits, "MAX_WORKBOOK_BYTES", 1024)
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0 and problems[0].startswith("chs.xlsx: 0 MB; a monthly NHS workbook is a few MB")
    monkeypatch.setattr(waits, "MAX_WORKBOOK_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(waits, "MAX_SHEET_ROWS", 5)
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0 and "sheet 'Table 4': more than 5 rows" in problems[0]
