"""The atomic snapshot writer: validate everything, write into a temporary sibling folder, fsync, verify it as
the dashboard will, then rename it into place under the snapshot folder's lock.

An existing snapshot is never modified. Writing the same as_at again is refused unless `replace=True`, which moves
the old folder aside (`<as_at>.replaced-<timestamp>`) and never deletes it; the new manifest names the one it
replaces. With a signing key, the signed index of published snapshots (`index.json`) is updated in the same step, so
a moved-aside folder put back is not published. An interrupted write leaves at most a `.tmp-*` folder, which
`list_snapshots` ignores and the next publish into the folder removes once it has been untouched for an hour. Two
writers of one date at once: the first to take the lock wins, the other is told and writes nothing.

Putting a snapshot in place is several renames (the old folder aside, the new into place, the signed index over the
old one), so before them the writer notes what it is about to do in a journal (`.publishing.json`), removed once
they are done. A writer killed among them (a server stopped mid-publish) leaves the journal and its lock; whoever
takes the lock next — the next publish, or the app listing the folder (`recover`) — breaks the dead writer's lock
and finishes the job from the journal: the old snapshot is put back if the new one never reached its place, the
index is brought up to date if it had, and the dead writer's temporary files are removed. Nothing half-done is ever
left published.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from ingest.lock import FileLock, LockBusy
from metrics.schema import SCHEMA_VERSION, TABLES, validate_frame
from metrics.signing import SigningKeyError, sign, snapshot_key
from metrics.snapshot import (
    INDEX_FILE,
    LA_CODE,
    SnapshotError,
    index_bytes,
    list_snapshots,
    open_snapshot,
    read_index,
    sha256_file,
    snapshot_date,
)

LOCK_FILE = ".lock"  # in the snapshot folder: one publish at a time into it, whichever process or machine
JOURNAL = ".publishing.json"  # in the snapshot folder while a snapshot is being put into place
NO_MANIFEST = "no manifest"
# A temporary folder untouched this long (seconds) was left by a writer that was stopped: a write takes seconds.
STALE_TEMPORARY = 3600
LOG = logging.getLogger(__name__)


class WriteError(Exception):
    """The snapshot was not written; nothing on disk changed. The message lists every problem."""


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _manifest_state(folder: Path) -> str | None:
    """What stands at a snapshot's place: None (nothing), NO_MANIFEST, or the sha256 of its manifest.json."""
    if not folder.exists() and not folder.is_symlink():
        return None
    try:
        return sha256_file(folder / "manifest.json")
    except OSError:
        return NO_MANIFEST


