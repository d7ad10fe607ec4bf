"""Board-mode charts: ward names inside their wards and legible on every fill, phase lines told apart without
colour, the risk grid in the register's red, amber and green with words, and nothing cut short."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
from shapely.geometry import box, shape

from charts.map_labels import LINE_HEIGHT, fit_names, map_size, mercator, text_width, unlabelled
from charts.palette import RAG_FILL, contrast, ink_on, readable
from charts.plan import risk_grid_chart
from charts.wards import class_colours, trend_chart, ward_map


def square(lon: float, lat: float, side: float) -> str:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def wards() -> pl.DataFrame:
    """A big square ward, and a sliver (0.002° high, 0.04° wide) too thin for any name at 9 px on a 400 px map."""
    return pl.DataFrame(
        {
            "ward_code": ["W1", "W2"],
            "ward_name": ["Big Ward With A Long Name", "Sliver"],
            "geometry": [
                square(-2.34, 53.56, 0.04),
                json.dumps(
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[-2.30, 53.56], [-2.26, 53.56], [-2.26, 53.562], [-2.30, 53.562], [-2.30, 53.56]]
                        ],
                    }
                ),
            ],
            "shade": [10.0, 30.0],
            "rate_text": ["10.0", "30.0"],
        }
    )


def test_a_name_is_placed_wholly_inside_its_ward_or_not_at_all():
    rows = wards()
    width, height = map_size(rows["geometry"].to_list(), max_width=400, max_height=400)
    fitted = fit_names(rows, width=width, height=height, font_size=15, min_font=9)
    big = fitted.row(0, named=True)
    assert big["label_size"] is not None and big["label_size"] <= 15
    # The label's box, in the map's px, lies inside the ward's outline projected the same way.
    ward = shape(json.loads(rows["geometry"][0]))
    xs, ys = zip(*(mercator(x, y) for x, y in ward.exterior.coords), strict=True)
    all_x = [mercator(x, 53.6)[0] for x in (-2.34, -2.26)]
    scale = min(width / (all_x[1] - all_x[0]), height / (max(ys) - min(ys)))
    cx, cy = mercator(big["label_lon"], big["label_lat"])
    lines = big["label"].split("\n")
    half_w = max(text_width(line, big["label_size"]) for line in lines) / 2 / scale
    half_h = len(lines) * big["label_size"] * LINE_HEIGHT / 2 / scale
    assert box(min(xs), min(ys), max(xs), max(ys)).contains(box(cx - half_w, cy - half_h, cx + half_w, cy + half_h))
    # The sliver is 0.002° of latitude high: at most 400 / 0.08° ≈ 5,000 px per degree, about 10 px, less than one
    # 9 px line (10.8 px with its line height) plus 2 px each side, so it is left unlabelled and named for the page.
    assert unlabelled(fitted) == ["Sliver"]


def test_map_names_read_on_every_class_colour():
    """Each name's ink is dark or white, whichever reads on its ward's fill at 4.5:1 or better."""
    for fill in [*class_colours(5), "#E0E0E0"]:
        assert contrast(ink_on(fill), fill) >= 4.5, fill
    spec = ward_map(wards(), value="shade", breaks=[10.0, 30.0], tooltip=[("rate_text", "Rate")]).to_dict()
    names = [d for key, d in spec["datasets"].items() if d and "ink" in d[0]]
    assert names, "the names' dataset carries each name's ink"
    fills = {v["ward_name"]: v["fill"] for layer in spec["layer"] for v in layer.get("data", {}).get("values", [])}
    assert len(names[0]) == 1  # the sliver has no name drawn
    for row in names[0]:
        assert contrast(row["ink"], fills[row["ward_name"]]) >= 4.5
    # White on the darkest class: the old code drew every name dark (#0B0C0C on #092135 is 1.2:1).
    assert ink_on(class_colours(5)[-1]) == "#FFFFFF"


def test_every_phase_line_has_its_own_dash_and_shape():
    months = [date(2025, m, 28) for m in (7, 8, 9)]
    phases = {"all": "All phases", "primary": "Primary", "secondary": "Secondary"}
    rows = pl.DataFrame(
        {"phase": [p for p in phases for _ in months], "period_end": months * 3, "rate": [1.0 * i for i in range(9)]}
    )
    spec = trend_chart(rows, label="EHC plans", phase_labels=phases).to_dict()
    dashes = next(
        layer["encoding"]["strokeDash"]["scale"]["range"]
        for layer in spec["layer"]
        if "strokeDash" in layer["encoding"]
    )
    shapes = next(
        layer["encoding"]["shape"]["scale"]["range"] for layer in spec["layer"] if "shape" in layer["encoding"]
    )
    assert len({json.dumps(d) for d in dashes}) == 3 and len(set(shapes)) == 3
    x_axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert x_axis["format"] == "%b %y" and x_axis["labelAngle"] == 0  # "Sep 25", never rotated


def test_the_risk_grid_uses_the_registers_red_amber_green_with_words():
    grid = pl.DataFrame(
        {
            "likelihood": [1, 3, 5],
            "severity": [1, 3, 5],
            "score": [1, 9, 25],
            "band": ["low", "medium", "high"],
            "n": [0, 1, 2],
            "label": ["", "R1", "R2 R3"],
            "refs": [[], ["R1"], ["R2", "R3"]],
        }
    )
    spec = readable(risk_grid_chart(grid).to_dict())
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"]["range"] == [RAG_FILL["Green"], RAG_FILL["Amber"], RAG_FILL["Red"]]
    assert colour["legend"]["values"] == ["Green: low (1–6)", "Amber: medium (8–12)", "Red: high (15–25)"]
    # The band's word and score are written in each cell: 1 low, 9 medium, 25 high.
    band_text = [layer for layer in spec["layer"] if layer["encoding"].get("text", {}).get("field") == "band_text"]
    assert band_text
    data = next(iter(spec["datasets"].values()))
    assert [r["band_text"] for r in data] == ["Low · 1", "Medium · 9", "High · 25"]
    # No label is cut short: every axis and the legend show labels whole, at 16 px or more.
    assert spec["config"]["axis"]["labelLimit"] == 0 and spec["config"]["legend"]["labelLimit"] == 0
    for layer in spec["layer"]:
        for channel in ("x", "y"):
            axis = layer["encoding"].get(channel, {}).get("axis") or {}
            assert axis.get("labelLimit", 0) == 0 and axis.get("labelFontSize", 16) >= 16


def test_benchmark_percentages_read_as_percentages_and_the_area_label_stays_on_the_strip():
    """A percentage axis reads "16%", not "16.0"; the area's name at the top end of the strip is right-aligned so
    it ends at its diamond rather than running past the chart's edge."""
    import vl_convert as vlc

    from charts.benchmarks import strip

    dist = pl.DataFrame(
        {
            "name": ["A", "B", "C", "Testshire"],
            "value": [4.0, 8.0, 12.0, 16.0],
            "group": ["other", "other", "system", "area"],
        }
    )
    spec = strip(dist, area="Testshire", unit_title="Percent (%)", decimals=1).to_dict()
    spec["width"] = 600
    svg = vlc.vegalite_to_svg(spec)
    # Ticks at 4, 6, …, 16 (Vega's nice steps of 2 over 4–16): each written with its per cent sign.
    assert ">16%<" in svg and ">4%<" in svg and ">16.0<" not in svg
    label = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert label["mark"]["align"] == "right"  # 16 is the top of 4–16: (16 − 4) / 12 = 1.0 > 0.8


