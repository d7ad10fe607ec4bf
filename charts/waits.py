"""Waiting-time charts: the services × localities heat table, the funnel plot and the area's trend against a
reference figure (the system's localities pooled, or England)."""

from __future__ import annotations

import altair as alt
import polars as pl

from charts.palette import DARK_BLUE, DARK_GREY, FOCUS_REST, ORANGE, TURQUOISE

QUARTER_COLOURS = {1: "#12436D", 2: "#6BACE6", 3: "#D9E8F5", 4: "#FFFFFF"}
QUARTER_TEXT = {1: "#FFFFFF", 2: "#0B0C0C", 3: "#0B0C0C", 4: "#0B0C0C"}
QUARTER_WORDS = {1: "Best quarter", 2: "Second quarter", 3: "Third quarter", 4: "Worst quarter"}


def heat(cells: pl.DataFrame, *, area: str, font_scale: float = 1.0, description: str = "") -> alt.LayerChart:
    """Cells with service_name, area_name, label ("34%\\n9th" or "x"), quarter (1 best … 4, null for no return).
    The number is always printed; colour only repeats the rank quarter."""
    data = cells.with_columns(
        fill=pl.col("quarter").replace_strict(QUARTER_COLOURS, default="#EEEEEE"),
        ink=pl.col("quarter").replace_strict(QUARTER_TEXT, default="#3D3D3D"),
        quarter_word=pl.col("quarter").replace_strict(QUARTER_WORDS, default="No return"),
        is_area=pl.col("area_name") == area,
    )
    order = data["area_name"].unique(maintain_order=True).to_list()
    x = alt.X(
        "area_name:N",
        sort=order,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=-30,
            labelFontSize=12 * font_scale,
            labelLimit=160,
            # a field predicate, not an expression string: the area's name is data, never code
            labelFontWeight={
                "condition": {"test": {"field": "value", "equal": area}, "value": "bold"},
                "value": "normal",
            },
        ),
    )
    # a long service name goes on two lines, broken before its bracket ("Child and adolescent mental health services"
    # / "(CAMHS), Jun 2025"), so the month each row is for is never cut off; the expression reads only the label
    two_lines = (
        "indexof(datum.label, ' (') > 0 && length(datum.label) > 36 ? "
        "[slice(datum.label, 0, indexof(datum.label, ' (')), slice(datum.label, indexof(datum.label, ' (') + 1)] "
        ": datum.label"
    )
    y = alt.Y(
        "service_name:N",
        title=None,
        axis=alt.Axis(labelFontSize=12 * font_scale, labelLimit=260 * font_scale, labelExpr=two_lines),
    )
    base = alt.Chart(data).encode(x=x, y=y)
    tooltip = [
        alt.Tooltip("area_name:N", title="Locality"),
        alt.Tooltip("service_name:N", title="Service"),
        alt.Tooltip("tooltip:N", title="Under 18 weeks"),
        alt.Tooltip("quarter_word:N", title="Rank"),
    ]
    cells_layer = base.mark_rect(stroke="#B1B4B6", strokeWidth=1).encode(
        color=alt.Color("fill:N", scale=None), tooltip=tooltip
    )
    area_outline = base.transform_filter("datum.is_area").mark_rect(
        fillOpacity=0, stroke=ORANGE, strokeWidth=3 * font_scale
    )
    text = base.mark_text(fontSize=12 * font_scale, lineBreak="\n", fontWeight="bold").encode(
        text="label:N", color=alt.Color("ink:N", scale=None), tooltip=tooltip
    )
    return (
        alt.layer(cells_layer, area_outline, text)
        .properties(
            height=70 * font_scale * data["service_name"].n_unique(),
            width="container",
            description=description or "Heat table of waiting times",
        )
        .configure_view(strokeWidth=0)
    )


