"""The board slides (PowerPoint), read back with python-pptx: a valid package whose every referenced part exists
and parses, with whole-number coordinates; every title in its slide's title placeholder; every shape inside the
slide and above the footer, tables split by height; a footer naming the publishers on every slide; the key
messages after the title slide and since the last board as tables, both as the pack model has them; native charts
carrying the indicators' own values under short period labels; alt text on every picture; commentary in the notes
as plain text; type of at least 18 pt; and never an exact ward count."""

from __future__ import annotations

import io
import math
import re
import zipfile
from xml.etree import ElementTree

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.util import Inches, Pt

from boardpack import model
from boardpack.slide_text import plain_text, text_lines, text_width
from boardpack.slides import build_deck, build_pptx
from ingest.demo import CATALOGUE
from metrics import series
from metrics.formatting import short_period_label
from metrics.schema import BENCHMARK_ONLY
from metrics.snapshot import open_snapshot, scan_table
from tests.leaks import exact_ward_counts, numbers_in_text

# every indicator of the demo catalogue the board follows (not LAIT's measures shown on Benchmarks only)
N_INDICATORS = len([k for k in CATALOGUE if k.workstream != BENCHMARK_ONLY])


@pytest.fixture(scope="module")
def deck(demo_root):
    return build_deck(demo_root / "2025-10-31", demo_root / "2025-09-30")


@pytest.fixture(scope="module")
def prs(deck):
    return Presentation(io.BytesIO(deck))


@pytest.fixture(scope="module")
def pack(demo_root):
    return model.build(open_snapshot(demo_root / "2025-10-31"), open_snapshot(demo_root / "2025-09-30"))


def titled(prs, start: str) -> list:
    """The slides whose title starts with `start`."""
    return [s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text_frame.text.startswith(start)]


def tables(slide) -> list[list[list[str]]]:
    """Each table on a slide as rows of cell text, the header first."""
    return [[[c.text for c in row.cells] for row in s.table.rows] for s in slide.shapes if s.has_table]


def all_text(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) + "\n".join(
        c.text for s in slide.shapes if s.has_table for row in s.table.rows for c in row.cells
    )


def test_the_package_is_valid_every_referenced_part_exists_and_parses(deck):
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        names = set(z.namelist())
        assert "[Content_Types].xml" in names and "ppt/presentation.xml" in names
        for name in names:
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(z.read(name))  # every XML part parses
        for rels in [n for n in names if n.endswith(".rels")]:
            base = rels.replace("_rels/", "").removesuffix(".rels")
            folder = base.rsplit("/", 1)[0] if "/" in base else ""
            for rel in ElementTree.fromstring(z.read(rels)):
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target")
                path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
                assert path in names, f"{rels} points at a missing part {path}"
    Presentation(io.BytesIO(deck))  # and python-pptx reopens it


def _join(folder: str, target: str) -> str:
    parts = (folder.split("/") if folder else []) + target.split("/")
    out: list[str] = []
    for p in parts:
        if p == "..":
            out.pop()
        elif p not in ("", "."):
            out.append(p)
    return "/".join(out)


def test_16_by_9_with_a_footer_on_every_slide(prs):
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)
    assert len(prs.slides) >= 20
    for n, slide in enumerate(prs.slides, start=1):
        [footer] = [s for s in slide.shapes if s.name == "Footer"]
        text = footer.text_frame.text
        assert "Data as at 31 October 2025" in text and "Open Government Licence" in text, n
        # the publishers of the snapshot's sources; the demonstration generator is flagged as such instead
        assert "Sources: Department for Education ·" in text and "this project" not in text, n
        assert "c = fewer than 8" in text and "DEMONSTRATION DATA" in text, n


def test_the_title_slide_says_demonstration_data(prs):
    text = all_text(prs.slides[0])
    assert "Bury · Priority Impact Plan board papers" in text and "Demonstration data" in text
    assert "Data as at 31 October 2025; compared with the snapshot of 30 September 2025" in text


def test_type_is_at_least_18_points_except_the_footer(prs):
    for slide in prs.slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame and shape.name != "Footer" else []
            if shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            for frame in frames:
                for p in frame.paragraphs:
                    for run in p.runs:
                        if run.text.strip():
                            assert run.font.size is not None and run.font.size >= Pt(18), run.text


