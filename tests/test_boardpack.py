"""The board pack by both routes (`python -m boardpack` and the app's download), checked page by page."""

from __future__ import annotations

import io
import os
import re
import signal
import struct
import zlib
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from boardpack import build_html
from boardpack.__main__ import main as pack_main
from metrics.disclosure import LEGEND
from metrics.snapshot import open_snapshot


@pytest.fixture(scope="module")
def pack(tmp_path_factory, demo_root):
    out = tmp_path_factory.mktemp("pack") / "pack.pdf"
    assert (
        pack_main(["--snapshot", "2025-10-31", "--compare", "2025-09-30", "--root", str(demo_root), "--out", str(out)])
        == 0
    )
    return PdfReader(out)


def test_every_page_carries_the_as_at_date_the_legend_and_its_number(pack):
    pages = [p.extract_text() for p in pack.pages]
    assert 20 <= len(pages) <= 60
    for n, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert "Data as at 31 October 2025" in flat, n
        assert "c = fewer than 8, suppressed to protect privacy" in flat, n
        assert "Open Government Licence" in flat, n
        assert f"Page {n} of {len(pages)}" in flat, n


def test_every_chart_in_the_pack_is_drawn_none_is_a_blank_stand_in(pack):
    images = {  # WeasyPrint lists every image in every page's resources: one entry per PDF object
        x.idnum: x.get_object()
        for page in pack.pages
        for x in page["/Resources"].get("/XObject", {}).values()
        if x.get_object()["/Subtype"] == "/Image"
    }.values()
    # 24 indicator charts (18, and the six LAIT series of the plan: Level 2 and 3 at 19 by SEN status, 16–17s in
    # education or training, SEN support), the ward map and its key, the waiting-times heat table, risks
    assert len(images) == 28
    for image in images:
        assert max(image["/SMask"].get_object().get_data()) == 255  # opaque pixels: a drawn chart


def test_cover_and_sections(pack):
    text = " ".join(" ".join(p.extract_text().split()) for p in pack.pages)
    assert "Demonstration data: generated figures" in " ".join(pack.pages[0].extract_text().split())
    for heading in (
        "Summary",
        "Since the last board",
        "Theme 1 – Strategy, communication, workforce",
        "Theme 2 – Identification, access, new plans",
        "Ward demand",
        "Waiting times: Greater Manchester league table",
        "Risk register",
        "Action tracker",
        "Appendix: abbreviations, sources, definitions and methods",
    ):
        assert heading in text, heading
    assert "Bury is 9th of 10 for speech and language therapy: 34% waiting under 18 weeks in July 2025" in text


class Cells(HTMLParser):
    """Collects the cells of every table under the "Ward demand" heading."""

    def __init__(self):
        super().__init__()
        self.section, self.tag, self.tables, self.row = "", "", [], []

    def handle_starttag(self, tag, attrs):
        self.tag = tag
        if tag == "table" and self.section == "Ward demand":
            self.tables.append([])
        if tag == "tr":
            self.row = []

    def handle_endtag(self, tag):
        if tag == "tr" and self.section == "Ward demand" and self.tables:
            self.tables[-1].append(self.row)

    def handle_data(self, data):
        if self.tag == "h1" and data.strip():  # not the white space between elements
            self.section = data.strip()
        if self.tag in ("td", "th"):
            self.row.append(data.strip())


def test_no_ward_count_below_8_or_unrounded(demo_root):
    document = build_html(open_snapshot(demo_root / "2025-10-31"), None)
    parser = Cells()
    parser.feed(document)
    rows = [r for t in parser.tables for r in t]
    header = rows[0]
    counts = [r[header.index("Count")] for r in rows[1:]]
    assert len(counts) == 17
    for c in counts:
        assert c in ("c", "0") or (int(c.replace(",", "")) >= 8 and int(c.replace(",", "")) % 5 == 0), c
    assert LEGEND in document


