"""Board mode as the room sees it, at 1920 × 1080 on every page: no text cut short, every chart's axes and legends
at 16 px or more, static tables (no scrolling grid), the Summary's exceptions first, theme names in the sidebar on
two lines at most. Screenshots of each page go to tests/e2e/screenshots/board_full_<page>.png to be looked at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.e2e.conftest import SHOTS, wait_until_drawn
from tests.e2e.test_browser import PAGES, assert_no_errors, url_path

MINIMUM_PX = 16

# Text elements whose content would be cut short if wider than their box: scrollWidth > clientWidth means the text
# runs past the box and is clipped, hidden or ellipsised (a box that simply wraps its text has equal widths).
# Elements that draw no box of their own (clientWidth 0, inline spans) cannot clip and are skipped.
CLIPPED = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const tags = 'p, li, td, th, h1, h2, h3, h4, h5, h6, label, button, summary, a, code, span, div[data-testid="stMetricValue"], div[data-testid="stMetricLabel"], div[data-testid="stCaptionContainer"]';
  const bad = [];
  for (const el of main.querySelectorAll(tags)) {
    if (!el.offsetParent || el.clientWidth === 0 || !el.innerText || !el.innerText.trim()) continue;
    if (el.closest('[data-testid="stVegaLiteChart"], [data-testid="stSidebar"], [data-testid="stTooltipIcon"]')) continue;
    if (el.scrollWidth > el.clientWidth + 1) bad.push([el.tagName, el.innerText.slice(0, 60), el.scrollWidth, el.clientWidth]);
  }
  return bad;
}
"""


def vega_specs(frames: list[bytes]) -> list[dict]:
    """The Vega-Lite specs the server sent in this page's ForwardMsgs (Streamlit's protobuf over the websocket)."""
    specs = []
    for payload in frames:
        msg = ForwardMsg.FromString(payload)
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "vega_lite_chart":
                specs.append(json.loads(element.vega_lite_chart.spec))
    return specs


def small_type(spec: dict) -> list[str]:
    """Every axis or legend font size under MINIMUM_PX, in the config or on any axis or legend of any layer; a
    spec that leaves its config at Vega-Lite's 10–11 px defaults counts as small."""
    found = []
    config = spec.get("config", {})
    for part in ("axis", "legend"):
        for key in ("labelFontSize", "titleFontSize"):
            size = config.get(part, {}).get(key)
            if not isinstance(size, (int, float)) or size < MINIMUM_PX:
                found.append(f"config.{part}.{key}={size}")

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("axis", "legend") and isinstance(value, dict):
                    for k in ("labelFontSize", "titleFontSize"):
                        if isinstance(value.get(k), (int, float)) and value[k] < MINIMUM_PX:
                            found.append(f"{where}.{key}.{k}={value[k]}")
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")

    walk({k: v for k, v in spec.items() if k not in ("config", "datasets", "data")}, "spec")
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("page_file", PAGES)
def test_board_mode_reads_from_the_back_of_the_room(server, page, page_file):
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f) if isinstance(f, bytes) else 0))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server}/{url_path(page_file)}?mode=board")
    wait_until_drawn(page)
    page.wait_for_timeout(800)  # the collapsed sidebar settles the layout
    assert_no_errors(page)
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()  # collapsed: wholly off the screen
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0, sidebar
    name = Path(page_file).stem
    page.screenshot(path=SHOTS / f"board_full_{name}.png")

    # Update data's grids are where an officer types the month's updates, never what the board is shown.
    if name != "update_data":
        assert page.locator('[data-testid="stDataFrame"]').count() == 0, "a scrolling grid in board mode"
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{name}: text cut short: {clipped}"
    specs = vega_specs(frames)
    assert len(specs) >= page.locator('[data-testid="stVegaLiteChart"]').count()
    for spec in specs:
        assert not small_type(spec), f"{name}: {spec.get('description', '')[:60]}: {small_type(spec)}"
    if name == "ward_demand":  # the map on the first screen, filling its column, its key beside it
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].slice(0, 2).map(e => {
                 const r = e.getBoundingClientRect(), c = e.closest('[data-testid="stColumn"]').getBoundingClientRect();
                 return {x: r.x, y: r.y, right: r.right, bottom: r.bottom, column: c.width}})"""
        )
        the_map, the_key = boxes
        assert the_map["bottom"] <= 1080, the_map
        assert the_map["right"] - the_map["x"] >= 0.9 * the_map["column"], the_map
        assert the_key["x"] >= the_map["right"] and the_key["y"] < the_map["bottom"], (the_map, the_key)
        assert "python -m" not in page.locator("body").inner_text()
    if page_file == PAGES[0]:  # the Summary opens with what needs the board's attention
        first_table = page.locator('[data-testid="stTable"]').first
        assert "Why it needs attention" in first_table.locator("thead").inner_text()
        heading = page.get_by_role("heading", name="Needs the board's attention").bounding_box()
        assert heading and heading["y"] < 1080

    # Theme names in the sidebar take two lines at most.
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.get_by_text("Board mode is on").wait_for()
    page.wait_for_timeout(600)  # the sidebar slides open
    lines = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] p')]
             .filter(s => s.innerText.startsWith("Theme"))
             .map(s => [s.innerText, Math.round(s.getBoundingClientRect().height /
                                                 parseFloat(getComputedStyle(s).lineHeight))])"""
    )
    assert lines and all(n <= 2 for _, n in lines), lines
