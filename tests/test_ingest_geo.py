"""`python -m ingest wards`: ONS and re-published GeoJSON into a new snapshot; bad files listed and refused."""

from __future__ import annotations

import json

import pytest

from ingest.__main__ import main as ingest_main
from ingest.demo_facts import WARDS
from ingest.geo import read_wards, simplify_ring
from metrics.snapshot import list_snapshots, open_snapshot, scan_table, sha256_file


def square(lon: float, lat: float, size: float = 0.01, points_per_side: int = 10) -> list:
    """A closed square ring with extra collinear points on each side (which simplification should drop)."""
    corners = [(lon - size, lat - size), (lon + size, lat - size), (lon + size, lat + size), (lon - size, lat + size)]
    ring = []
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):
        for k in range(points_per_side):
            ring.append([x1 + (x2 - x1) * k / points_per_side, y1 + (y2 - y1) * k / points_per_side])
    return [*ring, ring[0]]


def ons_style(drop: set[str] = frozenset(), extra: list | None = None) -> dict:
    """An ONS-style file (WD23CD, WD23NM, LAD23CD, LONG, LAT numbers), Bury's 17 wards plus one Manchester ward."""
    feats = []
    for i, (code, name, _town, lon, lat) in enumerate(WARDS):
        if code in drop:
            continue
        geom = {"type": "Polygon", "coordinates": [square(lon, lat)]}
        if i == 0:  # one ward as a MultiPolygon of two squares
            geom = {"type": "MultiPolygon", "coordinates": [[square(lon, lat)], [square(lon + 0.03, lat, 0.004)]]}
        feats.append(
            {
                "type": "Feature",
                "properties": {"WD23CD": code, "WD23NM": name, "LAD23CD": "E08000002", "LONG": lon, "LAT": lat},
                "geometry": geom,
            }
        )
    feats.append(
        {
            "type": "Feature",
            "properties": {
                "WD23CD": "E05011350",
                "WD23NM": "Ancoats & Beswick",
                "LAD23CD": "E08000003",
                "LONG": -2.2,
                "LAT": 53.48,
            },
            "geometry": {"type": "Polygon", "coordinates": [square(-2.2, 53.48)]},
        }
    )
    return {"type": "FeatureCollection", "features": feats + (extra or [])}


def republished_style() -> dict:
    """Trafford Data Lab's re-publication: area_code / area_name / local_authority_area_code, lon/lat as strings."""
    doc = ons_style()
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {
            "area_code": p["WD23CD"],
            "area_name": p["WD23NM"],
            "lon": str(p["LONG"]),
            "lat": str(p["LAT"]),
            "local_authority_area_code": p["LAD23CD"],
        }
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return doc


@pytest.fixture
def root(tmp_path, demo_copy):
    return demo_copy("2025-10-31", root=tmp_path / "snapshots")


def write(tmp_path, doc, name="wards.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("style", [ons_style, republished_style])
def test_loads_the_las_wards_into_a_new_snapshot(tmp_path, root, style):
    path = write(tmp_path, style())
    before = {f.name: sha256_file(f) for f in (root / "2025-10-31").iterdir()}
    assert ingest_main(["wards", str(path), "--la", "E08000002", "--out", str(root), "--as-at", "2025-11-15"]) == 0
    assert {f.name: sha256_file(f) for f in (root / "2025-10-31").iterdir()} == before  # base untouched
    snap = open_snapshot(root / "2025-11-15")
    wards = scan_table(snap, "wards").collect().sort("ward_code")
    assert wards.height == 17 and set(wards["geometry_source"]) == {"ons"}
    assert wards["town"].to_list()[:2] == ["Whitefield", "Bury"]  # kept from the base snapshot
    first = json.loads(wards["geometry"][0])
    assert first["type"] == "MultiPolygon" and len(first["coordinates"]) == 2
    ring = json.loads(wards["geometry"][1])["coordinates"][0]
    assert len(ring) == 5  # 41 points on a square simplify to its 4 corners, closed
    assert (
        scan_table(snap, "ward_demand")
        .collect()
        .equals(scan_table(open_snapshot(root / "2025-10-31"), "ward_demand").collect())
    )
    names = [s["name"] for s in snap.manifest["sources"]]
    assert names[-1] == "ONS ward boundaries" and snap.manifest["sources"][-1]["sha256"] == sha256_file(path)


def test_missing_ward_and_bad_geometry_are_all_reported_and_nothing_written(tmp_path, root, capsys):
    bad = ons_style(drop={"E05014160"})
    bad["features"][3]["geometry"] = {"type": "Point", "coordinates": [-2.3, 53.6]}
    bad["features"][4]["properties"]["LONG"] = "west"
    path = write(tmp_path, bad)
    assert ingest_main(["wards", str(path), "--la", "E08000002", "--out", str(root), "--as-at", "2025-11-15"]) == 1
    err = capsys.readouterr().err
    assert "Nothing was written" in err
    assert "column 'geometry': type 'Point', expected Polygon or MultiPolygon" in err
    assert "column 'LONG/LAT': value 'west/" in err
    assert "ward(s) of E08000002 missing" in err and "E05014160" in err
    assert [p.name for p in list_snapshots(root)] == ["2025-10-31"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not a readable GeoJSON file"),
        ('{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": [{"properties": {"name": "x"}, "geometry": null}]}',
            "no ward code/name property",
        ),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "x.geojson"
    path.write_text(content)
    wards, problems = read_wards(path, "E08000002")
    assert wards == [] and any(message in p for p in problems)


def test_existing_date_is_refused(tmp_path, root, capsys):
    path = write(tmp_path, ons_style())
    assert ingest_main(["wards", str(path), "--la", "E08000002", "--out", str(root), "--as-at", "2025-10-31"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_simplify_keeps_shape_and_closure():
    ring = square(0.0, 0.0)
    out = simplify_ring(ring)
    assert out[0] == out[-1] and len(out) == 5
    assert {tuple(p) for p in out} == {(-0.01, -0.01), (0.01, -0.01), (0.01, 0.01), (-0.01, 0.01)}


def test_app_labels_ons_boundaries(tmp_path, root, monkeypatch):
    from tests.pages_helper import app

    path = write(tmp_path, ons_style())
    assert ingest_main(["wards", str(path), "--la", "E08000002", "--out", str(root), "--as-at", "2025-11-15"]) == 0
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(root))
    at = app().run()
    at.switch_page("pages/ward_demand.py").run()
    assert not at.exception
    assert any("Ward boundaries: ONS" in c.value for c in at.caption)