def funnel_chart(
    league: pl.DataFrame,
    limits: pl.DataFrame,
    *,
    area: str,
    reference: str,
    highlight: list[str] | None = None,
    font_scale: float = 1.0,
    description: str = "",
) -> alt.LayerChart:
    """Localities (or ICBs, providers) as points (list size × % under 18 weeks) inside 95% and 99.8% funnel limits
    around the reference figure (`reference` names it in the legend); the area (or every name in `highlight`)
    drawn in dark blue, the rest grey. Only the area (or the highlighted) and the outliers (outside the 95% limits
    at their list size) are named, so labels never pile up on the points bunched inside the funnel."""
    import numpy as np

    focus = highlight or [area]
    pts = league.drop_nulls("pct").with_columns(is_area=pl.col("area_name").is_in(focus))
    label_all = pts.height <= 12
    edge = limits.sort("n")
    at = pts["waiting_total"].to_numpy()
    low = np.interp(at, edge["n"].to_numpy(), edge["lower_95"].to_numpy()) if edge.height else at
    high = np.interp(at, edge["n"].to_numpy(), edge["upper_95"].to_numpy()) if edge.height else at
    pct = pts["pct"].to_numpy()
    outside = (pct < low) | (pct > high) if edge.height else np.zeros(pts.height, dtype=bool)
    pts = pts.with_columns(outlier=pl.Series(outside, dtype=pl.Boolean))
    x = alt.X(
        "waiting_total:Q",
        title="Children on the waiting list",
        scale=alt.Scale(zero=False),
        axis=alt.Axis(labelFontSize=11 * font_scale, titleFontSize=12 * font_scale),
    )
    y = alt.Y(
        "pct:Q",
        title="Waiting under 18 weeks (%)",
        scale=alt.Scale(zero=False),
        axis=alt.Axis(
            labelExpr="format(datum.value, ',~f') + '%'", labelFontSize=11 * font_scale, titleFontSize=12 * font_scale
        ),
    )
    lines = limits.unpivot(
        index="n",
        on=["lower_95", "upper_95", "lower_998", "upper_998", "pooled"],
        variable_name="line",
        value_name="pct",
    ).with_columns(
        kind=pl.col("line").replace_strict(
            {
                "lower_95": "95% limits",
                "upper_95": "95% limits",
                "lower_998": "99.8% limits",
                "upper_998": "99.8% limits",
                "pooled": reference,
            }
        )
    )
    line_layer = (
        alt.Chart(lines)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("n:Q"),
            y=alt.Y("pct:Q"),
            detail="line:N",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=[reference, "95% limits", "99.8% limits"],
                    range=[TURQUOISE, DARK_GREY, DARK_GREY],
                ),
                legend=alt.Legend(title=None, orient="bottom", labelFontSize=11 * font_scale),
            ),
            strokeDash=alt.StrokeDash(
                "kind:N",
                scale=alt.Scale(domain=[reference, "95% limits", "99.8% limits"], range=[[1, 0], [6, 3], [2, 2]]),
                legend=None,
            ),
        )
    )
    tooltip = [
        alt.Tooltip("area_name:N", title="Organisation" if not label_all else "Locality"),
        alt.Tooltip("pct:Q", title="% under 18 weeks", format=".0f"),
        alt.Tooltip("waiting_total:Q", title="On the list", format=","),
    ]
    points = (
        alt.Chart(pts)
        .mark_point(filled=True, size=110 * font_scale, opacity=1)
        .encode(
            x=x,
            y=y,
            tooltip=tooltip,
            color=alt.condition("datum.is_area", alt.value(DARK_BLUE), alt.value(FOCUS_REST)),
            shape=alt.condition("datum.is_area", alt.value("diamond"), alt.value("circle")),
        )
    )
    labels = (
        alt.Chart(pts.filter(pl.col("is_area") | pl.col("outlier")))
        .mark_text(align="left", dx=8, fontSize=11 * font_scale)
        .encode(
            x=x,
            y=y,
            text="area_name:N",
            color=alt.condition("datum.is_area", alt.value(DARK_BLUE), alt.value("#505A5F")),
        )
    )
    return (
        alt.layer(line_layer, points, labels)
        .properties(height=380 * font_scale, width="container", description=description or "Funnel plot")
        .configure_view(strokeWidth=0)
    )


