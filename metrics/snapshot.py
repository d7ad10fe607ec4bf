"""Snapshot discovery, verification and lazy table scans.

A snapshot is a folder `data/snapshots/<as_at>/` of Parquet tables plus `manifest.json` (DATA_MODEL.md). Opening one
verifies the manifest, every table's sha256 and every table's schema, enumerations and key, so the app never shows a
number from a damaged or hand-edited file. With a signing key it also checks the manifest's signature and that the
signed index of published snapshots (`index.json` beside the folders) names this very manifest. Nothing here writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import polars as pl

from metrics.schema import SCHEMA_VERSION, TABLES, conform, validate_frame
from metrics.signing import SigningKeyError, matches, sign, sign_index, snapshot_key

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
LA_CODE = re.compile(r"^E0[6-9]\d{6}$|^E10\d{6}$")  # GSS codes of English local authorities (county to borough)


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
    manifest_sha256: str = ""  # of manifest.json's bytes, as the signed index names it
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


def configured_key() -> bytes | None:
    """The signing key (metrics.signing.snapshot_key), for callers that report SnapshotError: a secrets file that
    cannot be read is an error, never "unsigned"."""
    try:
        return snapshot_key()
    except SigningKeyError as exc:
        raise SnapshotError(f"no snapshot can be checked: {exc}") from exc


# A manifest (or the index) larger or deeper than this is refused before it is parsed: the demo's manifests are
# about 9 KB and 3 levels deep, and Python's JSON reader raises RecursionError, which no caller expects, at about a
# thousand levels.
MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply a JSON text's arrays and objects nest (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def read_json(path: Path, where: str) -> tuple[Any, bytes]:
    """A small JSON file and its bytes, refused as a SnapshotError (never a crash) when it is over MAX_JSON_BYTES,
    nested over MAX_JSON_DEPTH levels, not UTF-8 or not JSON."""
    with open(path, "rb") as fh:
        blob = fh.read(MAX_JSON_BYTES + 1)
    if len(blob) > MAX_JSON_BYTES:
        raise SnapshotError(f"{where}: larger than {MAX_JSON_BYTES:,} bytes, the most this dashboard reads")
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{where}: not valid JSON (not UTF-8 text)") from exc
    if json_depth(text) > MAX_JSON_DEPTH:
        raise SnapshotError(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep, the most this dashboard reads")
    try:
        return json.loads(text), blob
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SnapshotError(f"{where}: not valid JSON ({exc})") from exc


# --- the signed index of published snapshots ---------------------------------------------------------------------
# With a key, a snapshot is shown only if `index.json` beside it, signed with the key, names it with its manifest's
# sha256. So a folder copied in, or a replaced one renamed back (whose own signature still holds), is "not published".
INDEX_FILE = "index.json"
INDEX_VERSION = 1
REPUBLISH = "check the folders, then sign the index again with `python -m ingest index`"


def index_bytes(published: Mapping[str, str], key: bytes) -> bytes:
    """The signed index listing `published` (as_at → the sha256 of its manifest.json), as written to disk."""
    doc: dict[str, Any] = {"index_version": INDEX_VERSION, "published": dict(sorted(published.items()))}
    doc["signature"] = sign_index(doc, key)
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def read_index(root: Path | str, key: bytes, *, missing_ok: bool = False) -> dict[str, str]:
    """The published snapshots (as_at → manifest sha256) from the signed index in `root`. Raises SnapshotError when
    it is missing (unless `missing_ok`, which gives {}), malformed, or its signature does not match."""
    file = Path(root) / INDEX_FILE
    if file.is_symlink():
        raise SnapshotError(f"{INDEX_FILE}: the index of published snapshots is a link to somewhere else")
    if not file.is_file():
        if missing_ok:
            return {}
        raise SnapshotError(f"there is no signed index of published snapshots ({INDEX_FILE}); {REPUBLISH}")
    doc, _ = read_json(file, INDEX_FILE)
    published = doc.get("published") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or doc.get("index_version") != INDEX_VERSION
        or not isinstance(published, dict)
        or not all(snapshot_date(k) and isinstance(v, str) and SHA256.match(v) for k, v in published.items())
    ):
        raise SnapshotError(f"{INDEX_FILE}: not an index of published snapshots this dashboard reads; {REPUBLISH}")
    if not matches(doc.get("signature"), sign_index(doc, key)):
        raise SnapshotError(
            f"{INDEX_FILE}: the index of published snapshots was changed after it was signed, or signed with another "
            f"key; {REPUBLISH}"
        )
    return published


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
    replaces = need("replaces", dict, "an object with as_at and manifest_sha256", required=False)
    if replaces is not None and (
        replaces.get("as_at") != manifest.get("as_at")
        or not isinstance(replaces.get("manifest_sha256"), str)
        or not SHA256.match(replaces["manifest_sha256"])
    ):
        problems.append("'replaces' must give the snapshot's own as_at and the replaced manifest's sha256")
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


def _read_manifest(path: Path, key: bytes | None, name: str, published: bool) -> tuple[dict, bool, str]:
    """The manifest checked (fields, date, signature and, with a key and `published`, the signed index), whether it
    was signed, and the sha256 of its bytes. `name` is the folder's name as the snapshot is known (the writer checks
    its temporary folder under the name it will have)."""
    where = f"{name}/manifest.json"
    manifest_path = path / "manifest.json"
    if not path.is_dir():
        raise SnapshotError(f"{name}: snapshot folder not found")
    if path.is_symlink() or manifest_path.is_symlink():
        raise SnapshotError(f"{where}: the snapshot or its manifest is a link to somewhere else")
    if not manifest_path.is_file():
        raise SnapshotError(f"{where}: manifest.json is missing")
    named = snapshot_date(name)
    if named is None:
        raise SnapshotError(f"{name}: the folder's name is not a date written YYYY-MM-DD")
    if named > date.today() + timedelta(days=1):  # a day's grace for time zones
        raise SnapshotError(f"{name}: the snapshot is dated in the future")
    manifest, blob = read_json(manifest_path, where)
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{where}: expected a JSON object")
    problems = _type_problems(manifest)
    if problems:
        raise SnapshotError(f"{where}: " + "; ".join(problems))
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise SnapshotError(
            f"{where}: schema_version {manifest['schema_version']} is not {SCHEMA_VERSION}, the version this app reads"
        )
    if manifest["as_at"] != name:
        raise SnapshotError(f"{where}: as_at {manifest['as_at']} does not match the folder name {name}")
    digest = hashlib.sha256(blob).hexdigest()
    if not key:
        return manifest, False, digest
    if not manifest.get("signature"):
        raise SnapshotError(
            f"{where}: the manifest is not signed, and this dashboard only shows signed snapshots (a signing key "
            "is configured)"
        )
    if not matches(manifest["signature"], sign(manifest, key)):
        raise SnapshotError(
            f"{where}: the manifest's signature does not match: it was edited after it was signed (for example "
            "its demonstration flag, a source or a checksum), or signed with another key"
        )
    if published:
        try:
            index = read_index(path.parent, key)
        except SnapshotError as exc:
            raise SnapshotError(f"{name}: not shown as published: {exc}") from exc
        if name not in index:
            raise SnapshotError(
                f"{name}: not published: the signed index of published snapshots does not list it (a folder copied "
                f"in by hand, or one written before the index was kept); {REPUBLISH}"
            )
        if index[name] != digest:
            raise SnapshotError(
                f"{name}: not the published snapshot of {name}: the signed index of published snapshots names another "
                "version of this date (this may be one that was replaced and then put back)"
            )
    return manifest, True, digest


def open_snapshot(
    path: Path | str, *, key: bytes | None = None, name: str | None = None, published: bool = True
) -> Snapshot:
    """Verify a snapshot (manifest size, depth, fields and types; with `key`, its signature and, when `published`,
    that the signed index names this very manifest; every sha256, schema, enumerations, keys) and return its handle,
    holding the verified tables. `name`: the folder's name to check it under (default its own).

    Raises SnapshotError naming the snapshot, the file and the problem. Reads every table once; the tables are small.
    """
    path = Path(path)
    name = name or path.name
    manifest, signed, digest = _read_manifest(path, key, name, published)
    frames = {}
    for table in TABLES:
        entry = manifest["tables"][table]
        file = path / f"{table}.parquet"
        where = f"{name}/{file.name}"
        if file.is_symlink():
            raise SnapshotError(f"{where}: the table is a link to somewhere else")
        if not file.is_file():
            raise SnapshotError(f"{where}: table '{table}' is missing from the snapshot folder")
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
        frame = conform(table, frame)  # a snapshot from before a column was added reads as it always did
        problems = validate_frame(table, frame)
        if problems:
            raise SnapshotError(f"{where}: " + "; ".join(problems))
        frames[table] = frame
    area = manifest["area"]
    return Snapshot(
        path=path.resolve(),
        as_at=date.fromisoformat(manifest["as_at"]),
        la_code=area["la_code"],
        la_name=area["la_name"],
        demo=manifest["demo"],
        manifest_json=json.dumps(manifest, sort_keys=True),
        signed=signed,
        manifest_sha256=digest,
        frames=frames,
    )


def scan_table(snapshot: Snapshot, name: str) -> pl.LazyFrame:
    """Lazy scan of one verified table (as it was verified, from memory); the one loader every metric uses."""
    if name not in TABLES:
        raise KeyError(f"no table called '{name}' in the snapshot contract")
    return snapshot.frames[name].lazy()
