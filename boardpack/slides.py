"""The board's papers as an editable PowerPoint deck (python-pptx), rendered from the pack model
(`boardpack.model`): a title slide, the Summary with RAG words and colours, since the last board, one slide per
workstream with its headline figures and a native, editable line chart (values, target, England and the region
where present) and the latest commentary in the speaker notes, the ward map and its protected table, the
waiting-time leagues, risks (with the heat grid) and actions. 16:9; type at least 18 pt except the footer, which
every slide carries (as-at date, suppression legend, Open Government Licence, demonstration flag).
"""

from __future__ import annotations

import io
from contextlib import contextmanager

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from boardpack.model import Indicator, Pack
from metrics.formatting import UNIT_WORDS, fmt_date


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


WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 13.333 × 7.5 inches, PowerPoint's 16:9
MARGIN = Inches(0.5)
BODY = Pt(18)
TITLE = Pt(32)
FOOTER = Pt(10)
DARK = RGBColor(0x0B, 0x0C, 0x0C)
BLUE = RGBColor(0x12, 0x43, 0x6D)
RAG_FILL = {  # light fills, dark text (contrast above 4.5:1); the word is always printed too
    "Green": RGBColor(0xCC, 0xE2, 0xD8),
    "Amber": RGBColor(0xFF, 0xF1, 0xB8),
    "Red": RGBColor(0xF6, 0xD7, 0xD2),
    "No target": RGBColor(0xF3, 0xF2, 0xF1),
}
SERIES_COLOURS = [BLUE, RGBColor(0xF4, 0x6A, 0x25), RGBColor(0x28, 0xA1, 0x97), RGBColor(0x80, 0x16, 0x50)]
ROWS_PER_SLIDE = 7


