"""The board pack: one PDF of the board's papers, built from a snapshot and the snapshot it is compared with.

Built from the same metrics, display frames and chart builders as the app (charts rendered to PNG by vl-convert)
and turned into a PDF by WeasyPrint. Always disclosure-controlled: ward figures are protected (METHODS §6), and
every page's footer carries the "as at" date, the source, the suppression legend, the licence and the page number.
"""

from __future__ import annotations

import base64
import contextlib
import functools
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
from collections.abc import Callable
from pathlib import Path

import altair as alt
import jinja2
import polars as pl
from markupsafe import Markup

from boardpack import model
from metrics.disclosure import LEGEND
from metrics.formatting import fmt_date
from metrics.snapshot import Snapshot, configured_key, open_snapshot
from present.words import abbreviations

SCALE = 1.25  # chart pixels per CSS pixel (boardpack/draw.py): exact in binary, so sizes are whole pixels
PLACEHOLDER = "chart:"  # an image's source until its chart is drawn
OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
PAGE_CHARS = 165  # 8pt characters across the page (DejaVu Sans averages about 0.58 em a character)
PADDING = 2.5  # a cell's left and right padding, in characters
CHART_FROM = 6  # points: shorter series are given as a table in the pack
RAG_CSS = {"Green": "rag-green", "Amber": "rag-amber", "Red": "rag-red", "No target": "rag-grey"}
CSS = Path(__file__).with_name("pack.css").read_text(encoding="utf-8")
TEMPLATES = Path(__file__).with_name("templates")


def esc(text) -> str:
    return html.escape("" if text is None else str(text))


_ITEM = re.compile(r"^\s{0,6}(?:[-*+]|\d{1,3}[.)])\s+(.*)$")