def test_the_summary_slides_give_every_indicator_with_its_rag_word_and_colour(prs, demo_root):
    summary = [s for s in prs.slides if all_text(s).startswith("Summary")]
    rows = [
        [c.text for c in row.cells]
        for s in summary
        for shape in s.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
    ]
    assert len(rows) == N_INDICATORS
    rag_cells = [
        row.cells[5] for s in summary for shape in s.shapes if shape.has_table for row in list(shape.table.rows)[1:]
    ]
    colours = {c.text: str(c.fill.fore_color.rgb) for c in rag_cells}
    assert colours["Green"] == "CCE2D8" and colours["Red"] == "F6D7D2" and colours["Amber"] == "FFF1B8"


@pytest.mark.parametrize("kpi_id", ["ehcp_20wk_month_pct", "wait_u18_ot_pct"])
def test_native_charts_hold_the_indicators_own_values(prs, demo_root, kpi_id):
    snap = open_snapshot(demo_root / "2025-10-31")
    cat = scan_table(snap, "kpi_catalogue").collect()
    k = cat.filter(cat["kpi_id"] == kpi_id).row(0, named=True)
    res = series.all_series(cat, scan_table(snap, "kpi_values"), area_code="E08000002", phase="all")[kpi_id].sort(
        "period_end"
    )
    charts = [s.chart for slide in prs.slides for s in slide.shapes if s.has_chart and s.name == f"Chart: {k['title']}"]
    assert charts, f"no native chart for {kpi_id}"
    chart = charts[0]
    plot = chart.plots[0]
    assert list(plot.categories) == [short_period_label(p) for p in res["period_label"].to_list()]
    area = next(s for s in plot.series if s.name == "Bury")
    assert list(area.values) == pytest.approx(res["value"].to_list())
    if k["target"] is not None:
        target = next(s for s in plot.series if s.name == "Target")
        assert set(target.values) == {k["target"]}


def test_every_picture_has_alt_text(deck):
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        pictures = 0
        for name in [n for n in z.namelist() if re.match(r"ppt/slides/slide\d+\.xml$", n)]:
            xml = z.read(name).decode()
            for pic in re.findall(r"<p:pic>.*?</p:pic>", xml, flags=re.S):
                pictures += 1
                descr = re.search(r'<p:cNvPr [^>]*descr="([^"]+)"', pic)
                assert descr and len(descr.group(1)) > 20, name
        assert pictures == 3  # the ward map, its key and the risk grid


def test_the_notes_hold_the_latest_commentary(prs, demo_root):
    snap = open_snapshot(demo_root / "2025-10-31")
    pack = model.build(snap, None)
    pip1 = next(w for w in pack.workstreams if w.code == "PIP1")
    slide = next(s for s in prs.slides if all_text(s).startswith(pip1.title))
    notes = slide.notes_slide.notes_text_frame.text
    assert pip1.commentary and all(plain_text(c["text"]) in notes for c in pip1.commentary)


def test_no_ward_count_of_1_to_7_and_no_unrounded_ward_count_anywhere(sentinel_root):
    root = sentinel_root
    deck = build_deck(root / "2025-10-31", root / "2025-09-30")
    exact = exact_ward_counts(root / "2025-10-31")
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    assert not numbers_in_text(re.sub(r"<[^>]+>", " ", xml)) & exact
    # and in the demo deck every count cell of the ward tables is 0, c or a multiple of 5 from 10
    prs = Presentation(io.BytesIO(build_deck(root / "2025-10-31")))
    counts = [
        row.cells[list(c.text for c in shape.table.rows[0].cells).index("Count")].text
        for s in prs.slides
        if all_text(s).startswith("Ward demand: every ward")
        for shape in s.shapes
        if shape.has_table
        for row in list(shape.table.rows)[1:]
    ]
    assert len(counts) == 17
    for c in counts:
        assert c in ("c", "0") or (int(c.replace(",", "")) % 5 == 0 and int(c.replace(",", "")) >= 10), c


