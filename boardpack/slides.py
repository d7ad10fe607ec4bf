"""The board's papers as an editable PowerPoint deck (python-pptx), rendered from the pack model
(`boardpack.model`): a title slide, the key messages, the Summary with RAG words and colours, since the last board
as tables, each workstream's indicators with native, editable line charts (values, target, England and the region
where present) and the latest commentary in the speaker notes, the ward map and its protected table, the
waiting-time leagues, risks (with the heat grid) and actions.

16:9; type at least 18 pt except the footer, which every slide carries (as-at date, publishers, suppression legend,
Open Government Licence, demonstration flag). Every title is the slide's title placeholder, so PowerPoint's outline
and accessibility checker find it. Nothing is placed by guesswork: each text box and table row is sized from its
text wrapped at its width (`text_lines`), tables are split across slides by height and charts get the room left,
so nothing runs into the footer; every coordinate is a whole number of EMUs, as the file format requires.
"""

from __future__ import annotations

import io

from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from boardpack.model import MAP_KEY_PX, MAP_KEY_SIZE, Pack
from boardpack.slide_layout import (
    CHART_MIN,
    CONTENT_WIDTH,
    MARGIN,
    PARAGRAPH_SPACE,
    WIDTH,
    Deck,
    Flow,
    chart_pair,
)
from boardpack.slide_text import (
    INSET_Y,
    plain_text,
    text_height,
)
from metrics.formatting import fmt_date
from metrics.waits import SERVICE_NAMES
from metrics.wards import MEASURE_LABELS
from present.words import abbreviations


