"""Snapshot discovery, verification and lazy table scans.

A snapshot is a folder `data/snapshots/<as_at>/` of Parquet tables plus `manifest.json` (DATA_MODEL.md). Opening one
verifies the manifest, every table's sha256 and every table's schema, enumerations and key, so the app never shows a
number from a damaged or hand-edited file. Nothing here writes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from metrics.schema import SCHEMA_VERSION, TABLES, validate_frame

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SnapshotError(Exception):
    """A snapshot that cannot be trusted; the message names the file and the problem in plain English."""


@dataclass(frozen=True)
class Snapshot:
    """A verified snapshot: its folder and manifest. Cheap to hash, so caches can key on it."""

    path: Path
    as_at: date
    la_code: str
    la_name: str
    demo: bool
    manifest_json: str

    @property
    def id(self) -> str:
        return self.as_at.isoformat()

    @property
    def manifest(self) -> dict:
        return json.loads(self.manifest_json)

    def table_file(self, name: str) -> Path:
        return self.path / self.manifest["tables"][name]["file"]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_snapshots(root: Path | str) -> list[Path]:
    """Snapshot folders under `root` (named YYYY-MM-DD with a manifest), newest first; nothing is verified here."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and SNAPSHOT_NAME.match(p.name) and (p / "manifest.json").exists()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def _read_manifest(path: Path) -> dict:
    manifest_path = path / "manifest.json"
    if not path.is_dir():
        raise SnapshotError(f"{path}: snapshot folder not found")
    if not manifest_path.is_file():
        raise SnapshotError(f"{manifest_path}: manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{manifest_path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{manifest_path}: expected a JSON object")
    for key in ("schema_version", "as_at", "area", "demo", "tables"):
        if key not in manifest:
            raise SnapshotError(f"{manifest_path}: the manifest has no '{key}'")
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise SnapshotError(
            f"{manifest_path}: schema_version {manifest['schema_version']} is not {SCHEMA_VERSION}, the version "
            "this app reads"
        )
    if manifest["as_at"] != path.name:
        raise SnapshotError(f"{manifest_path}: as_at {manifest['as_at']} does not match the folder name {path.name}")
    missing = [t for t in TABLES if t not in manifest["tables"]]
    if missing:
        raise SnapshotError(f"{manifest_path}: the manifest lists no table(s) {', '.join(missing)}")
    return manifest


def open_snapshot(path: Path | str) -> Snapshot:
    """Verify a snapshot (manifest, every sha256, schema, enumerations, keys) and return its handle.

    Raises SnapshotError naming the file and the problem. Reads every table once; the tables are small.
    """
    path = Path(path)
    manifest = _read_manifest(path)
    for name in TABLES:
        entry = manifest["tables"][name]
        file = path / entry.get("file", f"{name}.parquet")
        if not file.is_file():
            raise SnapshotError(f"{file}: table '{name}' is missing from the snapshot folder")
        actual = sha256_file(file)
        if actual != entry.get("sha256"):
            raise SnapshotError(
                f"{file}: contents do not match the manifest (sha256 {actual[:12]}…, expected "
                f"{str(entry.get('sha256'))[:12]}…); the file was changed or damaged after the snapshot was written"
            )
        try:
            frame = pl.read_parquet(file)
        except Exception as exc:  # any reader failure means the file is not usable Parquet
            raise SnapshotError(f"{file}: not a readable Parquet file ({type(exc).__name__})") from exc
        if frame.height != entry.get("rows"):
            raise SnapshotError(f"{file}: {frame.height} rows, the manifest says {entry.get('rows')}")
        problems = validate_frame(name, frame)
        if problems:
            raise SnapshotError(f"{file}: " + "; ".join(problems))
    area = manifest["area"]
    return Snapshot(
        path=path.resolve(),
        as_at=date.fromisoformat(manifest["as_at"]),
        la_code=area["la_code"],
        la_name=area["la_name"],
        demo=bool(manifest["demo"]),
        manifest_json=json.dumps(manifest, sort_keys=True),
    )


def scan_table(snapshot: Snapshot, name: str) -> pl.LazyFrame:
    """Lazy scan of one verified table; the one loader every metric uses."""
    if name not in TABLES:
        raise KeyError(f"no table called '{name}' in the snapshot contract")
    return pl.scan_parquet(snapshot.table_file(name))
