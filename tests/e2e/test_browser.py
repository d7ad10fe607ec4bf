"""Every page in a real browser (Debian chromium): it finishes, draws its charts and tables, shows no error; a
screenshot of each is saved under tests/e2e/screenshots/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SHOTS, wait_until_drawn
from tests.pages_helper import registered_pages

PAGES = registered_pages()


def url_path(page_file: str) -> str:
    return "" if page_file == PAGES[0] else Path(page_file).stem


# Every rule of WCAG 2.0, 2.1 and 2.2 at levels A and AA. (axe's further "best-practice" rules, not part of WCAG,
# find one minor thing, in Streamlit's own file-uploader markup on Update data: see the README's Accessibility.)
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def assert_accessible(page, where: str) -> None:
    """axe-core over the whole page, nothing excluded: no WCAG 2.2 A or AA violation of any impact."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}

    def scan() -> list:
        found = Axe().run(page, options=options).response["violations"]
        return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]

    bad = scan()
    if bad:  # a scan that lands while Streamlit redraws the sidebar sees its links half-made: look again, settled
        page.wait_for_timeout(1500)
        wait_until_drawn(page)
        bad = scan()
    assert not bad, f"{where}: {bad}"


def assert_no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).all_inner_texts()
    assert page.locator('[data-testid="stErrorElementStack"]').count() == 0


@pytest.mark.e2e
@pytest.mark.parametrize("page_file", PAGES)
def test_page_draws_without_errors(server, page, page_file):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/{url_path(page_file)}")
    wait_until_drawn(page)
    assert_no_errors(page)
    assert page.get_by_text("Demonstration data.").count() >= 1
    assert_accessible(page, page_file)
    page.screenshot(path=SHOTS / f"{Path(page_file).stem}.png", full_page=True)


@pytest.mark.e2e
@pytest.mark.parametrize("page_file", PAGES)
def test_board_mode_at_1920x1080(server, page, page_file):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server}/{url_path(page_file)}?mode=board")
    wait_until_drawn(page)
    assert_no_errors(page)
    # the sidebar starts collapsed, one click away behind its button; nothing is wider than the screen
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    assert sidebar is None or sidebar["x"] + sidebar["width"] <= 0, sidebar
    assert page.locator('[data-testid="stExpandSidebarButton"]').is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    assert_accessible(page, f"{page_file} (board mode)")
    page.screenshot(path=SHOTS / f"board_{Path(page_file).stem}.png")
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.get_by_text("Board mode is on").wait_for()  # the mode and the snapshot are there, one click away
    assert page.get_by_label("Snapshot (data as at)").count() >= 1