def build_pptx(pack: Pack, *, pictures: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """The deck as .pptx bytes. `pictures` holds drawn images by name ("ward_map", "risk_grid") with alt text."""
    pictures = pictures or {}
    d = Deck(pack)
    p = pack
    _title_slide(d, p)
    if p.key_messages:  # the count first, then each exception, worst first
        head, *rest = p.key_messages
        d.flow("Key messages", lambda f: f.paragraphs([(head, True), *[f"• {m}" for m in rest]]))
    d.flow("Summary", lambda f: f.table(p.summary, ["Workstream", "Indicator", "Latest", "Period", "Target", "RAG"]))
    d.flow("Since the last board", lambda f: _since(f, p.since))
    for ws in p.workstreams:
        notes = "\n\n".join(
            f"{c['written']}, {c['role']} ({c['kind'].replace('_', ' ')}):\n{plain_text(c['text'])}"
            for c in ws.commentary
        )
        d.flow(
            ws.title,
            lambda f, ws=ws: _workstream(f, ws),
            notes=notes or "No commentary for this workstream in this snapshot.",
        )
    if p.wards:  # always protected
        d.flow(
            f"Ward demand, {p.wards['month']:%B %Y}",
            lambda f: _ward_map(f, p.wards, pictures.get("ward_map"), pictures.get("ward_key")),
        )
        columns = [
            c for c in ("Ward", "Town", "Count", "Rate per 1,000") if p.wards["rows"] and c in p.wards["rows"][0]
        ]
        d.flow("Ward demand: every ward, protected", lambda f: f.table(p.wards["rows"], columns))
    for league in p.waits:
        service = SERVICE_NAMES.get(league["service"], league["service"])
        title = f"Waiting times: {service}, {league['month']:%B %Y}"
        d.flow(
            title + {"Locality": "", "ICB": " (ICBs)", "Provider": " (providers)"}.get(league["unit"], ""),
            lambda f, lg=league: _league(f, lg),
        )
    d.flow("Risk register", lambda f: _risk_grid(f, p.risks, pictures.get("risk_grid")))
    if p.risks:
        mitigations = "\n".join(f"{r['Ref']}: {r['Mitigation']}" for r in p.risks if r.get("Mitigation"))
        d.flow(
            "Risk register: every risk",
            lambda f: f.table(
                p.risks, ["Ref", "Risk", "Score (of 25)", "Direction", "Owner (role)", "Status"], colour=""
            ),
            notes="Mitigations:\n" + mitigations if mitigations else "",
        )
    updates = "\n".join(
        f"{a['Ref']}: {a['Latest update']} ({a['Updated']})" for a in p.actions if a.get("Latest update")
    )
    d.flow("Action tracker", lambda f: _actions(f, p.actions), notes="Latest updates:\n" + updates if updates else "")
    used = abbreviations(_shown_text(d.prs), p.own_abbreviations)  # those the slides before it use
    if used:
        d.flow("Abbreviations", lambda f: f.table(used, ["Abbreviation", "Meaning"], colour=""))
    out = io.BytesIO()
    d.prs.save(out)
    return out.getvalue()


def _shown_text(prs) -> str:
    """Every word the slides show: their text boxes, table cells and chart titles (not the speaker notes)."""
    words = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                words.append(shape.text_frame.text)
            if shape.has_table:
                words += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart and shape.chart.has_title:
                words.append(shape.chart.chart_title.text_frame.text)
    return "\n".join(words)


def _title_slide(d: Deck, p: Pack) -> None:
    title = "SEND Improvement and Assurance Board"
    s = d.slide(title)
    lines = [
        f"{p.area} · Priority Impact Plan board papers",
        f"Board meeting: {fmt_date(p.board_date) if p.board_date else 'not scheduled'}",
        f"Data as at {fmt_date(p.as_at)}"
        + (f"; compared with the snapshot of {fmt_date(p.compare_as_at)}" if p.compare_as_at else ""),
    ]
    top = d.content_top(title) + int(Inches(0.4))
    height = text_height("\n".join(lines), CONTENT_WIDTH, Pt(24))
    d.text(s, "\n".join(lines), MARGIN, top, CONTENT_WIDTH, height, size=Pt(24))
    if p.demo:
        flag = "Demonstration data: generated figures around the area's published ones"
        flag_height = text_height(flag, CONTENT_WIDTH, Pt(22), bold=True)
        d.text(
            s,
            flag,
            MARGIN,
            top + height + int(Inches(0.4)),
            CONTENT_WIDTH,
            flag_height,
            size=Pt(22),
            bold=True,
            colour=RGBColor(0xA6, 0x40, 0x0B),
        )


def _since(f: Flow, since: dict) -> None:
    """Since the last board: the summary sentence, then each kind of change as a table under its heading."""
    f.paragraphs([since["paragraph"]])
    for title, rows in since.get("sections", []):
        f.table(rows, list(rows[0]) if rows else [], heading=title, colour="")


CHART_FIRST = {"Red": 0, "Amber": 1}  # which of a workstream's indicators its slide charts, by RAG word


def _workstream(f: Flow, ws) -> None:
    """A workstream's indicators, then two of them as charts (the room left, or a slide): the Red ones first, then
    Amber, then the rest, and among those the longest series: the charts go to what the board most needs to see."""
    f.table(
        [{"Indicator": i.title, "Latest": i.latest, "Target": i.target, "RAG": i.rag} for i in ws.indicators],
        ["Indicator", "Latest", "Target", "RAG"],
    )
    charted = sorted(
        (i for i in ws.indicators if sum(v is not None for v in i.values) >= 2),
        key=lambda i: (CHART_FIRST.get(i.rag, len(CHART_FIRST)), -sum(v is not None for v in i.values)),
    )[:2]
    if charted:
        f.block(CHART_MIN, chart_pair(f.deck, charted))
        f.add_notes("Charts: " + " ".join(i.description for i in charted))


# The map's key, beside the map under its words: drawn as the PDF's (model.MAP_KEY_SIZE, labels at MAP_KEY_PX) and
# shown 3.2 inches wide, so its labels are about 15 pt.
KEY_WIDTH = int(Inches(3.2))


def _ward_map(f: Flow, wards: dict, picture: tuple[bytes, str] | None, key: tuple[bytes, str] | None) -> None:
    right = MARGIN + int(Inches(6.2))
    if picture:
        f.deck.picture(f.slide, *picture, MARGIN, f.y, Inches(5.9), f.room)
    words = [wards["sentence"], "Counts are protected: c = fewer than 8; other counts rounded to the nearest 5."]
    width = WIDTH - MARGIN - right
    height = text_height("\n".join(words), width, space=PARAGRAPH_SPACE)
    f.deck.text(f.slide, words, right, f.y, width, height, space=PARAGRAPH_SPACE)
    if picture and key:
        # the slide's title gives the month, and the key's alternative text says how the classes are made
        title = f"Key: {MEASURE_LABELS['ehcp_caseload']} per 1,000 children and young people"
        top = f.y + height + int(Inches(0.2))
        title_height = text_height(title, width, bold=True)
        f.deck.text(f.slide, [(title, True)], right, top, width, title_height)
        top += title_height
        f.deck.picture(f.slide, *key, right, top, KEY_WIDTH, max(0, f.y + f.room - top))


def _league(f: Flow, league: dict) -> None:
    f.paragraphs([league["headline"]])
    if league["rows"]:
        wanted = ["Rank", league["unit"], "Under 18 weeks", "95% interval", league["against"]]
        f.table(league["rows"], [c for c in wanted if c in league["rows"][0]], colour="")


def _risk_grid(f: Flow, risks: list[dict], picture: tuple[bytes, str] | None) -> None:
    """The heat grid, and beside it the risks, highest score first, as many as fit (the register follows)."""
    if not risks:
        f.paragraphs(["No risks in the register."])
        return
    width = CONTENT_WIDTH
    if picture:
        pic = f.deck.picture(f.slide, *picture, MARGIN, f.y, Inches(7.2), f.room)
        width = WIDTH - MARGIN - (pic.left + pic.width + int(Inches(0.3)))
    lines, used = [], 2 * INSET_Y
    for n, r in enumerate(risks):
        line = f"{r['Ref']}: {r['Risk']} — score {r['Score (of 25)']}, {r['Direction']}"
        h = text_height(line, width, space=PARAGRAPH_SPACE) - 2 * INSET_Y
        more = f"… and {len(risks) - n} more in the register that follows"
        more_h = text_height(more, width, space=PARAGRAPH_SPACE) - 2 * INSET_Y
        if n < len(risks) - 1 and used + h + more_h > f.room:
            lines.append(more)
            used += more_h
            break
        lines.append(line)
        used += h
    if lines:
        f.deck.text(f.slide, lines, WIDTH - MARGIN - width, f.y, width, used, space=PARAGRAPH_SPACE)


def _actions(f: Flow, actions: list[dict]) -> None:
    """Every action; an overdue one says so beside its due date, as the app's ⚠ column does."""
    rows = [{**a, "Due": f"⚠ {a['Due']} (overdue)" if a.get("Overdue") else a["Due"]} for a in actions]
    f.table(rows, ["Ref", "Action", "Owner (role)", "Due", "Status", "RAG"], empty="No actions in the tracker.")


def draw_pictures(snap, pack: Pack) -> dict[str, tuple[bytes, str]]:
    """The deck's two drawn images (the ward map and the risk grid), each with its alternative text."""
    import vl_convert as vlc

    from charts.plan import risk_grid_chart
    from metrics import plan
    from metrics import wards as ward_metrics
    from metrics.snapshot import scan_table
    from present.places import paper_map_figures

    out = {}
    if pack.wards:  # the papers' map (present.places), drawn to the slide's size so its names fit their wards
        shown, key = paper_map_figures(
            pack.wards["rates"],
            scan_table(snap, "wards").collect(),
            label=ward_metrics.MEASURE_LABELS["ehcp_caseload"],
            period=pack.wards["month"],
            font_size=11,
            min_font=9,
            size=(440, 500),
            key_font_size=MAP_KEY_PX,
        )
        out["ward_map"] = (vlc.vegalite_to_png(shown.spec(), scale=2), shown.description)
        spec = key.spec()
        spec.update(width=MAP_KEY_SIZE[0], height=MAP_KEY_SIZE[1], autosize={"type": "fit", "contains": "padding"})
        out["ward_key"] = (vlc.vegalite_to_png(spec, scale=2), key.description)
    grid = plan.risk_grid(scan_table(snap, "risks")).collect()
    alt_text = plan.describe_grid(grid)
    # type half as large again as the app's: the grid is shown about 7 inches wide, its labels then about 13 pt
    spec = risk_grid_chart(grid, description=alt_text, font_scale=1.6).to_dict(validate=False)
    spec.update(width=640, height=440)
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