def test_the_kept_pack_the_app_serves_is_the_pack(demo_root, pack, tmp_path):
    from boardpack import papers
    from metrics.snapshot import open_snapshot

    snap, compare = open_snapshot(demo_root / "2025-10-31"), open_snapshot(demo_root / "2025-09-30")
    papers.write(tmp_path, snap, compare, "pdf", papers.build(snap, compare, "pdf", key=None), key=None)
    kept = PdfReader(io.BytesIO(papers.read(tmp_path, snap, compare, "pdf", key=None)))
    assert len(kept.pages) == len(pack.pages)
    squash = lambda t: re.sub(r"\s+", " ", t)  # noqa: E731
    assert squash(kept.pages[1].extract_text()) == squash(pack.pages[1].extract_text())


def test_a_chart_that_cannot_be_drawn_stops_the_build_with_a_clear_error():
    import altair as alt

    from boardpack import Charts

    # a valid Vega-Lite spec whose expression Vega cannot parse
    broken = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().transform_calculate(b="datum.a +").encode(x="b:Q")
    with Charts() as charts:
        charts.add(broken, width=200, height=100)
        charts.finish()
        with pytest.raises(RuntimeError, match="Drawing the board pack's charts failed"):
            charts.png(0)
    assert not charts.folder.exists()  # the working folder is removed


def tiny_chart():
    import altair as alt

    return alt.Chart(alt.Data(values=[{"a": 1, "b": 2}, {"a": 2, "b": 3}])).mark_bar().encode(x="a:O", y="b:Q")