CAUTION = "Caution: leaves out a provider"


def trend_chart(
    trend: pl.DataFrame,
    *,
    area: str,
    reference: str,
    font_scale: float = 1.0,
    description: str = "",
    names: dict[str, str] | None = None,
) -> alt.Chart | alt.LayerChart:
    """The area's % under 18 weeks each month against the reference figure (named `reference`). An ICB's months
    that leave out a provider with no figures (a `missing` column, metrics.waits.area_trend with providers) are
    ringed in orange, the provider named in the tooltip. A month no workbook gives (the NHS England files loaded
    skip it) is a gap in the line, never a zero nor a straight line across it."""
    names = names or {}
    missing = (
        trend["missing"].map_elements(lambda codes: ", ".join(names.get(c, c) for c in codes), return_dtype=pl.String)
        if "missing" in trend.columns
        else pl.Series([""] * trend.height, dtype=pl.String)
    )
    trend = trend.with_columns(caution=missing.fill_null(""))
    data = pl.concat(
        [
            trend.select(
                "period_end",
                pct="pct",
                series=pl.lit(area),
                rank_text=pl.format("{} of {}", "rank", "m"),
                caution="caution",
            ),
            trend.select(
                "period_end", pct="pooled_pct", series=pl.lit(reference), rank_text=pl.lit(""), caution=pl.lit("")
            ),
        ]
    )
    month = pl.col("period_end").dt.year() * 12 + pl.col("period_end").dt.month()
    data = data.sort("series", "period_end").with_columns(
        segment=((month - month.shift(1)).over("series").fill_null(1) > 1).cast(pl.Int32).cum_sum().over("series")
    )
    lines = (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X("period_end:T", title=None, axis=alt.Axis(format="%b %Y", labelFontSize=11 * font_scale)),
            y=alt.Y("pct:Q", title="Waiting under 18 weeks (%)", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=[area, reference], range=[DARK_BLUE, TURQUOISE]),
                legend=alt.Legend(title=None, orient="bottom", labelFontSize=11 * font_scale),
            ),
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(domain=[area, reference], range=["circle", "square"]),
                legend=None,
            ),
            detail=alt.Detail("segment:N"),  # a new line after each month missing from the files
            tooltip=[
                alt.Tooltip("series:N", title="Area"),
                alt.Tooltip("period_end:T", format="%b %Y", title="Month"),
                alt.Tooltip("pct:Q", format=".0f", title="% under 18 weeks"),
                alt.Tooltip("rank_text:N", title="Rank"),
                *(
                    [alt.Tooltip("caution:N", title="Leaves out (no figures)")]
                    if trend["caution"].str.len_chars().sum()
                    else []
                ),
            ],
        )
    )
    size = {"height": 300 * font_scale, "width": "container", "description": description or "Trend"}
    flagged = data.filter((pl.col("caution") != "") & pl.col("pct").is_not_null())
    if flagged.height == 0:
        return lines.properties(**size)
    rings = (
        alt.Chart(flagged.with_columns(note=pl.lit(CAUTION)))
        .mark_point(shape="circle", filled=False, size=320 * font_scale, strokeWidth=2.5 * font_scale)
        .encode(
            x=alt.X("period_end:T"),
            y=alt.Y("pct:Q"),
            stroke=alt.Stroke(
                "note:N",
                scale=alt.Scale(domain=[CAUTION], range=[ORANGE]),
                legend=alt.Legend(title=None, orient="bottom", labelFontSize=11 * font_scale),
            ),
            tooltip=[
                alt.Tooltip("period_end:T", format="%b %Y", title="Month"),
                alt.Tooltip("caution:N", title="Leaves out (no figures)"),
            ],
        )
    )
    return alt.layer(lines, rings).properties(**size)