def _temporary_folder(out_root: Path, as_at: str) -> Path:
    """A folder of its own for each write, so two publishes at once (two officers, one server) never share one.
    Made with mkdir, not tempfile.mkdtemp: mkdtemp's folder is 0700 and the rename keeps that mode, so a published
    snapshot was readable by its writer alone while every other folder has the usual mode (0777 less the umask)."""
    tmp = out_root / f".tmp-{as_at}-{secrets.token_hex(8)}"
    os.mkdir(tmp)
    return tmp


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

    The manifest is signed (HMAC-SHA256 over its canonical JSON) with `key`, by default the key every reader in this
    process checks with (metrics.signing.snapshot_key: $SEND_SNAPSHOT_KEY, or `[snapshots] key` in the app's secrets
    or the secrets file), so every route that writes signs alike; no key, no signature. Before it is renamed into
    place the snapshot is opened with the readers' key, so one they would refuse is never published. `extra` adds the optional manifest blocks (`published_by`, `region`, `system`, and `changes`: the rows
    edited in the app, each with who changed it)."""
    try:
        readers_key = snapshot_key()  # what this process's readers check with (the app's: its own secrets)
    except SigningKeyError as exc:
        raise WriteError(f"Snapshot not written: {exc}") from exc
    if key == "configured":
        key = readers_key
    key = key.encode("utf-8") if isinstance(key, str) else key
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
        # said to an officer in the app too, whose page may have been drawn before someone else published this date
        problems.append(
            f"{final}: a snapshot for {as_at} already exists (it may have been published a moment ago); to replace "
            "it, give --replace on the command line, or in the app reload the page and tick the box to replace it"
        )
    if problems:
        raise WriteError("Snapshot not written:\n  - " + "\n  - ".join(problems))

    out_root.mkdir(parents=True, exist_ok=True)
    # What this write replaces, as it stands now: if it has changed by the time this write is ready to go into place,
    # someone else published this date meanwhile, and this write is the one that loses.
    base = _manifest_state(final)
    tmp = _temporary_folder(out_root, as_at)
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
        if base not in (None, NO_MANIFEST):
            manifest["replaces"] = {"as_at": as_at, "manifest_sha256": base}
        if key:
            manifest["signature"] = sign(manifest, key)
        manifest_file = tmp / "manifest.json"
        manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _fsync_path(manifest_file)
        _fsync_path(tmp)
        # Opened as every reader in this process will open it, with their key, before anyone can see it.
        try:
            written = open_snapshot(tmp, key=readers_key or key, name=as_at, published=False)
        except SnapshotError as exc:
            raise WriteError(f"Snapshot not written: it would not pass the dashboard's own check: {exc}") from exc
        try:
            with FileLock(out_root / LOCK_FILE, purpose=f"publishing {as_at}"):
                _put_in_place(tmp, final, out_root, base, written.manifest_sha256, key, replace)
        except LockBusy as exc:
            raise WriteError(
                f"Snapshot not written: another publish into this folder is still in progress ({exc}); try again in "
                "a minute"
            ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _put_in_place(
    tmp: Path, final: Path, out_root: Path, base: str | None, digest: str, key: bytes | None, replace: bool
) -> None:
    """Under the folder's lock: check nobody published this date meanwhile, move the old snapshot aside, rename the
    new one into place and, with a key, sign the index of published snapshots with it in."""
    as_at = final.name
    _recover(out_root)  # a writer killed while putting a snapshot in place: finish its job first
    _sweep(out_root, keep=tmp.name)
    if _manifest_state(final) != base:
        raise WriteError(
            f"Snapshot not written: a snapshot for {as_at} was published by someone else a moment ago, while this one "
            "was being written; reload to see it, then publish again with another date or replace it"
        )
    index_tmp = None
    if key:
        try:
            published = read_index(out_root, key, missing_ok=True)
        except SnapshotError as exc:  # never re-sign an index that was tampered with: that would bless its edits
            raise WriteError(f"Snapshot not written: {exc}") from exc
        published[as_at] = digest
        # written beside the index and renamed over it only once the snapshot is in place
        index_tmp = out_root / f".{INDEX_FILE}.tmp-{tmp.name}"
        index_tmp.write_bytes(index_bytes(published, key))
        _fsync_path(index_tmp)
    moved = None
    try:
        if base is not None:
            if not replace:  # another write of this date finished while this one was being written
                raise WriteError(
                    f"Snapshot not written: a snapshot for {as_at} was published by someone else a moment ago; "
                    "reload to see it, then publish again with another date or replace it"
                )
            moved = out_root / f"{as_at}.replaced-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        _write_journal(
            out_root,
            {
                "as_at": as_at,
                "moved": moved.name if moved else None,
                "new": tmp.name,
                "new_manifest_sha256": digest,
                "index": index_tmp.name if index_tmp else None,
            },
        )
        if moved is not None:
            os.rename(final, moved)
        try:
            os.rename(tmp, final)  # fails if a folder appeared in the meantime from a writer that took no lock
        except OSError as exc:
            raise WriteError(
                f"Snapshot not written: a snapshot for {as_at} appeared while this one was being written ({exc})"
            ) from exc
        if index_tmp is not None:
            os.replace(index_tmp, out_root / INDEX_FILE)
            index_tmp = None
        _fsync_path(out_root)
        (out_root / JOURNAL).unlink()
        _fsync_path(out_root)
    except BaseException:
        _recover(out_root)  # whatever was done is undone (or, if the new snapshot is in place, completed)
        raise
    finally:
        if index_tmp is not None:
            index_tmp.unlink(missing_ok=True)


def _sweep(out_root: Path, *, keep: str) -> None:
    """Remove the temporary folders of writers stopped before they took the lock (none of their files changed for
    STALE_TEMPORARY seconds); a write in progress, this one (`keep`) and anything not named as a writer names its
    folder are left alone."""
    now = time.time()
    for folder in out_root.glob(".tmp-*"):
        if folder.name == keep or not re.fullmatch(r"\.tmp-[0-9-]+-[0-9a-f]{16}", folder.name):
            continue
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            touched = max([folder.stat().st_mtime, *(f.lstat().st_mtime for f in folder.iterdir())])
        except OSError:
            continue
        if now - touched > STALE_TEMPORARY:
            shutil.rmtree(folder, ignore_errors=True)
            LOG.warning("Removed %s, left by a publish stopped %.0f minutes ago", folder, (now - touched) / 60)


def _write_journal(out_root: Path, entry: dict) -> None:
    """Note, durably and atomically, the renames about to be made (see the module's docstring)."""
    part = out_root / f"{JOURNAL}.tmp"
    part.write_text(json.dumps(entry), encoding="utf-8")
    _fsync_path(part)
    os.replace(part, out_root / JOURNAL)
    _fsync_path(out_root)


def _plain(name: object, pattern: str) -> str | None:
    """A name from the journal, only if it is a bare name of the expected form (never a path elsewhere)."""
    return name if isinstance(name, str) and "/" not in name and re.fullmatch(pattern, name) else None


def _recover(out_root: Path) -> str:
    """Finish the job of a writer that was stopped while putting a snapshot in place (call under the lock): put the
    old snapshot back if the new one never reached its place, or bring the index up to date if it had; remove the
    dead writer's temporary files and the journal. Returns what was done ("" when there was no journal)."""
    path = out_root / JOURNAL
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    except (OSError, ValueError):
        entry = None  # the journal goes into place whole (os.replace): unreadable means nothing was renamed yet
    done = "nothing had been renamed"
    if isinstance(entry, dict):
        as_at = _plain(entry.get("as_at"), r"\d{4}-\d{2}-\d{2}")
        moved = _plain(entry.get("moved"), rf"{as_at}\.replaced-\d{{8}}T\d{{12}}") if as_at else None
        new = _plain(entry.get("new"), r"\.tmp-[0-9-]+-[0-9a-f]{16}")
        index = _plain(entry.get("index"), rf"\.{re.escape(INDEX_FILE)}\.tmp-\.tmp-[0-9-]+-[0-9a-f]{{16}}")
        if as_at:
            final = out_root / as_at
            state = _manifest_state(final)
            if state is None and moved and (out_root / moved).is_dir():
                os.rename(out_root / moved, final)
                done = f"the snapshot of {as_at} it was replacing was put back"
            elif state is not None and state == entry.get("new_manifest_sha256"):
                if index and (out_root / index).is_file():
                    os.replace(out_root / index, out_root / INDEX_FILE)
                done = f"its snapshot of {as_at} was in place; the index of published snapshots was brought up to date"
        if index:
            (out_root / index).unlink(missing_ok=True)
        if new:
            shutil.rmtree(out_root / new, ignore_errors=True)
    path.unlink(missing_ok=True)
    _fsync_path(out_root)
    LOG.warning("A publish into %s was stopped part-way; finished from its journal: %s", out_root, done)
    return done


def recover(out_root: Path | str, *, wait: float = 0.0) -> str:
    """If a writer was stopped while putting a snapshot into `out_root` (its journal is there), finish its job under
    the folder's lock, breaking the dead writer's lock (at once for a process of this machine that has gone; after
    five minutes for another machine's). Returns what was done; "" when there was nothing to do or a publish is
    still in progress (it holds the lock)."""
    out_root = Path(out_root)
    if not (out_root / JOURNAL).exists():
        return ""
    try:
        with FileLock(out_root / LOCK_FILE, purpose="finishing a publish that was stopped part-way", wait=wait):
            return _recover(out_root)
    except LockBusy:
        return ""


def sign_index(out_root: Path | str) -> tuple[list[str], list[tuple[str, str]]]:
    """Sign the index of published snapshots afresh from the folders in `out_root` that verify with the key now
    (after checking them by hand: whatever is there is published). Returns the published dates and the folders
    left out with why. For snapshots written before the index was kept, or after a key is first set."""
    out_root = Path(out_root)
    try:
        key = snapshot_key()
    except SigningKeyError as exc:
        raise WriteError(f"Index not signed: {exc}") from exc
    if not key:
        raise WriteError("Index not signed: no signing key is configured (the index is kept for signed snapshots)")
    published, left_out = {}, []
    try:
        with FileLock(out_root / LOCK_FILE, purpose="signing the index of published snapshots"):
            _recover(out_root)
            for path in list_snapshots(out_root):
                try:
                    published[path.name] = open_snapshot(path, key=key, published=False).manifest_sha256
                except SnapshotError as exc:
                    left_out.append((path.name, str(exc)))
            file = out_root / f".{INDEX_FILE}.tmp-sign"
            file.write_bytes(index_bytes(published, key))
            _fsync_path(file)
            os.replace(file, out_root / INDEX_FILE)
            _fsync_path(out_root)
    except LockBusy as exc:
        raise WriteError(f"Index not signed: a publish into this folder is in progress ({exc})") from exc
    return sorted(published, reverse=True), left_out
