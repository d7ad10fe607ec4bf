"""Ward and town rates, deprivation deciles and a ward's trend as people read them (counts suppressed by
disclosure control shown as c, missing as x), and the map's rows with their tooltip text."""

from __future__ import annotations

import polars as pl

from present.figures import BOARD_SCALE, Figure

VS_BOROUGH = {"higher": "Significantly higher", "lower": "Significantly lower", "similar": "Similar"}


def _count_text(count, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if count is None else f"{count:,}"


def _rate_text(rate, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if rate is None else f"{rate:.1f}"


def _ci_text(lcl, ucl, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if lcl is None else f"{lcl:.1f} to {ucl:.1f}"


def area_rates_display(frame: pl.DataFrame, *, towns: bool = False) -> pl.DataFrame:
    """Ward or town rates as people read them: rank, area, count (c where suppressed), population, rate per 1,000,
    95% interval and comparison with the borough."""
    rows = []
    for r in frame.iter_rows(named=True):
        status = r.get("count_status") or ""
        row = {"Rank (1 = highest rate)": "" if r["rank"] is None else str(r["rank"])}
        if towns:
            row |= {"Town": r["town"], "Wards": str(r["wards"])}
        else:
            row |= {"Ward": r["ward_name"], "Town": r["town"]}
        row |= {
            "Count": _count_text(r["count"], status),
            "Population of the phase": f"{r['population']:,}" if r["population"] is not None else "x",
            "Rate per 1,000": _rate_text(r["rate"], status),
            "95% interval": _ci_text(r["lcl"], r["ucl"], status),
            "Compared with the borough": VS_BOROUGH.get(r["vs_borough"], "c" if status == "c" else "x"),
        }
        if not towns:
            row["Deprivation decile"] = "" if r["imd_decile"] is None else str(r["imd_decile"])
        rows.append(row)
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]} if rows else None)


def deprivation_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Deprivation decile (1 = most deprived)": str(r["imd_decile"]),
                "Wards": str(r["wards"]),
                "Count": _count_text(r["count"], r.get("count_status") or ""),
                "Rate per 1,000": _rate_text(r["rate"], r.get("count_status") or ""),
                "95% interval": _ci_text(r["lcl"], r["ucl"], r.get("count_status") or ""),
            }
            for r in frame.drop_nulls("imd_decile").iter_rows(named=True)
        ]
    )


def trend_display(frame: pl.DataFrame, phase_labels: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Month": r["period_end"].strftime("%b %Y"),
                "Phase": phase_labels.get(r["phase"], r["phase"]),
                "Count": _count_text(r["count"], r["count_status"]),
                "Rate per 1,000": _rate_text(r["rate"], r["count_status"]),
                "95% interval": _ci_text(r["lcl"], r["ucl"], r["count_status"]),
            }
            for r in frame.sort("phase", "period_end").iter_rows(named=True)
        ]
    )


