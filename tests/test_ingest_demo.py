"""The demo generator is deterministic and the committed snapshots are exactly what it writes."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingest.demo import SNAPSHOT_DATES, allocate, build_tables, write_demo
from ingest.demo_facts import GM_LOCALITIES
from ingest.reference import MEASURES as REFERENCE_MEASURES
from metrics.schema import TABLES
from metrics.snapshot import list_snapshots, open_snapshot, scan_table, sha256_file


def test_regenerated_demo_is_identical_to_the_committed_snapshots(demo_root, tmp_path):
    write_demo(tmp_path)
    committed = list_snapshots(demo_root)
    assert [p.name for p in committed] == [d.isoformat() for d in reversed(SNAPSHOT_DATES)]
    for path in committed:
        fresh = tmp_path / path.name
        for f in sorted(path.iterdir()):
            assert sha256_file(f) == sha256_file(fresh / f.name), f"{path.name}/{f.name} differs from a fresh build"


def test_every_committed_snapshot_verifies_and_is_demo(demo_root):
    for path in list_snapshots(demo_root):
        snap = open_snapshot(path)
        assert snap.demo is True
        for name in TABLES:
            assert scan_table(snap, name).collect().height > 0, f"{path.name}: {name} is empty"


def test_each_snapshot_holds_only_what_was_known_at_its_date():
    june, october = build_tables(date(2025, 6, 30)), build_tables(date(2025, 10, 31))

    def last(tables, kpi_id):
        v = tables["kpi_values"].filter((pl.col("kpi_id") == kpi_id) & (pl.col("area_code") == "E08000002"))
        return v["period_end"].max()

    assert last(june, "ehcp_20wk_month_pct") == date(2025, 5, 31)  # one month's lag
    assert last(october, "ehcp_20wk_month_pct") == date(2025, 9, 30)
    assert last(june, "wait_u18_salt_pct") == date(2025, 3, 31)  # three months' lag
    assert last(october, "wait_u18_salt_pct") == date(2025, 7, 31)
    assert june["ward_demand"]["period_end"].max() == date(2025, 5, 31)
    assert june["commentary"]["written"].max() <= date(2025, 6, 30)


def test_every_workstream_and_phase_is_populated(demo_tables):
    cat = demo_tables["kpi_catalogue"]
    assert set(cat["workstream"]) >= {
        "PIP1",
        "PIP2",
        "PIP3",
        "PIP4",
        "PIP5",
        "PIP6.1",
        "PIP6.2",
        "AFI1",
        "AFI2",
        "AFI3",
    }
    assert 30 <= cat.height - cat.filter(pl.col("kpi_id").is_in(list(REFERENCE_MEASURES))).height <= 40
    assert set(REFERENCE_MEASURES) <= set(cat["kpi_id"])  # the DfE measures of the committed extract
    phases = set(demo_tables["kpi_values"]["phase"])
    assert phases == {"all", "early_years", "primary", "secondary", "post16", "post19"}
    comparators = set(demo_tables["kpi_values"].filter(pl.col("kpi_id") == "ehcp_20wk_pct")["area_code"])
    assert {"E92000001", "E12000002", *GM_LOCALITIES} <= comparators  # England, North West, the 10 GM authorities
    assert len([c for c in comparators if c[:3] in ("E06", "E08", "E09", "E10")]) >= 150  # and every English LA
    waits = demo_tables["waiting_times"]
    assert waits.select(pl.col("area_code").n_unique()).item() == 10 and waits["service"].n_unique() == 5


def test_demo_uses_roles_never_names(demo_tables):
    roles = set(demo_tables["actions"]["owner_role"]) | set(demo_tables["risks"]["owner_role"])
    roles |= set(demo_tables["commentary"]["author_role"])
    words = ("lead", "manager", "director", "head", "officer", "psychologist")
    assert all(any(w in r.lower() for w in words) for r in roles), roles


def test_approximate_ward_shapes_are_valid_polygons_around_their_centroids(demo_tables):
    import json

    for r in demo_tables["wards"].iter_rows(named=True):
        geom = json.loads(r["geometry"])
        ring = geom["coordinates"][0]
        assert geom["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) >= 4
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert min(xs) < r["lon"] < max(xs) and min(ys) < r["lat"] < max(ys)
        assert r["geometry_source"] == "approximate"


def test_allocate_keeps_the_total():
    # 10 split 1:1:1 → 3.33 each; the largest remainders tie, the first gets the spare unit
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    # 3.5, 1.75, 1.75 → 3, 1, 1 with 2 spare; remainders .5, .75, .75 → the spares go to the two .75s
    assert allocate(7, [0.5, 0.25, 0.25]) == [3, 2, 2]
    assert sum(allocate(2804, [0.06, 0.34, 0.33, 0.19, 0.08])) == 2804
