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


def test_a_ward_is_coloured_in_the_class_its_shown_rate_falls_in_and_no_label_overlaps_the_next():
    """The key's bounds are given to one decimal place, as the tables give each ward's rate: a rate of 40.43, shown
    as 40.4, is in the class "27.1 to 40.4", not the next (which begins at 40.5); 63.63, shown as 63.6, likewise."""
    from charts.wards import class_of, legend
    from metrics.wards import class_breaks

    rates = [20.0, 27.0, 33.3, 40.43, 45.0, 53.9, 58.0, 63.63, 70.0, 73.66]
    breaks = class_breaks(rates)
    assert breaks == [27.0, 40.4, 53.9, 63.6, 73.7]
    assert [class_of(r, breaks) for r in rates] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert class_of(40.45, breaks) == 2  # shown as 40.5: the next class
    spec = legend(breaks, title="EHC plans per 1,000").to_dict()
    labels = spec["encoding"]["x"]["sort"]
    assert labels == ["up to 27.0", "27.1 to 40.4", "40.5 to 53.9", "54.0 to 63.6", "63.7 to 73.7"]


def test_a_long_service_name_in_the_heat_table_goes_on_two_lines_and_keeps_its_month():
    """The papers' heat table cut "Child and adolescent mental health services (CAMHS), Jun 2025" short at the
    bracket, hiding the one month that differed from the others'; it is now broken onto two lines, whole."""
    from charts.waits import heat

    cells = pl.DataFrame(
        {
            "service_name": [
                "Child and adolescent mental health services (CAMHS), Jun 2025",
                "Physiotherapy, Jul 2025",
            ],
            "area_name": ["Bury", "Bury"],
            "label": ["69%\n8th", "71%\n7th"],
            "quarter": [3, 3],
        },
        schema_overrides={"quarter": pl.Int8},
    )
    spec = heat(cells, area="Bury").to_dict()
    spec["width"] = 500  # "container" in the app and the papers: a width of its own here
    svg = vlc.vegalite_to_svg(spec)
    assert ">Child and adolescent mental health services<" in svg and ">(CAMHS), Jun 2025<" in svg
    assert ">Physiotherapy, Jul 2025<" in svg and "…" not in svg