def test_a_funnel_names_only_the_area_and_the_outliers():
    """Forty providers bunched inside the funnel would bury each other's names: only the area and the points
    outside the 95% limits are named, and the axis reads "70%", not "70"."""
    from charts.waits import funnel_chart
    from metrics.waits import funnel

    # 20 organisations of 200 children: 18 at 70% (inside), one at 95% and one at 40%. Pooled p = (18 × 140 + 190 +
    # 80) / 4,000 = 2,790 / 4,000 = 69.75%; 95% limits at n = 200: 69.75 ± 1.96 × √(0.6975 × 0.3025 / 200) × 100
    # = 69.75 ± 6.37, about 63.4 to 76.1, so 95% and 40% are outliers and 70% is not.
    names = [f"Org {i}" for i in range(20)]
    pct = [70.0] * 18 + [95.0, 40.0]
    league = pl.DataFrame(
        {
            "area_name": names,
            "pct": pct,
            "waiting_total": [200] * 20,
            "pooled_pct": [69.75] * 20,
        }
    )
    spec = funnel_chart(league, funnel(league), area="Org 3", reference="England figure").to_dict()
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    named = sorted(r["area_name"] for r in spec["datasets"][text["data"]["name"]])
    assert named == ["Org 18", "Org 19", "Org 3"]
    y_axis = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")["encoding"]["y"]["axis"]
    assert "'%'" in y_axis["labelExpr"]
