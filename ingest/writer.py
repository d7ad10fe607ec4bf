"""The atomic snapshot writer: validate everything, write into a temporary sibling folder, fsync, rename into place.

An existing snapshot is never modified. Writing the same as_at again is refused unless `replace=True`, which moves
the old folder aside (`<as_at>.replaced-<timestamp>`) and never deletes it. An interrupted write leaves at most a
`.tmp-*` folder, which `list_snapshots` ignores.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from metrics.schema import SCHEMA_VERSION, TABLES, validate_frame
from metrics.snapshot import LA_CODE, configured_key, sha256_file, sign, snapshot_date


class WriteError(Exception):
    """The snapshot was not written; nothing on disk changed. The message lists every problem."""


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(
    tables: dict[str, pl.DataFrame],
    *,
    out_root: Path | str,
    as_at: str,
    area: dict,
    demo: bool,
    sources: list[dict] | None = None,
    created_at: str | None = None,
    replace: bool = False,
    notes: list[str] | None = None,
    config: dict | None = None,
    key: bytes | str | None = "configured",
    extra: dict | None = None,
) -> Path:
    """Write one snapshot atomically and return its folder. Raises WriteError listing every problem at once.

    The manifest is signed (HMAC-SHA256 over its canonical JSON) with `key`, by default the configured key
    ($SEND_SNAPSHOT_KEY or `[snapshots] key` in the secrets), so every route that writes signs alike; no key, no
    signature. `extra` adds the optional manifest blocks (`published_by`, `region`, `system`, and `changes`: the rows
    edited in the app, each with who changed it)."""
    if key == "configured":
        key = configured_key()
    out_root = Path(out_root)
    problems: list[str] = []
    day = snapshot_date(as_at) if isinstance(as_at, str) else None
    if day is None:
        problems.append(f"as_at '{as_at}' is not a real date written YYYY-MM-DD")
    elif day > date.today() + timedelta(days=1):
        problems.append(f"as_at {as_at} is in the future: a snapshot records what is known on a date that has come")
    elif day.year < 1900:
        problems.append(f"as_at {as_at} is before 1900")
    if not isinstance(area, dict) or not LA_CODE.match(str(area.get("la_code", ""))) or not area.get("la_name"):
        problems.append("area must give la_code (an English local authority's GSS code) and la_name")
    for name, block in (extra or {}).items():
        if name in ("published_by", "region", "system") and not isinstance(block, dict):
            problems.append(f"{name} must be an object")
        elif name == "changes" and not isinstance(block, list):
            problems.append("changes must be a list")
    for name in TABLES:
        if name not in tables:
            problems.append(f"table '{name}': not supplied")
            continue
        problems.extend(f"table '{name}': {p}" for p in validate_frame(name, tables[name]))
    for name in tables:
        if name not in TABLES:
            problems.append(f"table '{name}': not part of the snapshot contract")
    final = out_root / as_at
    if final.exists() and not replace:
        problems.append(f"{final}: a snapshot for {as_at} already exists; pass --replace to move it aside")
    if problems:
        raise WriteError("Snapshot not written:\n  - " + "\n  - ".join(problems))

    out_root.mkdir(parents=True, exist_ok=True)
    # a folder of its own for each write, so two publishes at once (two officers, one server) never share one. Made
    # with mkdir, not tempfile.mkdtemp: mkdtemp's folder is 0700 and the rename keeps that mode, so a published
    # snapshot was readable by its writer alone while every other folder has the usual mode (0777 less the umask)
    tmp = out_root / f".tmp-{as_at}-{secrets.token_hex(8)}"
    os.mkdir(tmp)
    try:
        entries = {}
        for name in TABLES:
            file = tmp / f"{name}.parquet"
            tables[name].select(list(TABLES[name].columns)).write_parquet(file, statistics=False)
            _fsync_path(file)
            entries[name] = {"file": file.name, "rows": tables[name].height, "sha256": sha256_file(file)}
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "as_at": as_at,
            "created_at": created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "area": area,
            "demo": demo,
            "tables": entries,
            "sources": sources or [],
            "notes": notes or [],
        }
        if config:
            manifest["config"] = config
        manifest.update(extra or {})
        if key:
            manifest["signature"] = sign(manifest, key)
        manifest_file = tmp / "manifest.json"
        manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_path(manifest_file)
        _fsync_path(tmp)
        if final.exists():
            if not replace:  # another write of this date finished while this one was being written
                raise WriteError(
                    f"Snapshot not written: a snapshot for {as_at} was published by someone else a moment ago; "
                    "reload to see it, then publish again with another date or replace it"
                )
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            aside = out_root / f"{as_at}.replaced-{stamp}"
            os.rename(final, aside)
        try:
            os.rename(tmp, final)  # the rename is the lock: it fails if the folder appeared in the meantime
        except OSError as exc:
            raise WriteError(
                f"Snapshot not written: a snapshot for {as_at} appeared while this one was being written ({exc})"
            ) from exc
        _fsync_path(out_root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
