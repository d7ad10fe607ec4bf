"""Laying the board's papers on slides: a `Deck` of 16:9 slides each with its title and footer, and a `Flow` that
places paragraphs, tables (split across slides by height) and native line charts one after another, moving to a new
slide when the room runs out. Every box is sized from its text (boardpack.slide_text); every coordinate is a whole
number of EMUs."""

from __future__ import annotations

import io
import math
import re
import struct
from contextlib import contextmanager
from dataclasses import replace

import polars as pl
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt
from xlsxwriter import Workbook

from boardpack import column_widths
from boardpack.model import Indicator, Pack
from boardpack.slide_text import (
    BODY,
    CHAR_EM,
    FOOTER,
    HEADING,
    INSET_X,
    INSET_Y,
    TITLE,
    emu,
    line_height,
    pt_emu,
    text_height,
    text_lines,
    text_width,
)
from metrics.disclosure import LEGEND
from metrics.formatting import UNIT_WORDS, fmt_date, short_period_label
from present.figures import draws_comparators


class _TextOnlyWorkbookWriter(CategoryWorkbookWriter):
    """The chart's embedded workbook with every string written as a string: XlsxWriter would otherwise write a
    period label or a name beginning with "=" as a formula (and "http…" as a link, "12" as a number), which a
    reader's Excel would run when they edit the chart's data."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        workbook = Workbook(xlsx_file, options)
        yield workbook, workbook.add_worksheet()
        workbook.close()


class _ChartData(CategoryChartData):
    """Category chart data whose embedded workbook holds text as text (_TextOnlyWorkbookWriter)."""

    @property
    def _workbook_writer(self):
        return _TextOnlyWorkbookWriter(self)


OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
WIDTH, HEIGHT = 12192000, 6858000  # EMU: 13.333 × 7.5 inches, PowerPoint's 16:9
MARGIN = int(Inches(0.5))
CONTENT_WIDTH = WIDTH - 2 * MARGIN
GAP = int(Inches(0.15))  # between blocks on a slide
TITLE_TOP = int(Inches(0.3))
PARAGRAPH_SPACE = Pt(6)  # after each paragraph of a list (key messages)
CHART_MIN = int(Inches(3.6))  # a chart shorter than this goes to the next slide rather than be squeezed
DARK = RGBColor(0x0B, 0x0C, 0x0C)
BLUE = RGBColor(0x12, 0x43, 0x6D)
GREY_TEXT = RGBColor(0x3D, 0x3D, 0x3D)
HEADER_FILL = RGBColor(0xDE, 0xE8, 0xF1)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
GREY_FILL = RGBColor(0xF3, 0xF2, 0xF1)
RAG_FILL = {  # light fills, dark text (contrast above 4.5:1); the word is always printed too
    "Green": RGBColor(0xCC, 0xE2, 0xD8),
    "Amber": RGBColor(0xFF, 0xF1, 0xB8),
    "Red": RGBColor(0xF6, 0xD7, 0xD2),
    "No target": GREY_FILL,
    "No data": GREY_FILL,
    "Too few cases": GREY_FILL,
    "Not yet due": GREY_FILL,
}
# Each line differs by dash and marker as well as colour, so a chart reads in greyscale and for colour-blind readers.
AREA_STYLE = (BLUE, Pt(3.5), MSO_LINE_DASH_STYLE.SOLID, XL_MARKER_STYLE.CIRCLE)
TARGET_STYLE = (RGBColor(0xB5, 0x3D, 0x0A), Pt(2.5), MSO_LINE_DASH_STYLE.DASH, XL_MARKER_STYLE.NONE)
COMPARATOR_STYLES = [
    (RGBColor(0x28, 0x7D, 0x75), Pt(2.5), MSO_LINE_DASH_STYLE.ROUND_DOT, XL_MARKER_STYLE.TRIANGLE),
    (RGBColor(0x80, 0x16, 0x50), Pt(2.5), MSO_LINE_DASH_STYLE.LONG_DASH, XL_MARKER_STYLE.DIAMOND),
]
ROLLING = "12 months to "
# Publishers as a reader knows them: the project's own generated figures are flagged as demonstration data instead.
NOT_A_PUBLISHER = ("", "this project", "Generated for this demonstration")


def publishers_line(pack: Pack) -> str:
    """The sources' publishers, each once, as the footer names them ("Department for Education, Bury SEND
    partnership"); the area's own returns are the area's SEND partnership's."""
    names = []
    for s in pack.sources:
        name = str(s.get("Publisher", "") or "")
        if name in NOT_A_PUBLISHER:
            continue
        names.append(f"{pack.area} SEND partnership" if name == "local" else name)
    return ", ".join(dict.fromkeys(names)) or "none named"


