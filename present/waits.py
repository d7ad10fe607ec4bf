"""Waiting-time leagues, heat tables, providers and trends as people read them: ranks in words, per cent
under 18 weeks, arrows for change."""

from __future__ import annotations

import polars as pl

from metrics.formatting import (
    points,
)
from present.figures import BOARD_SCALE, Figure

SIG_WORDS = {"better": "Better than {}", "similar": "Similar to {}", "worse": "Worse than {}"}


def _arrow(delta) -> str:
    if delta is None:
        return "x"
    if abs(delta) < 0.5:
        return "► no change"
    return f"{'▲' if delta > 0 else '▼'} {points(delta, 0, 'percent')}"


def league_display(frame: pl.DataFrame, names: dict[str, str], *, against: str, unit: str = "Locality") -> pl.DataFrame:
    """The league table as people read it, best first: rank "9th of 10" (= for ties), % with its interval,
    comparison with the reference figure (`against`: the pooled system figure, or England), changes since last
    month and since the month a year earlier that the column names ("Since Jul 2024": the same month a year before,
    or the month used when that one has no figures; no column when no month does), list size and long waits; "x"
    where there was no return. `unit` heads the names column (locality, ICB, provider)."""
    from metrics.areas import ordinal

    year_end = frame["year_end"].drop_nulls()
    since_year = f"Since {year_end[0]:%b %Y}" if len(year_end) else None
    rows = []
    for r in frame.iter_rows(named=True):
        none = r["pct"] is None
        rows.append(
            {
                "Rank": "x" if none else ("=" if r["tied"] else "") + f"{ordinal(r['rank'])} of {r['m']}",
                unit: names.get(r["area_code"], r["area_code"]),
                "Under 18 weeks": "x" if none else f"{r['pct']:.0f}%",
                "95% interval": "x" if none else f"{r['lcl']:.0f}% to {r['ucl']:.0f}%",
                f"Compared with {against}": "x (no return)"
                if none
                else SIG_WORDS.get(r["vs_pooled"], "").format(against),
                "Since last month": _arrow(r["change_1m"]),
                **({since_year: _arrow(r["change_12m"])} if since_year else {}),
                "On the list": "x" if r["waiting_total"] is None else f"{r['waiting_total']:,}",
                "Over 52 weeks": "x" if r["waiting_over_52_weeks"] is None else f"{r['waiting_over_52_weeks']:,}",
                "Median wait (weeks)": "x" if r["median_wait_weeks"] is None else f"{r['median_wait_weeks']:.1f}",
            }
        )
    if rows and all(r["Median wait (weeks)"] == "x" for r in rows):
        rows = [{k: v for k, v in r.items() if k != "Median wait (weeks)"} for r in rows]  # not in the NHS files
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


