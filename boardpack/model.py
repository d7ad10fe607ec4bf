"""The pack model: the board's papers as plain data (no HTML, no slides) — a pure function of a snapshot and the
snapshot it is compared with. Both the PDF (Jinja2 templates, boardpack/templates/) and the slide deck
(boardpack/slides.py) are rendered from it; ward figures in it are always disclosure-controlled (METHODS §6).

Every table is a list of rows (dicts of display text, in column order); every series for a chart is plain lists.
A chart for the PDF is a `Figure`: a reference to the drawn image, its alternative text and its CSS class. The
caller's `draw` registers each chart as soon as the model has built it, so charts are drawn while the rest of the
model is worked out; without `draw` (the slides) no chart is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import altair as alt
import polars as pl

from charts.spc import line_key
from metrics import diff, exceptions, kpi, plan, series, waits, wards
from metrics.areas import setup_of
from metrics.disclosure import LEGEND
from metrics.formatting import (
    POLARITY_NAMES,
    THEME_TITLES,
    UNIT_NAMES,
    WORKSTREAM_TITLES,
    fmt_date,
    fmt_target,
    fmt_value,
    plain_sources,
    rag_word,
    variation_words,
)
from metrics.schema import WORKSTREAMS
from metrics.snapshot import Snapshot, scan_table
from present.changes import change_sections
from present.figures import draws_comparators, indicator_figure, risk_figure
from present.places import area_rates_display, paper_map_figures
from present.tables import actions_display, paper_columns, risks_display, series_display, summary_display
from present.waits import heat_figure, league_display
from present.words import system_abbreviation

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."
CHART_FROM = 6  # points: shorter series are given as a table, not a chart
# The map is drawn 588 px tall and printed 140 mm tall (pack.css img.map): 12 px names print at 12 × 140 / 588 mm,
# 2.9 mm or 8.1 pt, the smallest size the papers use for text.
MAP_LABEL_PX = 12
# Its key stands beside it, drawn at the same scale (pack.css img.key: 240 px printed 57 mm wide), its labels at 16 px:
# 3.8 mm or 10.8 pt, read at arm's length as the map's names are.
MAP_KEY_PX = 16
MAP_KEY_SIZE = (240, 228)  # a column of six classes (five and "c or no data"), 38 px each
CHART_HEIGHT = 230  # CSS px of an indicator chart drawn 620 wide: printed about 49 mm tall in a half-page column
Draw = Callable[[alt.TopLevelMixin, int, int], str]  # (chart, width, height) → a reference to the drawn image


@dataclass
class Figure:
    ref: str  # where the drawn image will be (the renderer's reference)
    alt: str  # alternative text: the chart's description
    css: str = "chart"


def rows(frame: pl.DataFrame) -> list[dict]:
    """A display frame as rows of text (None as "")."""
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]


@dataclass
class Indicator:
    kpi_id: str
    title: str
    unit: str
    decimals: int
    latest: str  # the latest value as displayed, with its period
    target: str
    rag: str
    variation: str
    description: str
    periods: list[str] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    target_value: float | None = None
    comparators: dict[str, list[float | None]] = field(default_factory=dict)  # name → values aligned to `periods`
    recent: list[dict] = field(default_factory=list)  # the table beside the chart (the last four periods), or alone
    figure: Figure | None = None  # the SPC or run chart, from CHART_FROM points, when drawing
    line_key: str = ""


@dataclass
class Workstream:
    code: str
    title: str
    theme: str
    indicators: list[Indicator]
    actions: list[dict]
    commentary: list[dict]  # {"written", "role", "kind", "text"}


@dataclass
class Pack:
    area: str
    as_at: date
    compare_as_at: date | None
    board_date: date | None
    demo: bool
    footer: str
    summary: list[dict]
    since: dict  # {"paragraph": str, "sections": [(title, rows)]}
    workstreams: list[Workstream]
    wards: dict  # {"month", "sentence", "rows"} (protected) or {}
    waits: list[dict]  # [{"service", "headline", "rows"}]
    risks: list[dict]
    actions: list[dict]
    sources: list[dict]
    sources_line: str = ""
    definitions: list[dict] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)  # "ward_map", "ward_key", "waits_heat", "risk_grid"
    waits_title: str = "Waiting times"  # "Waiting times: <system> league table"
    key_messages: list[str] = field(default_factory=list)  # the exceptions in sentences, opened by their count
    own_abbreviations: dict[str, str] = field(default_factory=dict)  # the area's own (its system's short name)


def build(snap: Snapshot, compare: Snapshot | None, *, draw: Draw | None = None) -> Pack:
    """The pack model of a snapshot (and its compare snapshot); `draw` registers the PDF's charts."""
    t = lambda name: scan_table(snap, name)  # noqa: E731 - a short local alias reads better here
    where = setup_of(snap.manifest)
    cat = t("kpi_catalogue").collect()
    values = t("kpi_values")
    results = series.all_series(cat, values, area_code=snap.la_code, phase="all")
    icons = series.icons_of(cat, results)
    summary = (
        kpi.summary(
            t("kpi_catalogue"), values, scan_table(compare, "kpi_values") if compare else None, area_code=snap.la_code
        )
        .collect()
        .join(icons, on="kpi_id", how="left", maintain_order="left")
    )
    board = (
        t("milestones")
        .filter((pl.col("kind") == "board") & (pl.col("date") > snap.as_at))
        .select(pl.col("date").min())
        .collect()
        .item()
    )
    publishers = list(
        dict.fromkeys(r["Publisher"] for r in plain_sources(snap.manifest.get("sources", []), snap.la_name))
    )
    footer = (
        f"Data as at {fmt_date(snap.as_at)} · {snap.la_name} · Sources: {', '.join(p for p in publishers if p) or 'none'}"
        f" · {LEGEND} · {OGL}" + (" · DEMONSTRATION DATA" if snap.demo else "")
    )
    workstreams = []
    actions, commentary = t("actions"), t("commentary")
    for theme, theme_title in THEME_TITLES.items():
        in_theme = summary.filter(pl.col("theme") == theme)
        for ws in [w for w in WORKSTREAMS if w in set(in_theme["workstream"])]:
            indicators = []
            for k in in_theme.filter(pl.col("workstream") == ws).iter_rows(named=True):
                res = results[k["kpi_id"]].sort("period_end")
                comps = series.comparator_series(values, k["kpi_id"], where.comparator_names()).collect()
                periods = res["period_label"].to_list()
                aligned = {}
                for name in comps["area_name"].unique(maintain_order=True).to_list() if comps.height else []:
                    by_period = dict(
                        comps.filter(pl.col("area_name") == name).select("period_label", "value").iter_rows()
                    )
                    aligned[name] = [by_period.get(p) for p in periods]
                charted = res["value"].is_not_null().sum() >= CHART_FROM
                # the app's figure of the indicator: its chart, sentence and table (drawn only for the PDF)
                shown = indicator_figure(res, comps, k, height=320) if draw is not None and charted else None
                text = shown.description if shown else series.describe(res, k)
                recent = shown.table if shown else series_display(res, comps, k)
                keep = [
                    "Period",
                    "Value",
                    "SPC signal",
                    *[c for c in recent.columns if c in where.comparator_names().values()],
                ]
                figure = Figure(draw(shown.chart, 620, CHART_HEIGHT), text) if shown else None
                indicators.append(
                    Indicator(
                        kpi_id=k["kpi_id"],
                        title=k["title"],
                        unit=k["unit"],
                        decimals=k["decimals"],
                        latest=(
                            f"{fmt_value(k['value'], k['unit'], k['decimals'], k['status'] or '')} ({k['period_label']})"
                            if k["period_label"]
                            else "No data"
                        ),
                        target=fmt_target(k["target"], k["unit"], k["decimals"], k["target_date"]),
                        rag=rag_word(
                            k["rag"],
                            has_target=k["target"] is not None,
                            has_value=bool(k["period_label"]),
                            small=bool(k.get("small_number")),
                        ),
                        variation=variation_words(k["variation"], k.get("no_spc")),
                        description=text,
                        periods=periods,
                        values=res["value"].to_list(),
                        target_value=k["target"],
                        comparators=aligned,
                        recent=rows(recent.select(keep).tail(4) if charted else recent.select(keep[:2] + keep[3:])),
                        figure=figure,
                        line_key=line_key(
                            spc=k["variation"] != "none",
                            target=k["target"] is not None,
                            comparators=bool(comps.height) and draws_comparators(k["unit"]),
                            rolling=k.get("no_spc") == "rolling",
                        ),
                    )
                )
            acts = plan.workstream_actions(actions, [ws], snap.as_at).collect() if ws != "CONTEXT" else None
            notes = plan.latest_commentary(commentary, ws).filter(pl.col("is_latest")).collect()
            workstreams.append(
                Workstream(
                    code=ws,
                    title=WORKSTREAM_TITLES.get(ws, ws),
                    theme=theme_title,
                    indicators=indicators,
                    actions=rows(actions_display(acts).drop("Latest update", "Updated"))
                    if acts is not None and acts.height
                    else [],
                    commentary=[
                        {
                            "written": fmt_date(n["written"]),
                            "role": n["author_role"],
                            "kind": n["kind"],
                            "text": n["text"],
                        }
                        for n in notes.iter_rows(named=True)
                    ],
                )
            )
    figures: dict[str, Figure] = {}
    ward_part = _wards(snap, draw, figures)
    waits_part = _waits(snap, draw, figures)
    risks_lf = scan_table(snap, "risks")
    if draw is not None:
        grid = risk_figure(plan.risk_grid(risks_lf).collect())
        figures["risk_grid"] = Figure(draw(grid.chart, 760, 400), grid.description)
    since, ratings = _since(snap, compare, icons)  # worked out while the charts above are being drawn
    compare_label = fmt_date(compare.as_at) if compare else None
    return Pack(
        key_messages=exceptions.key_messages(summary, ratings, compare_label),
        own_abbreviations=system_abbreviation(snap.manifest.get("system")),
        area=snap.la_name,
        as_at=snap.as_at,
        compare_as_at=compare.as_at if compare else None,
        board_date=board,
        demo=snap.demo,
        footer=footer,
        summary=rows(paper_columns(summary_display(summary, short=True))),
        since=since,
        workstreams=workstreams,
        wards=ward_part,
        waits=waits_part,
        waits_title=(
            f"Waiting times: {where.system_name} league table"
            if waits_part and waits_part[0]["unit"] == "Locality"
            else "Waiting times: ICB and provider league tables"
            if waits_part
            else "Waiting times"
        ),
        risks=rows(risks_display(plan.risk_register(scan_table(snap, "risks")).collect())),
        actions=rows(actions_display(plan.workstream_actions(actions, list(WORKSTREAMS), snap.as_at).collect())),
        sources=plain_sources(snap.manifest.get("sources", []), snap.la_name),
        sources_line="; ".join(r["Source"] for r in plain_sources(snap.manifest.get("sources", []), snap.la_name)),
        definitions=rows(
            kpi.followed(cat).select(  # the pack's indicators: not the measures shown on Benchmarks only
                pl.col("title").alias("Indicator"),
                pl.col("definition").alias("Definition"),
                pl.col("unit").replace_strict(UNIT_NAMES, default=pl.col("unit")).alias("Unit"),
                pl.col("polarity").replace_strict(POLARITY_NAMES, default=pl.col("polarity")).alias("Better when"),
                pl.col("source").alias("Source"),
            )
        ),
        figures=figures,
    )


