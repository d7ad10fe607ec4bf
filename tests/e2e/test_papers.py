"""The board's papers in a real browser: papers not kept yet are prepared by a separate process while the page
stays usable, the buttons appear by themselves when the build is done, and the file downloaded is the kept pack."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import ROOT, SHOTS, streamlit_server, wait_until_drawn


@pytest.mark.e2e
def test_papers_are_prepared_in_the_background_then_download(tmp_path, page):
    for name in ("2025-09-30", "2025-10-31"):
        shutil.copytree(ROOT / "data" / "snapshots" / name, tmp_path / name)
    with streamlit_server(env={"SEND_SNAPSHOT_ROOT": str(tmp_path)}) as url:
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto(url)
        wait_until_drawn(page)
        page.get_by_role("button", name="Prepare the board papers (PDF and slides)").click()
        page.get_by_text("Preparing the board papers for 31 October 2025 against 30 September 2025").wait_for()
        # the app carries on while the build runs: another page opens, and back on the Summary the wait goes on
        page.get_by_role("link", name="Since last board").click()
        page.get_by_role("heading", name="Since last board").wait_for(timeout=10_000)
        page.get_by_role("link", name="Summary").click()
        pack = page.get_by_role("button", name="Download board pack (PDF)")
        pack.wait_for(timeout=90_000)  # the block checks back every two seconds until the papers are kept
        page.screenshot(path=SHOTS / "papers_ready.png")
        with page.expect_download() as got:
            pack.click()
        pdf = got.value.path().read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
        assert (tmp_path / ".papers").is_dir() and sorted(p.suffix for p in (tmp_path / ".papers").iterdir()) == [
            ".json",
            ".json",
            ".pdf",
            ".pptx",
        ]
        kept = next((tmp_path / ".papers").glob("*.pdf")).read_bytes()
        assert pdf == kept
    shutil.rmtree(tmp_path)