def test_html_and_template_syntax_in_data_appear_as_text(demo_tables, tmp_path):
    from ingest.writer import write_snapshot

    name = "Bury <b>{{ 7*7 }}</b> {% if x %}"
    commentary = demo_tables["commentary"].with_columns(
        text=demo_tables["commentary"]["text"] + " <script>{{ x }}</script>"
    )
    path = write_snapshot(
        {**demo_tables, "commentary": commentary},
        out_root=tmp_path,
        as_at="2025-10-31",
        area={"la_code": "E08000002", "la_name": name},
        demo=True,
    )
    snap = open_snapshot(path)
    prs = Presentation(io.BytesIO(build_pptx(model.build(snap, None))))
    assert name in all_text(prs.slides[0])
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide)
    assert "<script>{{ x }}</script>" in notes and "49" not in all_text(prs.slides[0])


def test_the_command_line_gives_the_deck(demo_root, tmp_path, capsys):
    # (the Summary's buttons serve the kept deck: tests/test_pages_papers.py)
    from boardpack.__main__ import main as pack_main

    out = tmp_path / "slides.pptx"
    assert pack_main(["--snapshot", "2025-10-31", "--root", str(demo_root), "--format", "pptx", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert len(Presentation(str(out)).slides) >= 20


def test_text_in_the_charts_embedded_workbooks_is_never_a_formula(snapshot_factory):
    """Period labels and names that a spreadsheet would run ("=HYPERLINK(…)", "+1", "@SUM") are written into every
    chart's embedded workbook as text: no formula cell, every label kept exactly as typed."""
    from datetime import date

    import polars as pl
    from openpyxl import load_workbook

    from ingest.demo import build_tables

    values = build_tables(date(2025, 10, 31))["kpi_values"]
    hostile = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3"]
    values = values.with_columns(
        period_label=pl.when(pl.col("period_end").dt.month() % 4 == 0)
        .then(pl.lit(hostile[0]) + pl.col("period_end").cast(pl.String))
        .when(pl.col("period_end").dt.month() % 4 == 1)
        .then(pl.lit(hostile[1]) + pl.col("period_end").cast(pl.String))
        .when(pl.col("period_end").dt.month() % 4 == 2)
        .then(pl.lit(hostile[2]) + pl.col("period_end").cast(pl.String))
        .otherwise(pl.lit(hostile[3]) + pl.col("period_end").cast(pl.String))
    )
    path = snapshot_factory(kpi_values=values)
    deck = build_deck(path, None)
    texts, formulas = [], []
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        books = [n for n in z.namelist() if n.endswith(".xlsx")]
        assert books, "the deck has native charts with embedded workbooks"
        for name in books:
            sheet = load_workbook(io.BytesIO(z.read(name))).active
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        formulas.append((name, cell.coordinate, cell.value))
                    elif isinstance(cell.value, str):
                        texts.append(cell.value)
    assert formulas == []
    assert any(t.startswith(hostile[0]) for t in texts) and any(t.startswith("@SUM") for t in texts)


# A valid package, laid out by height -------------------------------------------------------------------------


def test_every_coordinate_is_a_whole_number_and_every_shape_reads_back(deck, prs):
    """The schema's coordinates are integers (ST_Coordinate): x="457200.0" is invalid, PowerPoint repairs or refuses
    the file, and python-pptx raises reading the shape's position."""
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        for name in [n for n in z.namelist() if re.match(r"ppt/(slides|charts|slideLayouts|slideMasters)/.*\.xml$", n)]:
            xml = z.read(name).decode()
            for attr, value in re.findall(r'\s(x|y|cx|cy|w|h)="([^"]*)"', xml):
                assert re.fullmatch(r"-?\d+", value), f"{name}: {attr}={value!r}"
    for slide in prs.slides:
        for shape in slide.shapes:
            assert None not in (shape.left, shape.top, shape.width, shape.height), shape.name


def test_every_slides_title_is_its_title_placeholder(prs):
    for n, slide in enumerate(prs.slides, start=1):
        title = slide.shapes.title
        assert title is not None and title.is_placeholder, n
        assert title.placeholder_format.type in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE), n
        assert title.text_frame.text.strip(), n
        run = title.text_frame.paragraphs[0].runs[0]  # styled as the deck's headings were
        assert run.font.size == Pt(32) and run.font.bold and str(run.font.color.rgb) == "12436D", n
    assert prs.slides[0].shapes.title.text_frame.text == "SEND Improvement and Assurance Board"


def test_every_shape_lies_inside_the_slide_and_above_the_footer(prs):
    width, height = prs.slide_width, prs.slide_height
    for n, slide in enumerate(prs.slides, start=1):
        [footer] = [s for s in slide.shapes if s.name == "Footer"]
        assert footer.top + footer.height <= height, n
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0 and shape.left + shape.width <= width, (n, shape.name)
            if shape.shape_id != footer.shape_id:
                assert shape.top + shape.height <= footer.top, (n, shape.name)
            if shape.has_table:  # a table is as tall as its rows, so the check above is the rows' bottom
                assert shape.height >= sum(row.height for row in shape.table.rows), (n, shape.name)


def test_every_table_row_is_at_least_as_tall_as_its_wrapped_text(prs):
    """Rows are sized from their text, not fixed. Lower bound worked independently of the deck's own measure: a
    line holds at most its inner width of text, and Calibri averages over 0.38 em a character on this deck's text
    (0.42 measured; "(likelihood" is 0.386), so a cell of c characters in a column of inner width w points needs
    at least ceil(c × 0.38 × 18 / w) lines of 1.2 × 18 = 21.6 pt each, plus its 0.1 inch of margins. E.g. "Requests
    for an EHC needs assessment per 1,000 aged 4–19" (56 characters) in a 3-inch column (216 − 14.4 = 201.6 pt):
    56 × 6.84 = 383 pt → 2 lines → 43.2 + 7.2 = 50.4 pt, where the old deck gave every row 0.42 inch (30.2 pt)."""
    checked = 0
    for slide in prs.slides:
        for shape in [s for s in slide.shapes if s.has_table]:
            widths = [c.width for c in shape.table.columns]
            for row in shape.table.rows:
                for cell, w in zip(row.cells, widths, strict=True):
                    inner = (w - Inches(0.2)) / 12700  # points
                    lines = max(1, math.ceil(len(cell.text) * 0.38 * 18 / inner))
                    assert row.height / 12700 >= lines * 21.6 + 7.2 - 0.5, (cell.text, row.height / 12700)
                    checked += 1
    assert checked > 500


def test_a_header_never_breaks_mid_word(prs):
    """Every column is at least as wide as each word of its header (in bold, by the deck's Calibri widths), plus the
    cell's margins: the old deck's "Workstream" column (1.1 of 12.1 shares of 12.33 inches, 81 points) was narrower
    than the word at 18 pt bold (10 letters, about 92 points)."""
    for slide in prs.slides:
        for shape in [s for s in slide.shapes if s.has_table]:
            for cell, column in zip(shape.table.rows[0].cells, shape.table.columns, strict=True):
                for word in cell.text.split():
                    assert text_width(word, bold=True) * Pt(18) <= column.width - Inches(0.2), (word, column.width)


def test_tables_split_by_height_share_their_rows_evenly(prs, pack):
    """The Summary's 53 indicators all appear once, in order, over as few slides as fit, no slide more than one row
    fuller than another (so none ends with a stray row)."""
    summary = titled(prs, "Summary")
    pages = [t[1:] for s in summary for t in tables(s)]
    assert [r[1] for page in pages for r in page] == [r["Indicator"] for r in pack.summary]
    sizes = [len(p) for p in pages]
    assert len(sizes) > 1 and max(sizes) - min(sizes) <= 1, sizes
    numbers = [s.shapes.title.text_frame.text for s in summary]
    assert numbers == [f"Summary ({n} of {len(summary)})" for n in range(1, len(summary) + 1)]


def test_text_lines_wraps_words_at_the_boxs_width():
    """Worked by hand with Calibri's widths: "a" is 0.479 em and a space 0.226 em. A box whose inner width holds
    exactly 2.04 ems at 18 pt (2.0 ems after the 2% allowance) takes "aaa" (1.437 em) on one line, "aaa aaa"
    (3.1 em) on two, and a word of five (2.395 em, wider than the line) over two lines."""
    width = Inches(0.2) + 2.0 * 1.02 * Pt(18)
    assert text_lines("aaa", width) == 1
    assert text_lines("aaa aaa", width) == 2
    assert text_lines("aaaaa", width) == 2
    assert text_lines("aaa\naaa", width) == 2  # a line break starts a paragraph
    assert text_lines("aaa", width, Pt(36)) == 2  # twice the size: 2.874 em against 2.0


# What the board reads ---------------------------------------------------------------------------------------


def test_the_key_messages_follow_the_title_slide(prs, pack):
    """The pack model's key messages, in order: the count in bold, then each exception as a bulleted line."""
    slides = titled(prs, "Key messages")
    assert slides and slides == list(prs.slides)[1 : 1 + len(slides)]
    assert list(prs.slides)[1 + len(slides)].shapes.title.text_frame.text.startswith("Summary")
    paragraphs = [
        p for s in slides for shape in s.shapes if shape.has_text_frame and shape.name != "Footer"
        and not shape.is_placeholder for p in shape.text_frame.paragraphs
    ]  # fmt: skip
    head, *rest = pack.key_messages
    assert paragraphs[0].text == head and paragraphs[0].runs[0].font.bold
    assert [p.text for p in paragraphs[1:]] == [f"• {m}" for m in rest]
    assert head.startswith(f"{len(rest)} of {N_INDICATORS} indicators need the board's attention")


def test_since_the_last_board_is_tables_as_the_model_has_them(prs, pack):
    slides = titled(prs, "Since the last board")
    text = "\n".join(all_text(s) for s in slides)
    assert pack.since["paragraph"] in text
    found: list[tuple[list[str], list[list[str]]]] = []
    for table in [t for s in slides for t in tables(s)]:
        if found and found[-1][0] == table[0]:
            found[-1][1].extend(table[1:])  # a table carried on to the next slide
        else:
            found.append((table[0], table[1:]))
    expected = [(list(rows[0]), [list(r.values()) for r in rows]) for _, rows in pack.since["sections"] if rows]
    assert found == expected
    assert [t for t, rows in pack.since["sections"] if rows] == ["New data", "Revised figures",
        "Rating and SPC icon changes", "Actions", "Risks"]  # fmt: skip
    for title, rows in pack.since["sections"]:
        assert (title in text) if rows else (f"{title}: none." in text)


def test_the_action_tracker_marks_overdue_actions(prs, pack):
    rows = [r for s in titled(prs, "Action tracker") for t in tables(s) for r in t[1:]]
    assert [r[0] for r in rows] == [a["Ref"] for a in pack.actions]
    for row, action in zip(rows, pack.actions, strict=True):
        due = row[3]
        assert due == (f"⚠ {action['Due']} (overdue)" if action.get("Overdue") else action["Due"])
    assert "⚠ 31 August 2025 (overdue)" in [r[3] for r in rows]


def test_notes_are_plain_text(prs):
    """No markdown marks in any slide's notes (the demo's commentary has **bold**)."""
    notes = [s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide]
    assert any("57%" in n for n in notes)
    for text in notes:
        assert not re.search(r"\*\*|__|`|\]\(", text), text
        assert not re.search(r"(?m)^\s*([-*+]|#{1,6})\s", text), text


def test_commentary_markdown_becomes_plain_text_in_the_notes(demo_tables, snapshot_factory):
    import polars as pl

    text = (
        "**Progress** is *steady*:\n\n- first __item__\n* second item\n\n1. one step\n2) two steps\n\n"
        "## Next\nSee [the plan](https://example.org/plan) and `A05`; 3 * 4 stays."
    )
    commentary = demo_tables["commentary"].with_columns(
        text=pl.when(pl.col("workstream") == "PIP1").then(pl.lit(text)).otherwise(pl.col("text"))
    )
    prs = Presentation(
        io.BytesIO(build_pptx(model.build(open_snapshot(snapshot_factory(commentary=commentary)), None)))
    )
    notes = titled(prs, "PIP1 Strategy")[0].notes_slide.notes_text_frame.text
    plain = (
        "Progress is steady:\n\n• first item\n• second item\n\n1. one step\n2. two steps\n\n"
        "Next\nSee the plan (https://example.org/plan) and A05; 3 * 4 stays."
    )
    assert plain in notes
    assert plain_text(text) == plain


@pytest.mark.parametrize(
    ("label", "short"),
    [
        ("Sep 2025", "Sep 25"),
        ("September 2025", "Sep 25"),
        ("January 2025 census", "Jan 25"),
        ("Jul 2025 survey", "Jul 25"),
        ("12 months to Sep 2025", "Sep 25"),  # the chart says "rolling 12 months" itself
        ("Q2 2025/26", "Q2 25/26"),
        ("2024/25", "2024/25"),
        ("2024", "2024"),
        ("2025 survey", "2025"),
        ("Summer term 2025", "Summer 25"),
        ("2025 to date", "2025 to date"),  # any other form is left as it is
        ("Foo 2025", "Foo 2025"),
    ],
)
def test_short_period_labels(label, short):
    assert short_period_label(label) == short


def test_charts_keys_clear_of_the_axis_and_headings_clear_of_the_plot(prs):
    """Every chart's key (when it has more than the area's line) sits above the plot, not overlapping it; the
    heading above each chart ends before the chart begins; the type is 18 pt; a rolling series says so."""
    charts = [(slide, s) for slide in prs.slides for s in slide.shapes if s.has_chart]
    assert len(charts) >= 15
    for slide, frame in charts:
        chart = frame.chart
        if len(chart.plots[0].series) > 1:
            assert chart.has_legend and chart.legend.position == XL_LEGEND_POSITION.TOP
            assert chart.legend.include_in_layout is False
        else:
            assert not chart.has_legend
        assert chart.font.size == Pt(18)
        title = frame.name.removeprefix("Chart: ")
        [heading] = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text.startswith(title)]
        assert heading.left == frame.left and heading.top + heading.height <= frame.top
    rolling = [
        h for slide, _ in charts for h in slide.shapes if h.has_text_frame and "(rolling 12 months" in h.text_frame.text
    ]
    assert rolling


