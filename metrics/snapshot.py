"""Snapshot discovery, verification and lazy table scans.

A snapshot is a folder `data/snapshots/<as_at>/` of Parquet tables plus `manifest.json` (DATA_MODEL.md). Opening one
verifies the manifest, every table's sha256 and every table's schema, enumerations and key, so the app never shows a
number from a damaged or hand-edited file. Nothing here writes.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from metrics.schema import SCHEMA_VERSION, TABLES, conform, validate_frame

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LA_CODE = re.compile(r"^E0[6-9]\d{6}$|^E10\d{6}$")  # GSS codes of English local authorities (county to borough)
SIGNATURE_PREFIX = "hmac-sha256:"


class SnapshotError(Exception):
    """A snapshot that cannot be trusted; the message names the snapshot and file (never a server path) and the
    problem in plain English."""


def snapshot_date(name: str) -> date | None:
    """The date a snapshot folder is named after, or None when the name is not a real YYYY-MM-DD date."""
    if not SNAPSHOT_NAME.match(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


@dataclass(frozen=True)
class Snapshot:
    """A verified snapshot: its folder, manifest and tables. The tables are held as they were verified, so nothing
    read after the check can differ from what was checked. Cheap to hash, so caches can key on it."""

    path: Path
    as_at: date
    la_code: str
    la_name: str
    demo: bool
    manifest_json: str
    signed: bool = False
    frames: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def id(self) -> str:
        return self.as_at.isoformat()

    @property
    def manifest(self) -> dict:
        return json.loads(self.manifest_json)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical(manifest: dict) -> bytes:
    """The manifest as signed: every field but the signature, as sorted, compact UTF-8 JSON."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(manifest: dict, key: bytes) -> str:
    """The manifest's signature: HMAC-SHA256 of its canonical JSON (covering the demo flag, sources, every hash)."""
    return SIGNATURE_PREFIX + hmac.new(key, canonical(manifest), hashlib.sha256).hexdigest()


def signing_key(secrets: Mapping[str, Any] | None = None) -> bytes | None:
    """The key snapshots are signed with: $SEND_SNAPSHOT_KEY, else `[snapshots] key` in the secrets; None when
    neither is set (snapshots are then unsigned, and the Data and methods page says so)."""
    env = os.environ.get("SEND_SNAPSHOT_KEY", "")
    if env:
        return env.encode("utf-8")
    block = (secrets or {}).get("snapshots")
    if isinstance(block, Mapping) and isinstance(block.get("key"), str) and block["key"]:
        return block["key"].encode("utf-8")
    return None


SECRETS_FILES = (
    Path(__file__).resolve().parents[1] / ".streamlit" / "secrets.toml",
    Path.home() / ".streamlit" / "secrets.toml",
)


