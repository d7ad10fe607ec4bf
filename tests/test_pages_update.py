"""AppTest: the Update data page — upload the month's templates, check them, preview the new snapshot against the
newest published one, publish it (verified, with who published it); a bad file lists its problems and writes
nothing; editing an action's status goes the same way; the public cannot reach the page."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest.__main__ import main as ingest_main
from ingest.problems import Problem, problems_table
from ingest.update import merge, recognise
from metrics.formatting import fmt_date
from tests.pages_helper import app, page_text, unescape, with_sign_in

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
def root(demo_copy, monkeypatch):
    root = demo_copy("2025-09-30", "2025-10-31")
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    return root


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
    assert "kpi_values.csv: 1 row added and no rows changed in kpi_values." in text
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
    assert any("3 problems found. Nothing has been written." in e.value for e in at.error)
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
    at.session_state["ed_actions_0"] = state
    at.run()
    button(at, "Check changes").run()
    assert not at.exception, [e.value for e in at.exception]
    changes = next(df.value for df in at.dataframe if "Action" in df.value.columns and "Was" in df.value.columns)
    assert "Off track" in set(changes.astype(str).stack())
    button(at, "Publish snapshot").run()
    manifest = json.loads((root / TODAY / "manifest.json").read_text())
    assert manifest["published_by"]["name"] == "local user"
    assert manifest["changes"] == [{"table": "actions", "key": "A01", "by": "local user"}]


def test_publishing_starts_the_new_snapshots_board_papers(root, paper_builds):
    at = open_page()
    at.session_state["ed_actions_0"] = {
        "edited_rows": {"0": {"status": "off_track"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    button(at, "Check changes").run()
    button(at, "Publish snapshot").run()
    assert not at.exception, [e.value for e in at.exception]
    # today's snapshot against the one before it (31 October), as the public are offered them
    [build] = paper_builds
    assert build.cmd[-4:] == ["--snapshot", TODAY, "--compare", "2025-10-31"]


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


def test_problems_keep_file_row_column_value_expected_from_the_reader(tmp_path):
    """The reader's fields reach the table as they were made. A file name with a comma and a colon in it, and a value
    with a quote and a dash, were split wrongly when the table parsed each line back with a pattern."""
    from ingest.local import TEMPLATES
    from ingest.templates import validate

    path = tmp_path / "Milestones, May: final.csv"
    path.write_text("date,kind,title,detail\n2025-13-01,board,It's — due,\n", encoding="utf-8")
    _rows, problems = validate(path, TEMPLATES["milestones"])
    table = problems_table(problems)
    assert table.row(0)[:4] == ("Milestones, May: final.csv", "2", "date", "2025-13-01")
    assert isinstance(problems[0], Problem) and str(problems[0]).startswith("Milestones, May: final.csv, row 2, ")
    assert problems_table(["a line that is no Problem"]).row(0) == ("", "", "", "", "a line that is no Problem")


def test_editing_a_risk_and_writing_a_note_are_recorded_and_published(root):
    at = open_page(email="lead@bury.gov.uk", name="Workstream lead")
    at.session_state["ed_risks_0"] = {
        "edited_rows": {"0": {"likelihood": 2, "severity": 2}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.text_input(key="ed_role").set_value("Head of SEND")
    at.text_area(key="ed_text").set_value("**Impact:** the new panel met twice.\n\n- one\n- two")
    at.run()
    at.checkbox(key="ed_keep_direction_R01").check().run()  # re-scored, its direction confirmed as it was
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


# ── the project's own templates, through the page ─────────────────────────────────────────────────────────────────
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "data" / "templates"
FILLED_DIR = Path(__file__).parent / "fixtures" / "templates"  # the templates with a row each, as an officer fills them
SHIPPED = sorted(p.name for p in TEMPLATES_DIR.glob("*.csv"))
FILLED = sorted(p.name for p in FILLED_DIR.glob("*.csv"))


def upload(at, folder: Path, names: list[str]):
    at.file_uploader[0].set_value([(n, (folder / n).read_bytes(), "text/csv") for n in names]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_shipped_template_is_a_header_with_no_rows():
    assert len(SHIPPED) == 10
    for name in SHIPPED:
        lines = (TEMPLATES_DIR / name).read_text().splitlines()
        assert len(lines) == 1, (name, "a template ships with its header only")


@pytest.mark.parametrize("names", [[n] for n in SHIPPED] + [SHIPPED], ids=[*SHIPPED, "all together"])
def test_every_shipped_template_alone_and_all_together_checks_and_previews(root, names):
    """Uploaded as shipped (headers only), each template checks and previews without an exception and says that it
    changes nothing; no Publish button, nothing written."""
    at = upload(open_page(), TEMPLATES_DIR, names)
    button(at, "Check files").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    assert "All files passed their checks." in text and "They change nothing in the snapshot of 31 October 2025" in text
    for name in names:
        assert f"{name}: the header and no rows" in text
    assert not [b for b in at.button if b.label == "Publish snapshot"]
    assert sorted(p.name for p in root.iterdir()) == ["2025-09-30", "2025-10-31"]


@pytest.mark.parametrize("names", [[n] for n in FILLED] + [FILLED], ids=[*FILLED, "all together"])
def test_every_template_filled_in_alone_and_all_together_checks_and_previews(root, names):
    """With a row each (kpi_catalogue.csv crashed on a list of dates, wards.csv on a missing "lon" column), every
    template checks and previews without an exception or a problem."""
    at = upload(open_page(), FILLED_DIR, names)
    button(at, "Check files").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    assert "All files passed their checks." in text
    assert "Nothing has been written yet" in text or "They change nothing" in text


def _rows_tables(at) -> dict[str, list[tuple]]:
    """The preview's "Every row that would change" tables, by the table named in the bold line above each."""
    tables = [df.value for df in at.dataframe if list(df.value.columns) == ["Row", "Change", "Column", "Was", "Now"]]
    names = [m.value.split("(`")[1].split("`)")[0] for m in at.markdown if m.value.startswith("**") and "(`" in m.value]
    assert len(names) == len(tables), (names, len(tables))
    return {n: list(t.itertuples(index=False, name=None)) for n, t in zip(names, tables, strict=True)}