def test_category_label_skips_keep_the_schemas_order(deck):
    """c:tickLblSkip comes before c:noMultiLvlLbl in a category axis (CT_CatAx is a sequence); the crowded monthly
    charts label every n-th period so 18 pt labels do not touch."""
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        skips = 0
        for name in [n for n in z.namelist() if re.match(r"ppt/charts/chart\d+\.xml$", n)]:
            axis = re.search(r"<c:catAx>(.*?)</c:catAx>", z.read(name).decode(), flags=re.S).group(1)
            tags = re.findall(r"<c:(\w+)", axis)
            if "tickLblSkip" in tags:
                skips += 1
                assert tags.index("tickLblSkip") < tags.index("tickMarkSkip") < tags.index("noMultiLvlLbl"), name
        assert skips >= 3


def test_a_table_laid_out_again_when_its_numbered_title_needs_another_line(pack, tmp_path):
    """A title that fits one line alone but not with "(2 of 2)" after it: the slides are laid out again below the
    two-line title, the first layout's slides dropped, and the package still valid with every part once."""
    from boardpack.slide_layout import CONTENT_WIDTH, Deck
    from boardpack.slide_text import TITLE

    title = "Waiting"
    while text_lines(title + " list", CONTENT_WIDTH, TITLE, bold=True) == 1:
        title += " list"
    assert text_lines(title + " (2 of 2)", CONTENT_WIDTH, TITLE, bold=True) == 2
    deck = Deck(pack)
    deck.slide("Cover")
    rows = [{"Ref": f"R{n}", "Risk": "A risk"} for n in range(20)]  # 20 rows of 0.4 inch: two slides
    slides = deck.flow(title, lambda f: f.table(rows, ["Ref", "Risk"]), notes="Notes")
    assert [s.shapes.title.text_frame.text for s in slides] == [f"{title} (1 of 2)", f"{title} (2 of 2)"]
    assert len(deck.prs.slides) == 3
    for s in slides:
        [table] = [x for x in s.shapes if x.has_table]
        assert table.top >= s.shapes.title.top + s.shapes.title.height  # below the two-line title
    out = tmp_path / "flow.pptx"
    deck.prs.save(out)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert len(names) == len(set(names))
        assert len([n for n in names if re.match(r"ppt/slides/slide\d+\.xml$", n)]) == 3
    test_the_package_is_valid_every_referenced_part_exists_and_parses(out.read_bytes())
    reopened = Presentation(str(out))
    assert [len(tables(s)[0]) - 1 for s in list(reopened.slides)[1:]] == [10, 10]
    assert reopened.slides[1].notes_slide.notes_text_frame.text == "Notes"