def footer_text(pack: Pack) -> str:
    return f"Data as at {fmt_date(pack.as_at)} · {pack.area} · Sources: {publishers_line(pack)} · {LEGEND} · {OGL}" + (
        " · DEMONSTRATION DATA" if pack.demo else ""
    )


class Deck:
    def __init__(self, pack: Pack):
        self.pack = pack
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = emu(WIDTH), emu(HEIGHT)
        self._widen_masters()
        self.layout = next(lo for lo in self.prs.slide_layouts if lo.name == "Title Only")
        self.footer = footer_text(pack)
        footer_height = text_height(self.footer, CONTENT_WIDTH, FOOTER)
        self.footer_top = HEIGHT - int(Inches(0.1)) - footer_height
        self.bottom = self.footer_top - int(Inches(0.1))  # nothing but the footer below this

    def _widen_masters(self) -> None:
        """The default template is 4:3: stretch its master's and layouts' placeholders across the 16:9 width, so a
        slide added in PowerPoint is laid out like these (x scales by 4/3, exactly, for the template's positions)."""
        scale = WIDTH / 9144000
        for part in [self.prs.slide_master, *self.prs.slide_layouts]:
            for shape in part.shapes:
                if shape.left is not None and shape.width is not None:
                    shape.left, shape.width = emu(shape.left * scale), emu(shape.width * scale)

    def content_top(self, title: str) -> int:
        return TITLE_TOP + self.title_height(title) + int(Inches(0.1))

    @staticmethod
    def title_height(title: str) -> int:
        return text_height(title, CONTENT_WIDTH, TITLE, bold=True)

    def slide(self, title: str):
        """A new slide: its title in the title placeholder, the footer along the bottom."""
        s = self.prs.slides.add_slide(self.layout)
        self.set_title(s, title)
        box = s.shapes.add_textbox(
            emu(MARGIN), emu(self.footer_top), emu(CONTENT_WIDTH), emu(HEIGHT - self.footer_top - int(Inches(0.1)))
        )
        box.name = "Footer"
        frame = box.text_frame
        frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
        run = frame.paragraphs[0].add_run()
        run.text = self.footer
        run.font.size = FOOTER
        run.font.color.rgb = GREY_TEXT
        return s

    def flow(self, title: str, fill, notes: str = "") -> list:
        """Slides titled `title` filled by `fill(flow)` (see Flow), numbered "(1 of 2)" if there is more than one.
        Laid out below the title as it is; should the numbered title need another line, laid out again below it."""
        start = len(self.prs.slides)
        flow = Flow(self, title, notes)
        fill(flow)
        numbered = self.content_top(f"{title} ({len(flow.slides)} of {len(flow.slides)})")
        if len(flow.slides) > 1 and numbered > flow.top:
            self.drop_slides(start)
            flow = Flow(self, title, notes, top=numbered)
            fill(flow)
        return flow.finish()

    def drop_slides(self, start: int) -> None:
        """Remove the slides from `start` on (their parts, no longer referred to, are not saved)."""
        ids = self.prs.slides._sldIdLst
        for slide_id in list(ids)[start:]:
            self.prs.part.drop_rel(slide_id.rId)
            ids.remove(slide_id)

    @staticmethod
    def set_title(slide, title: str) -> None:
        """The slide's title in its title placeholder, styled as the deck's headings (32 pt bold, left aligned)."""
        shape = slide.shapes.title
        shape.left, shape.top = emu(MARGIN), emu(TITLE_TOP)
        shape.width, shape.height = emu(CONTENT_WIDTH), emu(Deck.title_height(title))
        frame = shape.text_frame
        frame.clear()
        frame.word_wrap, frame.auto_size, frame.vertical_anchor = True, MSO_AUTO_SIZE.NONE, MSO_ANCHOR.TOP
        for side in ("left", "right"):
            setattr(frame, f"margin_{side}", emu(INSET_X))
        for side in ("top", "bottom"):
            setattr(frame, f"margin_{side}", emu(INSET_Y))
        p = frame.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        run = p.add_run()
        run.text = title
        run.font.size, run.font.bold, run.font.color.rgb = TITLE, True, BLUE

    @staticmethod
    def text(slide, paragraphs, left, top, width, height, *, size=BODY, bold=False, colour=DARK, space=0):
        """A text box of paragraphs: each a string, or (string, bold) to set its weight."""
        box = slide.shapes.add_textbox(emu(left), emu(top), emu(width), emu(height))
        frame = box.text_frame
        frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
        items = paragraphs.split("\n") if isinstance(paragraphs, str) else paragraphs
        for i, item in enumerate(items):
            line, weight = item if isinstance(item, tuple) else (item, bold)
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            if space:
                p.space_after = space
            run = p.add_run()
            run.text = line
            run.font.size, run.font.bold = size, weight
            run.font.color.rgb = colour
        return box

    def picture(self, slide, png: bytes, alt: str, left, top, width, height):
        """A drawn image as large as fits `width` × `height`, keeping its shape, with its alternative text."""
        w, h = struct.unpack(">II", png[16:24])  # the PNG header's width and height
        scale = min(width / w, height / h)
        pic = slide.shapes.add_picture(io.BytesIO(png), emu(left), emu(top), emu(w * scale), emu(h * scale))
        pic._element.nvPicPr.cNvPr.set("descr", alt)
        return pic

    def line_chart(self, slide, ind: Indicator, left, top, width, height):
        """A native line chart: the area's values, the target as a flat dashed line, and any comparators; period
        labels short and level, as many as fit without touching; the key above the plot, clear of the axis."""
        data = _ChartData()
        labels = [short_period_label(p) for p in ind.periods]
        data.categories = labels
        fmt = _number_format(ind)
        series = chart_series(ind, self.pack.area)
        for name, values, _ in series:
            data.add_series(name, values, number_format=fmt)
        styles = [style for _, _, style in series]
        frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, emu(left), emu(top), emu(width), emu(height), data)
        frame.name = f"Chart: {ind.title}"
        frame._element.nvGraphicFramePr.cNvPr.set("descr", ind.description)  # the chart's alternative text
        chart = frame.chart
        chart.has_title = False  # the indicator's title is the text above the chart
        chart.font.size = BODY
        chart.has_legend = len(styles) > 1  # the area's line alone needs no key: the heading names it
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.TOP  # above the plot: never among the axis labels
            chart.legend.include_in_layout = False
            chart.legend.font.size = BODY
        for plot_series, (colour, weight, dash, marker) in zip(chart.plots[0].series, styles, strict=True):
            line = plot_series.format.line
            line.color.rgb, line.width, line.dash_style = colour, weight, dash
            plot_series.smooth = False
            plot_series.marker.style = marker
            if marker != XL_MARKER_STYLE.NONE:
                plot_series.marker.size = 8
                plot_series.marker.format.fill.solid()
                plot_series.marker.format.fill.fore_color.rgb = colour
                plot_series.marker.format.line.color.rgb = colour
        axis = chart.category_axis
        axis.tick_labels.font.size = BODY
        _skip_labels(axis, labels, width)
        value = chart.value_axis
        value.tick_labels.font.size = BODY
        shown = [v for _, values, _ in series for v in values if v is not None]
        # ticks over a range of 10 or more fall on whole numbers: "90%", not "90.0%"
        whole = bool(shown) and max(shown) - min(shown) >= 10
        axis_format = _number_format(replace(ind, decimals=0) if whole else ind)
        value.tick_labels.number_format, value.tick_labels.number_format_is_linked = axis_format, False
        if ind.unit == "percent" and shown and 90 <= max(shown) <= 100:
            value.maximum_scale = 100  # near 100%, a renderer's automatic scale may run the axis on to 120%
        if ind.unit != "percent":  # a percentage's axis reads "80%"; any other unit is named beside the axis
            value.has_title = True
            value.axis_title.text_frame.text = UNIT_WORDS.get(ind.unit, ind.unit)
            value.axis_title.text_frame.paragraphs[0].runs[0].font.size = BODY
        return frame


