"""Ward charts: the choropleth (Vega-Lite geoshapes, interactive in the app and fixed in the pack), its legend,
the ranked bar chart with 95% whiskers and the borough line, rate by deprivation decile, and a ward's trend by phase."""

from __future__ import annotations

import json

import altair as alt
import polars as pl

from charts.palette import CATEGORICAL, DARK_BLUE, DARK_GREY, FOCUS_REST, INK, ORANGE, SEQUENTIAL, WHITE, ink_on

NO_DATA = "#E0E0E0"


def class_of(value: float | None, breaks: list[float], decimals: int = 1) -> int | None:
    """Index of the class a value falls in, judged on the value as shown (to `decimals` places, as the key's bounds
    and the tables give it): values up to and including a break belong to it. A ward shown as 40.4 is in the class
    "up to 40.4", even when its rate is 40.43."""
    if value is None:
        return None
    shown = float(f"{value:.{decimals}f}")
    for i, b in enumerate(breaks):
        if shown <= b + 1e-9:
            return i
    return len(breaks) - 1


def class_colours(n: int) -> list[str]:
    """n sequential colours, light to dark, from the GSS sequential palette."""
    if n <= 0:
        return []
    idx = [round(i * (len(SEQUENTIAL) - 1) / max(1, n - 1)) for i in range(n)] if n > 1 else [2]
    return [SEQUENTIAL[i] for i in idx]


def legend(
    breaks: list[float],
    *,
    title: str,
    decimals: int = 1,
    no_data: bool = False,
    font_scale: float = 1.0,
    reverse: bool = False,
    vertical: bool = False,
) -> alt.Chart:
    """The choropleth's legend: one swatch per class labelled with its range, plus 'no data / suppressed'; in a row
    under the map, or (`vertical`) a column of swatches with their labels beside them, to stand beside the map."""
    colours = class_colours(len(breaks))
    colours = colours[::-1] if reverse else colours
    lows = [None, *breaks[:-1]] if breaks else []
    step = 10.0**-decimals  # a class starts one shown step above the one before ends: no value is in two labels
    labels = []
    for lo, hi in zip(lows, breaks, strict=True):
        labels.append(f"up to {hi:.{decimals}f}" if lo is None else f"{lo + step:.{decimals}f} to {hi:.{decimals}f}")
    if no_data:
        labels.append("c or no data")
        colours = [*colours, NO_DATA]
    data = pl.DataFrame({"label": labels, "one": [1] * len(labels)})
    axis = alt.Axis(
        labelAngle=0,
        labelFontSize=12 * font_scale,
        ticks=False,
        domain=False,
        labelColor="#0B0C0C",
        labelLimit=0,
        **({"orient": "right", "labelPadding": 8 * font_scale} if vertical else {}),
    )
    category = {"field": "label", "type": "nominal", "sort": labels, "title": None, "axis": axis}
    amount = {"field": "one", "type": "quantitative", "axis": None, "title": None, "scale": {"domain": [0, 1]}}
    swatch = {"band": 0.86 if vertical else 0.96}
    return (
        alt.Chart(data)
        .mark_bar(stroke=DARK_GREY, strokeWidth=1, **({"height": swatch} if vertical else {"width": swatch}))
        .encode(
            **(
                {"y": alt.Y(**category), "x": alt.X(**amount)}
                if vertical
                else {"x": alt.X(**category), "y": alt.Y(**amount)}
            ),
            color=alt.Color("label:N", scale=alt.Scale(domain=labels, range=colours), legend=None),
            tooltip=[alt.Tooltip("label:N", title=title)],
        )
        .properties(
            height=34 * font_scale * len(labels) if vertical else 28 * font_scale,
            width=44 * font_scale if vertical else "container",
            description=f"Map legend: {title}: " + "; ".join(labels),
        )
        .configure_view(strokeWidth=0)
    )