def test_empty_tables_and_overlong_text_still_fit(pack):
    """An empty section says "none", an empty register or tracker says so; a paragraph longer than a slide goes on between its
    sentences; nothing runs into the footer."""
    from dataclasses import replace

    sentence = "Officers reviewed every plan issued in the quarter against the quality framework."  # 83 characters
    long = " ".join([sentence] * 40)  # about 3,300 characters: some 40 lines at 18 pt, three slides' worth
    deck = build_pptx(replace(pack, since={"paragraph": long, "sections": [("New data", [])]}, actions=[], risks=[]))
    prs = Presentation(io.BytesIO(deck))
    since = titled(prs, "Since the last board")
    assert len(since) >= 3
    paragraphs = [p.text for s in since for x in s.shapes if x.has_text_frame and not x.is_placeholder
                  and x.name != "Footer" for p in x.text_frame.paragraphs]  # fmt: skip
    assert paragraphs[:40] == [sentence] * 40 and paragraphs[40] == "New data: none."
    assert "No actions in the tracker." in all_text(titled(prs, "Action tracker")[0])
    assert "No risks in the register." in all_text(titled(prs, "Risk register")[0])
    test_every_shape_lies_inside_the_slide_and_above_the_footer(prs)


def test_the_ward_map_has_its_key_beside_it_in_type_read_from_the_back_of_the_room(prs):
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pptx.util import Emu

    from boardpack.model import MAP_KEY_PX, MAP_KEY_SIZE

    slide = next(s for s in prs.slides if all_text(s).startswith("Ward demand, "))
    pictures = [p for p in slide.shapes if p.shape_type == MSO_SHAPE_TYPE.PICTURE]
    alts = [p._element.nvPicPr.cNvPr.get("descr") for p in pictures]
    the_map = pictures[next(i for i, a in enumerate(alts) if a.startswith("Map of wards"))]
    key = pictures[next(i for i, a in enumerate(alts) if a.startswith("Colour key: EHC plans per 1,000 children"))]
    assert key.left >= the_map.left + the_map.width  # beside the map, not over it
    assert key.top + key.height <= prs.slide_height
    assert "Key: EHC plans per 1,000 children and young people" in all_text(slide)
    assert MAP_KEY_PX * Emu(key.width).pt / MAP_KEY_SIZE[0] >= 14  # its labels, in points as shown


