"""Benchmark charts: the area against England, its region and its system over time, and a strip of every English
local authority with the area highlighted."""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from charts.palette import DARK_BLUE, DARK_GREY, DARK_PINK, FOCUS_REST, ORANGE, TURQUOISE
from charts.spc import UNIT_AXIS


def value_axis(unit_title: str, decimals: int) -> dict:
    """The value axis's labels in the measure's own terms: a percentage (stored as 0–100) as "16%", "12.5%", not
    "16.0"; other measures to their decimals, trailing zeros dropped."""
    if unit_title == UNIT_AXIS["percent"]:
        return {"labelExpr": f"format(datum.value, ',.{decimals}~f') + '%'"}
    return {"format": f",.{decimals}~f"}


def comparator_trend_chart(
    trend: pl.DataFrame,
    *,
    area: str,
    unit_title: str,
    decimals: int,
    font_scale: float = 1.0,
    description: str = "",
    breaks: list[date] | None = None,
) -> alt.Chart | alt.LayerChart:
    """Lines per series (the area highlighted) over the periods, labelled as people say them; the series are the
    area, then England and whichever comparators (region, system) the trend holds, in that order. A break the
    publisher declares (`breaks`, the catalogue's series_breaks) is a labelled rule at the first period after it,
    and no line runs across it."""
    data = trend.with_columns(series=pl.col("series").replace("area", area))
    segment = pl.lit(0)
    for d in breaks or []:
        segment = segment + (pl.col("period_end") >= d).cast(pl.Int32)
    data = data.with_columns(segment=segment)
    others = [s for s in data["series"].unique(maintain_order=True).to_list() if s not in (area, "England")]
    domain = [area, "England", *others][:4]
    periods = data.sort("period_end").select("period_end", "period_label", "segment").unique(maintain_order=True)
    order = periods["period_label"].unique(maintain_order=True).to_list()
    after = periods.filter(pl.col("segment") != pl.col("segment").shift(1)).filter(pl.col("segment") > 0)
    lines = (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X(
                "period_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=11 * font_scale)
            ),
            y=alt.Y("value:Q", title=unit_title, axis=alt.Axis(**value_axis(unit_title, decimals))),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=[DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE][: len(domain)]),
                legend=alt.Legend(title=None, orient="bottom", labelFontSize=11 * font_scale),
            ),
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(domain=domain, range=["circle", "square", "triangle-up", "diamond"][: len(domain)]),
                legend=None,
            ),
            strokeWidth=alt.condition(  # a predicate, not an expression string: an area name is data, never code
                alt.FieldEqualPredicate(field="series", equal=area), alt.value(3.5), alt.value(1.8)
            ),
            detail=alt.Detail("segment:N"),
            tooltip=[
                alt.Tooltip("series:N", title="Area"),
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("value:Q", format=f",.{decimals}f", title="Value"),
                *([alt.Tooltip("authorities:N", title="Worked out from")] if "authorities" in data.columns else []),
            ],
        )
    )
    size = {"height": 300 * font_scale, "width": "container", "description": description or "Trend"}
    if after.height == 0:
        return lines.properties(**size)
    marks = alt.Chart(after.select("period_label", label=pl.lit("Break in series"))).encode(
        x=alt.X("period_label:N", sort=order)
    )
    rule = marks.mark_rule(color=DARK_GREY, strokeDash=[8, 3], strokeWidth=1.5)
    text = marks.mark_text(align="left", baseline="top", dx=4, y=2, fontSize=11 * font_scale, color=DARK_GREY).encode(
        text="label:N"
    )
    return alt.layer(lines, rule, text).properties(**size)


def strip(
    dist: pl.DataFrame, *, area: str, unit_title: str, decimals: int, font_scale: float = 1.0, description: str = ""
) -> alt.LayerChart:
    """Every local authority as a tick on one axis: grey, the system's authorities darker, the area a large
    labelled diamond."""
    base = alt.Chart(dist).encode(
        x=alt.X(
            "value:Q",
            title=unit_title,
            scale=alt.Scale(zero=False),
            axis=alt.Axis(**value_axis(unit_title, decimals), labelFontSize=11 * font_scale),
        )
    )
    tooltip = [
        alt.Tooltip("name:N", title="Local authority"),
        alt.Tooltip("value:Q", format=f",.{decimals}f", title="Value"),
    ]
    ticks = (
        base.transform_filter("datum.group != 'area'")
        .mark_tick(thickness=2, size=28 * font_scale)
        .encode(
            color=alt.condition("datum.group == 'system'", alt.value("#5B7C99"), alt.value(FOCUS_REST)), tooltip=tooltip
        )
    )
    me = base.transform_filter("datum.group == 'area'")
    point = me.mark_point(shape="diamond", filled=True, size=260 * font_scale, color=DARK_BLUE).encode(tooltip=tooltip)
    # The area's name above its diamond, turned inwards near either end of the axis so it is never cut off there.
    values = dist["value"].drop_nulls()
    mine = dist.filter(pl.col("group") == "area")["value"].drop_nulls()
    align = "center"
    if values.len() > 1 and mine.len():
        where = (mine[0] - values.min()) / ((values.max() - values.min()) or 1)
        align = "left" if where < 0.2 else "right" if where > 0.8 else "center"
    label = me.mark_text(
        dy=-22 * font_scale, align=align, fontSize=12 * font_scale, fontWeight="bold", color=DARK_BLUE
    ).encode(text=alt.value(area))
    return (
        alt.layer(ticks, point, label)
        .properties(height=80 * font_scale, width="container", description=description or "Distribution")
        .configure_view(strokeWidth=0)
    )
