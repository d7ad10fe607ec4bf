"""One way to lay files onto a snapshot: the one-source commands (`python -m ingest waits|chs|wards`) and the
Update data page's route (recognise → prepare → publish) give the same tables, byte for byte, from the same files on
the same base snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.__main__ import main as ingest_main
from ingest.assemble import Source, assemble, publish
from ingest.update import prepare, recognise
from metrics.schema import TABLES
from metrics.snapshot import open_snapshot
from tests.chs_workbooks import build as chs_workbook

BASE = "2025-10-31"
RETURN = (
    "period_end,area_code,service,waiting_total,waiting_under_18_weeks,waiting_over_52_weeks,median_wait_weeks\n"
    "2025-08,E08000002,salt,600,228,70,20.5\n"
    "2025-08-31,E08000003,salt,2000,1000,200,\n"
)


def geojson(path: Path, base: Path) -> Path:
    """The base snapshot's own wards as a boundary file (a square round each ward's point), so none is missing."""
    import polars as pl

    wards = pl.read_parquet(base / "wards.parquet")
    features = []
    for r in wards.iter_rows(named=True):
        x, y = r["lon"], r["lat"]
        ring = [[x - 0.01, y - 0.01], [x + 0.01, y - 0.01], [x + 0.01, y + 0.01], [x - 0.01, y + 0.01]]
        features.append(
            {
                "type": "Feature",
                "properties": {"WD24CD": r["ward_code"], "WD24NM": r["ward_name"], "LAD24CD": "E08000002"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def tables(folder: Path) -> dict[str, bytes]:
    return {name: (folder / f"{name}.parquet").read_bytes() for name in TABLES}


@pytest.mark.parametrize("command", ["waits", "chs", "wards"])
def test_a_file_gives_the_same_tables_by_the_command_and_by_the_update_page(tmp_path, demo_copy, command):
    root = demo_copy(BASE, root=tmp_path / "snapshots")
    if command == "waits":
        file = tmp_path / "waiting_times.csv"
        file.write_text(RETURN, encoding="utf-8")
    elif command == "chs":
        file = chs_workbook(tmp_path / "chs.xlsx", "July 2025", "new")
    else:
        file = geojson(tmp_path / "wards.geojson", root / BASE)
    extra = ["--la", "E08000002"] if command == "wards" else []
    assert ingest_main([command, str(file), *extra, "--out", str(root), "--as-at", "2025-11-20"]) == 0

    base = open_snapshot(root / BASE)
    upload = recognise(file.name, file.read_bytes())
    assert upload.kind == command  # the page takes the file to be what the command was told it is
    plan = prepare(base, [upload], work_dir=root, as_at="2025-11-21")
    assert not plan.problems, plan.problems
    publish(base, plan, out_root=root, as_at="2025-11-21", publisher={"name": "Test Officer"}, replace=False)

    by_command, by_page = tables(root / "2025-11-20"), tables(root / "2025-11-21")
    assert by_command == by_page
    assert by_command != tables(root / BASE)  # the file changed something, so the comparison says something


def test_the_one_assembly_route_lists_every_problem_at_once_and_keeps_no_tables(tmp_path, demo_copy):
    """Two returns with the same months, localities and services, and a third with a bad row: each problem is listed
    from the one call (file, row, what was expected), and the plan holds no tables to publish."""
    root = demo_copy(BASE, root=tmp_path / "snapshots")
    first, second, third = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    first.write_text(RETURN, encoding="utf-8")
    second.write_text(RETURN, encoding="utf-8")
    third.write_text(RETURN.split("\n", 1)[0] + "\n2025-09,E08000002,salt,lots,1,0,\n", encoding="utf-8")
    sources = [Source("waits", first), Source("waits", second), Source("waits", third)]
    plan = assemble(open_snapshot(root / BASE), sources)
    assert plan.tables == {}
    assert plan.problems == [
        "b.csv: 2 month/locality/service row(s) are in another return too",  # a.csv's two rows again
        "c.csv, row 2, column 'waiting_total': value 'lots' — expected a whole number",
        "c.csv, row 2: waiting_total is empty (no return) but other counts are filled in",  # 'lots' read as no count
    ]


def test_every_reader_gives_problems_with_their_fields_to_the_page(tmp_path, demo_copy):
    """One bad file of every kind the page reads, checked in one go: every problem is a Problem naming its file, and
    the table the page shows takes the file, row, column and value from it (none is parsed back from its line)."""
    from ingest.problems import Problem, problems_table

    root = demo_copy(BASE, root=tmp_path / "snapshots")
    files = {
        "milestones.csv": b"date,kind,title,detail\n2025-13-01,board,Board,\n",  # row 2: no 13th month
        "waiting_times.csv": (RETURN.split("\n", 1)[0] + "\n2025-09,E08000002,salt,lots,1,0,\n").encode(),
        "chs.xlsx": b"not a workbook",
        "requests.csv": b"a,b\n1,2\n",
        "wards.geojson": b'{"type": "FeatureCollection", "features": [5]}',
    }
    uploads = [recognise(name, data) for name, data in files.items()]
    plan = prepare(open_snapshot(root / BASE), uploads, work_dir=root, as_at="2025-11-21")
    assert plan.tables == {} and plan.problems
    assert all(isinstance(p, Problem) for p in plan.problems), [p for p in plan.problems if type(p) is str]
    table = problems_table(plan.problems)
    assert set(table["File"]) == set(files)  # every file named, each as its owner named it
    assert ("milestones.csv", "2", "date", "2025-13-01") in {r[:4] for r in table.rows()}
    assert ("waiting_times.csv", "2", "waiting_total", "lots") in {r[:4] for r in table.rows()}


def test_a_lone_dfe_file_is_named_once_in_its_problems(tmp_path):
    """A DfE file given alone was named twice ("requests.csv/requests.csv"), as if it were inside a zip of itself;
    a file inside a zip is named with the zip ("release.zip/requests.csv")."""
    import zipfile

    from ingest.ees import read_ehcp

    lone = tmp_path / "requests.csv"
    lone.write_bytes(b"a,b\n1,2\n")
    assert [p.file for p in read_ehcp(lone).problems] == ["requests.csv"]
    with zipfile.ZipFile(tmp_path / "release.zip", "w") as z:
        z.writestr("data/requests.csv", "a,b\n1,2\n")
    assert [p.file for p in read_ehcp(tmp_path / "release.zip").problems] == ["release.zip/requests.csv"]


@pytest.mark.parametrize(
    ("source", "route"), [("chs", "page"), ("chs", "command"), ("ehcp", "page")], ids=lambda v: str(v)
)
def test_a_build_with_a_source_equals_a_build_without_it_with_the_source_laid_on_after(tmp_path, source, route):
    """`python -m ingest build` is the same route as the Update data page and the one-source commands: a build with
    a file in its config gives, byte for byte, the tables of a build without it and the file laid on after (the CHS
    workbook; the 2025 DfE release, newer than the 2022 one the build keeps, as a zip)."""
    import zipfile

    from tests.test_ingest_build import FIX, make_project, run_build

    project, full, part = make_project(tmp_path), tmp_path / "full", tmp_path / "part"
    config = project / "ingest.toml"
    if source == "ehcp":  # its neighbour is in the 2025 release only; the neighbours are no table
        config.write_text(config.read_text().replace('neighbours = ["E06000001"]\n', ""))
    assert run_build(project, full) == 0
    if source == "chs":
        file = project / "chs.xlsx"
        config.write_text(config.read_text().replace('chs = ["chs.xlsx"]\n', ""))
    else:
        file = tmp_path / "education-health-and-care-plans_2025.zip"
        with zipfile.ZipFile(file, "w") as z:
            for f in sorted((FIX / "ees_2025").rglob("*.csv")):
                z.write(f, f"data/{f.name}")
        config.write_text(config.read_text().replace(f'"{FIX / "ees_2025"}", ', ""))
    assert run_build(project, part) == 0
    assert tables(part / "2025-11-03") != tables(full / "2025-11-03")  # the file matters to the tables

    base = open_snapshot(part / "2025-11-03")
    if route == "page":
        upload = recognise(file.name, file.read_bytes())
        assert upload.kind == source
        plan = prepare(base, [upload], work_dir=part, as_at="2025-11-04")
        assert not plan.problems, plan.problems
        publish(base, plan, out_root=part, as_at="2025-11-04", publisher={"name": "Test Officer"}, replace=False)
    else:
        assert ingest_main([source, str(file), "--out", str(part), "--as-at", "2025-11-04"]) == 0
    assert tables(part / "2025-11-04") == tables(full / "2025-11-03")


def test_an_older_dfe_release_laid_on_a_newer_one_leaves_the_newer_figures(tmp_path):
    """The newer release wins on every route: the 2023 file laid on a snapshot built from it and the 2025 release
    changes no figure (all 16 of its rows are there already, three of them as the 2025 release gives them, which an
    older figure laid over by key used to replace) and says so."""
    import polars as pl

    from tests.test_ingest_build import FIX, make_project, run_build

    project, out = make_project(tmp_path), tmp_path / "out"
    assert run_build(project, out) == 0
    base = open_snapshot(out / "2025-11-03")
    older = FIX / "ees_2022" / "sen2_mi.csv"
    plan = prepare(base, [recognise(older.name, older.read_bytes())], work_dir=out, as_at="2025-11-04")
    assert not plan.problems, plan.problems
    before = pl.read_parquet(out / "2025-11-03" / "kpi_values.parquet")
    assert plan.tables["kpi_values"].equals(before)
    left = "16 rows of the release to 2023 (sen2_mi.csv) were left as the snapshot has them, from a newer release, to 2025."
    assert left in plan.notes, plan.notes
