"""ONS ward boundaries (GeoJSON) into the `wards` table: `python -m ingest wards FILE --la CODE`.

Reads ONS files (properties WDyyCD / WDyyNM / LADyyCD / LONG / LAT) and re-publishers' files (area_code /
area_name / local_authority_area_code / lon / lat, where lon and lat may be strings). Keeps the LA's wards, checks
they are exactly the wards the snapshot already knows, simplifies the polygons to keep the page light, and writes
a new snapshot whose other tables are copied from the base snapshot. Every problem is reported at once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

CODE_KEYS = (re.compile(r"^wd\d{2}cd$", re.I), re.compile(r"^area_code$", re.I))
NAME_KEYS = (re.compile(r"^wd\d{2}nm$", re.I), re.compile(r"^area_name$", re.I))
LA_KEYS = (re.compile(r"^lad\d{2}cd$", re.I), re.compile(r"^local_authority_area_code$", re.I))
LON_KEYS = (re.compile(r"^long?$", re.I),)
LAT_KEYS = (re.compile(r"^lat$", re.I),)
TOLERANCE = 0.00015  # degrees, about 10–15 m: invisible at borough zoom, far fewer points


@dataclass
class Ward:
    code: str
    name: str
    lon: float
    lat: float
    geometry: str


def _key(props: dict, patterns) -> str | None:
    for pattern in patterns:
        for k in props:
            if pattern.match(k):
                return k
    return None


def _perpendicular(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify_line(points: list, tolerance: float) -> list:
    """Douglas–Peucker: drop points closer than `tolerance` to the line through their neighbours' span."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, None
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify_ring(ring: list, tolerance: float = TOLERANCE) -> list:
    """A closed ring simplified, still closed and with at least four points (a triangle)."""
    out = simplify_line([[round(x, 6), round(y, 6)] for x, y, *_ in ring], tolerance)
    if len(out) < 4:
        return [[round(x, 6), round(y, 6)] for x, y, *_ in ring]
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _simplify(geometry: dict) -> dict:
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [simplify_ring(r) for r in geometry["coordinates"]]}
    return {
        "type": "MultiPolygon",
        "coordinates": [[simplify_ring(r) for r in poly] for poly in geometry["coordinates"]],
    }


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    return [r for poly in geometry["coordinates"] for r in poly]


def read_wards(path: Path, la_code: str) -> tuple[list[Ward], list[str]]:
    """The LA's wards from a GeoJSON file, and every problem found (file, feature, property, value, expectation)."""
    problems: list[str] = []
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], [f"{path}: not a readable GeoJSON file ({exc})"]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return [], [f"{path}: expected a GeoJSON FeatureCollection"]
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs and "CRS84" not in crs and "4326" not in crs:
        problems.append(f"{path}: coordinate reference system is {crs}; expected WGS84 longitude/latitude (CRS84)")
    wards: list[Ward] = []
    for n, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") or {}
        code_key, name_key, la_key = _key(props, CODE_KEYS), _key(props, NAME_KEYS), _key(props, LA_KEYS)
        where = f"{path}: feature {n}"
        if code_key is None or name_key is None:
            problems.append(
                f"{where}: no ward code/name property (expected WDyyCD and WDyyNM, or area_code and "
                f"area_name); found {sorted(props)}"
            )
            continue
        if la_key is not None and props[la_key] != la_code:
            continue
        code, name = str(props[code_key]), str(props[name_key])
        if not re.match(r"^[EWSN]05\d{6}$", code):
            problems.append(f"{where}, {code_key}: '{code}' is not a ward GSS code (E05…)")
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(
                f"{where} ({code}), geometry: type {geometry.get('type')!r}, expected Polygon or MultiPolygon"
            )
            continue
        points = [p for r in _rings(geometry) for p in r]
        if not points or any(not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in points):
            problems.append(f"{where} ({code}), geometry: coordinates are not longitude/latitude in degrees")
            continue
        lon_key, lat_key = _key(props, LON_KEYS), _key(props, LAT_KEYS)
        try:
            lon = float(props[lon_key]) if lon_key else sum(p[0] for p in points) / len(points)
            lat = float(props[lat_key]) if lat_key else sum(p[1] for p in points) / len(points)
        except (TypeError, ValueError):
            problems.append(
                f"{where} ({code}), {lon_key}/{lat_key}: '{props.get(lon_key)}'/'{props.get(lat_key)}' are not numbers"
            )
            continue
        wards.append(Ward(code, name, lon, lat, json.dumps(_simplify(geometry), separators=(",", ":"))))
    seen: dict[str, int] = {}
    for w in wards:
        seen[w.code] = seen.get(w.code, 0) + 1
    problems += [f"{path}: ward {c} appears {k} times" for c, k in seen.items() if k > 1]
    if not wards and not problems:
        problems.append(f"{path}: no wards of local authority {la_code} in the file")
    return wards, problems


def wards_table(wards: list[Ward], extra: dict[str, dict]):
    """The `wards` table from boundary-file wards, with town and deprivation decile from `extra` (by code)."""
    import polars as pl

    from metrics.schema import TABLES

    return pl.DataFrame(
        [
            {
                "ward_code": w.code,
                "ward_name": w.name,
                "town": extra.get(w.code, {}).get("town", ""),
                "lon": w.lon,
                "lat": w.lat,
                "geometry": w.geometry,
                "geometry_source": "ons",
                "imd_decile": extra.get(w.code, {}).get("imd_decile"),
            }
            for w in sorted(wards, key=lambda w: w.code)
        ],
        schema=TABLES["wards"].columns,
    )