def test_the_preview_lists_every_changed_row_with_its_old_and_new_values(root):
    """The filled-in templates revise rows the snapshot already has: each one is listed, column by column, with the
    snapshot's value and the file's, text included, in every table; a new row is listed with its values."""
    from metrics.snapshot import open_snapshot, scan_table

    base = open_snapshot(root / "2025-10-31")
    action = scan_table(base, "actions").collect().row(0, named=True)
    risk = scan_table(base, "risks").collect().row(0, named=True)
    at = upload(open_page(), FILLED_DIR, FILLED)
    button(at, "Check files").run()
    rows = _rows_tables(at)
    assert ("A01", "Changed", "title", action["title"], "Publish the SEND strategy") in rows["actions"]
    assert ("A01", "Changed", "progress_note", action["progress_note"], "Approved and published") in rows["actions"]
    assert ("R01", "Changed", "mitigation", risk["mitigation"], "Recruitment and locum cover") in rows["risks"]
    assert ("R01", "Changed", "workstreams", "; ".join(risk["workstreams"]), "PIP2; PIP4") in rows["risks"]
    milestone = [r for r in rows["milestones"] if r[2] == "detail"]
    assert [r[4] for r in milestone] == ["Progress review"]
    demand = scan_table(base, "ward_demand").collect().to_dicts()
    old = next(
        d
        for d in demand
        if (d["ward_code"], d["phase"], d["measure"], d["period_end"].isoformat())
        == ("E05014152", "primary", "ehcp_caseload", "2025-09-30")
    )
    assert ("2025-09-30 · E05014152 · primary · ehcp_caseload", "Changed", "count", str(old["count"]), "60") in rows[
        "ward_demand"
    ]
    added = [r for r in rows["commentary"] if r[1] == "Added"]
    assert added == [
        (
            "PIP1 · 2025-10-20 · impact",
            "Added",
            "",
            "",
            "author_role: Director of Education; text: Requests fell through 2024.",
        )
    ]
    # the catalogue row keeps the indicator's own SPC rebasing dates, which the template does not carry
    assert not any(r[2] == "spc_rebase" for r in rows.get("kpi_catalogue", []))
    text = page_text(at)
    assert "actions.csv: no rows added and 1 row changed in actions." in text