def _since(snap: Snapshot, compare: Snapshot | None, icons: pl.DataFrame) -> tuple[dict, pl.DataFrame | None]:
    """The since-the-last-board section (the app's Since last board page: metrics.diff.between, its paragraph and
    present.changes' tables), and the rating changes it found (for the key messages)."""
    if compare is None:
        return {"paragraph": "There is no earlier snapshot to compare with.", "sections": []}, None
    ch = diff.between(snap, compare, "all", icons_of_a=icons)
    sections = [(title, rows(table) if table is not None else []) for title, _, table in change_sections(ch)]
    paragraph = diff.plain_summary(compare_label=fmt_date(compare.as_at), **ch)
    return {"paragraph": paragraph, "sections": sections}, ch["ratings"]


def _wards(snap: Snapshot, draw: Draw | None, figures: dict[str, Figure]) -> dict:
    """EHC plans per 1,000 by ward for the latest month, always disclosure-controlled."""
    demand, ward_table = scan_table(snap, "ward_demand"), scan_table(snap, "wards")
    month = demand.select(pl.col("period_end").max()).collect().item()
    if month is None or ward_table.select(pl.len()).collect().item() == 0:
        return {}
    rates = wards.ward_rates(demand, ward_table, period_end=month, measure="ehcp_caseload", protected=True).collect()
    shape = ward_table.select("geometry_source").collect().item(0, 0)
    if draw is not None:  # the app's map, as a picture
        shown, key = paper_map_figures(
            rates,
            ward_table.collect(),
            label=wards.MEASURE_LABELS["ehcp_caseload"],
            period=month,
            font_size=MAP_LABEL_PX,
            key_font_size=MAP_KEY_PX,
        )
        figures["ward_map"] = Figure(draw(shown.chart, 528, 588), shown.description, "map")
        figures["ward_key"] = Figure(draw(key.chart, *MAP_KEY_SIZE), key.description, "key")
    return {
        "month": month,
        "sentence": wards.significance_sentence(rates),
        "rows": rows(area_rates_display(rates)),
        "rates": rates,
        "ons": shape == "ons",
    }