def test_pages_are_laid_out_while_charts_are_drawn_and_the_pdf_gets_the_drawn_charts():
    from weasyprint import HTML

    from boardpack import Charts

    with Charts() as charts:
        os.kill(charts.process.pid, signal.SIGSTOP)  # hold the drawing back until the page is laid out
        img = charts.add(tiny_chart(), width=198, height=100)  # rounded up to whole pixels: 200 x 100 at 1.25
        pages = HTML(string=f"<html><body>{img}</body></html>", url_fetcher=charts.fetcher()).render()
        assert not charts.drawn(0)  # so the layout had the blank stand-in
        os.kill(charts.process.pid, signal.SIGCONT)
        charts.finish()
        charts.png(0)
        pdf = pages.write_pdf()
    image = next(iter(PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"].values())).get_object()
    assert (image["/Width"], image["/Height"]) == (250, 125)
    alpha = image["/SMask"].get_object().get_data()
    assert max(alpha) == 255  # the drawn chart's opaque background, not the stand-in's transparent pixels


def test_a_chart_drawn_at_another_size_than_laid_out_stops_the_build():
    import altair as alt

    from boardpack import Charts

    with Charts() as charts:
        charts.add(alt.hconcat(tiny_chart(), tiny_chart()), width=200, height=100)  # "fit" cannot size a concat
        charts.finish()
        with pytest.raises(RuntimeError, match=r"drawn at \(\d+, \d+\), not the \(250, 125\) pixels expected"):
            charts.png(0)


def test_the_stand_in_is_a_valid_transparent_png_of_the_size_asked():
    from boardpack import blank_png

    png = blank_png(3, 2)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + data)
        chunks[kind] = data
        at += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (3, 2, 8, 6, 0, 0, 0)  # 8-bit RGBA
    assert zlib.decompress(chunks[b"IDAT"]) == bytes(2 * (1 + 3 * 4))  # two rows: filter byte and 3 clear pixels


# --- board-ready papers: tagged, contents with page numbers, no near-blank page, plain English --------------------


def structure(pack) -> list[tuple[str, int | None, str]]:
    """The tagged structure of the PDF in reading order: (tag, page number, alternative text) of every element."""
    pages = {p.indirect_reference.idnum: n for n, p in enumerate(pack.pages, start=1)}
    found = []

    def walk(node) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            page = node.get("/Pg")
            found.append((str(node["/S"]), pages.get(page.idnum) if page else None, str(node.get("/Alt", ""))))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(pack.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_the_pdf_is_tagged_with_language_title_headings_tables_and_described_figures(pack):
    root = pack.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and bool(root["/MarkInfo"]["/Marked"])
    assert pack.metadata.title == "Bury SEND board papers, 31 October 2025"
    tags = structure(pack)
    kinds = {t for t, _, _ in tags}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/Figure", "/L", "/LI", "/P"} <= kinds
    figures = [alt for t, _, alt in tags if t == "/Figure"]
    drawn = {  # every image in the document, as the chart test above counts them
        x.idnum
        for page in pack.pages
        for x in page["/Resources"].get("/XObject", {}).values()
        if x.get_object()["/Subtype"] == "/Image"
    }
    assert len(figures) == len(drawn) and all(len(alt) > 20 for alt in figures)  # every chart described in words


def test_the_contents_page_numbers_are_the_pages_the_sections_start_on(pack):
    starts = [page for tag, page, _ in structure(pack) if tag == "/H1"]
    first = " ".join(pack.pages[0].extract_text().split())
    listed = [int(n) for n in re.findall(r"\. (\d+)(?= |$)", first.split("Key messages")[0])]
    titles = ["Summary", "Since the last board", "Theme 1", "Theme 2", "Theme 3", "Ward demand", "Waiting times"]
    assert all(t in first for t in titles)
    assert sorted(listed) == sorted(starts) and len(starts) == 9  # nine sections, each listed at its page


def test_no_page_is_near_blank(pack):
    """Every page is at least a third filled with text, or carries a figure: a section's tail never sits alone on a
    page (the next section starts after it instead) and a heading never ends a page."""
    figures = {page for tag, page, _ in structure(pack) if tag == "/Figure"}
    for n, page in enumerate(pack.pages, start=1):
        if n in figures:
            continue
        ys: list[float] = []

        def seen(text, cm, tm, *_, found=ys) -> None:
            if text.strip():
                found.append(tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_text=seen)
        top, height = float(page.mediabox.top), float(page.mediabox.height)
        body = [y for y in ys if y > 22 / 25.4 * 72 + 4]  # above the footer margin (22 mm)
        filled = (top - 14 / 25.4 * 72 - min(body)) / (height - 36 / 25.4 * 72)
        assert filled >= 1 / 3 or n == len(pack.pages), (n, round(filled, 2))


def test_commentary_headings_stay_with_their_words(pack):
    tags = structure(pack)
    for i, (tag, page, _) in enumerate(tags):
        if tag == "/H3":
            following = next((p for t, p, _ in tags[i + 1 :] if t in ("/P", "/Table", "/L", "/Figure", "/Div")), None)
            assert following in (page, None), (i, page, following)


def test_the_papers_hold_no_id_checksum_or_command(pack):
    text = " ".join(" ".join(p.extract_text().split()) for p in pack.pages)
    assert not re.search(r"\b[0-9a-f]{16,}\b", text)  # no checksum
    assert "python -m" not in text and "`" not in text and "this project" not in text
    assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+_pct\b|\bkpi_id\b|requests_per_1000", text)  # no indicator id
    assert "Department for Education" in text and "Open Government Licence v3.0" in text


def test_commentary_markdown_is_rendered_lists_as_lists():
    from boardpack import markdown

    html = markdown("Progress:\n\n- **two** posts filled\n- one *to go*\n\n1. first\n2. second\n\n<b>x</b>")
    assert html == (
        "<p>Progress:</p><ul><li><strong>two</strong> posts filled</li><li>one <em>to go</em></li></ul>"
        "<ol><li>first</li><li>second</li></ol><p>&lt;b&gt;x&lt;/b&gt;</p>"
    )


def test_ward_names_on_the_map_print_at_8_points_or_more():
    from boardpack import CSS
    from boardpack.model import MAP_LABEL_PX

    printed_mm = float(re.search(r"img\.map \{[^}]*height: (\d+)mm", CSS).group(1))
    drawn_px = 588  # the map's drawn height in CSS pixels (boardpack.model._wards)
    assert MAP_LABEL_PX * printed_mm / drawn_px / 25.4 * 72 >= 8


def test_every_ward_is_named_inside_its_own_ward_on_the_papers_map(demo_root):
    """The papers' map names wards as the app's map does (charts.map_labels.fit_names): every one of the demo's 17
    wards is named, at the size that prints at 8 points or more, each name placed inside its own ward."""
    from boardpack import model
    from metrics.snapshot import open_snapshot

    charts = []
    built = model.build(
        open_snapshot(demo_root / "2025-10-31"), None, draw=lambda c, w, h: charts.append(c) or f"c{len(charts)}"
    )
    spec = charts[int(built.figures["ward_map"].ref[1:]) - 1].to_dict()
    texts = [layer for layer in spec["layer"] if (layer.get("mark") or {}).get("type") == "text"]
    named = {r["ward_name"]: r for r in spec["datasets"][texts[-1]["data"]["name"]] if r["label"]}
    assert len(named) == 17
    assert min(r["label_size"] for r in named.values()) >= model.MAP_LABEL_PX
    assert named["Radcliffe North & Ainsworth"]["label"].count("\n") >= 1  # a long name broken to fit its ward


def test_the_papers_map_key_is_a_column_beside_the_map_in_type_read_at_arms_length(demo_root):
    """The key stands beside the map, as on the board screen, not in a strip beneath it whose labels printed at about
    6 points: its labels are drawn at MAP_KEY_PX and printed at 10 points or more."""
    from pathlib import Path

    from boardpack import model, render

    charts = []
    snap = open_snapshot(demo_root / "2025-10-31")
    built = model.build(snap, None, draw=lambda c, w, h: charts.append((c, w)) or f"c{len(charts)}")
    key, drawn_width = charts[int(built.figures["ward_key"].ref[1:]) - 1]
    axis = key.to_dict()["encoding"]["y"]["axis"]  # the classes run down the page, their labels to the right
    assert axis["orient"] == "right" and axis["labelFontSize"] == model.MAP_KEY_PX
    css = (Path(model.__file__).parent / "pack.css").read_text()
    printed_mm = float(re.search(r"img\.key \{[^}]*width: ([\d.]+)mm", css).group(1))
    assert model.MAP_KEY_PX * printed_mm / drawn_width / 25.4 * 72 >= 10  # points
    html = render(built)
    at = html.index('<img class="map"')
    key_title = "Key: EHC plans per 1,000 children and young people, September 2025 (classes of about equal numbers"
    assert html.index(f'<div class="map-key"><p class="key-title">{key_title}') > at
    assert re.search(r"img\.map \{[^}]*display: inline-block", css)  # the key's block stands beside it


def test_the_map_and_its_key_print_on_one_page_beside_the_key_title(pack):
    """The key's block is given a width, so its title wraps beside the map: once it ran wider than the room left and
    the key was pushed onto a page of its own."""
    wanted = ("Map of wards", "Colour key")
    pages = {
        alt.split(" ")[0]: page for tag, page, alt in structure(pack) if tag == "/Figure" and alt.startswith(wanted)
    }
    assert pages["Map"] == pages["Colour"] is not None  # the figures' pages, as the tagged PDF records them
    assert "Key: EHC plans per 1,000" in pack.pages[pages["Map"] - 1].extract_text()


def test_the_appendix_spells_out_every_abbreviation_the_papers_use(pack):
    """PIP and AFI are used as workstream codes (PIP1, AFI3), GM as the system's short name (from the manifest): each
    is listed in the appendix with what it stands for."""
    text = " ".join(" ".join(p.extract_text().split()) for p in pack.pages)
    listed = text.split("Abbreviations Abbreviation Meaning ", 1)[1].split(" Sources ", 1)[0]
    for short, meaning in (
        ("PIP", "Priority Impact Plan"),
        ("AFI", "Area for improvement"),
        ("GM", "Greater Manchester"),
        ("RAG", "Red, amber or green"),
        ("SPC", "Statistical process control"),
        ("SENCo", "Special educational needs coordinator"),
    ):
        assert f"{short} {meaning}" in listed, short


def test_no_words_in_the_papers_are_printed_under_8_points(pack):
    """The footer carries the suppression rule, the licence and "DEMONSTRATION DATA" on every page: once 7 pt, now the
    8 pt of the tables and captions, the smallest the papers use for text (charts are pictures, drawn to the same)."""
    smallest = {}

    for n, page in enumerate(pack.pages, start=1):

        def seen(text, cm, tm, font, size, n=n):
            if text.strip():
                points = round(abs(size * (tm[3] or 1) * (cm[3] or 1)), 2)  # the matrices give 7.9995 for 8
                smallest[n] = min(smallest.get(n, points), points)

        page.extract_text(visitor_text=seen)
    assert len(smallest) == len(pack.pages)
    assert min(smallest.values()) >= 8, {n: s for n, s in smallest.items() if s < 8}
