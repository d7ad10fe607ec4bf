"""The board slides (PowerPoint), read back with python-pptx: a valid package whose every referenced part exists
and parses, a footer with the as-at date on every slide, native charts carrying the indicators' own values, alt
text on every picture, commentary in the notes, type of at least 18 pt, and never an exact ward count."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from pptx import Presentation
from pptx.util import Pt

from boardpack import model
from boardpack.slides import build_deck, build_pptx
from ingest.demo import CATALOGUE
from metrics import series
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
        assert "Sources: this project, Department for Education" in text, n
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
    assert list(plot.categories) == res["period_label"].to_list()
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
        assert pictures == 2  # the ward map and the risk grid


def test_the_notes_hold_the_latest_commentary(prs, demo_root):
    snap = open_snapshot(demo_root / "2025-10-31")
    pack = model.build(snap, None)
    pip1 = next(w for w in pack.workstreams if w.code == "PIP1")
    slide = next(s for s in prs.slides if all_text(s).startswith(pip1.title))
    notes = slide.notes_slide.notes_text_frame.text
    assert pip1.commentary and all(c["text"] in notes for c in pip1.commentary)


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