def test_the_same_template_twice_is_refused_naming_both_files(root):
    at = open_page()
    at.file_uploader[0].set_value(
        [
            ("kpi_values.csv", GOOD_VALUES.encode(), "text/csv"),
            ("kpi_values (1).csv", GOOD_VALUES.encode(), "text/csv"),
            ("milestones.csv", (FILLED_DIR / "milestones.csv").read_bytes(), "text/csv"),
        ]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    said = "kpi_values.csv and kpi_values (1).csv: each is the kpi_values template; put the rows in one file"
    assert any(said in unescape(w.value) for w in at.warning)  # said as soon as the files are chosen
    assert [c.label for c in at.checkbox if c.label.startswith("Replace")] == [
        "Replace this table: kpi_values (instead of merging kpi_values.csv and kpi_values (1).csv into it)",
        "Replace this table: milestones (instead of merging milestones.csv into it)",
    ]
    button(at, "Check files").run()
    assert not at.exception
    assert any("1 problem found. Nothing has been written." in e.value for e in at.error)
    problems = next(df.value for df in at.dataframe if "Expected" in df.value.columns)
    assert list(problems["File"]) == ["kpi_values.csv and kpi_values (1).csv"]
    assert not [b for b in at.button if b.label == "Publish snapshot"]
    assert sorted(p.name for p in root.iterdir()) == ["2025-09-30", "2025-10-31"]


def test_statuses_and_directions_are_offered_in_words():
    at = open_page()
    columns = {df.proto.id.split("-")[-1]: json.loads(df.proto.columns) for df in at.dataframe if df.proto.id}
    labels = {
        (table, col): [o["label"] for o in columns[table][col]["type_config"]["options"]]
        for table, col in (("ed_actions_0", "status"), ("ed_risks_0", "direction"), ("ed_risks_0", "status"))
    }
    assert labels[("ed_actions_0", "status")] == ["Complete", "On track", "At risk", "Off track", "Not started"]
    assert labels[("ed_risks_0", "direction")] == ["Rising", "Stable", "Falling"]
    assert labels[("ed_risks_0", "status")] == ["Open", "Closed"]


EDIT_TAB = "Edit actions, risks and commentary"


def test_publishing_from_the_edit_tab_says_so_there_and_stays_on_it(root):
    at = open_page()
    at.session_state["up_tab"] = EDIT_TAB  # the officer is on the second tab
    at.session_state["ed_actions_0"] = {
        "edited_rows": {"0": {"status": "at_risk"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.text_input(key="ed_role").set_value("Head of SEND")
    at.text_area(key="ed_text").set_value("The panel met twice.")
    at.run()
    button(at, "Check changes").run()
    text = page_text(at)
    assert "Your changes passed their checks." in text and "All files passed" not in text
    button(at, "Publish snapshot").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["up_tab"] == EDIT_TAB
    edit = at.tabs[1]
    said = [s.value for s in edit.success]
    assert any(f"Published the snapshot of {fmt_date(date.today())}" in s for s in said), said
    assert at.selectbox(key="up_base").value == TODAY  # the next update builds on what was just published
    assert not at.session_state["ed_actions_1"]["edited_rows"]  # the edits are in it; the grid starts again
    assert at.text_area(key="ed_text").value == "" and at.text_input(key="ed_role").value == "Head of SEND"


def test_a_risk_rescored_without_a_new_direction_is_questioned_first(root):
    """R01 is scored 4 × 4 = 16, "stable". Scored 2 × 4 = 8 with the direction left as it was, the officer is asked
    to set the direction or confirm it; setting it (falling) or ticking the box lets the change through."""
    at = open_page()
    at.session_state["ed_risks_0"] = {"edited_rows": {"0": {"likelihood": 2}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("re-scored a risk without changing its direction" in w.value for w in at.warning)
    box = at.checkbox(key="ed_keep_direction_R01")
    assert "the score goes from 16 to 8; keep the direction “Stable”" in box.label
    button(at, "Check changes").run()
    problems = next(df.value for df in at.dataframe if "Expected" in df.value.columns)
    assert list(problems["File"]) == ["risks"] and list(problems["Row"]) == ["risk R01"]
    assert "the score goes from 16 to 8 but the direction is still “Stable”" in problems["Expected"][0]
    assert not [b for b in at.button if b.label == "Publish snapshot"]
    at.checkbox(key="ed_keep_direction_R01").check().run()
    button(at, "Check changes").run()
    assert not at.error and [b for b in at.button if b.label == "Publish snapshot"]
    # a new direction needs no confirmation
    at.session_state["ed_risks_0"] = {
        "edited_rows": {"0": {"likelihood": 2, "direction": "falling"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not any("re-scored a risk" in w.value for w in at.warning)
    assert not [c for c in at.checkbox if c.key == "ed_keep_direction_R01"]


def test_the_snapshot_date_is_typed_day_first_with_no_calendar(root):
    """No calendar (its week began on Sunday in an American-English browser and its pop-up covered the tabs): the
    date is typed day first and read back in words; a date in the future or unreadable stops the check."""
    at = open_page()
    assert not at.date_input
    field = at.text_input(key="up_as_at")
    assert field.value == date.today().strftime("%d/%m/%Y")
    field.set_value("31/10/2025").run()
    assert any("The new snapshot will be dated Friday 31 October 2025." in c.value for c in at.caption)
    at.text_input(key="up_as_at").set_value("2099-01-01").run()
    assert any("1 January 2099 is in the future" in e.value for e in at.error)
    at.text_input(key="up_as_at").set_value("the end of October").run()
    assert any("Type the date as day/month/year" in e.value for e in at.error)
    assert next(b for b in at.button if b.label == "Check changes").disabled


def publish_one(at):
    at.file_uploader[0].set_value([("kpi_values.csv", GOOD_VALUES.encode(), "text/csv")]).run()
    button(at, "Check files").run()
    button(at, "Publish snapshot").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="g_snapshot").value == TODAY
    return at


@pytest.fixture
def root3(demo_copy, monkeypatch):
    root = demo_copy("2025-08-31", "2025-09-30", "2025-10-31")
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    return root


@pytest.mark.parametrize("query", [{}, {"as_at": "2025-10-31", "compare": "2025-09-30"}], ids=["default", "a link"])
def test_after_publishing_the_comparison_moves_on_to_the_snapshot_before(root3, query):
    """Viewing 31 October compared with 30 September (the one before, by default or by a link that says so), then
    publishing today's: the new snapshot is compared with 31 October, the one before it, not with 30 September."""
    at = app(**query)
    at.run()
    at.switch_page("pages/update_data.py").run()
    assert at.selectbox(key="g_compare").value == "2025-09-30"
    publish_one(at)
    assert at.selectbox(key="g_compare").value == "2025-10-31"
    assert at.query_params["compare"] == "2025-10-31"  # and the address says so


@pytest.mark.parametrize("how", ["sidebar", "link"])
def test_a_compare_snapshot_the_person_chose_is_kept(root3, how):
    at = app(as_at="2025-10-31", compare="2025-08-31") if how == "link" else app()
    at.run()
    if how == "sidebar":
        at.selectbox(key="g_compare").select("2025-08-31").run()
    at.switch_page("pages/update_data.py").run()
    assert at.selectbox(key="g_compare").value == "2025-08-31"
    publish_one(at)
    assert at.selectbox(key="g_compare").value == "2025-08-31"


def test_a_failure_no_check_foresaw_is_said_plainly_not_as_a_crash(root, monkeypatch):
    """Whatever a reader meets that no check foresaw, the officer gets one plain problem and nothing is written,
    never Streamlit's generic error (which is what kpi_catalogue.csv and wards.csv used to give)."""
    import ui.update

    def broken(*args, **kwargs):
        raise KeyError("lon")

    monkeypatch.setattr(ui.update, "prepare", broken)
    at = open_page()
    at.file_uploader[0].set_value([("kpi_values.csv", GOOD_VALUES.encode(), "text/csv")]).run()
    button(at, "Check files").run()
    assert not at.exception, [e.value for e in at.exception]
    problems = next(df.value for df in at.dataframe if "Expected" in df.value.columns)
    assert list(problems["File"]) == [""]  # not about one file: the whole sentence is in the last column
    assert problems["Expected"][0].startswith("Checking the files stopped on an unexpected KeyError, so nothing")
    assert sorted(p.name for p in root.iterdir()) == ["2025-09-30", "2025-10-31"]
