"""`python -m ingest build`: a snapshot from fixture files in every real format plus the shipped templates, opened
page by page; and every kind of bad local file, each refused with a clear message and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.__main__ import main as ingest_main
from metrics.snapshot import list_snapshots, open_snapshot, scan_table
from tests.pages_helper import app, registered_pages
from tests.test_ingest_geo import ons_style
from tests.test_ingest_waits import build as chs_workbook

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures"


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def make_project(tmp_path: Path) -> Path:
    """A config, its sources (EES 2025 folder, 2022 sen2_mi, a CHS workbook, ward boundaries) and the templates."""
    src = tmp_path / "project"
    (src / "local").mkdir(parents=True)
    for f in (FIX / "templates").glob("*.csv"):  # the shipped templates are headers only: rows of our own
        shutil.copy(f, src / "local" / f.name)
    chs_workbook(src / "chs.xlsx", "July 2025", "new")
    (src / "wards.geojson").write_text(json.dumps(ons_style()))
    (src / "ingest.toml").write_text(f"""
[area]
la_code = "E08000002"
la_name = "Bury"
[sources]
ehcp = ["{FIX / "ees_2025"}", "{FIX / "ees_2022" / "sen2_mi.csv"}"]
chs = ["chs.xlsx"]
wards = "wards.geojson"
templates = "local"
[comparators]
neighbours = ["E06000001"]
[chs]
provider_for = {{ E08000002 = "RM3" }}
""")
    return src


def run_build(project: Path, out: Path, *extra: str) -> int:
    return ingest_main(
        ["build", "--config", str(project / "ingest.toml"), "--as-at", "2025-11-03", "--out", str(out), *extra]
    )


def test_build_from_real_formats_and_templates_then_every_page_opens(project, tmp_path, monkeypatch, capsys):
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 0
    log = capsys.readouterr().out
    assert "EHCP (SEN2): reading ees_2025" in log and "Ward boundaries: reading wards.geojson" in log
    snap = open_snapshot(out / "2025-11-03")
    assert snap.demo is False
    manifest = snap.manifest
    files = {s["file"] for s in manifest["sources"]}
    assert {"timeliness_20_week.csv", "sen2_mi.csv", "chs.xlsx", "wards.geojson", "actions.csv"} <= files
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])
    assert manifest["config"]["provider_for_locality"] == {"E08000002": "RM3"}
    assert manifest["config"]["comparators"]["neighbours"] == ["E06000001"]
    values = scan_table(snap, "kpi_values").collect()
    assert {
        "ehcp_20wk_pct",
        "ehcp_caseload",
        "wait_u18_salt_pct",
        "annual_review_overdue_pct",
        "local_offer_useful_pct",
    } <= set(values["kpi_id"])
    assert scan_table(snap, "wards").collect().height == 17
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(out))
    for mode in ("officer", "board"):
        for page in registered_pages():
            at = app(mode=mode).run()
            at.switch_page(page).run()
            assert not at.exception, (page, mode, [e.value for e in at.exception])
            assert not at.error, (page, mode, [e.value for e in at.error])
            assert "Demonstration data" not in "\n".join(w.value for w in at.warning)


def test_unconfigured_sources_leave_tables_empty_and_pages_say_so(tmp_path, monkeypatch):
    cfg = tmp_path / "ingest.toml"
    cfg.write_text(f'[area]\nla_code = "E08000002"\nla_name = "Bury"\n[sources]\nehcp = ["{FIX / "ees_2025"}"]\n')
    out = tmp_path / "snapshots"
    assert ingest_main(["build", "--config", str(cfg), "--as-at", "2025-11-03", "--out", str(out)]) == 0
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(out))
    for page, words in [
        ("pages/ward_demand.py", "No ward data in this snapshot"),
        ("pages/waiting_times.py", "No waiting-time data in this snapshot"),
    ]:
        at = app().run()
        at.switch_page(page).run()
        assert not at.exception and any(words in i.value for i in at.info)


BAD = [
    ("actions.xlsx", None, "not a readable XLSX workbook"),  # wrong file type: CSV text saved as .xlsx
    ("risks.csv", ("risk_id,workstreams", "risk_id,workstream"), "missing column(s) workstreams"),
    ("ward_demand.csv", (",60,1200", ",ten,1200"), "column 'count': value 'ten' — expected a whole number"),
    ("ward_demand.csv", (",60,1200", ",-3,1200"), "column 'count': value '-3' — expected a number of at least 0"),
    ("ward_demand.csv", ("E05014152,primary", "E05099999,primary"), "ward code(s) E05099999 are not wards"),
    ("waiting_times.csv", ("E08000002,salt", "E09000001,salt"), "column 'area_code': value 'E09000001'"),
    ("actions.csv", (",complete,", ",done,"), "column 'status': value 'done' — expected one of complete"),
    ("actions.csv", ("2025-03-20", "2031-01-01"), "expected a date that is not in the future"),
    ("commentary.csv", ("2025-10-20", "yesterday"), "column 'written': value 'yesterday' — expected a date"),
    ("kpi_values.csv", "", "the file is empty"),
    ("commentary.csv", ("Requests fell through 2024.", "Spend of £450,000 agreed."), "7 cells but the header has 6"),
    (
        "kpi_catalogue.csv",
        ("percent,higher_is_better", "percentage,higher_is_better"),
        "column 'unit': value 'percentage'",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_local_file_is_refused_and_nothing_written(project, tmp_path, capsys, name, change, message):
    local = project / "local"
    if name == "actions.xlsx":
        (local / "actions.csv").rename(local / "actions.xlsx")
    elif change == "":
        (local / name).write_text("")
    else:
        text = (local / name).read_text()
        assert change[0] in text
        (local / name).write_text(text.replace(change[0], change[1], 1))
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 1
    err = capsys.readouterr().err
    assert "Nothing was written" in err and message in err, err
    assert not out.exists() or (list_snapshots(out) == [] and list(out.iterdir()) == [])


def test_duplicates_and_several_problems_are_all_reported(project, tmp_path, capsys):
    local = project / "local"
    ms = (local / "milestones.csv").read_text()
    (local / "milestones.csv").write_text(ms + ms.splitlines()[1] + "\n")
    (local / "risks.csv").write_text((local / "risks.csv").read_text().replace("PIP2;PIP4", "PIP2;PIP9"))
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 1
    err = capsys.readouterr().err
    assert "milestones.csv, row 3: duplicates row 2 on (date, kind, title)" in err
    assert "risks.csv, row 2: workstreams: PIP9 not in" in err
    assert not out.exists()


def test_windows_1252_and_bom_templates_are_read(project, tmp_path):
    local = project / "local"
    text = (local / "commentary.csv").read_text().replace("Requests fell through 2024.", '"Spend of £450,000 agreed."')
    (local / "commentary.csv").write_bytes(text.encode("cp1252"))
    (local / "actions.csv").write_bytes("\ufeff".encode() + (local / "actions.csv").read_bytes())
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 0
    snap = open_snapshot(out / "2025-11-03")
    assert "£450,000" in scan_table(snap, "commentary").collect()["text"][0]
    assert scan_table(snap, "actions").collect()["action_id"].to_list() == ["A01"]


def test_existing_snapshot_is_refused_unless_replace(project, tmp_path, capsys):
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 0
    assert run_build(project, out) == 1
    assert "already exists" in capsys.readouterr().err
    assert run_build(project, out, "--replace") == 0
    assert len([p for p in out.iterdir() if p.name.startswith("2025-11-03.replaced-")]) == 1


def test_waiting_time_indicators_without_a_plan_are_a_topic_with_the_league_tables_a_click_away(
    project, tmp_path, monkeypatch
):
    """No [plan]: the locality returns' indicators sit in their topic, with no target (the first area's plan gave
    every area PIP3 and 80%), and the theme page still links them to the league tables."""
    out = tmp_path / "snapshots"
    assert run_build(project, out) == 0
    cat = scan_table(open_snapshot(out / "2025-11-03"), "kpi_catalogue").collect()
    waits = cat.filter(cat["kpi_id"].str.starts_with("wait_u18_"))
    assert (
        waits.height
        and set(waits["workstream"]) == {"COMMUNITY_WAITS"}
        and waits["target"].null_count() == waits.height
    )
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(out))
    at = app(ws="COMMUNITY_WAITS").run()
    at.switch_page("pages/theme_2.py").run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Waiting times for community health services"]
    links = [link.proto for link in at.get("page_link") if link.proto.label == "See the waiting-time league tables"]
    assert [link.page for link in links] == ["waiting_times"]
