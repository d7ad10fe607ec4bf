"""DfE's LAIT as a source: an area built from small fixtures in LAIT's real layout (the long data as LAIT's CSV
download, the data dictionary with line breaks inside quoted fields, the statistical neighbours workbook with its title
rows), each file recognised by its content; the measures' definitions, values, ranks and neighbours worked by hand;
every kind of bad LAIT file refused with every problem listed at once and nothing written."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingest.build import BuildError, build, config_problems
from ingest.lacodes import la_codes, name_key
from ingest.lait import kind_of, read_lait
from ingest.lait_dictionary import kpi_id, period
from metrics import benchmarks, kpi
from metrics.areas import setup_of
from metrics.snapshot import open_snapshot, scan_table

FIX = Path(__file__).parent / "fixtures" / "lait"
BURY = "E08000002"
# Bury's ten statistical neighbours in DfE's May 2025 file, nearest first, by their three-digit numbers: Lancashire,
# Cornwall, North Tyneside, Kent, Dudley, Nottinghamshire, Stockton-on-Tees, Norfolk, Medway, Bexley
NEIGHBOURS = [888, 908, 392, 886, 332, 891, 808, 926, 887, 303]
NEIGHBOUR_CODES = [
    "E10000017",
    "E06000052",
    "E08000022",
    "E10000016",
    "E08000027",
    "E10000024",
    "E06000004",
    "E10000020",
    "E06000035",
    "E09000004",
]


def neighbours_workbook(path: Path, rows: list[list] | None = None) -> Path:
    """DfE's statistical neighbours workbook in its real layout: sheet 'LA SN Groups', a row of column letters, a row
    of column numbers, the header (LA num, LA Name, LA number, GOInd, GOReg, SN1, SNP, … SN10, SNP), one row per
    authority."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "LA SN Groups"
    ws.append(["A", "B", "C", "D", "E", *range(3, 23)])
    ws.append(list(range(1, 26)))
    ws.append(
        ["LA num", "LA Name", "LA number", "GOInd", "GOReg", *[x for n in range(1, 11) for x in (f"SN{n}", "SNP")]]
    )
    bury = [351, "Bury", 351, 5, "North West"]
    for i, n in enumerate(NEIGHBOURS):
        bury += [n, "Very close" if i < 6 else "Close"]
    for row in rows or [bury]:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def lait_files(tmp_path) -> dict[str, Path]:
    """The three LAIT files under names that say nothing of what they are: each is recognised by its content."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(FIX / "lait_long.csv", folder / "download (3).csv")
    shutil.copy(FIX / "lait_data_dictionary.csv", folder / "download (4).csv")
    return {
        "long": folder / "download (3).csv",
        "dictionary": folder / "download (4).csv",
        "neighbours": neighbours_workbook(folder / "sn_may_2025.xlsx"),
    }


def config(tmp_path: Path, files: list[Path], extra: str = "") -> Path:
    path = tmp_path / "ingest.toml"
    listed = ", ".join(f'"{p}"' for p in files)
    path.write_text(f'[area]\nla_code = "{BURY}"\nla_name = "Bury"\n[sources]\nlait = [{listed}]\n{extra}')
    return path


def quiet(_message: str) -> None:
    return None


def test_an_area_built_from_lait_alone_gets_its_measures_ranked_among_every_authority_and_its_neighbours(
    tmp_path, lait_files
):
    # the files in an order of their own: neighbours, long data, dictionary
    cfg = config(tmp_path, [lait_files["neighbours"], lait_files["long"], lait_files["dictionary"]])
    snap = open_snapshot(build(cfg, as_at="2025-11-03", out_root=tmp_path / "out", log=quiet))
    cat = scan_table(snap, "kpi_catalogue").collect()
    age19 = cat.filter(pl.col("kpi_id") == "lait_age19_sen_s").row(0, named=True)
    # LAIT's dictionary: Polarity "High"; Next Update 46113 and Last Update 45748 are Excel day numbers: 46113 days
    # after 30 December 1899 is 1 April 2026, 45748 is 1 April 2025; dps 2, a percentage shown to one place
    assert (age19["polarity"], age19["unit"], age19["decimals"]) == ("higher_is_better", "percent", 1)
    assert (age19["next_update"], age19["last_update"]) == (date(2026, 4, 1), date(2025, 4, 1))
    assert (age19["year_type"], age19["topic"]) == ("Academic Year", "Children with SEN")
    assert age19["title"] == "19 year olds qualified to Level 2 - with EHCP"  # LAIT's chart title, its "(%)" aside
    assert age19["link"].endswith("/level-2-and-3-attainment-by-young-people-aged-19")
    assert age19["source"] == benchmarks.LAIT_SOURCE and age19["workstream"] == "BENCHMARKS"
    assert "Level 2 equates to achievement of 5 or more GCSEs" in age19["definition"]
    # SEN support has no polarity in LAIT ("NA") and no decimal places given ("NA"): its values have one
    support = cat.filter(pl.col("kpi_id") == "lait_sen_totsensup").row(0, named=True)
    assert (support["polarity"], support["decimals"]) == ("neutral", 1)
    # read: Children with SEN, and a measure of another topic by SEN status; not read: road accidents
    assert set(cat["kpi_id"]) == {"lait_age19_sen_s", "lait_sen_totsensup", "lait_ks1p_ehcp", "lait_sused_all"}
    # SusEd_All is listed under Key Stage 4 and Children with SEN: read once, as Children with SEN defines it
    assert cat.filter(pl.col("kpi_id") == "lait_sused_all")["topic"].to_list() == ["Children with SEN"]

    values = scan_table(snap, "kpi_values").collect()
    mine = values.filter((pl.col("kpi_id") == "lait_age19_sen_s") & (pl.col("area_code") == BURY)).sort("period_end")
    # LAIT's "2024" for 19-year-olds is the academic year 2023/24; its text "33.950000000000003" is 33.95
    assert mine.select("period_label", "value").rows() == [("2022/23", 42.42), ("2023/24", 33.95)]
    bexley = values.filter((pl.col("kpi_id") == "lait_age19_sen_s") & (pl.col("area_code") == "E09000004"))
    assert bexley.filter(pl.col("period_label") == "2023/24").select("value", "status").row(0) == (None, "x")  # "-"
    ks1 = values.filter((pl.col("kpi_id") == "lait_ks1p_ehcp") & (pl.col("area_code") == BURY)).sort("period_end")
    assert ks1.select("period_label", "note").rows() == [("2023/24", ""), ("2024/25", "Provisional")]  # "2025 (prov)"

    where = setup_of(snap.manifest)
    # the neighbours default to Bury's ten from DfE's file, nearest first, with the set named and dated
    assert list(where.neighbours) == NEIGHBOUR_CODES
    assert where.neighbours_set == "DfE children's services statistical neighbours, May 2025"
    assert where.closeness["E10000017"] == "Very close" and where.closeness["E09000004"] == "Close"
    assert (where.region_code, where.region_name) == ("E12000002", "North West")  # from LAIT's rows
    assert any("London (Inner)" in n and "not read" in n for n in snap.manifest["notes"])

    row = benchmarks.benchmark_table(
        scan_table(snap, "kpi_values"),
        cat.filter(pl.col("kpi_id") == "lait_age19_sen_s"),
        area=BURY,
        region=where.region_code,
        system=[],
        neighbours=list(where.neighbours),
        region_las=list(where.region_authorities),
    ).row(0, named=True)
    # 2023/24 as shown to one place: 100 authorities at 20.0; Bury 33.95 → 34.0; its neighbours 39.0, 38.0, 37.0,
    # 36.0, 34.04 → 34.0 (Dudley), 33.0, 32.0, 31.0, 30.0 and Bexley "-". Four authorities show more than 34.0, so
    # Bury shares 5th with Dudley: "=5th" of the 110 with a figure (100 + Bury + 9 neighbours); among Bury and its
    # neighbours "=5th of 10". Quartile: the type 7 upper quartile of the 110 shown figures is the 83rd smallest
    # (1 + 0.75 × 109 = 82.75: between the 82nd and 83rd, both 20.0) = 20.0, and 34.0 ≥ 20.0: A
    assert (row["england_rank"], row["england_of"], row["england_tied"]) == (5, 110, True)
    assert (row["neighbours_rank"], row["neighbours_of"], row["neighbours_tied"]) == (5, 10, True)
    assert row["quartile"] == "A"
    # the neighbours' average, LAIT publishing no counts: (39 + 38 + 37 + 36 + 34.04 + 33 + 32 + 31 + 30) / 9 =
    # 310.04 / 9 = 34.4489, using 9 of the 10 (Bexley has no figure)
    assert row["neighbours"] == pytest.approx(310.04 / 9) and (row["neighbours_used"], row["neighbours_count"]) == (
        9,
        10,
    )
    assert (row["value"], row["england"], row["region"]) == (33.95, 29.81, 29.0)
    # each neighbour, nearest first, ranked among them
    table = benchmarks.neighbour_table(
        scan_table(snap, "kpi_values"),
        kpi_id="lait_age19_sen_s",
        period_end=date(2024, 8, 31),
        area=BURY,
        neighbours=list(where.neighbours),
        decimals=1,
        polarity="higher_is_better",
    )
    assert table["area_code"].to_list() == [BURY, *NEIGHBOUR_CODES]
    # Bury and Dudley share 5th (34.0); Nottinghamshire's 33.0 has six above it: 7th; Bexley has no figure
    assert table["rank"].to_list() == [5, 1, 2, 3, 4, 5, 7, 8, 9, 10, None]
    # a measure no plan places is on Benchmarks only: not on the Summary, the theme pages or in the pack
    summary = kpi.summary(scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), None, area_code=BURY)
    assert summary.collect().height == 0


def test_the_plan_places_a_lait_measure_and_a_configured_list_replaces_the_neighbours(tmp_path, lait_files):
    extra = (
        '[comparators]\nneighbours = ["E10000017", "E08000022"]\n'
        '[plan]\nlait_age19_sen_s = { workstream = "PIP4", theme = 3, target = 40, target_date = 2026-08-31 }\n'
    )
    cfg = config(tmp_path, list(lait_files.values()), extra)
    snap = open_snapshot(build(cfg, as_at="2025-11-03", out_root=tmp_path / "out", log=quiet))
    cat = scan_table(snap, "kpi_catalogue").collect()
    placed = cat.filter(pl.col("kpi_id") == "lait_age19_sen_s").row(0, named=True)
    assert (placed["workstream"], placed["theme"], placed["target"]) == ("PIP4", 3, 40.0)
    summary = kpi.summary(scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), None, area_code=BURY)
    assert summary.collect()["kpi_id"].to_list() == ["lait_age19_sen_s"]  # the plan's measure, with its RAG
    where = setup_of(snap.manifest)
    assert list(where.neighbours) == ["E10000017", "E08000022"]
    assert where.neighbours_set == "the statistical neighbours set in the build config"


def test_the_parquet_and_xlsx_long_data_read_as_the_csv_does(tmp_path, lait_files):
    codes = la_codes()
    from_csv = read_lait([lait_files["long"], lait_files["dictionary"]], codes)
    # bds_long_0.parquet: the same table with LA Number a float and Values text, as DfE's repository keeps it
    frame = pl.read_csv(lait_files["long"], infer_schema=False).with_columns(pl.col("LA Number").cast(pl.Float64))
    frame.write_parquet(tmp_path / "bds_long_0.parquet")
    from_parquet = read_lait([tmp_path / "bds_long_0.parquet", lait_files["dictionary"]], codes)
    # LAIT's XLSX download: a title row above the header, numbers as numbers
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Local Authority Interactive Tool: data download"])
    ws.append(frame.columns)
    for r in frame.iter_rows():
        ws.append([float(c) if i == 5 else c for i, c in enumerate(r)])
    wb.save(tmp_path / "lait.xlsx")
    from_xlsx = read_lait([tmp_path / "lait.xlsx", lait_files["dictionary"]], codes)
    for other in (from_parquet, from_xlsx):
        assert other.problems == [] and other.values.equals(from_csv.values)
    assert from_csv.values.height == 240 and not from_csv.problems


def test_each_file_is_recognised_by_its_content(tmp_path, lait_files):
    assert {k: kind_of(p) for k, p in lait_files.items()} == {
        "long": "long",
        "dictionary": "dictionary",
        "neighbours": "neighbours",
    }
    other = tmp_path / "bds_long_0.csv"
    other.write_text("time_period,geographic_level\n2024,National\n")
    assert kind_of(other) is None
    got = read_lait([other, lait_files["long"]], la_codes())
    assert got.problems == [
        "bds_long_0.csv: not recognised as LAIT's long data (Short Desc, Years, LA and Regions, Values, …), its data "
        "dictionary (Measure_short, Polarity, …) or the statistical neighbours workbook (LA num, SN1, …)",
        "download (3).csv: the LAIT data dictionary is needed with it (give both files)",
    ]


def test_every_problem_in_every_lait_file_is_listed_at_once_and_nothing_is_written(tmp_path, lait_files):
    long = lait_files["long"]
    lines = long.read_text().splitlines()
    lines[4] = lines[4].replace("Bury,42.42", "Bury,forty-two")  # row 5: a value that is no number nor marker
    lines.append("Age19_SEN-S,,2023,Bury,40,351.0,North West")  # row 246: Bury 2023 a second time
    lines.append("Age19_SEN-S,,2024,Atlantis,12,999.0,North West")  # row 247: an authority of no DfE file
    lines.append("Level9Age19,,2024,Bury,50,351.0,North West")  # row 248: a measure the dictionary does not define
    long.write_text("\n".join(lines) + "\n")
    dictionary = lait_files["dictionary"]
    dictionary.write_bytes(dictionary.read_bytes().replace(b'"NA","% all pupils', b'"Up","% all pupils'))
    neighbours_workbook(
        lait_files["neighbours"],
        [[351, "Bury", 351, 5, "North West", *[x for n in [*NEIGHBOURS[:9], 999] for x in (n, "Close")]]],
    )
    cfg = config(tmp_path, list(lait_files.values()))
    with pytest.raises(BuildError) as err:
        build(cfg, as_at="2025-11-03", out_root=tmp_path / "out", log=quiet)
    assert err.value.problems == [
        "sn_may_2025.xlsx, sheet 'LA SN Groups', row 4, column 'SN10': value '999' — expected the number of a local "
        "authority of the DfE files",
        "download (3).csv, row 248, column 'Short Desc': value 'Level9Age19' — expected a measure of the data "
        "dictionary (download (4).csv)",
        "download (3).csv, row 5, column 'Values': value 'forty-two' — expected a number or one of LAIT's markers "
        "(-, x, .., :, z, n/a, c, *, low)",
        "download (3).csv, row 247, column 'LA and Regions': value 'Atlantis' — expected a local authority, region or "
        "England of the DfE files (LA number '999.0' is none of them either)",
        "download (4).csv, row 4, column 'Polarity': value 'Up' — expected High, Low, - or NA",
        "download (3).csv, row 5, column 'Years': value '2023' — expected one row per measure, year and area "
        "(Age19_SEN-S for Bury is also in row(s) 246)",
    ]
    assert not (tmp_path / "out").exists()


def test_a_lait_file_with_a_column_missing_is_named_with_the_others_problems(tmp_path, lait_files):
    long = lait_files["long"]
    long.write_text(long.read_text().replace("LA and Regions", "LA & Regions", 1))
    dictionary = lait_files["dictionary"]
    dictionary.write_bytes(dictionary.read_bytes().replace(b'"Year_Type",', b'"Year type",', 1))
    got = read_lait(list(lait_files.values()), la_codes())
    assert (
        got.problems
        == [
            "download (4).csv, column 'Year_Type': missing — LAIT's data dictionary has the columns Topic, Measure, "
            "Chart_title, Measure_short, Polarity, y_axis_name, Description, Last Update, Next Update, Hyperlink(s), dps, "
            "Year_Type",
        ]
        and got.values.height == 0
    )
    dictionary.write_bytes((FIX / "lait_data_dictionary.csv").read_bytes())
    got = read_lait(list(lait_files.values()), la_codes())
    assert got.problems == [
        "download (3).csv, column 'LA and Regions': missing — LAIT's long data has the columns Short Desc, Data "
        "item, Years, LA and Regions, Values, LA Number, Region"
    ]


@pytest.mark.parametrize(
    ("years", "year_type", "expected"),
    [
        ("2024", "Academic Year", (date(2023, 9, 1), date(2024, 8, 31), "2023/24", "")),
        ("2023/24", "Academic Year", (date(2023, 9, 1), date(2024, 8, 31), "2023/24", "")),
        ("2025", "Financial Year", (date(2024, 4, 1), date(2025, 3, 31), "2024-25", "")),  # as at 31 March 2025
        ("2016-17 (OT)", "Financial Year", (date(2016, 4, 1), date(2017, 3, 31), "2016-17", "Outturn")),
        ("2025", "Annual - January", (date(2025, 1, 1), date(2025, 1, 31), "January 2025", "")),
        ("2024", "Calendar Year", (date(2024, 1, 1), date(2024, 12, 31), "2024", "")),
        ("2014-16", "Calendar Year", (date(2014, 1, 1), date(2016, 12, 31), "2014-16", "")),  # three years
        ("2025 (prov)", "Academic Year", (date(2024, 9, 1), date(2025, 8, 31), "2024/25", "Provisional")),
        ("0", "Academic Year", None),
        ("2024", "Fortnightly", None),
    ],
)
def test_lait_years_as_periods(years, year_type, expected):
    assert period(years, year_type) == expected


def test_lait_names_and_numbers_match_the_dfe_files():
    codes = la_codes()
    # LAIT's spellings and the DfE files' reduce to the same words
    assert name_key("Kingston Upon Hull, City of") == name_key("Kingston upon Hull, City of")
    assert name_key("Durham") == name_key("County Durham") and name_key("Bedford Borough") == name_key("Bedford")
    assert name_key("Poole (Pre LG)") == name_key("Poole") and name_key("St. Helens") == name_key("St Helens")
    # numbers of authorities before the 2019–2023 reorganisations are known too
    assert (codes.by_number["837"], codes.by_number["909"], codes.by_number["942"]) == (
        "E06000028",
        "E10000006",
        "E06000063",
    )
    assert (
        kpi_id("Age19_SEN-S") == "lait_age19_sen_s"
        and kpi_id("NEW_KS2_RWM_Sen_W/Osta") == "lait_new_ks2_rwm_sen_w_osta"
    )


def test_an_unknown_setting_in_any_section_of_the_build_config_is_named_with_those_it_knows(tmp_path):
    cfg = {
        "area": {"la_code": BURY, "la_name": "Bury", "region": "North West"},
        "sources": {"laits": "x.parquet"},
        "comparators": {"neighbors": ["E10000017"]},
        "chs": {"providers_for": {}},
        "system": {"name": "Greater Manchester", "localities": [BURY], "ics": "QOP"},
    }
    assert config_problems(cfg, "ingest.toml", tmp_path) == [
        "ingest.toml [area]: 'region' is not a setting of [area] (expected la_code, la_name)",
        "ingest.toml [system]: 'ics' is not a setting of [system] (expected name, short_name, localities, icb, "
        "providers, names)",
        "ingest.toml [comparators]: 'neighbors' is not a setting of [comparators] (expected neighbours)",
        "ingest.toml [chs]: 'providers_for' is not a setting of [chs] (expected provider_for)",
        "ingest.toml [sources]: 'laits' is not a source (expected ehcp, lait, chs, wards, templates)",
    ]


def test_lait_files_uploaded_on_the_update_page_are_read_as_the_build_reads_them(demo_root, tmp_path, lait_files):
    from ingest.assemble import candidate
    from ingest.update import prepare, recognise

    uploads = [recognise(p.name, p.read_bytes()) for p in lait_files.values()]
    assert [(u.kind, u.note) for u in uploads] == [
        ("lait", "LAIT long data"),
        ("lait", "LAIT data dictionary"),
        ("lait", "DfE children's services statistical neighbours"),
    ]
    base = open_snapshot(demo_root / "2025-10-31")
    plan = prepare(base, uploads, work_dir=tmp_path, as_at="2025-11-30")
    assert plan.problems == []
    cat = plan.tables["kpi_catalogue"]
    added = set(cat["kpi_id"]) - set(base.frames["kpi_catalogue"]["kpi_id"])
    assert added == {"lait_ks1p_ehcp", "lait_sused_all"}  # new to the snapshot: on Benchmarks only
    assert set(cat.filter(pl.col("kpi_id").is_in(list(added)))["workstream"]) == {"BENCHMARKS"}
    # a measure the snapshot has keeps its place in the area's plan
    assert cat.filter(pl.col("kpi_id") == "lait_age19_sen_s")["workstream"].to_list() == ["PIP4"]
    ks1 = plan.tables["kpi_values"].filter((pl.col("kpi_id") == "lait_ks1p_ehcp") & (pl.col("area_code") == BURY))
    assert ks1["value"].to_list() == [21.0, 24.0]
    # the neighbours file's closeness words replace the snapshot's (its ten are the same authorities)
    assert plan.config["neighbours_set"]["closeness"]["E09000004"] == "Close"
    assert setup_of(candidate(base, plan, "2025-11-30").manifest).closeness["E09000004"] == "Close"
    assert {s["name"] for s in plan.sources} == {
        "LAIT long data",
        "LAIT data dictionary",
        "DfE children's services statistical neighbours",
    }
