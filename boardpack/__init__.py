"""The board pack: one PDF of the board's papers, built from a snapshot and the snapshot it is compared with.

Built from the same metrics, display frames and chart builders as the app (charts rendered to PNG by vl-convert)
and turned into a PDF by WeasyPrint. Always disclosure-controlled: ward figures are protected (METHODS §6), and
every page's footer carries the "as at" date, the source, the suppression legend, the licence and the page number.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import altair as alt
import polars as pl

from charts import wards as ward_charts
from charts.plan import risk_grid_chart
from charts.spc import LINE_KEY, indicator_chart
from charts.waits import heat
from metrics import diff, kpi, plan, series, waits, wards
from metrics.areas import GM_LOCALITIES, area_name
from metrics.disclosure import LEGEND
from metrics.formatting import (
    ASSURANCE_LABELS,
    RAG_WORDS,
    THEME_TITLES,
    VARIATION_LABELS,
    WORKSTREAM_TITLES,
    fmt_date,
    fmt_target,
    fmt_value,
)
from metrics.schema import WORKSTREAMS
from metrics.snapshot import Snapshot, configured_key, open_snapshot, scan_table
from ui.tables import (
    action_changes_display,
    actions_display,
    area_rates_display,
    heat_cells,
    league_display,
    map_rows,
    new_periods_display,
    ratings_display,
    revisions_display,
    risk_changes_display,
    series_display,
)

SCALE = 1.25  # chart pixels per CSS pixel (boardpack/draw.py): exact in binary, so sizes are whole pixels
PLACEHOLDER = "chart:"  # an image's source until its chart is drawn
OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
PAGE_CHARS = 165  # 8pt characters across the page (DejaVu Sans averages about 0.58 em a character)
PADDING = 2.5  # a cell's left and right padding, in characters
CHART_FROM = 6  # points: shorter series are given as a table in the pack
RAG_CSS = {"Green": "rag-green", "Amber": "rag-amber", "Red": "rag-red", "No target": "rag-grey"}
CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 22mm 12mm;
  @bottom-left { content: element(footer); width: 88%; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #3D3D3D; } }
.running-footer { position: running(footer); font-size: 7pt; color: #3D3D3D; }
html { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #0B0C0C; }
h1 { font-size: 17pt; color: #12436D; margin: 0 0 6pt 0; page-break-before: always; }
h1.first { page-break-before: avoid; }
h2 { font-size: 13pt; margin: 12pt 0 4pt 0; color: #0B0C0C; }
h3 { font-size: 10.5pt; margin: 10pt 0 3pt 0; }
p { margin: 3pt 0; line-height: 1.35; }
.cover { text-align: left; padding-top: 40mm; }
.cover .title { font-size: 28pt; color: #12436D; font-weight: bold; }
.cover .sub { font-size: 14pt; margin-top: 6mm; }
.demo { border: 2pt solid #F46A25; padding: 4pt 8pt; font-weight: bold; color: #A6400B; display: inline-block;
        margin-top: 8mm; }
table { table-layout: fixed; border-collapse: separate; border-spacing: 0; width: 100%; margin: 4pt 0 8pt 0;
        page-break-inside: auto; }
th { background: #12436D; color: white; text-align: left; padding: 3pt 4pt; font-size: 8pt; }
td { padding: 2.5pt 4pt; font-size: 8pt; vertical-align: top; overflow-wrap: break-word; }
tbody tr:nth-child(even) td:not([class]) { background: #F3F2F1; }
tr { page-break-inside: avoid; }
.rag-green { background: #00703C; color: white; font-weight: bold; }
.rag-amber { background: #FFDD00; font-weight: bold; }
.rag-red { background: #D4351C; color: white; font-weight: bold; }
.rag-grey { background: #F3F2F1; }
img.chart { width: 100%; }
img.map { display: block; height: 120mm; width: auto; }
img.key { display: block; width: 100mm; }
.pair { page-break-inside: avoid; }
.block { page-break-inside: avoid; margin: 0 1% 6pt 0; display: inline-block; width: 48.5%; vertical-align: top; }
.wide { display: block; width: 100%; }
.caption { color: #3D3D3D; font-size: 8pt; }
.legend { font-weight: bold; color: #0B0C0C; }
"""