def configured_key() -> bytes | None:
    """The signing key for the command line: $SEND_SNAPSHOT_KEY, else `[snapshots] key` in the project's (or the
    user's) `.streamlit/secrets.toml`, where the app reads it too. A secrets file that does not parse is an error."""
    import tomllib

    if os.environ.get("SEND_SNAPSHOT_KEY"):
        return signing_key()
    for file in SECRETS_FILES:
        if file.is_file():
            try:
                return signing_key(tomllib.loads(file.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SnapshotError(f"the secrets file {file.name} cannot be read ({exc})") from exc
    return None


def list_snapshots(root: Path | str) -> list[Path]:
    """Snapshot folders under `root` (named after a real date, with a manifest), newest first; nothing is verified
    here. Folders the writer leaves aside (`.tmp-*`, `*.replaced-*`) are not snapshots."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.is_dir() and not p.is_symlink() and snapshot_date(p.name) and (p / "manifest.json").is_file()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


def unlisted_folders(root: Path | str) -> list[tuple[str, str]]:
    """Folders under `root` that look meant as snapshots but are not listed, with the reason (for the sidebar)."""
    root = Path(root)
    if not root.is_dir():
        return []
    odd = []
    for p in sorted(root.iterdir()):
        if not p.is_dir() or p.name.startswith(".") or ".replaced-" in p.name:
            continue
        if p.is_symlink():
            odd.append((p.name, "the folder is a link to somewhere else"))
        elif not snapshot_date(p.name):
            odd.append((p.name, "the folder's name is not a date written YYYY-MM-DD"))
        elif not (p / "manifest.json").is_file():
            odd.append((p.name, "manifest.json is missing"))
    return odd


def _type_problems(manifest: dict) -> list[str]:
    """Every field of the manifest that is missing or of the wrong type (DATA_MODEL.md)."""
    problems = []

    def need(key: str, kinds: type | tuple[type, ...], what: str, required: bool = True) -> Any:
        if key not in manifest:
            if required:
                problems.append(f"the manifest has no '{key}'")
            return None
        value = manifest[key]
        if not isinstance(value, kinds) or (kinds is int and isinstance(value, bool)):
            problems.append(f"'{key}' must be {what}")
            return None
        return value

    need("schema_version", int, "a whole number")
    need("as_at", str, "a date written YYYY-MM-DD")
    need("demo", bool, "true or false")
    need("created_at", str, "a date and time", required=False)
    need("signature", str, "a string", required=False)
    need("config", dict, "an object", required=False)
    area = need("area", dict, "an object with la_code and la_name")
    if area is not None:
        if not isinstance(area.get("la_code"), str) or not LA_CODE.match(area.get("la_code", "")):
            problems.append("'area.la_code' must be an English local authority's GSS code (e.g. E08000002)")
        if not isinstance(area.get("la_name"), str) or not area.get("la_name", "").strip():
            problems.append("'area.la_name' must be the local authority's name")
    for key in ("region", "system", "published_by"):
        block = need(key, dict, "an object", required=False)
        if block is not None and not all(isinstance(v, str | list) for v in block.values()):
            problems.append(f"'{key}' must hold only text or lists of text")
    sources = need("sources", list, "a list", required=False)
    for i, source in enumerate(sources or []):
        if not isinstance(source, dict) or not all(isinstance(v, str | int | float) for v in source.values()):
            problems.append(f"'sources[{i}]' must be an object of text and number fields")
    notes = need("notes", list, "a list of text", required=False)
    if notes is not None and not all(isinstance(n, str) for n in notes):
        problems.append("'notes' must be a list of text")
    tables = need("tables", dict, "an object with one entry per table")
    if tables is not None:
        missing = [t for t in TABLES if t not in tables]
        if missing:
            problems.append(f"the manifest lists no table(s) {', '.join(missing)}")
        extra = [t for t in tables if t not in TABLES]
        if extra:
            problems.append(f"the manifest lists unknown table(s) {', '.join(sorted(map(str, extra)))}")
        for name in TABLES:
            entry = tables.get(name)
            if name not in tables:
                continue
            if not isinstance(entry, dict):
                problems.append(f"'tables.{name}' must be an object with file, rows and sha256")
                continue
            if entry.get("file") != f"{name}.parquet":
                problems.append(f"'tables.{name}.file' must be exactly {name}.parquet, inside the snapshot folder")
            rows = entry.get("rows")
            if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
                problems.append(f"'tables.{name}.rows' must be a whole number")
            if not isinstance(entry.get("sha256"), str) or not SHA256.match(entry["sha256"]):
                problems.append(f"'tables.{name}.sha256' must be 64 hexadecimal characters")
    return problems


def _read_manifest(path: Path, key: bytes | None) -> tuple[dict, bool]:
    where = f"{path.name}/manifest.json"
    manifest_path = path / "manifest.json"
    if not path.is_dir():
        raise SnapshotError(f"{path.name}: snapshot folder not found")
    if path.is_symlink() or manifest_path.is_symlink():
        raise SnapshotError(f"{where}: the snapshot or its manifest is a link to somewhere else")
    if not manifest_path.is_file():
        raise SnapshotError(f"{where}: manifest.json is missing")
    named = snapshot_date(path.name)
    if named is None:
        raise SnapshotError(f"{path.name}: the folder's name is not a date written YYYY-MM-DD")
    if named > date.today() + timedelta(days=1):  # a day's grace for time zones
        raise SnapshotError(f"{path.name}: the snapshot is dated in the future")
    try:
        manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{where}: expected a JSON object")
    problems = _type_problems(manifest)
    if problems:
        raise SnapshotError(f"{where}: " + "; ".join(problems))
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise SnapshotError(
            f"{where}: schema_version {manifest['schema_version']} is not {SCHEMA_VERSION}, the version this app reads"
        )
    if manifest["as_at"] != path.name:
        raise SnapshotError(f"{where}: as_at {manifest['as_at']} does not match the folder name {path.name}")
    signed = False
    if key:
        signature = manifest.get("signature")
        if not signature:
            raise SnapshotError(
                f"{where}: the manifest is not signed, and this dashboard only shows signed snapshots (a signing key "
                "is configured)"
            )
        if not hmac.compare_digest(str(signature), sign(manifest, key)):
            raise SnapshotError(
                f"{where}: the manifest's signature does not match: it was edited after it was signed (for example "
                "its demonstration flag, a source or a checksum), or signed with another key"
            )
        signed = True
    return manifest, signed


def open_snapshot(path: Path | str, *, key: bytes | None = None) -> Snapshot:
    """Verify a snapshot (manifest fields and types, signature when `key` is given, every sha256, schema,
    enumerations, keys) and return its handle, holding the verified tables.

    Raises SnapshotError naming the snapshot, the file and the problem. Reads every table once; the tables are small.
    """
    path = Path(path)
    manifest, signed = _read_manifest(path, key)
    frames = {}
    for name in TABLES:
        entry = manifest["tables"][name]
        file = path / f"{name}.parquet"
        where = f"{path.name}/{file.name}"
        if file.is_symlink():
            raise SnapshotError(f"{where}: the table is a link to somewhere else")
        if not file.is_file():
            raise SnapshotError(f"{where}: table '{name}' is missing from the snapshot folder")
        blob = file.read_bytes()
        actual = hashlib.sha256(blob).hexdigest()
        if actual != entry["sha256"]:
            raise SnapshotError(
                f"{where}: contents do not match the manifest (sha256 {actual[:12]}…, expected "
                f"{entry['sha256'][:12]}…); the file was changed or damaged after the snapshot was written"
            )
        try:
            frame = pl.read_parquet(io.BytesIO(blob))
        except Exception as exc:  # any reader failure means the file is not usable Parquet
            raise SnapshotError(f"{where}: not a readable Parquet file ({type(exc).__name__})") from exc
        if frame.height != entry["rows"]:
            raise SnapshotError(f"{where}: {frame.height} rows, the manifest says {entry['rows']}")
        frame = conform(name, frame)  # a snapshot from before a column was added reads as it always did
        problems = validate_frame(name, frame)
        if problems:
            raise SnapshotError(f"{where}: " + "; ".join(problems))
        frames[name] = frame
    area = manifest["area"]
    return Snapshot(
        path=path.resolve(),
        as_at=date.fromisoformat(manifest["as_at"]),
        la_code=area["la_code"],
        la_name=area["la_name"],
        demo=manifest["demo"],
        manifest_json=json.dumps(manifest, sort_keys=True),
        signed=signed,
        frames=frames,
    )


def scan_table(snapshot: Snapshot, name: str) -> pl.LazyFrame:
    """Lazy scan of one verified table (as it was verified, from memory); the one loader every metric uses."""
    if name not in TABLES:
        raise KeyError(f"no table called '{name}' in the snapshot contract")
    return snapshot.frames[name].lazy()