def _national_waits(snap: Snapshot, where) -> list[dict]:
    """With no locality return: per board service in the NHS England workbooks, the league of every ICB and of
    every NHS provider against England, the area's own ICB and providers in the table (ranked of all)."""
    from metrics.areas import nhs_kind
    from metrics.schema import SERVICES

    wt = scan_table(snap, "waiting_times").filter(pl.col("source") == "chs_sitrep_provider")
    rows_ = wt.filter(pl.col("waiting_total").is_not_null()).select("period_end", "service", "area_code").collect()
    system = where.system
    out = []
    for s in [s for s in SERVICES if s in set(rows_["service"])]:
        month = rows_.filter(pl.col("service") == s)["period_end"].max()
        codes = rows_.filter((pl.col("service") == s) & (pl.col("period_end") == month))["area_code"].to_list()
        for level, unit, plural, focus in (
            ("icb", "ICB", "ICBs", [system.icb] if system and system.icb else []),
            ("provider", "Provider", "providers", list(system.providers) if system else []),
        ):
            members = [c for c in codes if nhs_kind(c) == level]
            lg = waits.league(
                wt, period_end=month, service=s, localities=members, source="chs_sitrep_provider", reference="ENG"
            ).collect()
            mine = [c for c in focus if c in members]
            if not focus:
                continue
            lines = []
            for code in focus:  # one not in the publication is said so, not left out
                own = list(system.providers) if level == "icb" and system.providers else None
                tr = waits.area_trend(
                    wt,
                    service=s,
                    area_code=code,
                    localities=members,
                    source="chs_sitrep_provider",
                    reference="ENG",
                    providers=own,
                ).collect()
                lines.append(
                    waits.headline(
                        lg,
                        tr,
                        area_code=code,
                        service=s,
                        name=where.name(code),
                        members=plural,
                        publication=waits.NHS_PUBLICATION,
                        names=where.names,
                    )
                )
            table = league_display(
                lg.filter(pl.col("area_code").is_in(mine)), where.names, against="England", unit=unit
            )
            gap = waits.reference_gap(lg, against="England", unit=unit if level == "icb" else "provider")
            out.append(
                {
                    "service": s,
                    "month": month,
                    "headline": " ".join([*lines, gap] if gap else lines),
                    "rows": rows(table.drop("Median wait (weeks)", strict=False)),
                    "area": where.la_name,
                    "against": "Compared with England",
                    "unit": unit,
                }
            )
    return out


