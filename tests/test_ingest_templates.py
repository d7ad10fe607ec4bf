"""The shipped templates and the update's reading of them: headers only, documented examples that pass their own
checks, merges that keep what a template does not carry, and the list of every changed row."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ingest.local import TEMPLATES, read_template
from ingest.problems import problems_table
from ingest.templates import validate
from ingest.update import merge, prepare, recognise, row_changes
from ingest.waits import locality_template, read_locality_return
from metrics.snapshot import open_snapshot, scan_table

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "templates"
FILLED = Path(__file__).parent / "fixtures" / "templates"


def documented_examples() -> dict[str, str]:
    """Each template's example in data/templates/README.md: its heading's file name → the CSV block under it."""
    text = (SHIPPED / "README.md").read_text()
    found = re.findall(r"### `(\w+)\.csv`.*?```csv\n(.*?)```", text, flags=re.S)
    return dict(found)


def test_each_shipped_template_is_its_readers_header_and_nothing_else():
    names = {p.stem for p in SHIPPED.glob("*.csv")}
    assert names == set(TEMPLATES) | {"waiting_times"}
    for p in SHIPPED.glob("*.csv"):
        shape = locality_template(()) if p.stem == "waiting_times" else TEMPLATES[p.stem]
        assert p.read_text() == ",".join(shape.header()) + "\n", p.name


def test_every_template_has_a_documented_example_that_passes_its_checks(tmp_path):
    examples = documented_examples()
    assert set(examples) == set(TEMPLATES) | {"waiting_times"}
    for name, block in examples.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(block)
        if name == "waiting_times":
            frame, problems = read_locality_return(path, ("E08000001",))
        else:
            frame, problems = read_template(name, path, la_code="E08000001")
        assert problems == [], (name, problems)
        assert frame.height == 1, name
        header = block.splitlines()[0].split(",")
        shape = locality_template(()) if name == "waiting_times" else TEMPLATES[name]
        assert header == shape.header(), name


def test_a_shipped_template_read_alone_is_refused_as_having_no_rows_in_a_build():
    rows, problems = validate(SHIPPED / "actions.csv", TEMPLATES["actions"])
    assert rows == [] and problems == ["actions.csv: no data rows under the header"]


def test_merge_of_a_catalogue_row_keeps_its_spc_rebasing_dates():
    """A list-of-dates column made the whole-row comparison fail ("list join with non-string dtype"); and a row a
    template revises keeps the columns the template does not carry."""
    base = pl.DataFrame(
        {"kpi_id": ["a", "b"], "target": [90.0, 50.0], "spc_rebase": [[date(2024, 1, 1)], []]},
        schema={"kpi_id": pl.String, "target": pl.Float64, "spc_rebase": pl.List(pl.Date)},
    )
    new = pl.DataFrame(
        {"kpi_id": ["a", "c"], "target": [80.0, 10.0], "spc_rebase": [[], []]},
        schema={"kpi_id": pl.String, "target": pl.Float64, "spc_rebase": pl.List(pl.Date)},
    )
    merged, added, changed = merge(base, new, ["kpi_id"], keep=("spc_rebase",))
    assert merged.to_dicts() == [
        {"kpi_id": "a", "target": 80.0, "spc_rebase": [date(2024, 1, 1)]},  # revised, rebasing kept
        {"kpi_id": "b", "target": 50.0, "spc_rebase": []},
        {"kpi_id": "c", "target": 10.0, "spc_rebase": []},  # new: its own (empty) list
    ]
    assert (added, changed) == (1, 1)


def test_row_changes_lists_each_changed_cell_and_each_added_or_removed_row():
    """Actions A1 (status and note changed), A2 (unchanged), A3 removed, A4 added: two changed cells, one added row,
    one removed row; nothing for A2."""
    cols = {
        "action_id": pl.String,
        "workstream": pl.String,
        "title": pl.String,
        "owner_role": pl.String,
        "due_date": pl.Date,
        "status": pl.String,
        "progress_note": pl.String,
        "updated": pl.Date,
    }
    d = date(2025, 10, 1)
    before = pl.DataFrame(
        [
            ("A1", "PIP1", "One", "Head", d, "on_track", "Going well", d),
            ("A2", "PIP1", "Two", "Head", d, "complete", "", d),
            ("A3", "PIP2", "Three", "Head", d, "at_risk", "", d),
        ],
        schema=cols,
        orient="row",
    )
    after = pl.DataFrame(
        [
            ("A1", "PIP1", "One", "Head", d, "off_track", "Funding, withdrawn", d),
            ("A2", "PIP1", "Two", "Head", d, "complete", "", d),
            ("A4", "PIP3", "Four", "Lead", d, "not_started", "", d),
        ],
        schema=cols,
        orient="row",
    )
    rows = row_changes({"actions": before}, {"actions": after})
    assert rows.rows() == [
        ("actions", "A1", "Changed", "status", "on_track", "off_track"),
        ("actions", "A1", "Changed", "progress_note", "Going well", "Funding, withdrawn"),
        (
            "actions",
            "A4",
            "Added",
            "",
            "",
            "workstream: PIP3; title: Four; owner_role: Lead; due_date: 2025-10-01; status: not_started; "
            "updated: 2025-10-01",
        ),
        (
            "actions",
            "A3",
            "Removed",
            "",
            "workstream: PIP2; title: Three; owner_role: Head; due_date: 2025-10-01; status: at_risk; "
            "updated: 2025-10-01",
            "",
        ),
    ]


@pytest.fixture(scope="module")
def base(demo_root):
    return open_snapshot(demo_root / "2025-10-31")


def test_wards_csv_changes_names_and_deciles_but_keeps_each_wards_outline(base, tmp_path):
    from metrics.snapshot import scan_table

    wards = scan_table(base, "wards").collect()
    first = wards.row(0, named=True)
    text = f"ward_code,ward_name,town,imd_decile\n{first['ward_code']},Renamed,{first['town']},1\n"
    plan = prepare(base, [recognise("wards.csv", text.encode())], work_dir=tmp_path, as_at="2025-11-30")
    assert plan.problems == []
    row = plan.tables["wards"].filter(pl.col("ward_code") == first["ward_code"]).row(0, named=True)
    assert (row["ward_name"], row["imd_decile"]) == ("Renamed", 1)
    assert (row["geometry"], row["lon"], row["lat"]) == (first["geometry"], first["lon"], first["lat"])
    changed = {r[3]: (r[4], r[5]) for r in plan.rows.rows()}
    assert changed["ward_name"] == (first["ward_name"], "Renamed")
    assert "geometry" not in changed
    unknown = prepare(
        base,
        [recognise("wards.csv", b"ward_code,ward_name,town,imd_decile\nE05999999,New,Town,2\n")],
        work_dir=tmp_path,
        as_at="2025-11-30",
    )
    assert unknown.problems == [
        "wards.csv: ward code(s) E05999999 are not wards of the snapshot; a ward's outline comes from the ONS "
        "boundary file, so upload it with wards.csv"
    ]


def test_a_header_only_file_cannot_replace_a_table(base, tmp_path):
    up = recognise("milestones.csv", (SHIPPED / "milestones.csv").read_bytes())
    plan = prepare(base, [up], replace={"milestones"}, work_dir=tmp_path, as_at="2025-11-30")
    assert plan.problems == [
        "milestones.csv: the header and no rows, so it cannot replace milestones; add the rows, or untick "
        "“Replace this table”"
    ]


def test_a_catalogue_row_for_a_known_indicator_keeps_its_spc_rebasing(base, tmp_path):
    """ehcp_20wk_month_pct is rebased at 2024-01-01 in the snapshot; the template has no column for that. A row
    setting its target to 65 revises the target and keeps the rebasing date, and the preview lists the target."""
    from metrics.snapshot import scan_table

    old = (
        scan_table(base, "kpi_catalogue").collect().filter(pl.col("kpi_id") == "ehcp_20wk_month_pct").row(0, named=True)
    )
    assert old["spc_rebase"] == [date(2024, 1, 1)]
    lines = (FILLED / "kpi_catalogue.csv").read_text().splitlines()
    row = lines[1].replace("local_offer_useful_pct", "ehcp_20wk_month_pct", 1)
    plan = prepare(
        base, [recognise("kpi_catalogue.csv", f"{lines[0]}\n{row}\n".encode())], work_dir=tmp_path, as_at="2025-11-30"
    )
    assert plan.problems == []
    new = plan.tables["kpi_catalogue"].filter(pl.col("kpi_id") == "ehcp_20wk_month_pct").row(0, named=True)
    assert (new["target"], new["spc_rebase"]) == (65.0, [date(2024, 1, 1)])
    columns = [r[3] for r in plan.rows.rows() if r[1] == "ehcp_20wk_month_pct"]
    assert "target" in columns and "spc_rebase" not in columns


def test_problems_name_a_risk_as_the_row(demo_root):
    """R01 re-scored from 4 × 4 = 16 to 2 × 4 = 8 with its direction left "stable": the edit's problem reaches the
    table with its fields as made (the table, the risk as the row), not parsed back from its line."""
    from ingest.update import apply_edits

    base = open_snapshot(demo_root / "2025-10-31")
    risks = scan_table(base, "risks").collect()
    edited = risks.with_columns(likelihood=pl.when(pl.col("risk_id") == "R01").then(2).otherwise("likelihood"))
    plan = apply_edits(base, actions=None, risks=edited, notes=[], as_at=date(2025, 11, 1), who="Test Officer")
    assert problems_table(plan.problems).row(0) == (
        "risks",
        "risk R01",
        "",
        "",
        "the score goes from 16 to 8 but the direction is still “Stable” — set the direction that the new score "
        "shows, or tick the box to confirm it is unchanged",
    )


def test_a_template_or_boundary_file_twice_is_one_problem_naming_the_files():
    from ingest.update import duplicates

    uploads = [
        recognise("kpi_values.csv", (SHIPPED / "kpi_values.csv").read_bytes()),
        recognise("my month.csv", (SHIPPED / "kpi_values.csv").read_bytes()),  # the same template, by its header
        recognise("a.geojson", b"{}"),
        recognise("b.geojson", b"{}"),
        recognise("milestones.csv", (SHIPPED / "milestones.csv").read_bytes()),
    ]
    assert duplicates(uploads) == [
        "kpi_values.csv and my month.csv: each is the kpi_values template; put the rows in one file and upload that "
        "(which file would win depends on the order they were chosen in, so neither is used)",
        "a.geojson and b.geojson: each is ONS ward boundaries; upload only the one to use (which file would win "
        "depends on the order they were chosen in, so neither is used)",
    ]
