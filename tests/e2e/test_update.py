"""The month's update end to end in a real browser: upload every template, check them, see every changed row with
its old and new values, publish; the new snapshot is verified and chosen, and compared with the one before it. Then
an edit published from the second tab says so there. The server runs on its own copy of the demonstration
snapshots."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from metrics.formatting import fmt_date
from metrics.snapshot import open_snapshot, scan_table
from tests.e2e.conftest import SHOTS, streamlit_server, wait_until_drawn
from tests.test_pages_update import GOOD_VALUES

FILLED = Path(__file__).resolve().parents[1] / "fixtures" / "templates"  # every template with a row, as filled in


@pytest.fixture(scope="module")
def update_app(demo_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("snapshots")
    for name in ("2025-09-30", "2025-10-31"):
        shutil.copytree(demo_root / name, root / name)
    with streamlit_server(env={"SEND_SNAPSHOT_ROOT": str(root)}) as url:
        yield url, root


def sidebar_choice(page, label: str) -> str:
    """The value a sidebar select box shows (a combobox named by its label)."""
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label).input_value()


@pytest.mark.e2e
def test_upload_every_template_check_preview_publish_and_compare_with_the_one_before(update_app, page, tmp_path):
    url, root = update_app
    base = open_snapshot(root / "2025-10-31")
    old_title = scan_table(base, "actions").collect().row(0, named=True)["title"]
    files = []
    for template in sorted(FILLED.glob("*.csv")):
        path = tmp_path / template.name
        # the filled-in kpi_values row is already in the snapshot; this one adds October's figure
        path.write_text(GOOD_VALUES if template.name == "kpi_values.csv" else template.read_text())
        files.append(str(path))
    assert len(files) == 10
    page.set_viewport_size({"width": 1600, "height": 1400})
    page.goto(f"{url}/update_data")
    wait_until_drawn(page)
    assert sidebar_choice(page, "Compare with (last board)") == "30 September 2025"  # the one before 31 October
    assert page.locator('[data-testid="stDateInput"]').count() == 0  # the date is typed: no calendar
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files)
    page.get_by_text("local template: milestones").first.wait_for(state="attached", timeout=30_000)  # a grid cell
    page.get_by_role("button", name="Check files").click()
    page.get_by_text("All files passed their checks.").wait_for(timeout=60_000)
    wait_until_drawn(page)
    assert page.get_by_text("Every row that would change").count() == 1
    notes = [t.replace("\u2060", "") for t in page.locator("li").all_inner_texts()]  # markdown's word joiners out
    assert "kpi_values.csv: 1 row added and no rows changed in kpi_values." in notes
    assert "actions.csv: no rows added and 1 row changed in actions." in notes
    # every changed row, with the old value and the new: the grids' cells (their accessible table)
    for text in (old_title, "Publish the SEND strategy", "Recruitment and locum cover", "Progress review"):
        assert page.get_by_text(text, exact=True).count() >= 1, text
    for table in ("actions", "risks", "milestones", "ward_demand", "commentary", "kpi_values", "waiting_times"):
        assert page.locator(f"code:text-is('{table}')").count() == 1, table  # "**Actions** (`actions`): 1 changed"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.set_viewport_size({"width": 1600, "height": 6000})  # the app scrolls inside its own pane: show all of it
    wait_until_drawn(page)
    page.screenshot(path=SHOTS / "update_preview.png", full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1400})
    today = date.today().isoformat()
    assert not (root / today).exists()
    page.get_by_role("button", name="Publish snapshot").click()
    page.get_by_text("Published the snapshot of").wait_for(timeout=60_000)
    wait_until_drawn(page)
    snap = open_snapshot(root / today)
    assert json.loads(snap.manifest_json)["published_by"]["name"] == "local user"
    actions = scan_table(snap, "actions").collect()
    assert actions.filter(actions["action_id"] == "A01")["title"].to_list() == ["Publish the SEND strategy"]
    assert page.locator('[data-testid="stException"]').count() == 0
    # the session shows the new snapshot and compares it with the one before it, not with the old default
    assert sidebar_choice(page, "Snapshot (data as at)") == fmt_date(date.today())
    assert sidebar_choice(page, "Compare with (last board)") == "31 October 2025"
    assert "compare=2025-10-31" in page.url
    page.screenshot(path=SHOTS / "update_published.png", full_page=True)
    page.get_by_role("link", name="Since last board").click()
    page.get_by_role("heading", name="Since last board").wait_for(timeout=30_000)
    wait_until_drawn(page)
    assert page.get_by_text("31 October 2025").count() >= 1
    assert page.get_by_text("30 September 2025").count() == 0
    page.screenshot(path=SHOTS / "update_since_last_board.png", full_page=True)


@pytest.mark.e2e
def test_publishing_from_the_edit_tab_says_so_on_that_tab(update_app, page):
    url, root = update_app
    day = date.today() - timedelta(days=1)  # today's snapshot is the first test's
    page.set_viewport_size({"width": 1600, "height": 1400})
    page.goto(f"{url}/update_data")
    wait_until_drawn(page)
    field = page.get_by_label("Data as at (the new snapshot's date, day/month/year)")
    field.fill(day.strftime("%d/%m/%Y"))
    field.press("Enter")
    page.get_by_text(f"The new snapshot will be dated {day:%A} {fmt_date(day)}.").wait_for(timeout=30_000)
    edit = page.get_by_role("tab", name="Edit actions, risks and commentary")
    edit.click()
    wait_until_drawn(page)
    page.get_by_label("Written by (role, not a name)").fill("Head of SEND")
    page.get_by_label("Written by (role, not a name)").press("Tab")
    page.get_by_label("Note (bold, italic, lists and paragraphs; links show as text)").fill("The panel met twice.")
    page.get_by_label("Note (bold, italic, lists and paragraphs; links show as text)").press("Tab")
    wait_until_drawn(page)
    page.get_by_role("button", name="Check changes").click()
    page.get_by_text("Your changes passed their checks.").wait_for(timeout=60_000)
    wait_until_drawn(page)
    assert page.get_by_text("All files passed their checks.").count() == 0
    page.get_by_role("button", name="Publish snapshot").click()
    said = page.get_by_text(f"Published the snapshot of {fmt_date(day)}.")
    said.wait_for(timeout=60_000)
    wait_until_drawn(page)
    assert said.is_visible()
    assert edit.get_attribute("aria-selected") == "true"  # still on the tab the officer published from
    assert page.get_by_label("Note (bold, italic, lists and paragraphs; links show as text)").input_value() == ""
    notes = scan_table(open_snapshot(root / day.isoformat()), "commentary").collect()
    assert "The panel met twice." in notes["text"].to_list()
    page.screenshot(path=SHOTS / "update_edit_published.png", full_page=True)