def _waits(snap: Snapshot, draw: Draw | None, figures: dict[str, Figure]) -> list[dict]:
    where = setup_of(snap.manifest)
    localities = list(where.localities)
    wt = scan_table(snap, "waiting_times")
    services = waits.services_with_returns(wt)
    if not localities or not services:
        return _national_waits(snap, where)
    latest = {s: waits.months_with_returns(wt, s)[0] for s in services}  # each service's newest month with a return
    if draw is not None and services:
        shown = heat_figure(  # the app's heat table, each service at its newest month
            waits.heat_table(wt, period_end=latest, services=services, localities=localities).collect(),
            where.names,
            focus=where.la_name,
            period=latest,
        )
        figures["waits_heat"] = Figure(draw(shown.chart, 1280, 70 * len(services) + 60), shown.description)
    out = []
    for s in services:
        lg = waits.league(wt, period_end=latest[s], service=s, localities=localities).collect()
        tr = waits.area_trend(wt, service=s, area_code=snap.la_code, localities=localities).collect()
        out.append(
            {
                "service": s,
                "month": latest[s],
                "headline": " ".join(
                    t
                    for t in (
                        waits.headline(lg, tr, area_code=snap.la_code, service=s, name=where.la_name),
                        waits.reference_gap(lg, against=where.system_name),
                    )
                    if t
                ),
                "rows": rows(
                    league_display(lg, where.names, against=where.system_short).drop(
                        "Median wait (weeks)", strict=False
                    )
                ),
                "area": where.la_name,
                "against": f"Compared with {where.system_short}",
                "unit": "Locality",
            }
        )
    return out