def ranked_bars(
    rows: pl.DataFrame,
    *,
    label: str,
    name: str = "ward_name",
    borough_rate: float | None,
    highlight: str | None = None,
    font_scale: float = 1.0,
    description: str = "",
) -> alt.LayerChart:
    """Rates per 1,000 sorted high to low with 95% whiskers and the borough rate as a line; the highlighted
    ward (or town) in dark blue, the rest grey. Suppressed rows have no bar."""
    data = rows.with_columns(
        is_focus=(pl.col(name) == highlight) if highlight else pl.lit(False),
        sig=pl.col("vs_borough").replace_strict(
            {"higher": "Significantly higher", "lower": "Significantly lower", "similar": "Similar"}, default="c"
        ),
    )
    order = data.sort("rate", descending=True, nulls_last=True)[name].to_list()
    y = alt.Y(f"{name}:N", sort=order, title=None, axis=alt.Axis(labelFontSize=12 * font_scale, labelLimit=0))
    base = alt.Chart(data).encode(y=y)
    tooltip = [
        alt.Tooltip(f"{name}:N", title="Area"),
        alt.Tooltip("rate:Q", title="Rate per 1,000", format=".1f"),
        alt.Tooltip("lcl:Q", title="Lower 95% limit", format=".1f"),
        alt.Tooltip("ucl:Q", title="Upper 95% limit", format=".1f"),
        alt.Tooltip("sig:N", title="vs borough"),
    ]
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X(
            "rate:Q",
            title=f"{label} per 1,000",
            axis=alt.Axis(labelFontSize=11 * font_scale, titleFontSize=12 * font_scale),
        ),
        color=alt.condition(
            "datum.is_focus", alt.value(DARK_BLUE), alt.value("#8CA9C4" if not highlight else FOCUS_REST)
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color=DARK_GREY, strokeWidth=1.5).encode(x="lcl:Q", x2="ucl:Q", tooltip=tooltip)
    marks = base.mark_point(shape="diamond", filled=True, size=50 * font_scale).encode(
        x="rate:Q",
        color=alt.condition("datum.sig == 'Significantly higher'", alt.value(ORANGE), alt.value(DARK_GREY)),
        tooltip=tooltip,
    )
    layers = [bars, whiskers, marks]
    if borough_rate is not None:
        line = pl.DataFrame({"borough": [borough_rate], "text": [f"Borough {borough_rate:.1f}"]})
        layers.append(alt.Chart(line).mark_rule(color=ORANGE, strokeDash=[6, 3], strokeWidth=2).encode(x="borough:Q"))
        layers.append(
            alt.Chart(line)
            .mark_text(
                align="left",
                dx=4,
                dy=-6,
                color="#A6400B",
                fontSize=12 * font_scale,
                fontWeight="bold",
                baseline="bottom",
            )
            .encode(x="borough:Q", y=alt.value(0), text="text:N")
        )
    return (
        alt.layer(*layers)
        .properties(height=max(220, 26 * data.height) * font_scale, width="container", description=description or label)
        .configure_view(strokeWidth=0)
    )


def deprivation_chart(rows: pl.DataFrame, *, label: str, font_scale: float = 1.0) -> alt.LayerChart:
    """Rate per 1,000 with 95% whiskers for each deprivation decile of the wards (1 = most deprived)."""
    base = alt.Chart(rows.drop_nulls("imd_decile")).encode(
        x=alt.X(
            "imd_decile:O",
            title="Ward deprivation decile (1 = most deprived 10% of England)",
            axis=alt.Axis(labelAngle=0, labelFontSize=11 * font_scale),
        ),
    )
    tooltip = [
        alt.Tooltip("imd_decile:O", title="Decile"),
        alt.Tooltip("wards:Q", title="Wards"),
        alt.Tooltip("rate:Q", title="Rate per 1,000", format=".1f"),
    ]
    return (
        alt.layer(
            base.mark_bar(color=DARK_BLUE, width={"band": 0.6}).encode(
                y=alt.Y("rate:Q", title=f"{label} per 1,000"), tooltip=tooltip
            ),
            base.mark_rule(color=DARK_GREY, strokeWidth=1.5).encode(y="lcl:Q", y2="ucl:Q"),
        )
        .properties(
            height=260 * font_scale,
            width="container",
            description=f"{label} per 1,000 by deprivation decile of the ward",
        )
        .configure_view(strokeWidth=0)
    )