def _inline(text: str) -> str:
    """Bold and italic in escaped text."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"(?<![\w*])[*_](?![\s*_])(.+?)(?<![\s*_])[*_](?![\w*])", r"<em>\1</em>", text)


def markdown(text: str) -> str:
    """The commentary's markdown — paragraphs, bold, italic, bulleted and numbered lists — as HTML, escaped first so
    no HTML in the text gets through (links and images stay as the characters typed)."""
    out = []
    for block in re.split(r"\n\s*\n", esc(text).replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        items = [_ITEM.match(line) for line in lines]
        if lines and all(items):
            numbered = bool(re.match(r"^\s*\d", lines[0]))
            tag = "ol" if numbered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(m.group(1))}</li>" for m in items) + f"</{tag}>")
        elif lines:
            out.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return "".join(out)


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
        ref = self.register(chart, width, height)
        return f'<img class="{css}" alt="{esc(chart.to_dict(validate=False).get("description", "Chart"))}" src="{ref}">'

    def register(self, chart: alt.TopLevelMixin, width: int, height: int) -> str:
        """Send a chart to be drawn `width` × `height` CSS pixels in all; returns the reference its image will have."""
        width, height = -(-width // 4) * 4, -(-height // 4) * 4  # multiples of 4: whole pixels at a scale of 1.25
        spec = chart.to_dict(validate=False)  # the builders are validated by the app and its tests
        spec.update(width=width, height=height, autosize={"type": "fit", "contains": "padding"})
        n = self.count
        self.sizes.append((round(width * SCALE), round(height * SCALE)))
        (self.folder / f"{n}.json").write_text(json.dumps(spec), encoding="utf-8")
        self.process.stdin.write(f"{n}\n")
        self.process.stdin.flush()
        return f"{PLACEHOLDER}{n}"

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

    def write_pdf(self, document: str | Callable[[frozenset[str]], str]) -> bytes:
        """The PDF of a document whose charts were added here: laid out while they are drawn, written once all
        are (each checked to be the size it was laid out at), tagged for accessibility (PDF/UA-1: language, title,
        headings, tables and figures with their alternative text).

        `document` may be a function of the sections to let flow on from the page before (see render): a section
        that ends on a page with little on it would otherwise leave that page near blank, so the page layout is
        looked at and, where that happens, the next section starts on that page instead and the pages are laid
        out again (at most a few times)."""
        from weasyprint import HTML

        self.finish()
        make = document if callable(document) else (lambda flow: document)
        flow: frozenset[str] = frozenset()
        for _ in range(3):  # a first layout and at most two more (each a second or two)
            pages = HTML(string=make(flow), url_fetcher=self.fetcher()).render()
            more = flow | sections_after_sparse_pages(pages)
            if more == flow or not callable(document):
                break
            flow = more
        for n in range(self.count):
            self.png(n)
        return pages.write_pdf(pdf_variant="pdf/ua-1")


SPARSE = 0.4  # a page filled less than this far down, with no figure, is near blank


def page_content(page) -> tuple[float, int]:
    """How far down a laid-out WeasyPrint page its content reaches (0 to 1 of the page's body height) and how many
    images it has; the running footer and page number, in the margins, are not counted."""
    from weasyprint.formatting_structure import boxes

    bottom, images = None, 0
    body = page._page_box
    todo = [c for c in body.children if not isinstance(c, boxes.MarginBox)]
    while todo:
        box = todo.pop()
        if isinstance(box, boxes.ReplacedBox):
            images += 1
        if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            end = box.position_y + box.height
            bottom = end if bottom is None else max(bottom, end)
        todo.extend(getattr(box, "children", ()))
    top = body.content_box_y()
    return (0.0 if bottom is None else (bottom - top) / body.height), images


def _first_heading(page) -> str | None:
    """The id of the section heading (h1) a page starts with, if it does."""
    from weasyprint.formatting_structure import boxes

    todo = [c for c in page._page_box.children if not isinstance(c, boxes.MarginBox)]
    while todo:
        box = todo.pop(0)
        element = getattr(box, "element", None)
        if element is not None and getattr(element, "tag", None) == "h1":
            return element.get("id")
        if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            return None
        todo = list(getattr(box, "children", ())) + todo
    return None


def sections_after_sparse_pages(document) -> frozenset[str]:
    """The sections whose forced new page follows a near-blank page: they should start on that page instead."""
    found = set()
    for page, after in zip(document.pages, document.pages[1:], strict=False):
        filled, images = page_content(page)
        heading = _first_heading(after)
        if filled < SPARSE and images == 0 and heading:
            found.add(heading)
    return frozenset(found)


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
        return charts.render(render(model.build(snap, compare, draw=charts.register)))


def indicator_rows(indicators: list) -> list[list]:
    """Indicators laid out in rows, in order: one with a chart has a row of its own (chart beside its words);
    those without go two to a row."""
    rows: list[list] = []
    for ind in indicators:
        if ind.figure is None and rows and rows[-1][0].figure is None and len(rows[-1]) < 2:
            rows[-1].append(ind)
        else:
            rows.append([ind])
    return rows


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from the data is text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def html_table(rows: list[dict], colour: dict | None = None, chars: float = PAGE_CHARS) -> Markup:
        frame = pl.DataFrame(rows, schema={c: pl.String for c in rows[0]}) if rows else pl.DataFrame()
        return Markup(table(frame, colour, chars))

    env.globals.update(
        table=html_table, rag_css=RAG_CSS, half_page=PAGE_CHARS / 2, text_column=PAGE_CHARS * 0.4, legend=LEGEND
    )
    env.filters.update(
        indicator_rows=indicator_rows,
        date_words=fmt_date,
        month_words=lambda d: f"{d:%B %Y}",
        markdown=lambda text: Markup(markdown(text)),
    )
    return env


def contents(pack: model.Pack) -> list[tuple[str, str]]:
    """The sections in order, as (id, title): the contents list links each to its page."""
    themes = list(dict.fromkeys(ws.theme for ws in pack.workstreams))
    return [
        ("summary", "Summary"),
        ("since", "Since the last board"),
        *[(f"theme-{n}", title) for n, title in enumerate(themes, start=1)],
        ("wards", "Ward demand"),
        ("waits", pack.waits_title),
        ("plan", "Risks and actions"),
        ("appendix", "Appendix: abbreviations, sources, definitions and methods"),
    ]


def render(pack: model.Pack, flow: frozenset[str] = frozenset()) -> str:
    """The pack model as the pack's HTML: one Jinja2 template per section (boardpack/templates/), autoescaped.
    Sections named in `flow` start on the page before them instead of a new one (see Charts.write_pdf)."""
    template = _environment().get_template("pack.html.j2")
    args = {"pack": pack, "css": Markup(CSS), "footer": pack_footer(pack), "contents": contents(pack)}
    # the appendix lists the abbreviations the papers' own words use: found in the papers without the list first
    words = html_words(template.render(**args, abbreviations=[]))
    document = template.render(**args, abbreviations=abbreviations(words, pack.own_abbreviations))
    for section in flow:
        document = document.replace(f'<h1 id="{section}">', f'<h1 id="{section}" class="flow">', 1)
    return document


def html_words(document: str) -> str:
    """The words of an HTML document as a reader sees them: no style sheet, no tags, entities undone."""
    document = re.sub(r"(?s)<style>.*?</style>", " ", document)
    return html.unescape(re.sub(r"<[^>]+>", " ", document))


def pack_footer(pack: model.Pack) -> str:
    """Every page's footer: as-at date, area, where the sources are, the suppression legend, the licence."""
    return f"Data as at {fmt_date(pack.as_at)} · {pack.area} · Sources: see the appendix · {LEGEND} · {OGL}" + (
        " · DEMONSTRATION DATA" if pack.demo else ""
    )


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
        pack = model.build(snap, open_snapshot(compare, key=key) if compare else None, draw=charts.register)
        return charts.write_pdf(lambda flow: render(pack, flow))
