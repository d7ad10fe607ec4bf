"""The board's papers kept with the snapshots: the pack (PDF) and the slides (PowerPoint) of a snapshot against the
one before it, built once — when the snapshot is published, or by `python -m boardpack --prebuild` — and then served
as a file to every session on every server that shares the snapshot folder, with no build and no lock.

They live in `<snapshot root>/.papers/` (a dot-folder, never read as a snapshot), one file per paper and a small
JSON record beside it:

    2025-10-31_vs_2025-09-30_<digest>.pdf   and   2025-10-31_vs_2025-09-30_<digest>.pdf.json

`digest` is a hash of both snapshots' manifests (which cover every table's checksum), so a snapshot replaced under
the same date never serves the old papers. The record holds the file's SHA-256 and, when a signing key is
configured, an HMAC of the file's name and SHA-256: a paper whose bytes or record do not match is ignored, as if it
had never been built. Files are written to a temporary name, flushed and renamed, so a reader never sees half a file.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path

from metrics.snapshot import Snapshot

FOLDER = ".papers"
KINDS = ("pdf", "pptx")


def digest(snap: Snapshot, compare: Snapshot | None) -> str:
    """Sixteen hex characters naming the pair of snapshots by their manifests' contents."""
    h = hashlib.sha256(snap.manifest_json.encode("utf-8"))
    h.update(b"\x00" + (compare.manifest_json.encode("utf-8") if compare else b"none"))
    return h.hexdigest()[:16]


def paper_path(root: Path | str, snap: Snapshot, compare: Snapshot | None, kind: str) -> Path:
    """Where the paper of `kind` ("pdf" or "pptx") for this pair is kept."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of paper {kind!r}")
    other = compare.id if compare else "none"
    return Path(root) / FOLDER / f"{snap.id}_vs_{other}_{digest(snap, compare)}.{kind}"


def _seal(name: str, sha: str, key: bytes | None) -> str:
    return "" if key is None else hmac.new(key, f"{name}\x00{sha}".encode(), hashlib.sha256).hexdigest()


def read(root: Path | str, snap: Snapshot, compare: Snapshot | None, kind: str, *, key: bytes | None) -> bytes | None:
    """The stored paper's bytes, or None when there is none, or when its bytes or record do not match (so it is
    built again rather than served)."""
    path = paper_path(root, snap, compare, kind)
    try:
        data = path.read_bytes()
        record = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sha = hashlib.sha256(data).hexdigest()
    if not isinstance(record, dict) or record.get("sha256") != sha:
        return None
    if not hmac.compare_digest(str(record.get("seal", "")), _seal(path.name, sha, key)):
        return None
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(
    root: Path | str, snap: Snapshot, compare: Snapshot | None, kind: str, data: bytes, *, key: bytes | None
) -> Path:
    """Keep a built paper for every session and server: the file first, then its record (a paper without its
    record is never served)."""
    path = paper_path(root, snap, compare, kind)
    path.parent.mkdir(mode=0o755, exist_ok=True)
    sha = hashlib.sha256(data).hexdigest()
    _write_atomic(path, data)
    record = {"snapshot": snap.id, "compare": compare.id if compare else None, "sha256": sha}
    record["seal"] = _seal(path.name, sha, key)
    _write_atomic(path.with_name(path.name + ".json"), json.dumps(record, sort_keys=True).encode("utf-8"))
    return path


def build(snap: Snapshot, compare: Snapshot | None, kind: str, *, key: bytes | None) -> bytes:
    """Build a paper from the snapshots' folders (verified again by the builders, with the same key)."""
    if kind == "pdf":
        from boardpack import build_pdf

        return build_pdf(snap.path, compare.path if compare else None, key=key)
    from boardpack.slides import build_deck

    return build_deck(snap.path, compare.path if compare else None, key=key)


def prebuild(root: Path | str, snap: Snapshot, compare: Snapshot | None, *, key: bytes | None) -> list[Path]:
    """Build and keep both papers for the pair unless they are kept already; returns the papers' paths."""
    out = []
    for kind in KINDS:
        if read(root, snap, compare, kind, key=key) is None:
            write(root, snap, compare, kind, build(snap, compare, kind, key=key), key=key)
        out.append(paper_path(root, snap, compare, kind))
    return out