PHASE_DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 2, 3], [5, 2], [1, 5]]  # solid, dashed, dotted, dash-dot, …
PHASE_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]


def trend_chart(rows: pl.DataFrame, *, label: str, phase_labels: dict[str, str], font_scale: float = 1.0) -> alt.Chart:
    """One ward's monthly rate per 1,000 for each phase (and all phases): each phase its own colour, point shape and
    dash, in one key, so no two lines are told apart by colour alone. Months on the axis as "Sep 25"."""
    data = rows.with_columns(phase_name=pl.col("phase").replace_strict(phase_labels, default=pl.col("phase")))
    names = [phase_labels[p] for p in phase_labels if p in set(rows["phase"])]
    key = alt.Legend(
        orient="bottom",
        title="Phase",
        labelFontSize=11 * font_scale,
        titleFontSize=11 * font_scale,
        symbolType="stroke",
        symbolSize=400 * font_scale,
        symbolStrokeWidth=2.5,
        columns=min(len(names), 6),
    )
    phase = {"field": "phase_name", "type": "nominal", "sort": names, "title": "Phase"}
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(
                "period_end:T",
                title=None,
                axis=alt.Axis(format="%b %y", labelAngle=0, labelOverlap="greedy", labelFontSize=11 * font_scale),
            ),
            y=alt.Y("rate:Q", title=f"{label} per 1,000"),
            color=alt.Color(**phase, scale=alt.Scale(domain=names, range=CATEGORICAL[: len(names)]), legend=key),
            strokeDash=alt.StrokeDash(
                **phase, scale=alt.Scale(domain=names, range=PHASE_DASHES[: len(names)]), legend=key
            ),
            tooltip=[
                alt.Tooltip("phase_name:N", title="Phase"),
                alt.Tooltip("period_end:T", format="%b %Y", title="Month"),
                alt.Tooltip("rate:Q", format=".1f", title="Rate per 1,000"),
            ],
        )
        + alt.Chart(data)
        .mark_point(filled=True, size=45 * font_scale, opacity=1)
        .encode(
            x="period_end:T",
            y="rate:Q",
            color=alt.Color(**phase, scale=alt.Scale(domain=names, range=CATEGORICAL[: len(names)]), legend=None),
            shape=alt.Shape(**phase, scale=alt.Scale(domain=names, range=PHASE_SHAPES[: len(names)]), legend=None),
            tooltip=[
                alt.Tooltip("phase_name:N", title="Phase"),
                alt.Tooltip("period_end:T", format="%b %Y", title="Month"),
                alt.Tooltip("rate:Q", format=".1f", title="Rate per 1,000"),
            ],
        )
    ).properties(height=280 * font_scale, width="container", description=f"{label} per 1,000 by phase over time")


def _signed_area(ring: list) -> float:
    """Shoelace area of a lon/lat ring: positive when it runs anticlockwise on a flat map."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def spherical_winding(geometry: dict) -> dict:
    """The geometry with rings wound as Vega's spherical geoshapes need: outer rings clockwise, holes anticlockwise.
    GeoJSON (RFC 7946) winds outer rings the other way, and an outer ring read backwards is the whole globe
    except the ward, which fills the map."""

    def polygon(rings: list) -> list:
        out = []
        for i, ring in enumerate(rings):
            clockwise = _signed_area(ring) < 0
            out.append(ring if clockwise == (i == 0) else ring[::-1])
        return out

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geometry["coordinates"])}
    return {"type": "MultiPolygon", "coordinates": [polygon(p) for p in geometry["coordinates"]]}


def _fills(rows: pl.DataFrame, *, value: str, breaks: list[float], reverse: bool) -> list[str]:
    """Each ward's class colour (grey where it has no value)."""
    colours = class_colours(len(breaks))
    colours = colours[::-1] if reverse else colours
    classes = [class_of(v, breaks) for v in rows[value]]
    return [NO_DATA if k is None else colours[k] for k in classes]