def heat_cells(frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """Heat-table cells with names and the printed label ("34%" and "9th", or "x")."""
    from metrics.areas import ordinal
    from metrics.waits import SERVICE_NAMES

    rows = []
    for r in frame.iter_rows(named=True):
        label = "x" if r["pct"] is None else f"{r['pct']:.0f}%\n{'=' if r['tied'] else ''}{ordinal(r['rank'])}"
        rows.append(
            {
                "service_name": SERVICE_NAMES.get(r["service"], r["service"])
                .capitalize()
                .replace(" (camhs)", " (CAMHS)")
                + f", {r['period_end']:%b %Y}",
                "area_name": names.get(r["area_code"], r["area_code"]),
                "label": label,
                "quarter": r["quarter"],
                "tooltip": "no return" if r["pct"] is None else label.replace("\n", ", "),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "service_name": pl.String,
            "area_name": pl.String,
            "label": pl.String,
            "quarter": pl.Int8,
            "tooltip": pl.String,
        },
    )


def rows_naming(table: pl.DataFrame, column: str, names: list[str]) -> pl.DataFrame:
    """The rows of a display table whose `column` holds one of `names` (none when `names` is empty)."""
    return table.filter(pl.col(column).is_in(names))


def heat_display(cells: pl.DataFrame) -> pl.DataFrame:
    """The heat table's twin: services as rows, localities as columns, "34% (9th)" in each cell."""
    return (
        cells.with_columns(
            pl.col("label").str.replace("\n", " (")
            + pl.when(pl.col("label") == "x").then(pl.lit("")).otherwise(pl.lit(")"))
        )
        .pivot(on="area_name", index="service_name", values="label")
        .rename({"service_name": "Service"})
    )


def provider_display(frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """NHS England organisation rows: organisation, service, list size, % under 18 weeks, over 52 weeks."""
    from metrics.waits import SERVICE_NAMES

    rows = []
    for r in frame.iter_rows(named=True):
        under, total = r["waiting_under_18_weeks"], r["waiting_total"]
        pct = None if under is None or not total else 100 * under / total
        rows.append(
            {
                "Organisation": names.get(r["area_code"], r["area_code"]),
                "Service": SERVICE_NAMES.get(r["service"], r["service"]).capitalize(),
                "On the list": f"{r['waiting_total']:,}",
                # z: nobody waiting, so no share to give; x: not published
                "Under 18 weeks": ("z" if total == 0 else "x") if pct is None else f"{pct:.0f}%",
                "Over 52 weeks": "x" if r["waiting_over_52_weeks"] is None else f"{r['waiting_over_52_weeks']:,}",
            }
        )
    return pl.DataFrame(
        rows,
        schema={k: pl.String for k in ("Organisation", "Service", "On the list", "Under 18 weeks", "Over 52 weeks")},
    )


def trend_display_waits(
    trend: pl.DataFrame, area: str, pooled: str, names: dict[str, str] | None = None
) -> pl.DataFrame:
    """The area's waiting-time trend as a table: month, % under 18 weeks, the reference figure (`pooled` names it,
    e.g. the system's pooled figure or England), rank, list size, long waits; and, for an ICB whose providers had
    no figures some month (area_trend with providers), a caution naming them in those months."""
    from metrics.areas import ordinal

    gaps = "missing" in trend.columns and trend["missing"].list.len().sum() > 0
    names = names or {}
    rows = []
    for r in trend.iter_rows(named=True):
        row = {
            "Month": r["period_end"].strftime("%b %Y"),
            f"{area}: under 18 weeks": "x" if r["pct"] is None else f"{r['pct']:.0f}%",
            f"{pooled} figure": "x" if r["pooled_pct"] is None else f"{r['pooled_pct']:.0f}%",
            "Rank": "x" if r["rank"] is None else f"{ordinal(r['rank'])} of {r['m']}",
            "On the list": "x" if r["total"] is None else f"{r['total']:,}",
            "Over 52 weeks": "x" if r["over_52"] is None else f"{r['over_52']:,}",
        }
        if gaps:
            missing = [names.get(c, c) for c in r["missing"]]
            row["Caution"] = f"Leaves out {', '.join(missing)} (no figures that month)" if missing else ""
        rows.append(row)
    return pl.DataFrame(rows)


def _scale(board: bool) -> float:
    return BOARD_SCALE if board else 1.0


MEMBERS = {"locality": "localities", "icb": "integrated care boards", "provider": "NHS providers"}


def _what(service: str | None) -> str:
    from metrics.waits import SERVICE_NAMES

    return SERVICE_NAMES.get(service or "", (service or "").replace("_", " "))


def heat_figure(heat_frame: pl.DataFrame, names: dict[str, str], *, focus: str, period, board: bool = False) -> Figure:
    """Services × localities with each cell's per cent under 18 weeks and rank (metrics.waits.heat_table), for one
    month or (`period` a dict, as the papers give it) each service's newest month."""
    from charts import waits as wch

    cells = heat_cells(heat_frame, names)
    months = sorted(set(period.values())) if isinstance(period, dict) else [period]  # one, or each service's own
    when = (
        f"{months[0]:%B %Y}"
        if len(months) == 1
        else f"each service's newest month of returns ({months[0]:%B %Y} to {months[-1]:%B %Y})"
    )
    text = f"Per cent waiting under 18 weeks and rank for each service and locality, {when}"
    chart = wch.heat(cells, area=focus, font_scale=_scale(board), description=text)
    return Figure(chart, text, heat_display(cells), board=board, raise_labels=True)


def funnel_figure(
    league_frame: pl.DataFrame,
    *,
    focus: str,
    reference: str,
    level: str,
    service: str | None,
    period,
    highlight: list[str] | None = None,
    board: bool = False,
):
    """The funnel plot of a league (metrics.waits.league, named): each member's per cent against its list size,
    within the reference figure's limits."""
    from charts import waits as wch
    from metrics import waits

    text = f"Funnel plot of the {league_frame.height} {MEMBERS[level]} for {_what(service)}, {period:%B %Y}"
    chart = wch.funnel_chart(
        league_frame,
        waits.funnel(league_frame),
        area=focus,
        highlight=highlight,
        reference=f"{reference} figure",
        font_scale=_scale(board),
        description=text,
    )
    return Figure(chart, text, board=board, raise_labels=True)


def trend_figure(
    trend: pl.DataFrame, names: dict[str, str], *, focus: str, reference: str, service: str | None, board: bool = False
):
    """The area's (or organisation's) monthly per cent under 18 weeks against the reference figure."""
    from charts import waits as wch

    text = f"{focus} against {reference} over time for {_what(service)}"
    chart = wch.trend_chart(
        trend, area=focus, reference=reference, font_scale=_scale(board), description=text, names=names
    )
    return Figure(chart, text, board=board, raise_labels=True)