class Deck:
    def __init__(self, pack: Pack):
        self.pack = pack
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.blank = self.prs.slide_layouts[6]

    def slide(self, title: str, notes: str = ""):
        s = self.prs.slides.add_slide(self.blank)
        self.text(s, title, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.9), size=TITLE, bold=True, colour=BLUE)
        box = s.shapes.add_textbox(MARGIN, HEIGHT - Inches(0.55), WIDTH - 2 * MARGIN, Inches(0.45))
        box.name = "Footer"
        frame = box.text_frame
        frame.word_wrap = True
        run = frame.paragraphs[0].add_run()
        run.text = self.pack.footer
        run.font.size = FOOTER
        run.font.color.rgb = RGBColor(0x3D, 0x3D, 0x3D)
        if notes:
            s.notes_slide.notes_text_frame.text = notes
        return s

    @staticmethod
    def text(slide, text: str, left, top, width, height, *, size=BODY, bold=False, colour=DARK):
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text.split("\n")):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = p.add_run()
            run.text = line
            run.font.size, run.font.bold = size, bold
            run.font.color.rgb = colour
        return box

    def table(self, slide, rows: list[dict], columns: list[str], widths: list[float], top=None):
        """A native table of display rows (18 pt), with RAG cells filled in their colour beside the word."""
        top = Inches(1.3) if top is None else top
        height = Inches(0.42) * (len(rows) + 1)  # a row grows when its text wraps
        shape = slide.shapes.add_table(len(rows) + 1, len(columns), MARGIN, top, WIDTH - 2 * MARGIN, height)
        table = shape.table
        for row in table.rows:
            row.height = Inches(0.42)
        total = sum(widths)
        for i, w in enumerate(widths):
            table.columns[i].width = Emu(int((WIDTH - 2 * MARGIN) * w / total))
        for j, name in enumerate(columns):
            self._cell(table.cell(0, j), name, bold=True)
        for i, row in enumerate(rows, start=1):
            for j, name in enumerate(columns):
                value = row.get(name, "")
                self._cell(table.cell(i, j), value, fill=RAG_FILL.get(value) if name == "RAG" else None)
        return shape

    @staticmethod
    def _cell(cell, text: str, *, bold=False, fill=None):
        cell.text = ""
        run = cell.text_frame.paragraphs[0].add_run()
        run.text = str(text)
        run.font.size, run.font.bold = BODY, bold
        run.font.color.rgb = DARK
        if fill is not None or not bold:
            cell.fill.solid()
            cell.fill.fore_color.rgb = fill or RGBColor(0xFF, 0xFF, 0xFF)
        else:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(0xDE, 0xE8, 0xF1)

    def paged(self, title: str, rows: list[dict], columns: list[str], widths: list[float], per: int = ROWS_PER_SLIDE):
        pages = [rows[i : i + per] for i in range(0, len(rows), per)] or [[]]
        for n, page in enumerate(pages, start=1):
            s = self.slide(title + (f" ({n} of {len(pages)})" if len(pages) > 1 else ""))
            if page:
                self.table(s, page, columns, widths)
            else:
                self.text(s, "None.", MARGIN, Inches(1.4), Inches(8), Inches(0.6))

    def picture(self, slide, png: bytes, alt: str, left, top, width):
        pic = slide.shapes.add_picture(io.BytesIO(png), left, top, width=width)
        pic._element.nvPicPr.cNvPr.set("descr", alt)  # the picture's alternative text
        return pic

    def line_chart(self, slide, ind: Indicator, left, top, width, height):
        """A native line chart: the area's values, the target as a flat line, and any comparators."""
        data = _ChartData()
        data.categories = ind.periods
        data.add_series(self.pack.area, ind.values, number_format=_number_format(ind))
        if ind.target_value is not None:
            data.add_series("Target", [ind.target_value] * len(ind.periods), number_format=_number_format(ind))
        for name, values in ind.comparators.items() if ind.unit != "count" else ():  # England's count dwarfs an area's
            if any(v is not None for v in values):
                data.add_series(name, values, number_format=_number_format(ind))
        frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, left, top, width, height, data)
        frame.name = f"Chart: {ind.title}"
        chart = frame.chart
        chart.has_title = False  # the indicator's title is the text above the chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = BODY
        chart.font.size = BODY
        for i, plot_series in enumerate(chart.plots[0].series):
            plot_series.format.line.color.rgb = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            plot_series.format.line.width = Pt(3.5 if i == 0 else 2)
            plot_series.smooth = False
        chart.category_axis.tick_labels.font.size = BODY
        chart.value_axis.tick_labels.font.size = BODY
        skip = max(1, -(-len(ind.periods) // 5))  # at most about five period labels, so 18 pt labels never collide
        if skip > 1:
            from lxml import etree
            from pptx.oxml.ns import qn

            cat_ax = chart._chartSpace.find(".//" + qn("c:catAx"))
            for tag, val in (("c:tickLblSkip", skip), ("c:tickMarkSkip", skip)):
                el = etree.SubElement(cat_ax, qn(tag))
                el.set("val", str(val))
        axis = chart.value_axis
        axis.has_title = True
        axis.axis_title.text_frame.text = UNIT_WORDS.get(ind.unit, ind.unit)
        axis.axis_title.text_frame.paragraphs[0].runs[0].font.size = BODY
        return frame


def _number_format(ind: Indicator) -> str:
    places = "0" if not ind.decimals else "0." + "0" * ind.decimals
    return places + ('"%"' if ind.unit == "percent" else "")


def build_pptx(pack: Pack, *, pictures: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """The deck as .pptx bytes. `pictures` holds drawn images by name ("ward_map", "risk_grid") with alt text."""
    pictures = pictures or {}
    d = Deck(pack)
    p = pack

    # title
    s = d.slide("SEND Improvement and Assurance Board")
    lines = [
        f"{p.area} · Priority Impact Plan board papers",
        f"Board meeting: {fmt_date(p.board_date) if p.board_date else 'not scheduled'}",
        f"Data as at {fmt_date(p.as_at)}"
        + (f"; compared with the snapshot of {fmt_date(p.compare_as_at)}" if p.compare_as_at else ""),
    ]
    d.text(s, "\n".join(lines), MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(2.2), size=Pt(24))
    if p.demo:
        d.text(
            s,
            "Demonstration data: generated figures around the area's published ones",
            MARGIN,
            Inches(4.2),
            WIDTH - 2 * MARGIN,
            Inches(0.8),
            size=Pt(22),
            bold=True,
            colour=RGBColor(0xA6, 0x40, 0x0B),
        )

    # summary
    d.paged(
        "Summary",
        p.summary,
        ["Workstream", "Indicator", "Latest", "Period", "Target", "RAG"],
        [1.1, 4.6, 1.4, 1.5, 2.2, 1.3],
    )

    # since the last board
    s = d.slide("Since the last board")
    d.text(s, p.since["paragraph"], MARGIN, Inches(1.4), WIDTH - 2 * MARGIN, Inches(4.5))

    # one slide per workstream
    for ws in p.workstreams:
        notes = "\n\n".join(
            f"{c['written']}, {c['role']} ({c['kind'].replace('_', ' ')}):\n{c['text']}" for c in ws.commentary
        )
        s = d.slide(f"{ws.title}", notes=notes or "No commentary for this workstream in this snapshot.")
        figures = "\n".join(f"{i.title}: {i.latest}; target {i.target}; RAG {i.rag}" for i in ws.indicators[:3])
        d.text(s, figures, MARGIN, Inches(1.1), WIDTH - 2 * MARGIN, Inches(1.9))
        charted = sorted(
            (i for i in ws.indicators if sum(v is not None for v in i.values) >= 2),
            key=lambda i: -sum(v is not None for v in i.values),
        )[:2]
        half = (WIDTH - 2 * MARGIN - Inches(0.3)) / 2
        for n, ind in enumerate(charted):
            left = MARGIN + n * (half + Inches(0.3))
            d.text(s, ind.title, left, Inches(3.05), half, Inches(0.5), bold=True)
            d.line_chart(s, ind, left, Inches(3.55), half, Inches(3.3))

    # ward demand (always protected)
    if p.wards:
        s = d.slide(f"Ward demand, {p.wards['month']:%B %Y}")
        if "ward_map" in pictures:
            png, alt = pictures["ward_map"]
            d.picture(s, png, alt, MARGIN, Inches(1.2), Inches(4.6))
        d.text(
            s,
            p.wards["sentence"] + "\n\nCounts are protected: c = fewer than 8; other counts rounded to the nearest 5.",
            Inches(5.4),
            Inches(1.3),
            Inches(7.4),
            Inches(5),
        )
        columns = [
            c for c in ("Ward", "Town", "Count", "Rate per 1,000") if p.wards["rows"] and c in p.wards["rows"][0]
        ]
        d.paged(
            "Ward demand: every ward (protected)", p.wards["rows"], columns, [3, 2, 1.2, 1.6][: len(columns)], per=9
        )

    # waiting-time leagues
    for league in p.waits:
        s = d.slide(f"Waiting times, {league['month']:%B %Y}")
        d.text(s, league["headline"], MARGIN, Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.9))
        if league["rows"]:
            wanted = ["Rank", league["unit"], "Under 18 weeks", "95% interval", league["against"]]
            wanted = [c for c in wanted if c in league["rows"][0]]
            d.table(s, league["rows"], wanted, [1.6, 2.2, 1.6, 2.0, 2.2][: len(wanted)], top=Inches(1.9))

    # risks and actions
    s = d.slide("Risk register")
    if "risk_grid" in pictures:
        png, alt = pictures["risk_grid"]
        d.picture(s, png, alt, MARGIN, Inches(1.2), Inches(6.2))
    d.text(
        s,
        "\n".join(f"{r['Ref']}: {r['Risk']} — score {r['Score (of 25)']}, {r['Direction']}" for r in p.risks[:6]),
        Inches(7.0),
        Inches(1.2),
        Inches(5.8),
        Inches(5.3),
    )
    d.paged(
        "Action tracker",
        # an overdue action says so beside its due date, as the app's ⚠ column does
        [{**a, "Due": f"⚠ {a['Due']} (overdue)" if a.get("Overdue") else a["Due"]} for a in p.actions],
        ["Ref", "Action", "Owner (role)", "Due", "Status", "RAG"],
        [0.8, 4.2, 2.6, 2.2, 1.6, 1.1],
        per=5,
    )

    out = io.BytesIO()
    d.prs.save(out)
    return out.getvalue()


def draw_pictures(snap, pack: Pack) -> dict[str, tuple[bytes, str]]:
    """The deck's two drawn images (the ward map and the risk grid), each with its alternative text."""
    import vl_convert as vlc

    from charts import wards as ward_charts
    from charts.plan import risk_grid_chart
    from metrics import plan
    from metrics import wards as ward_metrics
    from metrics.snapshot import scan_table
    from ui.tables import map_rows

    out = {}
    if pack.wards:
        rows_map = map_rows(pack.wards["rates"], scan_table(snap, "wards").collect(), shade="rate")
        breaks = ward_metrics.class_breaks(rows_map["shade"].to_list())
        alt_text = (
            f"Map of EHC plans per 1,000 by ward, {pack.wards['month']:%B %Y}; the table slides give every ward's rate."
        )
        chart = ward_charts.static_map(
            rows_map, value="shade", breaks=breaks, title="EHC plans per 1,000", description=alt_text
        )
        spec = chart.to_dict(validate=False)
        spec.update(width=440, height=500)
        out["ward_map"] = (vlc.vegalite_to_png(spec, scale=2), alt_text)
    grid = plan.risk_grid(scan_table(snap, "risks")).collect()
    alt_text = plan.describe_grid(grid)
    spec = risk_grid_chart(grid, description=alt_text).to_dict(validate=False)
    spec.update(width=640, height=420)
    out["risk_grid"] = (vlc.vegalite_to_png(spec, scale=2), alt_text)
    return out


def build_deck(snapshot, compare=None, *, key: bytes | str | None = "configured") -> bytes:
    """The deck of a snapshot folder (and its compare snapshot), both verified first."""
    from boardpack import model
    from metrics.snapshot import configured_key, open_snapshot

    key = configured_key() if key == "configured" else key
    snap = open_snapshot(snapshot, key=key)
    comp = open_snapshot(compare, key=key) if compare else None
    pack = model.build(snap, comp)
    return build_pptx(pack, pictures=draw_pictures(snap, pack))


__all__ = ["build_deck", "build_pptx"]