def _map_values(
    rows: pl.DataFrame,
    *,
    value: str,
    breaks: list[float],
    reverse: bool,
    highlight: str | None,
    fields: tuple[str, ...] = (),
) -> list[dict]:
    """One GeoJSON feature per ward, wound for Vega, with what the marks read as top-level members (GeoJSON allows
    them; Vega's geoshape reads only `geometry`): the class colour, the outline width (thicker for the ward
    picked) and the named columns."""
    fills = _fills(rows, value=value, breaks=breaks, reverse=reverse)
    out = []
    for r, fill in zip(rows.iter_rows(named=True), fills, strict=True):
        out.append(
            {
                "type": "Feature",
                "geometry": spherical_winding(json.loads(r["geometry"])),
                "ward_name": r["ward_name"],
                "fill": fill,
                "edge": 3.5 if highlight is not None and r.get("ward_code") == highlight else 0.8,
                **{c: r[c] for c in fields},
            }
        )
    return out


def _inks(fills: list[str]) -> pl.DataFrame:
    """A name's text colour on each fill, whichever of dark ink and white reads better (4.5:1 or more on every
    class colour), and a halo of the other, which keeps the name readable where it crosses a border."""
    inks = [ink_on(f) for f in fills]
    return pl.DataFrame({"ink": inks, "halo": [WHITE if i == INK else INK for i in inks]})


def _name_layers(rows: pl.DataFrame, *, font_size: float | None = None, tooltip: list | None = None) -> list:
    """Ward names, in each ward's ink over a halo. `rows` has ink and halo and either label_lon, label_lat, label
    (lines joined by newlines) and label_size (charts.map_labels.fit_names; a ward with no label is left out), or
    lon, lat and ward_name, drawn at `font_size`."""
    if "label" in rows.columns:
        rows = rows.filter(pl.col("label_size").is_not_null())
        base = alt.Chart(rows).encode(
            longitude="label_lon:Q",
            latitude="label_lat:Q",
            text="label:N",
            size=alt.Size("label_size:Q", scale=None, legend=None),
        )
    else:
        base = alt.Chart(rows).encode(longitude="lon:Q", latitude="lat:Q", text="ward_name:N")
    if tooltip:
        base = base.encode(tooltip=tooltip)
    style = {"fontWeight": "bold", "lineBreak": "\n", "lineHeight": {"expr": "datum.label_size * 1.2"}}
    if "label" not in rows.columns:
        style = {"fontWeight": "bold", "fontSize": font_size}
    halo = base.mark_text(**style, strokeWidth=3, strokeOpacity=0.9, strokeJoin="round").encode(
        stroke=alt.Stroke("halo:N", scale=None, legend=None), color=alt.Color("halo:N", scale=None, legend=None)
    )
    name = base.mark_text(**style).encode(color=alt.Color("ink:N", scale=None, legend=None))
    return [halo, name]