def esc(text) -> str:
    return html.escape("" if text is None else str(text))


def markdown(text: str) -> str:
    """The small markdown the commentary uses (bold, paragraphs), escaped first so no HTML gets through."""
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", esc(text))
    return "".join(f"<p>{p}</p>" for p in out.split("\n\n"))


class Charts:
    """Collects the pack's charts while the document is written and has a separate process (boardpack/draw.py)
    draw each one as soon as it is added (about 0.2 s a chart in vl-convert). Every chart is drawn at a size fixed
    in advance, so WeasyPrint can lay the pages out before the drawing is done (see `fetcher`). Use as a context
    manager: the process and its working folder are always cleaned up."""

    def __enter__(self) -> Charts:
        self.folder = Path(tempfile.mkdtemp(prefix="boardpack-"))
        self.log = (self.folder / "draw.log").open("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("draw.py")), str(self.folder), str(SCALE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            text=True,
        )
        self.sizes: list[tuple[int, int]] = []  # each chart's size in pixels, as drawn
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def count(self) -> int:
        return len(self.sizes)

    def add(self, chart: alt.TopLevelMixin, width: int, height: int, css: str = "chart") -> str:
        """A placeholder <img> for a chart drawn `width` × `height` CSS pixels in all, axes and legends included
        (its description becomes the alt text); the chart starts drawing now."""
        width, height = -(-width // 4) * 4, -(-height // 4) * 4  # multiples of 4: whole pixels at a scale of 1.25
        spec = chart.to_dict(validate=False)  # the builders are validated by the app and its tests
        spec.update(width=width, height=height, autosize={"type": "fit", "contains": "padding"})
        n = self.count
        self.sizes.append((round(width * SCALE), round(height * SCALE)))
        (self.folder / f"{n}.json").write_text(json.dumps(spec), encoding="utf-8")
        self.process.stdin.write(f"{n}\n")
        self.process.stdin.flush()
        return f'<img class="{css}" alt="{esc(spec.get("description", "Chart"))}" src="{PLACEHOLDER}{n}">'

    def finish(self) -> None:
        """No more charts: the drawing process ends once it has drawn those it was sent."""
        if not self.process.stdin.closed:
            self.process.stdin.close()

    def drawn(self, n: int) -> bool:
        return (self.folder / f"{n}.done").exists()

    def png(self, n: int) -> bytes:
        """Chart n's PNG, waiting for the drawing process to reach it; a clear error if drawing failed or the
        chart came out at another size than the one the pages were laid out for."""
        while not self.drawn(n):
            if self.process.poll() is not None and not self.drawn(n):
                self.log.seek(0)
                raise RuntimeError(f"Drawing the board pack's charts failed: {self.log.read().strip()[-2000:]}")
            time.sleep(0.01)
        png = (self.folder / f"{n}.png").read_bytes()
        size = struct.unpack(">II", png[16:24])  # the PNG header's width and height
        if size != self.sizes[n]:
            raise RuntimeError(f"Board pack chart {n} was drawn at {size}, not the {self.sizes[n]} pixels expected")
        return png

    def render(self, document: str) -> str:
        """The document with every placeholder replaced by its drawn chart (a PNG data URI)."""
        self.finish()
        for n in range(self.count):
            data = base64.b64encode(self.png(n)).decode()
            document = document.replace(f'src="{PLACEHOLDER}{n}"', f'src="data:image/png;base64,{data}"', 1)
        return document

    def fetcher(self):
        """WeasyPrint's URL fetcher. A chart already drawn is read as it is. One still being drawn is given as a
        blank stand-in of the same size (all that layout needs) written to the file the chart will replace:
        WeasyPrint reads an image's file again when it writes the PDF (weasyprint.images.LazyLocalImage), by
        which time `write_pdf` has waited for every chart. So pages are laid out while the drawing goes on.
        Nothing else is fetched (no network at run time); a chart that cannot be drawn stops the build."""
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        charts = self

        class ChartFetcher(URLFetcher):
            def fetch(self, url: str, headers=None) -> URLFetcherResponse:
                if not url.startswith(PLACEHOLDER):
                    raise ValueError(f"The board pack fetches nothing but its own charts, not {url}")
                n = int(url[len(PLACEHOLDER) :])
                path = charts.folder / f"{n}.png"
                body = None
                if not charts.drawn(n):
                    try:  # create the file only if the drawing process has not yet put the chart there
                        with path.open("xb") as stand_in:
                            body = blank_png(*charts.sizes[n])
                            stand_in.write(body)
                    except FileExistsError:
                        pass
                if body is None:
                    body = charts.png(n)
                return URLFetcherResponse(path.as_uri(), body=body, headers={"Content-Type": "image/png"})

        return ChartFetcher(fail_on_errors=True)

    def write_pdf(self, document: str) -> bytes:
        """The PDF of a document whose charts were added here: laid out while they are drawn, written once all
        are (each checked to be the size it was laid out at)."""
        from weasyprint import HTML

        self.finish()
        pages = HTML(string=document, url_fetcher=self.fetcher()).render()
        for n in range(self.count):
            self.png(n)
        return pages.write_pdf()


def blank_png(width: int, height: int) -> bytes:
    """A transparent RGBA PNG of the given size (vl-convert draws RGBA, so the stand-in matches it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(bytes(1 + 4 * width) * height)  # filter byte 0, then transparent black pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def table(frame: pl.DataFrame, colour: dict[str, dict[str, str]] | None = None, chars: float = PAGE_CHARS) -> str:
    """An HTML table of a display frame `chars` characters wide (see column_widths); `colour` maps a column's
    values to CSS classes (e.g. RAG)."""
    if frame.height == 0:
        return '<p class="caption">None.</p>'
    colour = colour or {}
    cols = "".join(f'<col style="width:{w}%">' for w in column_widths(frame, chars))
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, colour.get(c, {}).get(str(v))) for c, v in r.items()) + "</tr>"
        for r in frame.iter_rows(named=True)
    )
    return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value, css: str | None) -> str:
    return f'<td class="{css}">{esc(value)}</td>' if css else f"<td>{esc(value)}</td>"


def column_widths(frame: pl.DataFrame, chars: float) -> list[float]:
    """Percent widths for a fixed-layout table (much quicker for WeasyPrint than its automatic layout) `chars`
    average characters wide. Every column first gets room for its longest word, so no word is broken (header
    words count a little wider, as they are bold); what is left goes to the columns whose values are longer than
    that, in proportion to the extra they need (values capped at 40 characters, as long text wraps)."""
    floors, wants = [], []
    for name in frame.columns:
        text = ["" if v is None else str(v) for v in frame[name].to_list()]  # a few rows: plain Python is quickest
        longest = max(map(len, text))
        word = max((len(w) for t in text for w in t.split()), default=0)
        floor = max(word, max(len(w) for w in name.split()) * 1.15) + PADDING
        floors.append(floor)
        wants.append(max(floor, min(longest, 40) + PADDING))
    if sum(wants) <= chars or sum(floors) >= chars:
        widths = wants if sum(wants) <= chars else floors
    else:
        spare = (chars - sum(floors)) / (sum(wants) - sum(floors))
        widths = [f + (w - f) * spare for f, w in zip(floors, wants, strict=True)]
    return [round(100 * w / sum(widths), 2) for w in widths]


def build_html(snap: Snapshot, compare: Snapshot | None) -> str:
    """The whole pack as one HTML document (charts drawn as PNGs)."""
    with alt.utils.schemapi.debug_mode(False), Charts() as charts:  # no schema validation while building ~20 charts
        return charts.render(_document(snap, compare, charts))


def _document(snap: Snapshot, compare: Snapshot | None, charts: Charts) -> str:
    t = lambda name: scan_table(snap, name)  # noqa: E731 - a short local alias reads better here
    cat = t("kpi_catalogue").collect()
    values = t("kpi_values")
    results = series.all_series(cat, values, area_code=snap.la_code, phase="all")
    icons = series.icons_of(cat, results)
    summary = (
        kpi.summary(
            t("kpi_catalogue"), values, scan_table(compare, "kpi_values") if compare else None, area_code=snap.la_code
        )
        .collect()
        .join(icons, on="kpi_id", how="left")
    )
    board = (
        t("milestones")
        .filter((pl.col("kind") == "board") & (pl.col("date") > snap.as_at))
        .select(pl.col("date").min())
        .collect()
        .item()
    )
    sources = "; ".join(s.get("name", "") for s in snap.manifest.get("sources", []))
    footer = f"Data as at {fmt_date(snap.as_at)} · {snap.la_name} · Sources: see the appendix · {LEGEND} · {OGL}" + (
        " · DEMONSTRATION DATA" if snap.demo else ""
    )
    # No data ever goes into the CSS: the footer is a running element of escaped text, placed in every page's margin.
    parts = [
        f"<html><head><meta charset='utf-8'><title>{esc(snap.la_name)} SEND board pack</title>"
        f"<style>{CSS}</style></head><body><div class='running-footer'>{esc(footer)}</div>"
    ]

    # cover
    parts.append(
        "<div class='cover'><div class='title'>SEND Improvement and Assurance Board</div>"
        f"<div class='sub'>{esc(snap.la_name)} · Priority Impact Plan board pack</div>"
        f"<p style='margin-top:8mm'>Board meeting: {esc(fmt_date(board) if board else 'not scheduled')}<br>"
        f"Data as at {esc(fmt_date(snap.as_at))}"
        + (f"; compared with the snapshot of {esc(fmt_date(compare.as_at))}" if compare else "")
        + "</p>"
        + (
            "<div class='demo'>Demonstration data: generated figures around the area's published ones</div>"
            if snap.demo
            else ""
        )
        + "<p style='margin-top:10mm'>Contents: summary · since the last board · the three themes · ward demand · "
        "Greater Manchester waiting times · risks and actions · sources, definitions and methods.</p>"
        f"<p class='caption'>Figures below local-authority level are disclosure-controlled: {esc(LEGEND)}.</p></div>"
    )

    # summary
    rows = [
        {
            "Workstream": r["workstream"],
            "Indicator": r["title"],
            "Latest": fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or "")
            if r["period_label"]
            else "No data",
            "Period": r["period_label"] or "",
            "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
            "RAG": RAG_WORDS[r["rag"]],
            "Trend": r["trend"] or "",
            "SPC variation": "Too few points" if r["variation"] == "none" else VARIATION_LABELS[r["variation"]],
            "SPC assurance": "" if r["variation"] == "none" else ASSURANCE_LABELS[r["assurance"]],
        }
        for r in summary.iter_rows(named=True)
    ]
    parts.append(
        "<h1>Summary</h1><p>Every indicator with its latest value and period, the Priority Impact Plan "
        "target, a red/amber/green (RAG) rating, the trend and the statistical process control (SPC) "
        "icons.</p>" + table(pl.DataFrame(rows), {"RAG": RAG_CSS})
    )

    since_at = len(parts)  # written after the charts have been sent to be drawn (see below)

    # themes and workstreams
    actions = t("actions")
    commentary = t("commentary")
    for theme, theme_title in THEME_TITLES.items():
        in_theme = summary.filter(pl.col("theme") == theme)
        if in_theme.height == 0:
            continue
        parts.append(f"<h1>{esc(theme_title)}</h1>")
        for ws in [w for w in WORKSTREAMS if w in set(in_theme["workstream"])]:
            parts.append(f"<h2>{esc(WORKSTREAM_TITLES.get(ws, ws))}</h2>")
            blocks = []
            for k in in_theme.filter(pl.col("workstream") == ws).iter_rows(named=True):
                res = results[k["kpi_id"]]
                if res.height == 0:
                    continue
                comps = series.comparator_series(values, k["kpi_id"]).collect()
                text = series.describe(res, k)
                recent = series_display(res, comps, k)
                keep = ["Period", "Value", "SPC signal", *[c for c in recent.columns if c in ("England", "North West")]]
                if res["value"].is_not_null().sum() >= CHART_FROM:
                    chart = indicator_chart(
                        res,
                        title=None,
                        unit=k["unit"],
                        decimals=k["decimals"],
                        target=k["target"],
                        comparators=comps if comps.height else None,
                        description=text,
                    )  # its size is set by charts.add
                    figure = (
                        charts.add(chart, width=620, height=280)
                        + f"<p class='caption'>{esc(text)} {esc(LINE_KEY['run' if k['variation'] == 'none' else 'spc'])}</p>"
                        + table(recent.select(keep).tail(4), chars=PAGE_CHARS / 2)
                    )
                else:  # a few annual or survey figures read better as a table than as a chart
                    figure = f"<p class='caption'>{esc(text)}</p>" + table(
                        recent.select(keep[:2] + keep[3:]), chars=PAGE_CHARS / 2
                    )
                blocks.append(f"<div class='block'><h3>{esc(k['title'])}</h3>{figure}</div>")
            # two indicators side by side, kept together: a pair never splits across pages, and the workstream's
            # heading stays with its first pair
            parts += [f"<div class='pair'>{''.join(blocks[i : i + 2])}</div>" for i in range(0, len(blocks), 2)]
            if ws != "CONTEXT":
                acts = plan.workstream_actions(actions, [ws], snap.as_at).collect()
                parts.append(
                    "<h3>Actions</h3>"
                    + table(actions_display(acts).drop("Latest update", "Updated") if acts.height else pl.DataFrame())
                )
                notes = plan.latest_commentary(commentary, ws).filter(pl.col("is_latest")).collect()
                for n in notes.iter_rows(named=True):
                    parts.append(
                        f"<h3>Commentary — {esc(fmt_date(n['written']))}, {esc(n['author_role'])}</h3>"
                        + markdown(n["text"])
                    )

    # ward demand (always protected)
    demand = t("ward_demand")
    months = demand.select(pl.col("period_end").max()).collect().item()
    parts.append("<h1>Ward demand</h1>")
    if months is None or t("wards").select(pl.len()).collect().item() == 0:
        parts.append("<p>No ward data in this snapshot.</p>")
    else:
        rates = wards.ward_rates(
            demand, t("wards"), period_end=months, measure="ehcp_caseload", protected=True
        ).collect()
        rows_map = map_rows(rates, t("wards").collect(), shade="rate")
        breaks = wards.class_breaks(rows_map["shade"].to_list())
        shape = t("wards").select("geometry_source").collect().item(0, 0)
        parts.append(
            f"<p>EHC plans per 1,000 children and young people aged 0–25, {months:%B %Y}. "
            f"{esc(wards.significance_sentence(rates))} Counts are protected: {esc(LEGEND)}.</p>"
            + charts.add(
                ward_charts.static_map(
                    rows_map,
                    value="shade",
                    breaks=breaks,
                    title=f"EHC plans per 1,000, {months:%B %Y}",
                    description="Map of EHC plans per 1,000 by ward; the table below gives every ward's rate",
                ),
                width=528,
                height=588,
                css="map",
            )
            + charts.add(
                ward_charts.legend(
                    breaks,
                    title="EHC plans per 1,000",
                    no_data=rows_map["shade"].is_null().any(),
                ),
                width=528,
                height=52,
                css="key",
            )
            + (
                "<p class='caption'>Ward shapes are approximate (demonstration).</p>"
                if shape != "ons"
                else "<p class='caption'>Ward boundaries: ONS. Contains National Statistics and OS data © Crown "
                "copyright and database right 2023.</p>"
            )
            + table(area_rates_display(rates))
            + f"<p class='legend'>{esc(LEGEND)}</p>"
        )

    # GM waiting times
    wt = t("waiting_times")
    have = wt.filter(pl.col("source") == "gm_locality_return").select("service").unique().collect()["service"]
    services = [s for s in ("camhs", "salt", "ot", "physio", "community_paediatrics") if s in set(have)]
    parts.append("<h1>Waiting times: Greater Manchester league table</h1>")
    if not services:
        parts.append("<p>No waiting-time data in this snapshot.</p>")
    else:
        latest = {
            s: wt.filter(
                (pl.col("service") == s)
                & (pl.col("source") == "gm_locality_return")
                & pl.col("waiting_total").is_not_null()
            )
            .select(pl.col("period_end").max())
            .collect()
            .item()
            for s in services
        }
        cells = heat_cells(
            waits.heat_table(wt, period_end=latest, services=services, localities=list(GM_LOCALITIES)).collect()
        )
        area = area_name(snap.la_code)
        parts.append(
            charts.add(
                heat(cells, area=area, description="Heat table of waiting times"),
                width=1280,
                height=70 * len(services) + 60,  # a row a service, and the localities' names above
            )
        )
        for s in services:
            lg = waits.league(wt, period_end=latest[s], service=s, localities=list(GM_LOCALITIES)).collect()
            tr = waits.area_trend(wt, service=s, area_code=snap.la_code, localities=list(GM_LOCALITIES)).collect()
            parts.append(
                f"<div class='block wide'><h3>{esc(waits.headline(lg, tr, area_code=snap.la_code, service=s))}"
                f"</h3>{table(league_display(lg).drop('Median wait (weeks)'))}</div>"
            )

    # since the last board: its statistics are worked out while the charts above are being drawn
    since = ["<h1>Since the last board</h1>"]
    if compare is None:
        since.append("<p>There is no earlier snapshot to compare with.</p>")
    else:
        icons_before = series.all_icons(
            scan_table(compare, "kpi_catalogue").collect(),
            scan_table(compare, "kpi_values"),
            area_code=compare.la_code,
            phase="all",
        )

        def rated(s: Snapshot, found: pl.DataFrame) -> pl.LazyFrame:
            c = scan_table(s, "kpi_catalogue")
            return kpi.summary(c, scan_table(s, "kpi_values"), None, area_code=s.la_code).join(
                found.lazy(), on="kpi_id"
            )

        ch = {
            "new": diff.new_periods(
                t("kpi_catalogue"), values, scan_table(compare, "kpi_values"), area_code=snap.la_code
            ).collect(),
            "revised": diff.revisions(
                t("kpi_catalogue"), values, scan_table(compare, "kpi_values"), area_code=snap.la_code
            ).collect(),
            "ratings": diff.rating_changes(rated(snap, icons), rated(compare, icons_before)).collect(),
            "risks": diff.risk_changes(t("risks"), scan_table(compare, "risks")).collect(),
            "actions": diff.action_changes(t("actions"), scan_table(compare, "actions")).collect(),
        }
        since.append(f"<p>{esc(diff.plain_summary(compare_label=fmt_date(compare.as_at), **ch))}</p>")
        for title, key, display in [
            ("New data", "new", new_periods_display),
            ("Revised figures", "revised", revisions_display),
            ("Rating and SPC icon changes", "ratings", ratings_display),
            ("Actions", "actions", action_changes_display),
            ("Risks", "risks", risk_changes_display),
        ]:
            since.append(f"<h3>{title}</h3>" + table(display(ch[key]) if ch[key].height else pl.DataFrame()))

    parts[since_at:since_at] = since

    # risks and actions
    risks = plan.risks_for(t("risks"), list(WORKSTREAMS)).collect()
    grid = plan.risk_grid(t("risks")).collect()
    placed = grid.filter(pl.col("n") > 0)
    grid_text = "Heat grid of the open risks by likelihood and severity: " + (
        "; ".join(
            f"{r['label']} at likelihood {r['likelihood']}, severity {r['severity']}"
            for r in placed.iter_rows(named=True)
        )
        or "none open"
    )
    parts.append(
        "<h1>Risks and actions</h1><h2>Risk register</h2>"
        + charts.add(risk_grid_chart(grid, description=grid_text), width=760, height=400)
        + "<p>Each open risk is placed by its reference; score = likelihood × severity (bands: low 1–6, medium 8–12, "
        "high 15–25).</p>"
        + table(
            risks.select(
                pl.col("risk_id").alias("Ref"),
                pl.col("workstreams").list.join(", ").alias("Workstreams"),
                pl.col("title").alias("Risk"),
                pl.col("likelihood").alias("Likelihood"),
                pl.col("severity").alias("Severity"),
                pl.col("score").alias("Score"),
                pl.col("direction").str.to_titlecase().alias("Direction"),
                pl.col("owner_role").alias("Owner (role)"),
                pl.col("mitigation").alias("Mitigation"),
            )
        )
    )
    all_actions = plan.workstream_actions(actions, list(WORKSTREAMS), snap.as_at).collect()
    parts.append(
        "<h2>Action tracker</h2>" + table(actions_display(all_actions) if all_actions.height else pl.DataFrame())
    )

    # appendix
    src = pl.DataFrame(
        [
            {
                "Source": s.get("name", ""),
                "File": s.get("file", ""),
                "Publisher": s.get("publisher", ""),
                "SHA-256": (s.get("sha256") or "")[:16],
            }
            for s in snap.manifest.get("sources", [])
        ]
    )
    defs = cat.select(
        pl.col("kpi_id").alias("Id"),
        pl.col("title").alias("Indicator"),
        pl.col("definition").alias("Definition"),
        pl.col("unit").alias("Unit"),
        pl.col("polarity").str.replace_all("_", " ").alias("Polarity"),
        pl.col("source").alias("Source"),
    )
    parts.append(
        "<h1>Appendix: sources, definitions and methods</h1><h2>Sources</h2>"
        + table(src)
        + f"<p class='caption'>{esc(sources)}</p><h2>Definitions</h2>"
        + table(defs)
        + "<h2>Methods</h2>"
        + "<p><strong>RAG.</strong> The latest value, as displayed, against the PIP target: green meets or beats it; "
        "amber misses it by no more than 5% of the target; red misses by more.</p>"
        + "<p><strong>SPC.</strong> NHS England Making Data Count XmR charts: process limits at the mean ± 2.66 × "
        "the mean moving range; special causes are a point outside the limits, a run of 7 rising or falling, 2 of "
        "3 beyond the 2-sigma line on one side, or 7 on one side of the mean. Under 13 points: a run chart.</p>"
        + "<p><strong>Intervals.</strong> 95% Wilson intervals for percentages; exact Poisson limits (Byar's "
        "approximation from 10) for ward rates.</p>"
        + f"<p><strong>Disclosure control.</strong> Below local-authority level: {esc(LEGEND)}; rates come from "
        "the rounded counts and are c when their count is suppressed.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)


def _load_weasyprint() -> None:
    with contextlib.suppress(Exception):  # a failure is raised again by the import in Charts.write_pdf
        import weasyprint  # noqa: F401


def build_pdf(
    snapshot: Path | str, compare: Path | str | None = None, *, key: bytes | str | None = "configured"
) -> bytes:
    """The board pack of a snapshot (and the snapshot it is compared with) as PDF bytes; both are verified first
    (with the signing key, by default the configured one)."""
    key = configured_key() if key == "configured" else key
    # Load WeasyPrint (about a second, the first time) alongside the statistics: Polars lets go of Python's lock
    # while it computes, so the import goes ahead in those gaps. Charts.write_pdf's import waits for it to finish.
    threading.Thread(target=_load_weasyprint, daemon=True).start()
    with alt.utils.schemapi.debug_mode(False), Charts() as charts:  # the drawing process starts first
        snap = open_snapshot(snapshot, key=key)
        document = _document(snap, open_snapshot(compare, key=key) if compare else None, charts)
        return charts.write_pdf(document)
