"""The indicator chart: an SPC (XmR) chart when there are limits, otherwise a run chart with its mean; target
line and comparator lines (England, the region) when given. Input is the tidy frame from
metrics.series.indicator_series."""

from __future__ import annotations

import altair as alt
import polars as pl

from charts.palette import (
    DARK_GREY,
    FOCUS_REST,
    LIGHT_PURPLE,
    SIGNAL_COLOURS,
    SIGNAL_LABELS,
    SIGNAL_SHAPES,
    TURQUOISE,
)
from metrics.formatting import short_period_label

UNIT_AXIS = {
    "percent": "Percent (%)",
    "count": "Number",
    "rate_per_1000": "Rate per 1,000",
    "weeks": "Weeks",
    "days": "Days",
    "score": "Score",
    "pounds": "Pounds (£)",
}
COMPARATOR_COLOURS = [TURQUOISE, LIGHT_PURPLE, DARK_GREY]
SMALL = "small_number"  # a point on a small denominator: drawn, with a caution, and no signal (METHODS §8)
LABELS = {**SIGNAL_LABELS, SMALL: "Small number: no signal"}
COLOURS = {**SIGNAL_COLOURS, SMALL: FOCUS_REST}
SHAPES = {**SIGNAL_SHAPES, SMALL: "square"}
BREAK_TEXT = "Break in series"


def indicator_chart(
    series: pl.DataFrame,
    *,
    title: str | None,
    unit: str,
    decimals: int,
    target: float | None,
    comparators: pl.DataFrame | None = None,
    description: str = "",
    height: int = 320,
    font_scale: float = 1.0,
) -> alt.LayerChart:
    """SPC or run chart of one indicator. `series` has period_end, period_label, value, mean, upl, lpl, signal and,
    from metrics.spc, segment, series_break and small_number (optional); `comparators` has period_end, period_label,
    value, area_name. `title` None leaves the title to the page; the `description` (one sentence from
    metrics.series.describe) becomes the chart's accessible description. A declared break is a labelled rule at the
    first period after it, and the lines stop at it; a small number is a grey square with no signal."""
    fmt = f",.{decimals}f"
    periods = series.select("period_end", "period_label")
    if comparators is not None and comparators.height:
        periods = pl.concat([periods, comparators.select("period_end", "period_label")])
    order = periods.sort("period_end")["period_label"].unique(maintain_order=True).to_list()
    # Short labels on the axis ("Sep 25", "Q2 25/26"), level and never overlapping; the full label stays in the
    # tooltip and the table. If two periods would share a short label, the full labels are kept.
    short = {label: short_period_label(label) for label in order}
    if len(set(short.values())) < len(short):
        short = {label: label for label in order}
    rolling = any(label.startswith("12 months to ") for label in order)
    axis_field = pl.col("period_label").replace_strict(short, default=pl.col("period_label")).alias("period_axis")
    x = alt.X(
        "period_axis:N",
        sort=[short[label] for label in order],
        title="Rolling 12 months to" if rolling else None,
        axis=alt.Axis(
            labelAngle=0, labelOverlap="greedy", labelFontSize=11 * font_scale, titleFontSize=11 * font_scale
        ),
    )
    if comparators is not None and comparators.height:
        comparators = comparators.with_columns(axis_field)
    y_title = UNIT_AXIS.get(unit, unit)
    defaults = {"segment": pl.lit(0), "series_break": pl.lit(False)}  # a series from before breaks were declared
    data = series.with_columns(**{k: v for k, v in defaults.items() if k not in series.columns}).with_columns(
        axis_field
    )
    if "small_number" in series.columns:
        data = data.with_columns(signal=pl.when(pl.col("small_number")).then(pl.lit(SMALL)).otherwise(pl.col("signal")))
    data = data.with_columns(signal_label=pl.col("signal").replace_strict(LABELS, default="No value"))
    base = alt.Chart(data).encode(x=x)
    values_all = [v for v in data["value"].to_list() if v is not None]
    for col in ("upl", "lpl"):
        values_all += [v for v in data[col].to_list() if v is not None]
    if target is not None:
        values_all.append(target)
    if comparators is not None and comparators.height:
        values_all += [v for v in comparators["value"].to_list() if v is not None]
    lo, hi = (min(values_all), max(values_all)) if values_all else (0, 1)
    pad = (hi - lo) * 0.08 or 1
    domain = [max(0, lo - pad) if lo >= 0 else lo - pad, hi + pad]
    y = alt.Y(
        "value:Q",
        title=y_title,
        scale=alt.Scale(domain=domain, zero=False),
        axis=alt.Axis(format=fmt, labelFontSize=11 * font_scale, titleFontSize=12 * font_scale),
    )
    tooltip = [
        alt.Tooltip("period_label:N", title="Period"),
        alt.Tooltip("value:Q", title="Value", format=fmt),
        alt.Tooltip("signal_label:N", title="SPC"),
    ]
    apart = alt.Detail("segment:N")  # each side of a declared break is its own line
    layers = [
        base.mark_line(color=DARK_GREY, strokeWidth=1.5).encode(y=y, detail=apart),
        base.mark_point(filled=True, size=70 * font_scale, opacity=1).encode(
            y=alt.Y("value:Q"), color=_signal_colour(data, font_scale), shape=_signal_shape(data), tooltip=tooltip
        ),
        base.mark_line(color=DARK_GREY, strokeWidth=1).encode(y=alt.Y("mean:Q"), detail=apart),
    ]
    breaks = data.filter(pl.col("series_break")).select("period_axis").with_columns(label=pl.lit(BREAK_TEXT))
    if breaks.height:
        mark = alt.Chart(breaks).encode(x=x)
        layers.append(mark.mark_rule(color=DARK_GREY, strokeDash=[8, 3], strokeWidth=1.5))
        layers.append(
            mark.mark_text(align="left", baseline="top", dx=4, y=2, fontSize=11 * font_scale, color=DARK_GREY).encode(
                text=alt.Text("label:N")
            )
        )
    if data["upl"].is_not_null().any():
        for col in ("upl", "lpl"):
            layers.append(
                base.mark_line(color=DARK_GREY, strokeDash=[5, 4], strokeWidth=1).encode(
                    y=alt.Y(f"{col}:Q"), detail=apart
                )
            )
    if target is not None:
        tgt = pl.DataFrame({"target": [target], "label": [f"Target {target:{fmt}}{'%' if unit == 'percent' else ''}"]})
        layers.append(
            alt.Chart(tgt).mark_rule(color=TURQUOISE, strokeDash=[2, 2], strokeWidth=2).encode(y=alt.Y("target:Q"))
        )
        layers.append(
            alt.Chart(tgt)
            .mark_text(align="left", dx=4, dy=-7, color="#1D6F68", fontSize=11 * font_scale, fontWeight="bold")
            .encode(y=alt.Y("target:Q"), x=alt.value(0), text=alt.Text("label:N"))
        )
    if comparators is not None and comparators.height:
        names = comparators["area_name"].unique(maintain_order=True).to_list()
        starts = data.filter(pl.col("series_break"))["period_end"].to_list()  # the comparators break there too
        comp_segment = pl.sum_horizontal([(pl.col("period_end") >= d).cast(pl.Int32) for d in starts] or [pl.lit(0)])
        comp = alt.Chart(comparators.with_columns(segment=comp_segment)).encode(
            x=x,
            y=alt.Y("value:Q"),
            detail=apart,
            color=alt.Color(
                "area_name:N",
                scale=alt.Scale(domain=names, range=COMPARATOR_COLOURS[: len(names)]),
                legend=alt.Legend(title="Comparator", orient="bottom", labelFontSize=11 * font_scale),
            ),
            tooltip=[
                alt.Tooltip("area_name:N", title="Area"),
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("value:Q", title="Value", format=fmt),
            ],
        )
        layers.append(comp.mark_line(strokeDash=[6, 3], strokeWidth=2))
        # one legend for the comparators: the crosses share the lines' colours without a key of their own
        layers.append(
            comp.mark_point(shape="cross", size=60 * font_scale, filled=True).encode(
                color=alt.Color(
                    "area_name:N", scale=alt.Scale(domain=names, range=COMPARATOR_COLOURS[: len(names)]), legend=None
                )
            )
        )
    # Every option goes to alt.layer at once: each chained method (.properties, .resolve_scale, .configure_view)
    # deep-copies the whole layered chart, which was most of the time spent building it.
    return alt.layer(
        *layers,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", shape="independent")),
        height=height,
        width="container",
        description=description or title or "Indicator chart",
        config=alt.Config(view=alt.ViewConfig(strokeWidth=0)),
        **({"title": alt.Title(title, fontSize=14 * font_scale, anchor="start")} if title else {}),
    )


