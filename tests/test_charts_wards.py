"""The board pack's static ward map: rings wound for Vega's spherical geoshapes, checked by drawing it."""

from __future__ import annotations

import io
import json

import polars as pl
import vl_convert as vlc
from PIL import Image

from charts.wards import class_colours, spherical_winding, static_map

# A 0.02° square near Bury, outer ring anticlockwise as RFC 7946 GeoJSON (and ONS files) wind it.
SQUARE_ACW = [[-2.32, 53.58], [-2.30, 53.58], [-2.30, 53.60], [-2.32, 53.60], [-2.32, 53.58]]
HOLE_CW = [[-2.315, 53.585], [-2.315, 53.595], [-2.305, 53.595], [-2.305, 53.585], [-2.315, 53.585]]


def test_outer_rings_become_clockwise_and_holes_anticlockwise():
    fixed = spherical_winding({"type": "Polygon", "coordinates": [SQUARE_ACW, HOLE_CW]})
    assert fixed["coordinates"][0] == SQUARE_ACW[::-1]  # outer ring reversed
    assert fixed["coordinates"][1] == HOLE_CW[::-1]  # hole reversed to anticlockwise
    again = spherical_winding(fixed)
    assert again == fixed  # already right: unchanged
    multi = spherical_winding({"type": "MultiPolygon", "coordinates": [[SQUARE_ACW], [SQUARE_ACW[::-1]]]})
    assert multi["coordinates"] == [[SQUARE_ACW[::-1]], [SQUARE_ACW[::-1]]]


def test_the_map_fills_the_wards_and_not_the_whole_frame():
    east = [[x + 0.02, y] for x, y in SQUARE_ACW]
    rows = pl.DataFrame(
        {
            "ward_name": ["West", "East"],
            "lon": [-2.31, -2.29],
            "lat": [53.59, 53.59],
            "geometry": [json.dumps({"type": "Polygon", "coordinates": [ring]}) for ring in (SQUARE_ACW, east)],
            "shade": [10.0, 30.0],
        }
    )
    spec = static_map(rows, value="shade", breaks=[10.0, 30.0], title="Test map").to_dict()
    image = Image.open(io.BytesIO(vlc.vegalite_to_png(json.dumps(spec)))).convert("RGB")
    width, height = image.size
    light, dark = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in class_colours(2))
    # The frame's corners are background; a point inside each ward away from its label has the ward's class colour.
    assert image.getpixel((3, height - 3)) == (255, 255, 255)
    assert image.getpixel((width - 3, height - 3)) == (255, 255, 255)
    middle = height // 2 + 60
    assert image.getpixel((width // 4, middle)) == light
    assert image.getpixel((3 * width // 4, middle)) == dark


def test_an_indicator_chart_has_one_legend_for_its_comparators():
    """The comparators' lines and crosses share one key ("Comparator · North West" appeared twice)."""
    from datetime import date

    import polars as pl

    from charts.spc import indicator_chart
    from metrics.spc import spc

    ends = [date(2024, m, 28) for m in range(1, 13)]
    series = spc(
        pl.LazyFrame(
            {"period_end": ends, "period_label": [f"{d:%b %Y}" for d in ends], "value": [float(v) for v in range(12)]}
        )
    ).collect()
    comps = pl.DataFrame(
        {
            "period_end": ends,
            "period_label": [f"{d:%b %Y}" for d in ends],
            "value": [5.0] * 12,
            "area_name": ["North West"] * 12,
        }
    )
    spec = indicator_chart(series, title=None, unit="percent", decimals=0, target=None, comparators=comps).to_dict()
    legends = [
        layer["encoding"]["color"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {}) and layer["encoding"]["color"].get("field") == "area_name"
    ]
    assert len(legends) == 2 and sum(c.get("legend", {}) is not None for c in legends) == 1