def test_a_workstreams_charts_go_to_its_red_indicators_first(prs, pack):
    """Each workstream's slide charts two of its indicators: its Red ones before any other, then Amber, then the
    longest series (slide 23 of the demo deck once charted community paediatrics and occupational therapy while three
    Red services went without)."""
    charted = {s.name.removeprefix("Chart: ") for slide in prs.slides for s in slide.shapes if s.has_chart}
    checked = 0
    for ws in pack.workstreams:
        drawable = [i for i in ws.indicators if sum(v is not None for v in i.values) >= 2]
        red = [i.title for i in drawable if i.rag == "Red"]
        shown = [i.title for i in drawable if i.title in charted]
        assert len(shown) == min(2, len(drawable)), ws.title
        if red:
            assert sum(t in red for t in shown) == min(2, len(red)), ws.title
            checked += 1
    assert checked >= 2  # the demo has workstreams with Red indicators


def test_no_slide_title_or_chart_heading_runs_two_brackets_together(prs):
    """'Active EHC plans in January (DfE) (Bury)' and 'Ward demand: every ward (protected) (1 of 2)' read as typing
    slips; a heading that already ends in a bracket takes its note after a comma."""
    texts = [s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame]
    assert not [t for t in texts if re.search(r"\) \(", t)]


def test_a_chart_heading_ending_in_a_bracket_takes_whose_line_it_is_after_a_comma(pack):
    from dataclasses import replace

    from boardpack.slide_layout import chart_heading

    one = next(i for ws in pack.workstreams for i in ws.indicators if i.unit == "count")
    alone = replace(one, title="Active EHC plans in January (DfE)", target_value=None)  # one line: the area's
    assert chart_heading(alone, "Bury") == "Active EHC plans in January (DfE), Bury"
    assert chart_heading(replace(alone, title="Children in alternative provision"), "Bury") == (
        "Children in alternative provision (Bury)"
    )


def test_the_last_slides_spell_out_the_abbreviations_the_deck_uses(prs):
    last = [s for s in prs.slides if all_text(s).startswith("Abbreviations")]
    assert last and last[-1] is prs.slides[-1]
    words = "\n".join(all_text(s) for s in last)
    assert "Priority Impact Plan" in words and "Greater Manchester" in words and "SENCo" in words