def ward_map(
    rows: pl.DataFrame,
    *,
    value: str,
    breaks: list[float],
    tooltip: list[tuple[str, str]],
    selection: str = "ward",
    highlight: str | None = None,
    font_size: float = 11,
    min_font: float = 9,
    reverse: bool = False,
    max_width_px: int = 760,
    height_px: int = 520,
    description: str = "",
) -> alt.LayerChart:
    """The app's ward choropleth, drawn by Vega-Lite (a 2D canvas: quick to draw and to take down in a browser
    without a GPU, where a WebGL map is neither) at the largest size within max_width_px × height_px that keeps the
    wards' shape (charts.map_labels.map_size): a fixed size, so where each name fits is known here. `rows` has
    ward_code, ward_name, geometry (GeoJSON string), the `value` column that sets the class and the text columns
    named in `tooltip` as (column, title). Each ward's name is inside it (charts.map_labels.fit_names), in dark ink
    or white, whichever reads on its colour. Hovering shows the ward's figures; clicking a ward or its name sets the
    point selection `selection` to its ward_code. The ward `highlight` has a thick outline."""
    from charts.map_labels import fit_names, map_size

    width_px, height_px = map_size(rows["geometry"].to_list(), max_width=max_width_px, max_height=height_px)
    fields = tuple(dict.fromkeys(["ward_code", *(c for c, _ in tooltip)]))
    values = _map_values(rows, value=value, breaks=breaks, reverse=reverse, highlight=highlight, fields=fields)
    tips = [alt.Tooltip("ward_name:N", title="Ward"), *(alt.Tooltip(f"{c}:N", title=t) for c, t in tooltip)]
    pick = alt.selection_point(name=selection, fields=["ward_code"], on="click", clear=False)
    shapes = (
        alt.Chart(alt.Data(values=values))
        .mark_geoshape(stroke="#0B0C0C", cursor="pointer")
        .encode(
            color=alt.Color("fill:N", scale=None),
            strokeWidth=alt.StrokeWidth("edge:Q", scale=None),
            tooltip=tips,
        )
        .add_params(pick)
    )
    fitted = fit_names(
        rows.select("ward_name", "geometry"), width=width_px, height=height_px, font_size=font_size, min_font=min_font
    )
    names = pl.concat(
        [
            rows.select("ward_code", "ward_name", *(c for c, _ in tooltip if c not in ("ward_code", "ward_name"))),
            fitted.select("label_lon", "label_lat", "label", "label_size"),
            _inks([v["fill"] for v in values]),
        ],
        how="horizontal",
    )
    return (
        alt.layer(shapes, *_name_layers(names, tooltip=tips))
        .project(type="mercator")
        .properties(height=height_px, width=width_px, description=description or "Map of wards")
        .configure_view(strokeWidth=0)
    )


def static_map(
    rows: pl.DataFrame,
    *,
    value: str,
    breaks: list[float],
    title: str,
    reverse: bool = False,
    description: str = "",
    font_size: float = 9,
    min_font: float | None = None,
    max_width_px: int = 520,
    height_px: int = 560,
) -> alt.LayerChart:
    """The ward choropleth for the board pack and slides, where a map cannot be interactive: the app map's classes
    and colours at the largest size within max_width_px × height_px that keeps the wards' shape, each ward's name
    inside it as on the app's map (charts.map_labels.fit_names, at `font_size` down to `min_font`, by default no
    smaller; a ward too small for its name is left unnamed, and the papers' table names it)."""
    from charts.map_labels import fit_names, map_size

    width_px, height_px = map_size(rows["geometry"].to_list(), max_width=max_width_px, max_height=height_px)
    values = _map_values(rows, value=value, breaks=breaks, reverse=reverse, highlight=None)
    shapes = (
        alt.Chart(alt.Data(values=values))
        .mark_geoshape(stroke="#0B0C0C", strokeWidth=0.8)
        .encode(color=alt.Color("fill:N", scale=None))
    )
    fitted = fit_names(
        rows.select("ward_name", "geometry"),
        width=width_px,
        height=height_px,
        font_size=font_size,
        min_font=min_font or font_size,
    )
    names = pl.concat(
        [
            rows.select("ward_name"),
            fitted.select("label_lon", "label_lat", "label", "label_size"),
            _inks([v["fill"] for v in values]),
        ],
        how="horizontal",
    )
    return (
        alt.layer(shapes, *_name_layers(names))
        .project(type="mercator")
        .properties(width=width_px, height=height_px, title=title, description=description or title)
        .configure_view(strokeWidth=0)
    )