def _skip_labels(axis, categories, width) -> None:
    """Label every n-th period, n just large enough that the labels, at 18 pt with a space either side, fit along
    the plot (the chart's width less about an inch for the value axis) without touching."""
    label = (max((text_width(str(c)) for c in categories), default=1) + 1.5) * pt_emu(BODY)
    fit = max(1, int((width - Inches(1.1)) // label))
    skip = math.ceil(len(categories) / fit)
    if skip <= 1:
        return
    cat_ax = axis._element
    before = cat_ax.find(qn("c:noMultiLvlLbl"))  # the schema's order: tickLblSkip, tickMarkSkip, noMultiLvlLbl
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        el = etree.Element(qn(tag))
        el.set("val", str(skip))
        if before is not None:
            before.addprevious(el)
        else:
            cat_ax.append(el)


def _number_format(ind: Indicator) -> str:
    """The indicator's figures as the app writes them: thousands separated, its decimals, "%" for a percentage."""
    places = "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
    return places + ('"%"' if ind.unit == "percent" else "")


class Flow:
    """Blocks laid down a slide, one under another, going on to a new slide (same title, "(2 of 3)") when the next
    one does not fit above the footer: paragraphs split between paragraphs, tables between rows (the header
    repeated), a heading kept with the start of what it heads."""

    def __init__(self, deck: Deck, title: str, notes: str = "", *, top: int | None = None):
        self.deck, self.title, self.notes = deck, title, notes
        self.slides: list = []
        self.slide_notes: list[list[str]] = []
        self.top = deck.content_top(title) if top is None else top
        self.new_slide()

    def new_slide(self) -> None:
        self.slides.append(self.deck.slide(self.title))
        self.slide_notes.append([self.notes] if self.notes and len(self.slides) == 1 else [])
        self.y = self.top

    @property
    def slide(self):
        return self.slides[-1]

    @property
    def room(self) -> int:
        return self.deck.bottom - self.y

    @property
    def empty(self) -> bool:
        return self.y == self.top

    def add_notes(self, text: str) -> None:
        self.slide_notes[-1].append(text)

    def make_room(self, height: int) -> None:
        if height > self.room and not self.empty:
            self.new_slide()

    def advance(self, height: int) -> None:
        self.y += height + GAP

    def paragraphs(self, items: list[str | tuple[str, bool]], *, size=BODY, space=PARAGRAPH_SPACE) -> None:
        """Paragraphs (a string, or (string, bold)) in text boxes the width of the slide, split between
        paragraphs where a slide is full (one too long for a whole slide, between its sentences)."""
        box: list = []
        height = 2 * INSET_Y
        whole = self.deck.bottom - self.top
        items = [
            (part, bold)
            for line, bold in (item if isinstance(item, tuple) else (item, False) for item in items)
            for part in (
                re.split(r"(?<=[.;])\s+", line)
                if text_height(line, CONTENT_WIDTH, size, bold=bold, space=space) > whole
                else [line]
            )
        ]

        def flush():
            nonlocal box, height
            if box:
                self.deck.text(self.slide, box, MARGIN, self.y, CONTENT_WIDTH, height, size=size, space=space)
                self.advance(height)
            box, height = [], 2 * INSET_Y

        for line, bold in items:
            h = text_height(line, CONTENT_WIDTH, size, bold=bold, space=space) - 2 * INSET_Y
            if height + h > self.room and (box or not self.empty):
                flush()
                self.new_slide()
            box.append((line, bold))
            height += h
        flush()

    def table(
        self, rows: list[dict], columns: list[str], *, heading: str | None = None, colour: str = "RAG", empty="None."
    ):
        """A native table of display rows at 18 pt, split between rows by height; the RAG cells (column `colour`)
        filled in their colour beside the word. `heading` goes above it (again, "continued", on a later slide)."""
        if not rows:
            self.paragraphs([(f"{heading}: none.", True)] if heading else [empty], size=HEADING if heading else BODY)
            return
        widths = table_widths(rows, columns)
        header = row_height(columns, widths, bold=True)
        heights = [row_height([r.get(c, "") for c in columns], widths) for r in rows]
        head_h = text_height(heading, CONTENT_WIDTH, HEADING, bold=True) if heading else 0
        i = 0
        while i < len(rows):
            title = heading if i == 0 else f"{heading} (continued)" if heading else None
            self.make_room((head_h + GAP if title else 0) + header + heights[i])
            if title:
                self.deck.text(self.slide, [(title, True)], MARGIN, self.y, CONTENT_WIDTH, head_h, size=HEADING)
                self.advance(head_h)
            cap = self._balanced(heights[i:], header, head_h + GAP if heading else 0)
            n, used = 0, header
            while i + n < len(rows) and (n == 0 or (used + heights[i + n] <= self.room and n < cap)):
                used += heights[i + n]
                n += 1
            self._draw_table(rows[i : i + n], columns, widths, header, heights[i : i + n], colour)
            self.advance(used)
            i += n
            if i < len(rows):
                self.new_slide()

    def _balanced(self, heights: list[int], header: int, heading: int) -> int:
        """Rows per slide that share a table's remaining rows evenly between the slides they need (filled in
        turn, the first from here), so a table never ends with a stray row or two on a slide of its own."""
        slides, room, used = 1, self.room, header
        for h in heights:
            if used + h > room and used > header:
                slides, room, used = slides + 1, self.deck.bottom - self.top - heading, header
            used += h
        return math.ceil(len(heights) / slides)

    def _draw_table(self, rows, columns, widths, header, heights, colour) -> None:
        total = header + sum(heights)
        shape = self.slide.shapes.add_table(
            len(rows) + 1, len(columns), emu(MARGIN), emu(self.y), emu(CONTENT_WIDTH), emu(total)
        )
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = emu(w)
        for row, h in zip(table.rows, [header, *heights], strict=True):
            row.height = emu(h)
        for j, name in enumerate(columns):
            _cell(table.cell(0, j), name, bold=True, fill=HEADER_FILL)
        for i, row in enumerate(rows, start=1):
            for j, name in enumerate(columns):
                value = str(row.get(name, ""))
                _cell(table.cell(i, j), value, fill=RAG_FILL.get(value, WHITE) if name == colour else WHITE)

    def block(self, minimum: int, draw) -> None:
        """Something drawn into the room left (charts, pictures), at least `minimum` tall: else on a new slide."""
        self.make_room(minimum)
        draw(self.slide, self.y, self.room)
        self.y = self.deck.bottom

    def finish(self) -> list:
        """Number the slides if there is more than one, and write each one's notes."""
        for n, (s, notes) in enumerate(zip(self.slides, self.slide_notes, strict=True), start=1):
            if len(self.slides) > 1:
                self.deck.set_title(s, f"{self.title} ({n} of {len(self.slides)})")
            if notes:
                s.notes_slide.notes_text_frame.text = "\n\n".join(notes)
        return self.slides


def table_widths(rows: list[dict], columns: list[str]) -> list[int]:
    """Column widths in EMUs across the slide, as the PDF's tables get theirs (boardpack.column_widths): every
    column first has room for its longest word, header words included, so no word breaks; the rest goes to the
    columns with longer text. The widths add up to the slide's content width exactly."""
    # the header counts as a row too, so a column is as wide as its header where there is room (one line)
    cells = {c: [str(r.get(c, "")) for r in rows] + [c] for c in columns}
    frame = pl.DataFrame(cells, schema=dict.fromkeys(columns, pl.String))
    chars = CONTENT_WIDTH / (pt_emu(BODY) * CHAR_EM)
    shares = column_widths(frame, chars)
    widths = [int(CONTENT_WIDTH * s / sum(shares)) for s in shares]
    widths[-1] += CONTENT_WIDTH - sum(widths)
    return widths


def row_height(cells: list[str], widths: list[int], *, bold: bool = False) -> int:
    """A table row's height: its tallest cell's text wrapped at the column's width, with the cell's margins."""
    lines = max(text_lines(str(c), w, BODY, bold=bold) for c, w in zip(cells, widths, strict=True))
    return int(lines * line_height(BODY) + 2 * INSET_Y + 1)


def _cell(cell, text: str, *, bold=False, fill=WHITE) -> None:
    cell.text = ""
    cell.margin_left = cell.margin_right = emu(INSET_X)
    cell.margin_top = cell.margin_bottom = emu(INSET_Y)
    frame = cell.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = str(text)
    run.font.size, run.font.bold = BODY, bold
    run.font.color.rgb = DARK
    cell.fill.solid()
    cell.fill.fore_color.rgb = fill


def chart_series(ind: Indicator, area: str) -> list[tuple[str, list, tuple]]:
    """The lines of an indicator's chart, each (name, values, style): the area's, the target as a flat line when
    there is one, and each comparator with any value — not for a count, where England's dwarfs an area's."""
    out = [(area, ind.values, AREA_STYLE)]
    if ind.target_value is not None:
        out.append(("Target", [ind.target_value] * len(ind.periods), TARGET_STYLE))
    if draws_comparators(ind.unit):
        shown = [(n, v) for n, v in ind.comparators.items() if any(x is not None for x in v)]
        out += [(n, v, COMPARATOR_STYLES[k % len(COMPARATOR_STYLES)]) for k, (n, v) in enumerate(shown)]
    return out


def chart_heading(ind: Indicator, area: str) -> str:
    """The words above a chart: the indicator; for rolling figures, that each point is the 12 months to the period
    shown (the axis gives only the month); and whose line it is when there is no key to say so."""
    rolling = bool(ind.periods) and all(p.startswith(ROLLING) for p in ind.periods)
    notes = (["rolling 12 months"] if rolling else []) + ([area] if len(chart_series(ind, area)) == 1 else [])
    if not notes:
        return ind.title
    # never two brackets running: "Active EHC plans in January (DfE), Bury", not "… (DfE) (Bury)"
    return ind.title + (f", {', '.join(notes)}" if ind.title.endswith(")") else f" ({', '.join(notes)})")


def chart_pair(deck: Deck, indicators: list[Indicator]):
    """Draws up to two charts side by side in the room given, each under its indicator's title; the titles share
    one height (the taller), so the plots line up and no title runs into its chart."""

    def draw(slide, top, room):
        gap = int(Inches(0.3))
        width = (CONTENT_WIDTH - gap * (len(indicators) - 1)) // len(indicators)
        titles = [chart_heading(i, deck.pack.area) for i in indicators]
        heading = max(text_height(t, width, BODY, bold=True) for t in titles)
        for n, (ind, title) in enumerate(zip(indicators, titles, strict=True)):
            left = MARGIN + n * (width + gap)
            deck.text(slide, [(title, True)], left, top, width, heading)
            deck.line_chart(slide, ind, left, top + heading, width, room - heading)

    return draw
