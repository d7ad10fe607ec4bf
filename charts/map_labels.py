"""Ward names that stay inside their wards on the map. The map is drawn at a size set here (not the container's), so
Vega-Lite's Mercator projection fitted to that size is known in advance: each name is placed at its ward's pole of
inaccessibility (the point furthest inside it) at the largest type size from `font_size` down to `min_font`,
on one, two or three lines broken between words, whose box lies wholly inside the ward. A ward too small for its
name even so is left unlabelled and named by unlabelled(): the page says which, and its tooltip, the ranked chart
and the table still name it. Pure: shapely and Polars, no Streamlit."""

from __future__ import annotations

import json
import math

import polars as pl

# Advance widths of a bold sans-serif (Arial Bold's, in thousandths of an em). The app draws names in Source Sans,
# which is narrower, so a name measured with these fits with room to spare.
_WIDTHS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 &'’.,-()/",
        [556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611]
        + [556, 778, 556, 556, 500, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667]
        + [778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
        + [556] * 10
        + [278, 722, 238, 278, 278, 278, 333, 333, 333, 278],
        strict=True,
    )
)
WIDEST = 944  # a character not in the table counts as the widest there is
LINE_HEIGHT = 1.2  # lines of a name, in ems (the map's text mark is given the same)
PAD = 2  # px kept clear between a name's box and its ward's edge, each side


def text_width(text: str, size: float) -> float:
    """The width in px of `text` in bold at `size` px, by the widths above (an overestimate for Source Sans)."""
    return sum(_WIDTHS.get(c, WIDEST) for c in text) / 1000 * size


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """d3's Mercator at scale 1 (radians), y growing downwards as on screen."""
    return math.radians(lon), -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def inverse_mercator(x: float, y: float) -> tuple[float, float]:
    return math.degrees(x), math.degrees(2 * math.atan(math.exp(-y)) - math.pi / 2)


def _projected(geometry: dict):
    """A GeoJSON (multi)polygon as a shapely geometry in unit-scale Mercator coordinates."""
    import shapely
    from shapely.geometry import shape

    return shapely.transform(shape(geometry), lambda xy: [mercator(lon, lat) for lon, lat in xy])


def map_size(geometries: list[str], *, max_width: float, max_height: float) -> tuple[int, int]:
    """The map's width and height in px: the wards' shape at the largest size that fits within max_width ×
    max_height, so the projection fills the map with no margin on either axis."""
    from shapely.ops import unary_union

    x0, y0, x1, y1 = unary_union([_projected(json.loads(g)) for g in geometries]).bounds
    aspect = (x1 - x0) / (y1 - y0) if y1 > y0 else 1.0
    height = min(max_height, max_width / aspect)
    return max(1, math.floor(height * aspect)), max(1, math.floor(height))


def _line_splits(name: str):
    """The name on one line, then on two, then on three, broken only between words; the most even first."""
    words = name.split()
    yield [name]
    for n in (2, 3):
        cuts = []
        if len(words) >= n:
            if n == 2:
                cuts = [[words[:i], words[i:]] for i in range(1, len(words))]
            else:
                cuts = [
                    [words[:i], words[i:j], words[j:]]
                    for i in range(1, len(words) - 1)
                    for j in range(i + 1, len(words))
                ]
        splits = [[" ".join(part) for part in cut] for cut in cuts]
        yield from sorted(splits, key=lambda lines: max(len(line) for line in lines))


def fit_names(rows: pl.DataFrame, *, width: float, height: float, font_size: float, min_font: float) -> pl.DataFrame:
    """`rows` (ward_name, geometry as a GeoJSON string) with label_lon, label_lat (where the name goes), label (its
    lines joined by newlines, empty when it fits nowhere) and label_size (px; null when unlabelled), for a map of
    width × height px."""
    from shapely.geometry import box
    from shapely.ops import polylabel, unary_union

    shapes = [_projected(json.loads(g)) for g in rows["geometry"]]
    x0, y0, x1, y1 = unary_union(shapes).bounds
    scale = min(width / (x1 - x0), height / (y1 - y0))  # px per unit, as d3's fitSize works it out
    out = {"label_lon": [], "label_lat": [], "label": [], "label_size": []}
    for name, geometry in zip(rows["ward_name"], shapes, strict=True):
        pieces = list(getattr(geometry, "geoms", [geometry]))
        biggest = max(pieces, key=lambda p: p.area)  # a ward in several parts is named in its largest
        pole = polylabel(biggest, tolerance=0.25 / scale)
        inside = biggest.buffer(-PAD / scale)
        label, size = "", None
        font = font_size
        while font >= min_font and size is None:
            for lines in _line_splits(name):
                half_w = max(text_width(line, font) for line in lines) / 2 / scale
                half_h = len(lines) * font * LINE_HEIGHT / 2 / scale
                if inside.contains(box(pole.x - half_w, pole.y - half_h, pole.x + half_w, pole.y + half_h)):
                    label, size = "\n".join(lines), font
                    break
            font -= 1
        lon, lat = inverse_mercator(pole.x, pole.y)
        out["label_lon"].append(lon)
        out["label_lat"].append(lat)
        out["label"].append(label)
        out["label_size"].append(size)
    return rows.with_columns(
        pl.Series("label_lon", out["label_lon"], dtype=pl.Float64),
        pl.Series("label_lat", out["label_lat"], dtype=pl.Float64),
        pl.Series("label", out["label"], dtype=pl.String),
        pl.Series("label_size", out["label_size"], dtype=pl.Float64),
    )


def unlabelled(fitted: pl.DataFrame) -> list[str]:
    """The wards whose names fit nowhere inside them, A–Z."""
    return sorted(fitted.filter(pl.col("label_size").is_null())["ward_name"].to_list())
