"""The atomic writer and the verifying loader: nothing partial is ever visible, nothing damaged is ever shown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingest.__main__ import main as ingest_main
from ingest.writer import WriteError, write_snapshot
from metrics.schema import TABLES
from metrics.snapshot import SnapshotError, list_snapshots, open_snapshot, scan_table, sha256_file

AREA = {"la_code": "E08000002", "la_name": "Bury"}


def test_written_snapshot_opens_and_round_trips(snapshot_factory, demo_tables):
    path = snapshot_factory()
    snap = open_snapshot(path)
    assert snap.as_at.isoformat() == "2025-10-31" and snap.demo and snap.la_name == "Bury"
    for name in TABLES:
        assert scan_table(snap, name).collect().equals(demo_tables[name].select(list(TABLES[name].columns)))
    assert [p.name for p in path.parent.iterdir()] == ["2025-10-31"]  # no temporary folder left behind


def test_existing_snapshot_is_never_overwritten(snapshot_factory, demo_tables, tmp_path):
    path = snapshot_factory()
    before = {f.name: sha256_file(f) for f in path.iterdir()}
    with pytest.raises(WriteError, match="already exists"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    assert {f.name: sha256_file(f) for f in path.iterdir()} == before


def test_replace_moves_the_old_snapshot_aside(snapshot_factory, demo_tables, tmp_path):
    path = snapshot_factory()
    old_manifest = (path / "manifest.json").read_text()
    write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=False, replace=True)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("2025-10-31.replaced-")]
    assert len(aside) == 1 and (aside[0] / "manifest.json").read_text() == old_manifest
    assert open_snapshot(path).demo is False
    assert [p.name for p in list_snapshots(tmp_path)] == ["2025-10-31"]  # the moved-aside copy is not listed


def test_interrupted_write_leaves_nothing(demo_tables, tmp_path, monkeypatch):
    calls = {"n": 0}
    real = pl.DataFrame.write_parquet

    def failing(self, file, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # die part-way through, after some tables are on disk
            raise OSError("disk full")
        return real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    assert list(tmp_path.iterdir()) == []
    assert list_snapshots(tmp_path) == []


def test_writer_rejects_wrong_schema_listing_every_problem(demo_tables, tmp_path):
    bad_values = demo_tables["kpi_values"].with_columns(pl.lit("ks2").alias("phase"))
    bad_actions = demo_tables["actions"].with_columns(pl.col("due_date").cast(pl.String))
    tables = {**demo_tables, "kpi_values": bad_values, "actions": bad_actions}
    with pytest.raises(WriteError) as err:
        write_snapshot(tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    message = str(err.value)
    assert "table 'kpi_values': column 'phase' has value(s) 'ks2'" in message
    assert "table 'actions': column 'due_date' has type String, expected Date" in message
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_writer_rejects_duplicate_keys(demo_tables, tmp_path):
    dup = pl.concat([demo_tables["risks"], demo_tables["risks"].head(1)])
    with pytest.raises(
        WriteError, match=r"table 'risks': 1 duplicate key\(s\) on \(risk_id\), for example risk_id=R01"
    ):
        write_snapshot({**demo_tables, "risks": dup}, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)


def _rewrite_with_hash(path: Path, name: str, frame: pl.DataFrame) -> None:
    """Hand-edit a table and fix up the manifest's hash, as a careless person might: the schema check must catch it."""
    file = path / f"{name}.parquet"
    frame.write_parquet(file)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"][name].update(sha256=sha256_file(file), rows=frame.height)
    (path / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("flip_byte", r"ward_demand\.parquet: contents do not match the manifest"),
        ("truncate", r"ward_demand\.parquet: contents do not match the manifest"),
        ("delete", r"ward_demand\.parquet: table 'ward_demand' is missing"),
        ("not_parquet", r"ward_demand\.parquet: not a readable Parquet file"),
        ("bad_enum", r"ward_demand\.parquet: column 'measure' has value\(s\) 'cats'"),
        ("wrong_dtype", r"ward_demand\.parquet: column 'count' has type Float64, expected Int64"),
        ("duplicate_key", r"ward_demand\.parquet: 1 duplicate key\(s\)"),
        ("manifest_json", r"manifest\.json: not valid JSON"),
        ("manifest_missing", r"manifest\.json: manifest\.json is missing"),
    ],
)
def test_damaged_snapshot_is_refused_naming_the_file(snapshot_factory, damage, expected):
    path = snapshot_factory()
    file = path / "ward_demand.parquet"
    frame = pl.read_parquet(file)
    if damage == "flip_byte":
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        file.write_bytes(bytes(data))
    elif damage == "truncate":
        file.write_bytes(file.read_bytes()[:-100])
    elif damage == "delete":
        file.unlink()
    elif damage == "not_parquet":
        file.write_text("period_end,ward_code\n2025-01-31,E05014152\n")
        manifest = json.loads((path / "manifest.json").read_text())
        manifest["tables"]["ward_demand"]["sha256"] = sha256_file(file)
        (path / "manifest.json").write_text(json.dumps(manifest))
    elif damage == "bad_enum":
        _rewrite_with_hash(path, "ward_demand", frame.with_columns(pl.lit("cats").alias("measure")))
    elif damage == "wrong_dtype":
        _rewrite_with_hash(path, "ward_demand", frame.with_columns(pl.col("count").cast(pl.Float64)))
    elif damage == "duplicate_key":
        _rewrite_with_hash(path, "ward_demand", pl.concat([frame, frame.head(1)]))
    elif damage == "manifest_json":
        (path / "manifest.json").write_text("{not json")
    elif damage == "manifest_missing":
        (path / "manifest.json").unlink()
    with pytest.raises(SnapshotError, match=expected):
        open_snapshot(path)


def test_check_command_refuses_a_damaged_snapshot_and_names_the_file(snapshot_factory, capsys):
    path = snapshot_factory()
    assert ingest_main(["check", str(path)]) == 0
    assert "sha256 verified" in capsys.readouterr().out
    data = bytearray((path / "risks.parquet").read_bytes())
    data[-20] ^= 0x01
    (path / "risks.parquet").write_bytes(bytes(data))
    assert ingest_main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "REFUSED" in err and "risks.parquet" in err and "changed or damaged" in err


def test_list_snapshots_newest_first_ignoring_other_folders(snapshot_factory, tmp_path):
    snapshot_factory("2025-09-30")
    snapshot_factory("2025-10-31")
    (tmp_path / ".tmp-2025-11-30-123").mkdir()
    (tmp_path / "notes").mkdir()
    assert [p.name for p in list_snapshots(tmp_path)] == ["2025-10-31", "2025-09-30"]


def test_manifest_as_at_must_match_folder(snapshot_factory, tmp_path):
    path = snapshot_factory()
    moved = tmp_path / "2025-01-31"
    shutil.move(path, moved)
    with pytest.raises(SnapshotError, match="does not match the folder name"):
        open_snapshot(moved)


def test_a_written_snapshot_folder_has_the_mode_every_other_folder_gets(demo_tables, tmp_path):
    """The folder a publish writes gets the usual mode (0777 less the umask, as mkdir gives any folder), not the
    0700 of a private temporary folder: with the common umask 022, 0755 like the snapshots beside it."""
    import os

    old = os.umask(0o022)
    try:
        beside = tmp_path / "2025-09-30"
        beside.mkdir()  # a folder made the ordinary way, as a copied or checked-out snapshot is
        path = write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == oct(beside.stat().st_mode & 0o777) == "0o755"
