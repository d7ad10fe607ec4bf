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

from ingest.problems import Problem

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


MAX_FILE_BYTES = 300 * 1024 * 1024  # the UK generalised ward file is tens of MB
MAX_POINTS = 100_000  # per ward before simplification; real generalised outlines have hundreds to a few thousand


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _shape_problem(geometry) -> str | None:
    """Why a GeoJSON geometry is not a usable Polygon or MultiPolygon of [lon, lat] positions (None when it is)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return f"type {kind!r}, expected Polygon or MultiPolygon"
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        return "no coordinates"
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "a polygon that is not a list of rings"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return "a ring with fewer than four positions (a closed triangle at least)"
            for position in ring:
                if not isinstance(position, list | tuple) or len(position) < 2:
                    return f"a position {str(position)[:40]!r} that is not [longitude, latitude]"
                lon, lat = position[0], position[1]
                if not (_is_number(lon) and _is_number(lat)):
                    return f"a position {str(position)[:40]!r} whose coordinates are not numbers"
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    return "coordinates are not longitude/latitude in degrees"
            count += len(ring)
    if count > MAX_POINTS:
        return f"{count:,} points, more than the {MAX_POINTS:,} a ward outline may have (use a generalised file, BGC)"
    return None


def _rounded(coords) -> list:
    return [[round(x, 6), round(y, 6)] for x, y, *_ in coords]


def simplify_ring(ring: list, tolerance: float = TOLERANCE) -> list:
    """A closed ring simplified (Douglas–Peucker, GEOS through shapely), still closed and with at least four points;
    a ring that would collapse is kept as it was."""
    from shapely.geometry import LinearRing

    out = _rounded(LinearRing([p[:2] for p in ring]).simplify(tolerance, preserve_topology=True).coords)
    if len(out) < 4:
        return _rounded(ring)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _simplify(geometry: dict) -> dict:
    """The ward's outline simplified by GEOS with its topology kept (no self-crossing, holes inside their shell)."""
    from shapely.geometry import mapping, shape

    simple = mapping(shape(geometry).simplify(TOLERANCE, preserve_topology=True))
    polygons = [simple["coordinates"]] if simple["type"] == "Polygon" else simple["coordinates"]
    rounded = [[_rounded(ring) for ring in polygon] for polygon in polygons]
    if simple["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": rounded[0]}
    return {"type": "MultiPolygon", "coordinates": rounded}


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    return [r for poly in geometry["coordinates"] for r in poly]


def read_wards(path: Path, la_code: str) -> tuple[list[Ward], list[Problem]]:
    """The LA's wards from a GeoJSON file, and every problem found (file, feature, property, value, expectation)."""
    problems: list[Problem] = []
    path = Path(path)
    file = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [Problem(file, f"{size >> 20} MB, more than the {MAX_FILE_BYTES >> 20} MB a ward file may be")]
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return [], [Problem(file, f"not a readable GeoJSON file ({exc})")]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return [], [Problem(file, "expected a GeoJSON FeatureCollection")]
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs and "CRS84" not in crs and "4326" not in crs:
        problems.append(Problem(file, "WGS84 longitude/latitude (CRS84)", column="crs", value=crs))
    wards: list[Ward] = []
    for n, feature in enumerate(doc["features"], start=1):
        if not isinstance(feature, dict):
            problems.append(
                Problem(file, f"{str(feature)[:40]!r} is not a GeoJSON feature (an object)", f"feature {n}")
            )
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(Problem(file, "an object of properties", f"feature {n}", "properties", str(props)[:40]))
            continue
        code_key, name_key, la_key = _key(props, CODE_KEYS), _key(props, NAME_KEYS), _key(props, LA_KEYS)
        where = f"feature {n}"
        if code_key is None or name_key is None:
            problems.append(
                Problem(
                    file,
                    "no ward code/name property (expected WDyyCD and WDyyNM, or area_code and area_name); found "
                    f"{sorted(props)}",
                    where,
                )
            )
            continue
        if la_key is not None and props[la_key] != la_code:
            continue
        code, name = str(props[code_key]), str(props[name_key])
        if not re.match(r"^[EWSN]05\d{6}$", code):
            problems.append(Problem(file, "a ward GSS code (E05…)", where, code_key, code))
        geometry = feature.get("geometry") or {}
        shape_problem = _shape_problem(geometry)
        if shape_problem:
            problems.append(Problem(file, shape_problem, f"{where} ({code})", "geometry"))
            continue
        points = [p for r in _rings(geometry) for p in r]
        lon_key, lat_key = _key(props, LON_KEYS), _key(props, LAT_KEYS)
        try:
            lon = float(props[lon_key]) if lon_key else sum(p[0] for p in points) / len(points)
            lat = float(props[lat_key]) if lat_key else sum(p[1] for p in points) / len(points)
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            problems.append(
                Problem(
                    file,
                    "a longitude and latitude in degrees",
                    f"{where} ({code})",
                    f"{lon_key}/{lat_key}",
                    f"{props.get(lon_key)}/{props.get(lat_key)}",
                )
            )
            continue
        wards.append(Ward(code, name, lon, lat, json.dumps(_simplify(geometry), separators=(",", ":"))))
    seen: dict[str, int] = {}
    for w in wards:
        seen[w.code] = seen.get(w.code, 0) + 1
    problems += [Problem(file, f"ward {c} appears {k} times") for c, k in seen.items() if k > 1]
    if not wards and not problems:
        problems.append(Problem(file, f"no wards of local authority {la_code} in the file"))
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
