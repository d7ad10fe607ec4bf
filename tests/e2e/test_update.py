"""The month's update end to end in a real browser: upload a template, check it, see the preview, publish, and the
new snapshot is verified and chosen. The server runs on its own copy of the demonstration snapshots."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from metrics.snapshot import open_snapshot
from tests.e2e.conftest import SHOTS, streamlit_server, wait_until_drawn
from tests.test_pages_update import GOOD_VALUES


@pytest.fixture(scope="module")
def update_app(demo_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("snapshots")
    for name in ("2025-09-30", "2025-10-31"):
        shutil.copytree(demo_root / name, root / name)
    with streamlit_server(env={"SEND_SNAPSHOT_ROOT": str(root)}) as url:
        yield url, root


@pytest.mark.e2e
def test_upload_check_preview_publish(update_app, page, tmp_path):
    url, root = update_app
    upload = tmp_path / "kpi_values.csv"
    upload.write_text(GOOD_VALUES)
    page.set_viewport_size({"width": 1600, "height": 1400})
    page.goto(f"{url}/update_data")
    wait_until_drawn(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    page.get_by_text("local template: kpi_values").first.wait_for(state="attached", timeout=30_000)  # a grid cell
    page.get_by_role("button", name="Check files").click()
    page.get_by_text("All files passed their checks.").wait_for(timeout=30_000)
    wait_until_drawn(page)
    assert page.get_by_text("1 row(s) added and 0 changed from kpi_values.csv").count() == 1
    page.screenshot(path=SHOTS / "update_preview.png", full_page=True)
    today = date.today().isoformat()
    assert not (root / today).exists()
    page.get_by_role("button", name="Publish snapshot").click()
    page.get_by_text("Published the snapshot of").wait_for(timeout=30_000)
    snap = open_snapshot(root / today)
    assert json.loads(snap.manifest_json)["published_by"]["name"] == "local user"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=SHOTS / "update_published.png", full_page=True)