@pytest.mark.e2e
def test_board_mode_summary_opens_with_what_needs_the_boards_attention(server, page):
    """At 1920 × 1080 the board sees the exceptions first — each Red, special-cause concern, consistent fail or
    changed RAG with its reason — at least eight of them above the fold, then the counts and every indicator."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server}/?mode=board")
    wait_until_drawn(page)
    page.wait_for_timeout(500)  # the sidebar's collapse settles the layout
    heading = page.get_by_role("heading", name="Needs the board's attention").bounding_box()
    tables = page.locator('[data-testid="stTable"]')
    exceptions, every = tables.nth(0), tables.nth(1)
    assert "Why it needs attention" in exceptions.locator("thead").inner_text()
    rows = exceptions.locator("tbody tr")
    boxes = [rows.nth(i).bounding_box() for i in range(rows.count())]
    above = [b for b in boxes if b and b["y"] >= 0 and b["y"] + b["height"] <= 1080]
    assert rows.count() >= 8 and len(above) >= 8, (rows.count(), len(above))
    assert heading and heading["y"] < boxes[0]["y"]
    headline = page.locator('[data-testid="stMetric"]').first.bounding_box()
    assert headline and boxes[-1]["y"] < headline["y"] < every.bounding_box()["y"]  # then the counts, then all
    assert every.locator("tbody tr").count() >= 40
    page.screenshot(path=SHOTS / "board_summary_exceptions.png")


@pytest.mark.e2e
def test_navigation_and_controls_keep_state_in_the_url(server, page):
    page.goto(f"{server}/?as_at=2025-08-31")
    wait_until_drawn(page)
    assert page.get_by_text("31 August 2025").count() >= 1
    page.get_by_role("link", name="Data and methods").click()
    wait_until_drawn(page)
    assert_no_errors(page)
    assert "as_at=2025-08-31" in page.url


@pytest.mark.e2e
def test_ward_map_shows_a_ward_on_hover_and_opens_its_profile_on_click(server, page):
    page.set_viewport_size({"width": 1600, "height": 1100})
    page.goto(f"{server}/ward_demand")
    wait_until_drawn(page)
    assert_no_errors(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first  # the map, under its heading
    chart.locator("canvas, svg").first.wait_for(state="visible")
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    tooltip = page.locator("#vg-tooltip-element")
    for dx, dy in [(0.5, 0.5), (0.45, 0.4), (0.55, 0.6), (0.5, 0.3)]:  # points inside the borough
        x, y = box["x"] + box["width"] * dx, box["y"] + box["height"] * dy
        page.mouse.move(x, y)
        page.wait_for_timeout(400)
        if tooltip.count() and tooltip.first.is_visible() and "Rate per 1,000" in tooltip.first.inner_text():
            break
    text = tooltip.first.inner_text()
    assert "Rate per 1,000" in text and "95% interval" in text and "Count" in text
    page.screenshot(path=SHOTS / "ward_demand_tooltip.png")
    ward = text.split("Ward", 1)[1].split("Count", 1)[0].strip()
    other = "Ramsbottom" if ward != "Ramsbottom" else "Tottington"
    profile = page.get_by_role("combobox", name="Ward", exact=True)

    def click_the_ward() -> None:
        chart.scroll_into_view_if_needed()
        at = chart.bounding_box()
        page.mouse.click(at["x"] + at["width"] * dx, at["y"] + at["height"] * dy)
        settle(page)

    def choose(name: str) -> None:
        profile.evaluate("e => e.scrollIntoView({block: 'center'})")
        profile.click()
        page.keyboard.type(name)
        page.get_by_role("option", name=name, exact=True).click()
        settle(page)

    click_the_ward()
    assert profile.input_value() == ward  # the profile below is now the ward clicked
    choose(other)
    assert profile.input_value() == other  # and a ward chosen in the box afterwards is not undone by that click
    click_the_ward()
    assert profile.input_value() == ward  # the same ward clicked again opens again
    click_the_ward()
    choose(other)
    assert profile.input_value() == other
    assert_no_errors(page)


def settle(page) -> None:
    """Until the run a click started has finished and drawn."""
    page.wait_for_timeout(500)
    wait_until_drawn(page)


@pytest.mark.e2e
def test_keyboard_reaches_every_page_link_in_navigation_order(server, page):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(server)
    wait_until_drawn(page)
    titles = page.locator('[data-testid="stSidebar"] a').all_inner_texts()
    assert len(titles) == len(PAGES)  # every page, Update data included for the local officer
    focused = []
    for _ in range(len(PAGES) + 15):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("() => document.activeElement && document.activeElement.innerText || ''"))
    reached = [t for t in focused if t in titles]
    assert reached[: len(titles)] == titles  # each link once, top to bottom, before anything else of the sidebar
    page.locator('[data-testid="stSidebar"] a').nth(1).focus()
    page.keyboard.press("Enter")  # a focused link opens its page from the keyboard
    page.wait_for_url("**/since_last_board**")
    wait_until_drawn(page)
    assert_no_errors(page)


@pytest.mark.e2e
def test_benchmarks_names_the_ten_neighbours_and_ranks_within_the_region(server, page):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/benchmarks")
    wait_until_drawn(page)
    assert page.get_by_text("DfE children's services statistical neighbours, May 2025").count() >= 1
    assert page.get_by_role("heading", name="Statistical neighbours").count() == 1
    page.get_by_text("Within the North West only").click()
    page.get_by_role("heading", name="Every local authority in the North West").wait_for()
    wait_until_drawn(page)
    assert_no_errors(page)
    assert_accessible(page, "Benchmarks, within the region")
    page.screenshot(path=SHOTS / "benchmarks_region.png", full_page=True)


@pytest.mark.e2e
def test_theme_3_shows_level_2_and_3_at_19_by_sen_status_as_published(server, page):
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{server}/theme_3?ws=PIP4")
    wait_until_drawn(page)
    assert_no_errors(page)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert {"71.9%", "34.0%", "39.6%", "21.1%"} <= set(metrics), metrics
    assert page.get_by_text("Source: DfE Local Authority Interactive Tool (LAIT).").count() == 4


# Every value of the officer's Summary grid, read from the grid's own accessible table while it is scrolled through,
# then measured in the page's font: how many lines each value needs in its column (the grid breaks at spaces, with
# 8.5 px padding each side) and how wide each header is (bold, one line).
GRID_ROWS = """
async (rowHeight) => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const scroller = grid.querySelector('.dvn-scroller');
  const shown = () => [...grid.querySelectorAll('table tbody tr')];
  const rows = new Map();
  for (let top = 0; ; top += scroller.clientHeight / 2) {
    scroller.scrollTop = top;
    // the accessible table follows the scroll a frame or more later (longer on a busy machine): wait until it starts
    // at the first row now in view (aria-rowindex 1 is the header row)
    const first = Math.floor(scroller.scrollTop / rowHeight) + 2;
    const starts = () => Math.min(...shown().map(tr => +tr.getAttribute('aria-rowindex')));
    for (let i = 0; i < 50 && Math.abs(starts() - first) > 1; i++) {
      await new Promise(r => setTimeout(r, 100));
    }
    for (const tr of shown()) {
      rows.set(tr.getAttribute('aria-rowindex'), [...tr.querySelectorAll('td')].map(td => td.innerText));
    }
    if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1) break;
  }
  const headers = [...grid.querySelectorAll('table thead th')].map(th => th.innerText);
  return {headers, rows: [...rows.values()], scroll: [scroller.scrollWidth, scroller.clientWidth]};
}
"""
LINES_NEEDED = """
async ([widths, headers, rows]) => {
  await document.fonts.ready;
  const ctx = document.createElement('canvas').getContext('2d');
  const family = getComputedStyle(document.body).fontFamily;
  const lines = (text, room) => {
    let n = 1, line = '';
    for (const word of text.split(' ')) {
      if (ctx.measureText(word).width > room) return Infinity;  // one word wider than the column: cut short
      const longer = line ? line + ' ' + word : word;
      if (ctx.measureText(longer).width <= room) line = longer; else { n += 1; line = word; }
    }
    return n;
  };
  ctx.font = `600 14px ${family}`;
  const wide = headers.map((h, i) => [h, Math.ceil(ctx.measureText(h).width + 17), widths[i]]).filter(([, w, room]) => w > room);
  ctx.font = `14px ${family}`;
  const worst = headers.map((h, i) => {
    let most = [0, ''];
    for (const r of rows) { const n = lines(r[i] || '', widths[i] - 17); if (n > most[0]) most = [n, r[i]]; }
    return [h, ...most];
  });
  return {wide, worst};
}
"""


@pytest.mark.e2e
def test_officer_summary_grid_fits_1600_px_with_no_value_cut_short(server, page):
    """At 1600 × 900 with the sidebar open, the officer's Summary grid shows every column without scrolling across,
    every header on one line and every value within the three lines its rows hold (ui.tables.SUMMARY_GRID)."""
    from ui.tables import SUMMARY_GRID, SUMMARY_ROW_HEIGHT

    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(server)
    wait_until_drawn(page)
    # the grid lists in its accessible table only the rows inside the browser's window: a window tall enough for the
    # whole grid (1,300 px) and the same width, so the layout is the one measured
    page.set_viewport_size({"width": 1600, "height": 1500})
    page.locator('[data-testid="stDataFrame"]').first.evaluate("g => g.scrollIntoView()")
    found = page.evaluate(GRID_ROWS, SUMMARY_ROW_HEIGHT)
    scroll_width, client_width = found["scroll"]
    assert scroll_width <= client_width, f"the grid scrolls across: {scroll_width} px of columns in {client_width}"
    # the change column is headed by the compare snapshot's day and month (the demo's: 30 September 2025)
    labels = [label if label != "Since" else "Since 30 Sep" for label, _, _ in SUMMARY_GRID.values()]
    assert found["headers"] == labels
    # every indicator was read, not just the first screen: as many rows as the counts above the grid give ("12 of 55")
    total = int(page.locator('[data-testid="stMetricValue"]').first.inner_text().split(" of ")[1])
    assert total >= 40 and len(found["rows"]) == total
    widths = [width for _, width, _ in SUMMARY_GRID.values()]
    measured = page.evaluate(LINES_NEEDED, [widths, labels, found["rows"]])
    assert not measured["wide"], f"headers wider than their columns: {measured['wide']}"
    # the grid wraps values only in rows over 4rem (64 px); 66 px rows hold three lines of 14 px text
    assert SUMMARY_ROW_HEIGHT > 64
    most = 3
    text_columns = [c for c in SUMMARY_GRID if c not in ("Page", "RAG", "Last 24 periods")]  # link, pills, line
    over = [
        (h, n, value)
        for (h, n, value), column in zip(measured["worst"], SUMMARY_GRID, strict=True)
        if column in text_columns and n > most
    ]
    assert not over, f"values cut short (lines needed, at most {most}): {over}"
    page.set_viewport_size({"width": 1600, "height": 900})
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.evaluate("g => { g.querySelector('.dvn-scroller').scrollTop = 0; }")
    page.get_by_role("heading", name="Every indicator").evaluate("h => h.scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=SHOTS / "officer_summary_1600.png")  # the grid's first rows, headers included
