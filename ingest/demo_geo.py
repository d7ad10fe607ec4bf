"""Approximate ward shapes for the demo: Voronoi cells of the real ward centroids, clipped to a rounded outline.

Real boundaries come from ONS files through `python -m ingest wards`; these shapes only let the demo map draw
without committing anyone's boundary file, and the app labels them "approximate shapes".
"""

from __future__ import annotations

import json
import math

Point = tuple[float, float]


def _convex_hull(points: list[Point]) -> list[Point]:
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _outline(points: list[Point], margin: float, corners_per_vertex: int = 6) -> list[Point]:
    """A convex outline: the hull of circles of radius `margin` around the hull's vertices (counter-clockwise)."""
    ring: list[Point] = []
    for x, y in _convex_hull(points):
        for k in range(corners_per_vertex * 4):
            a = 2 * math.pi * k / (corners_per_vertex * 4)
            ring.append((x + margin * math.cos(a), y + margin * math.sin(a)))
    return _convex_hull(ring)


def _clip(poly: list[Point], a: Point, b: Point) -> list[Point]:
    """Keep the part of a convex polygon nearer to `a` than to `b` (Sutherland–Hodgman on the bisector)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = b[0] - a[0], b[1] - a[1]

    def inside(p: Point) -> bool:
        return (p[0] - mx) * nx + (p[1] - my) * ny <= 0

    def cut(p: Point, q: Point) -> Point:
        dp = (p[0] - mx) * nx + (p[1] - my) * ny
        dq = (q[0] - mx) * nx + (q[1] - my) * ny
        t = dp / (dp - dq)
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    out: list[Point] = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        if inside(p):
            out.append(p)
            if not inside(q):
                out.append(cut(p, q))
        elif inside(q):
            out.append(cut(p, q))
    return out


def voronoi_wards(centroids: dict[str, Point], margin_km: float = 1.6) -> dict[str, str]:
    """GeoJSON Polygon (as a string) per ward code, from lon/lat centroids; computed in a local flat projection."""
    lat0 = sum(p[1] for p in centroids.values()) / len(centroids)
    kx = 111.32 * math.cos(math.radians(lat0))
    ky = 110.57
    flat = {code: (lon * kx, lat * ky) for code, (lon, lat) in centroids.items()}
    outline = _outline(list(flat.values()), margin_km)
    shapes = {}
    for code, p in flat.items():
        cell = outline
        for other, q in flat.items():
            if other != code:
                cell = _clip(cell, p, q)
        ring = [[round(x / kx, 5), round(y / ky, 5)] for x, y in cell]
        ring.append(ring[0])
        shapes[code] = json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))
    return shapes
