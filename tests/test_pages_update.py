"""AppTest: the Update data page — upload the month's templates, check them, preview the new snapshot against the
newest published one, publish it (verified, with who published it); a bad file lists its problems and writes
nothing; editing an action's status goes the same way; the public cannot reach the page."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from ingest.__main__ import main as ingest_main
from ingest.update import merge, problems_table, recognise
from tests.pages_helper import app, page_text, with_sign_in

TODAY = date.today().isoformat()
GOOD_VALUES = (
    "kpi_id,period_start,period_end,period_label,phase,value,numerator,denominator,status,note\n"
    "ehcp_20wk_month_pct,2025-10-01,2025-10-31,Oct 2025,all,90,18,20,,\n"
)
BAD_VALUES = (
    "kpi_id,period_start,period_end,period_label,phase,value,numerator,denominator,status,note\n"
    "ehcp_20wk_month_pct,2025-10-01,2025-10-31,Oct 2025,all,nan,18,20,,\n"
    "ehcp_20wk_month_pct,2025-11-01,2025-11-30,Nov 2025,all,95,30,20,,\n"
)


@pytest.fixture
def root(demo_root, tmp_path, monkeypatch):
    for name in ("2025-09-30", "2025-10-31"):
        shutil.copytree(demo_root / name, tmp_path / name)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    return tmp_path


def open_page(**user):
    at = with_sign_in(app(), user) if user else app()
    at.run()
    at.switch_page("pages/update_data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label).click()


def test_upload_check_preview_and_publish_a_verified_snapshot(root, capsys):
    at = open_page(email="data.officer@bury.gov.uk", name="Data officer")
    at.file_uploader[0].set_value([("kpi_values.csv", GOOD_VALUES.encode(), "text/csv")]).run()
    uploaded = next(df.value for df in at.dataframe if "Taken to be" in df.value.columns)
    assert list(uploaded["Taken to be"]) == ["local template: kpi_values"]
    button(at, "Check files").run()
    assert not at.exception
    text = page_text(at)
    assert "All files passed their checks" in text and "Nothing has been written yet" in text
    new = next(df.value for df in at.dataframe if "Period" in df.value.columns and "Value" in df.value.columns)
    assert ("Oct 2025", "90%") in set(zip(new["Period"], new["Value"], strict=True))
    assert "kpi_values: 1 row(s) added and 0 changed from kpi_values.csv." in text
    assert not (root / TODAY).exists()  # the preview writes nothing
    button(at, "Publish snapshot").run()
    assert not at.exception, [e.value for e in at.exception]
    assert (root / TODAY).is_dir()
    manifest = json.loads((root / TODAY / "manifest.json").read_text())
    assert manifest["published_by"]["name"] == "Data officer"
    assert manifest["published_by"]["email"] == "data.officer@bury.gov.uk"
    assert ingest_main(["check", str(root / TODAY)]) == 0
    assert "OK: snapshot" in capsys.readouterr().out
    assert at.selectbox(key="g_snapshot").value == TODAY  # the session moves to the new snapshot
    assert any("Published the snapshot of" in s.value for s in at.success)


def test_a_bad_file_lists_every_problem_and_writes_nothing(root):
    at = open_page()
    at.file_uploader[0].set_value(
        [("kpi_values.csv", BAD_VALUES.encode(), "text/csv"), ("notes.docx.csv", b"hello\n", "text/csv")]
    ).run()
    button(at, "Check files").run()
    assert any("3 problem(s) found. Nothing has been written." in e.value for e in at.error)
    problems = next(df.value for df in at.dataframe if "Expected" in df.value.columns)
    rows = list(zip(problems["File"], problems["Row"], problems["Column"], problems["Value"], strict=True))
    assert ("kpi_values.csv", "2", "value", "nan") in rows
    assert any(r[0] == "kpi_values.csv" and r[1] == "3" for r in rows)  # numerator above denominator
    assert any(
        "notes.docx.csv" in " ".join(r) or "notes.docx.csv" in p
        for r, p in zip(rows, problems["Expected"], strict=True)
    )
    assert not [b for b in at.button if b.label == "Publish snapshot"]
    assert sorted(p.name for p in root.iterdir()) == ["2025-09-30", "2025-10-31"]  # nothing written, nothing left


def test_editing_an_action_status_previews_the_change_and_publishes_it(root):
    at = open_page()
    state = {"edited_rows": {"0": {"status": "off_track"}}, "added_rows": [], "deleted_rows": []}
    at.session_state["ed_actions"] = state
    at.run()
    button(at, "Check changes").run()
    assert not at.exception, [e.value for e in at.exception]
    changes = next(df.value for df in at.dataframe if "Was" in df.value.columns)
    assert "Off track" in set(changes.astype(str).stack())
    button(at, "Publish snapshot").run()
    manifest = json.loads((root / TODAY / "manifest.json").read_text())
    assert manifest["published_by"]["name"] == "local user"
    assert manifest["changes"] == [{"table": "actions", "key": "A01", "by": "local user"}]


def test_the_public_cannot_reach_the_page(root):
    at = with_sign_in(app())
    at.run()
    at.switch_page("pages/update_data.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Summary"]
    assert any("Updating the data is for signed-in officers" in i.value for i in at.info)
    assert not at.file_uploader


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("kpi_values.csv", GOOD_VALUES.encode(), "local template: kpi_values"),
        ("my month.csv", GOOD_VALUES.encode(), "local template: kpi_values"),  # by its header
        ("requests.csv", b"time_period,geographic_level\n", "DfE EHC plans (SEN2) release"),
        ("release.zip", b"PK", "DfE EHC plans (SEN2) release"),
        ("wards.geojson", b"{}", "ONS ward boundaries (GeoJSON)"),
        ("returns.csv", b"period_end,area_code,service,waiting_total\n", "locality waiting-times return"),
        ("letter.csv", b"Dear board\n", "not recognised"),
    ],
)
def test_files_are_recognised_by_name_and_header(name, data, kind):
    assert recognise(name, data).label == kind


def test_merge_adds_new_keys_and_revises_known_ones():
    import polars as pl

    base = pl.DataFrame({"k": ["a", "b"], "v": [1, 2]})
    new = pl.DataFrame({"k": ["b", "c", "a"], "v": [3, 4, 1]})
    merged, added, changed = merge(base, new, ["k"])
    assert merged.to_dicts() == [{"k": "a", "v": 1}, {"k": "b", "v": 3}, {"k": "c", "v": 4}]
    assert (added, changed) == (1, 1)  # c is new; b changed; a is the same


def test_problems_split_into_file_row_column_value_expected():
    table = problems_table(["x.csv, row 4, column 'count': value '-1' — expected a number of at least 0", "y.zip: bad"])
    assert table.row(0) == ("x.csv", "4", "count", "-1", "a number of at least 0")
    assert table.row(1) == ("y.zip", "", "", "", "bad")


def test_editing_a_risk_and_writing_a_note_are_recorded_and_published(root):
    at = open_page(email="lead@bury.gov.uk", name="Workstream lead")
    at.session_state["ed_risks"] = {
        "edited_rows": {"0": {"likelihood": 2, "severity": 2}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.text_input(key="ed_role").set_value("Head of SEND")
    at.text_area(key="ed_text").set_value("**Impact:** the new panel met twice.\n\n- one\n- two")
    at.run()
    button(at, "Check changes").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    risk = next(df.value for df in at.dataframe if "Change" in df.value.columns and "Risk" in df.value.columns)
    assert len(risk) == 1
    button(at, "Publish snapshot").run()
    from metrics.snapshot import open_snapshot, scan_table

    snap = open_snapshot(root / TODAY)
    risks = scan_table(snap, "risks").collect()
    first = risks.row(0, named=True)
    assert (first["likelihood"], first["severity"], first["score"]) == (2, 2, 4)  # the score follows the edit
    notes = scan_table(snap, "commentary").collect()
    assert notes.filter(notes["written"] == date.today())["author_role"].to_list() == ["Head of SEND"]
    by = {c["table"]: c["by"] for c in snap.manifest["changes"]}
    assert by == {"risks": "Workstream lead (lead@bury.gov.uk)", "commentary": "Workstream lead (lead@bury.gov.uk)"}


def test_a_note_without_a_role_is_refused(root):
    at = open_page()
    at.text_area(key="ed_text").set_value("A note")
    at.run()
    button(at, "Check changes").run()
    assert any(
        "say who wrote it, by role" in e.value or "say who wrote it, by role" in str(e.value) for e in at.error
    ) or any("say who wrote it" in str(df.value.to_dict()) for df in at.dataframe)
    assert not (root / TODAY).exists()


def test_two_publishes_of_one_date_cannot_interleave(demo_tables, tmp_path, monkeypatch):
    import os

    import ingest.writer as writer
    from ingest.writer import WriteError, write_snapshot

    area = {"la_code": "E08000002", "la_name": "Bury"}
    real_rename = os.rename

    def someone_else_first(src, dst):  # the other officer's publish lands between this one's check and rename
        if str(dst).endswith("2025-10-31") and ".tmp-" in str(src) and not (tmp_path / "2025-10-31").exists():
            (tmp_path / "2025-10-31").mkdir()
            (tmp_path / "2025-10-31" / "manifest.json").write_text("{}")
        return real_rename(src, dst)

    monkeypatch.setattr(writer.os, "rename", someone_else_first)
    with pytest.raises(WriteError, match=r"published by someone else a moment ago|appeared while this one"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=area, demo=True)
    assert [p.name for p in tmp_path.iterdir()] == ["2025-10-31"]  # the other one's, untouched; no temporary left


def test_public_files_go_through_the_same_update(demo_root, tmp_path):
    """DfE release files, an NHS CHS workbook and ONS ward boundaries, uploaded: read by the importers' own readers,
    DfE indicators new to the snapshot get their catalogue definitions, and the candidate passes the contract."""
    from pathlib import Path

    from ingest.update import prepare
    from metrics.snapshot import open_snapshot
    from tests.test_ingest_geo import ons_style
    from tests.test_ingest_waits import build as chs_build

    fixtures = Path(__file__).parent / "fixtures" / "ees_2025"
    chs = chs_build(tmp_path / "chs.xlsx", "July 2025", "new")
    uploads = [
        recognise("requests.csv", (fixtures / "requests.csv").read_bytes()),
        recognise("caseload.csv", (fixtures / "caseload.csv").read_bytes()),
        recognise("ceased_plans.csv", (fixtures / "ceased_plans.csv").read_bytes()),
        recognise("chs.xlsx", chs.read_bytes()),
        recognise("wards.geojson", json.dumps(ons_style()).encode()),
    ]
    base = open_snapshot(demo_root / "2025-10-31")
    plan = prepare(base, uploads, work_dir=tmp_path, as_at="2025-11-30")
    assert plan.problems == []
    added = set(plan.tables["kpi_catalogue"]["kpi_id"]) - set(base.frames["kpi_catalogue"]["kpi_id"])
    # the ceased-plan reasons are not in the demo's extract: they come in with their definitions
    assert added == {"ehcp_ceased_education_employment_pct", "ehcp_ceased_moved_pct"}
    assert plan.tables["wards"]["geometry_source"].unique().to_list() == ["ons"]
    assert plan.tables["waiting_times"].filter(plan.tables["waiting_times"]["area_code"] == "RM3").height > 0
    assert [p.name for p in tmp_path.iterdir()] == ["chs.xlsx"]  # the uploads' temporary folder is gone