def map_rows(rates: pl.DataFrame, wards_table: pl.DataFrame, *, shade: str) -> pl.DataFrame:
    """Ward rows for the map: geometry, the value that shades it and the tooltip's text (already disclosure-safe;
    the map gives each its title)."""
    texts = rates.select(
        "ward_code",
        "rate",
        "imd_decile",
        pl.struct("count", "count_status")
        .map_elements(lambda r: _count_text(r["count"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("count_text"),
        pl.struct("rate", "count_status")
        .map_elements(lambda r: _rate_text(r["rate"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("rate_text"),
        pl.struct("lcl", "ucl", "count_status")
        .map_elements(lambda r: _ci_text(r["lcl"], r["ucl"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("ci_text"),
        pl.col("imd_decile").cast(pl.String).fill_null("x").alias("imd_text"),
    )
    out = wards_table.select("ward_code", "ward_name", "lon", "lat", "geometry").join(texts, on="ward_code")
    return out.with_columns(shade=pl.col("imd_decile").cast(pl.Float64) if shade == "imd" else pl.col("rate"))


# The largest box (width, height in px) a ward map is drawn in: its shape fills the box on one axis. In board mode the
# map stands on the first screen at 1920 × 1080 beside its key, so its height is what is left below the page's header.
MAP_BOX = {False: (700, 640), True: (760, 560)}


def map_size(wards_table: pl.DataFrame, *, board: bool = False) -> tuple[int, int]:
    """The ward map's width and height in px: the wards' shape at its largest within MAP_BOX."""
    from charts.map_labels import map_size as fit

    width, height = MAP_BOX[board]
    return fit(wards_table["geometry"].to_list(), max_width=width, max_height=height)


def map_figure(
    rates: pl.DataFrame,
    wards_table: pl.DataFrame,
    *,
    label: str,
    period,
    shade: str = "rate",
    selection: str = "ward",
    highlight: str | None = None,
    board: bool = False,
) -> Figure:
    """Wards shaded by their rate (or deprivation decile, `shade` "imd"), with a disclosure-safe tooltip; the ranked
    chart and its table give every ward's figures."""
    from charts import wards as wc
    from metrics import wards

    rows = map_rows(rates, wards_table, shade=shade)
    imd = shade == "imd"
    what = "deprivation decile" if imd else f"{label} per 1,000 children, {period:%B %Y}"
    text = f"Map of wards shaded by {what}. The ranked chart and its table give every ward's figures."
    chart = wc.ward_map(
        rows,
        value="shade",
        breaks=wards.map_breaks(rates, shade),
        tooltip=[
            ("count_text", f"Count, {period:%b %Y}"),
            ("rate_text", "Rate per 1,000 children"),
            ("ci_text", "95% interval of the rate"),
            ("imd_text", "Deprivation decile"),
        ],
        selection=selection,
        highlight=highlight,
        font_size=15 if board else 11,
        reverse=imd,
        height_px=MAP_BOX[board][1],
        max_width_px=MAP_BOX[board][0],
        description=text,
    )
    return Figure(chart, text, board=board, raise_labels=True)


def paper_map_figures(
    rates: pl.DataFrame,
    wards_table: pl.DataFrame,
    *,
    label: str,
    period,
    font_size: float,
    min_font: float | None = None,
    size: tuple[int, int] = (520, 560),
    key_font_size: float = 12,
) -> tuple[Figure, Figure]:
    """The ward map for the papers (no tooltip or selection: a picture) shaded by rate in the app's classes, within
    `size` (width, height in px), names at `font_size` down to `min_font` (by default no smaller), and its colour
    key: a column of swatches labelled at `key_font_size` px, to stand beside the map as the board screen's does."""
    from charts import wards as wc
    from metrics import wards

    rows = map_rows(rates, wards_table, shade="rate")
    breaks = wards.map_breaks(rates, "rate")
    text = f"Map of wards shaded by {label} per 1,000 children, {period:%B %Y}. The table gives every ward's rate."
    chart = wc.static_map(
        rows,
        value="shade",
        breaks=breaks,
        title=f"{label} per 1,000, {period:%B %Y}",
        description=text,
        font_size=font_size,
        min_font=min_font,
        max_width_px=size[0],
        height_px=size[1],
    )
    key = wc.legend(
        breaks,
        title=f"{label} per 1,000",
        no_data=rows["shade"].is_null().any(),
        font_scale=key_font_size / 12,
        vertical=True,
    )
    what = f"{label} per 1,000 children and young people, {period:%B %Y}"
    return Figure(chart, text), Figure(key, f"Colour key: {what} (classes of about equal numbers of wards)")


def _scale(board: bool) -> float:
    return BOARD_SCALE if board else 1.0


def ranked_figure(
    rates: pl.DataFrame,
    *,
    label: str,
    borough_rate: float | None,
    towns: bool = False,
    highlight: str | None = None,
    board: bool = False,
) -> Figure:
    """Wards (or towns) ranked by rate with their intervals and the borough's rate; the description says which
    differ significantly from the borough."""
    from charts import wards as wc
    from metrics import wards

    name, word = ("town", "town") if towns else ("ward_name", "ward")
    text = wards.significance_sentence(rates, area_word=word, name=name)
    chart = wc.ranked_bars(
        rates,
        label=label,
        name=name,
        borough_rate=borough_rate,
        font_scale=_scale(board),
        highlight=None if towns else highlight,
        description=text,
    )
    return Figure(chart, text, area_rates_display(rates, towns=towns), board=board, raise_labels=True)


def deprivation_figure(frame: pl.DataFrame, *, label: str, board: bool = False) -> Figure:
    """Rate per 1,000 by the wards' deprivation decile."""
    from charts import wards as wc

    chart = wc.deprivation_chart(frame, label=label, font_scale=_scale(board))
    return Figure(chart, "", deprivation_display(frame), board=board, raise_labels=True)


def ward_trend_figure(trend: pl.DataFrame, *, label: str, board: bool = False) -> Figure:
    """One ward's monthly rate, a line per phase."""
    from charts import wards as wc
    from metrics.schema import PHASE_LABELS

    labels = {"all": "All phases", **{k: v for k, v in PHASE_LABELS.items() if k != "all"}}
    chart = wc.trend_chart(trend, label=label, phase_labels=labels, font_scale=_scale(board))
    return Figure(chart, "", trend_display(trend, labels), board=board, raise_labels=True)