def _signal_colour(data: pl.DataFrame, font_scale: float):
    """Points coloured by SPC signal, with a legend of only the signals present; plain grey on a run chart."""
    if data["upl"].is_null().all():  # a run chart: plain grey, a small number lighter
        return alt.condition(
            alt.FieldEqualPredicate(field="signal", equal=SMALL), alt.value(COLOURS[SMALL]), alt.value(DARK_GREY)
        )
    present = [s for s in COLOURS if s in set(data["signal"].drop_nulls())]
    return alt.Color(
        "signal:N",
        scale=alt.Scale(domain=present, range=[COLOURS[s] for s in present]),
        legend=alt.Legend(
            title="Variation",
            labelExpr=_label_expr(),
            orient="bottom",
            labelFontSize=11 * font_scale,
            titleFontSize=11 * font_scale,
            symbolSize=80 * font_scale,
        ),
    )


def _signal_shape(data: pl.DataFrame):
    if data["upl"].is_null().all():
        return alt.condition(
            alt.FieldEqualPredicate(field="signal", equal=SMALL), alt.value("square"), alt.value("circle")
        )
    present = [s for s in SHAPES if s in set(data["signal"].drop_nulls())]
    return alt.Shape("signal:N", scale=alt.Scale(domain=present, range=[SHAPES[s] for s in present]), legend=None)


def line_key(*, spc: bool, target: bool, comparators: bool = False, rolling: bool = False) -> str:
    """The words under an indicator chart for the lines it draws, and only those: a target line is named only
    when the chart has one."""
    why = "rolling 12-month figures overlap" if rolling else "too few points for control limits"
    parts = ["Solid grey line: mean." if spc else f"Run chart ({why}). Solid grey line: mean."]
    if spc:
        parts.append("Dashed lines: upper and lower process limits.")
    if target:
        parts.append("Dotted turquoise line: target.")
    if comparators:
        parts.append("Dashed coloured lines with crosses: the comparators named in the key.")
    if spc:
        parts.append("Point shape and colour show the SPC signal.")
    return " ".join(parts)


def _label_expr() -> str:
    cases = " : ".join(f"datum.value == '{k}' ? '{v}'" for k, v in LABELS.items())
    return f"{cases} : datum.value"
