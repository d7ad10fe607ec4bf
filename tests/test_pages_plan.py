"""AppTest: the Actions and risks page — counts, the tracker with overdue first, every open risk in its grid cell
(checked against the register), filters, both modes — and the grid in the board pack."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pytest

from metrics.plan import risk_grid
from metrics.snapshot import open_snapshot, scan_table
from tests.pages_helper import app, with_sign_in

PAGE = "pages/actions_risks.py"


def run(mode="officer", **state):
    at = app(mode=mode).run()
    at.switch_page(PAGE)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def grid_rows(at) -> list[dict]:
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["description"].startswith("Heat grid of 6 open risks")
    [dataset] = chart.proto.datasets  # Streamlit sends the spec's one dataset as Arrow beside it
    return pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()


def test_every_open_risk_sits_in_the_cell_of_its_likelihood_and_severity(demo_root):
    at = run()
    register = scan_table(open_snapshot(demo_root / "2025-10-31"), "risks").collect()
    cells = grid_rows(at)
    assert len(cells) == 25
    for r in register.filter(pl.col("status") == "open").iter_rows(named=True):
        cell = next(c for c in cells if (c["likelihood"], c["severity"]) == (r["likelihood"], r["severity"]))
        assert r["risk_id"] in cell["label"].split(), r["risk_id"]
        assert cell["score"] == r["likelihood"] * r["severity"] == r["score"]
    placed = sorted(ref for c in cells for ref in c["label"].split())
    assert placed == sorted(register.filter(pl.col("status") == "open")["risk_id"])  # each exactly once
    table = next(df.value for df in at.dataframe if "Mitigation" in df.value.columns)
    assert (
        list(table["Ref"])
        == register.sort(["status", "score", "risk_id"], descending=[True, True, False])["risk_id"].to_list()
    )


def test_grid_bands_and_scores_by_hand():
    risks = pl.LazyFrame(
        {
            "risk_id": ["R1", "R2", "R3"],
            "likelihood": [5, 2, 2],
            "severity": [5, 4, 4],
            "status": ["open", "open", "closed"],
        },
        schema={"risk_id": pl.String, "likelihood": pl.Int8, "severity": pl.Int8, "status": pl.String},
    )
    grid = risk_grid(risks).collect()
    at = {(r["likelihood"], r["severity"]): r for r in grid.iter_rows(named=True)}
    assert at[(5, 5)]["label"] == "R1" and at[(5, 5)]["band"] == "high" and at[(5, 5)]["score"] == 25
    assert at[(2, 4)]["label"] == "R2" and at[(2, 4)]["band"] == "medium"  # 8; the closed R3 is not placed
    assert at[(2, 3)]["band"] == "low" and at[(2, 3)]["n"] == 0  # 6
    assert grid["n"].sum() == 2


def test_counts_and_the_tracker_with_overdue_first():
    at = run()
    counts = {m.label: m.value for m in at.metric}
    assert counts == {"Actions": "13", "Overdue": "2", "Complete": "5", "Open risks": "6"}
    tracker = next(df.value for df in at.dataframe if "Action" in df.value.columns)
    assert len(tracker) == 13
    overdue = list(tracker["Overdue"])
    assert overdue[:2] == ["⚠ Overdue"] * 2 and set(overdue[2:]) == {""}


def test_filters_narrow_the_tracker():
    at = run(ar_status=["complete"])
    tracker = next(df.value for df in at.dataframe if "Action" in df.value.columns)
    assert len(tracker) == 5 and set(tracker["Status"]) == {"Complete"}
    assert any(m.value.startswith("**5 actions**") for m in at.markdown)


def test_board_mode_shows_static_tables_and_the_grid():
    at = run("board")
    assert not at.dataframe and len(at.table) == 2
    assert len(at.get("vega_lite_chart")) == 1
    assert not at.multiselect  # no filters on the board screen


@pytest.mark.parametrize("who", ["public", "officer"])
def test_the_page_is_in_the_navigation_for_both_roles(who):
    at = with_sign_in(app(), {"email": "a@bury.gov.uk", "name": "Officer"} if who == "officer" else None)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception and any(t.value == "Actions and risks" for t in at.title)


def test_an_overdue_action_is_red_in_the_app_the_pack_and_the_slides(snapshot_factory, tmp_path, monkeypatch):
    """One rule (METHODS §2) everywhere: A12, reported on track but due on 1 October 2025, is overdue at 31 October
    and Red, never Green; A13, not started and due in January 2026, is "Not yet due", never "No target"."""
    from datetime import date

    from boardpack import model
    from boardpack.slides import build_deck
    from ingest.demo import build_tables

    actions = build_tables(date(2025, 10, 31))["actions"].with_columns(
        due_date=pl.when(pl.col("action_id") == "A12").then(date(2025, 10, 1)).otherwise(pl.col("due_date"))
    )
    assert actions.filter(pl.col("action_id") == "A12")["status"].item() == "on_track"
    path = snapshot_factory(actions=actions)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(path.parent))

    at = run()
    tracker = next(df.value for df in at.dataframe if "Action" in df.value.columns)
    rows = {r["Ref"]: r for r in tracker.to_dict("records")}
    assert (rows["A12"]["Overdue"], rows["A12"]["Status"], rows["A12"]["RAG"]) == ("⚠ Overdue", "On track", "Red")
    assert rows["A13"]["RAG"] == "Not yet due"
    assert all(r["RAG"] == "Red" for r in rows.values() if r["Overdue"])

    pack = model.build(open_snapshot(path), None)
    by_ref = {a["Ref"]: a for a in pack.actions}
    assert (by_ref["A12"]["RAG"], by_ref["A13"]["RAG"]) == ("Red", "Not yet due")

    import io

    from pptx import Presentation

    prs = Presentation(io.BytesIO(build_deck(path, None)))
    cells = [
        [c.text for c in row.cells]
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
    ]
    a12 = next(r for r in cells if r[0] == "A12")
    assert a12[-1] == "Red" and "overdue" in a12[3], a12
    assert next(r for r in cells if r[0] == "A13")[-1] == "Not yet due"
