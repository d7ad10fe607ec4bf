"""A server killed in the middle of a publish (issue 28, faults): nothing half-done is left published and the lock
is released. A child process publishes a replacement of the 2025-10-31 snapshot into a signed folder and kills
itself (SIGKILL, as a server stopped outright) at one of three points:

- `tables`: while writing the new snapshot's tables, before it takes the lock;
- `between`: under the lock, after moving the old snapshot aside and before renaming the new one into place — the
  moment when the date has no snapshot at all;
- `index`: after the new snapshot is in place, before the signed index names it.

Before the journal (ingest.writer), `between` left the date with no snapshot until someone put the folder back by
hand, and `index` left the new snapshot refused as "not the published snapshot". Now the next to take the lock —
here the app listing the folder — finishes the job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from ingest.writer import JOURNAL, LOCK_FILE, recover, write_snapshot
from metrics.schema import TABLES
from metrics.snapshot import open_snapshot, read_index
from tests.pages_helper import app

ROOT = Path(__file__).resolve().parents[1]
KEY = "a-board-signing-key-for-the-killed-publish-tests"
AREA = {"la_code": "E08000002", "la_name": "Bury"}

KILLED = """
import os, signal, sys
from pathlib import Path
import polars as pl
import ingest.writer as writer

root, source, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
tables = {f.stem: pl.read_parquet(f) for f in source.glob("*.parquet")}
real_rename, real_replace, real_sha = os.rename, os.replace, writer.sha256_file
calls = {"sha": 0}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def rename(src, dst, *args, **kwargs):
    real_rename(src, dst, *args, **kwargs)
    if point == "between" and ".replaced-" in str(dst):
        die()

def replace(src, dst, *args, **kwargs):
    if point == "index" and str(dst).endswith("/index.json"):
        die()
    real_replace(src, dst, *args, **kwargs)

def sha(path):
    calls["sha"] += 1
    if point == "tables" and calls["sha"] == 4:  # the fourth table written
        die()
    return real_sha(path)

writer.os.rename, writer.os.replace, writer.sha256_file = rename, replace, sha
writer.write_snapshot(tables, out_root=root, as_at="2025-10-31", area={"la_code": "E08000002", "la_name": "Bury"},
                      demo=True, replace=True, notes=["the new one"])
print("not killed", flush=True)
"""


@pytest.fixture
def signed_root(tmp_path, demo_root, monkeypatch) -> Path:
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", KEY)
    root = tmp_path / "snapshots"
    tables = {name: pl.read_parquet(demo_root / "2025-10-31" / f"{name}.parquet") for name in TABLES}
    for as_at in ("2025-09-30", "2025-10-31"):
        write_snapshot(tables, out_root=root, as_at=as_at, area=AREA, demo=True, notes=["the old one"])
    return root


def publish_and_die(root: Path, demo_root: Path, point: str) -> None:
    env = {**os.environ, "SEND_SNAPSHOT_KEY": KEY, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(root), str(demo_root / "2025-10-31"), point],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == -9, (done.stdout, done.stderr)  # killed outright, as a server stopped mid-publish


def notes(folder: Path) -> list[str]:
    return json.loads((folder / "manifest.json").read_text())["notes"]


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".") and p.name != ".papers")


@pytest.mark.parametrize(
    ("point", "published", "journal"),
    [("tables", "the old one", False), ("between", "the old one", True), ("index", "the new one", True)],
)
def test_a_publish_killed_part_way_leaves_nothing_half_done_and_the_lock_released(
    signed_root, demo_root, monkeypatch, point, published, journal
):
    publish_and_die(signed_root, demo_root, point)
    # what the dead writer left: its lock and journal once it had taken the lock, its temporary folder before
    assert (signed_root / JOURNAL).exists() is journal and (signed_root / LOCK_FILE).exists() is journal
    # the app lists the folder: it finishes the dead writer's job (breaking its lock at once: its process has gone)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(signed_root))
    started = time.monotonic()
    at = app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert time.monotonic() - started < 30
    assert at.selectbox(key="g_snapshot").value == "2025-10-31"  # the date has its snapshot, verified and published
    assert not [e for e in at.sidebar.expander if "cannot be shown" in e.proto.label]
    snap = open_snapshot(signed_root / "2025-10-31", key=KEY.encode())
    assert notes(signed_root / "2025-10-31")[-1] == published
    assert read_index(signed_root, KEY.encode())["2025-10-31"] == snap.manifest_sha256
    # no lock, no journal, no index half-written; the only leftover is a temporary folder killed before the lock,
    # which nothing lists
    assert [name[:15] for name in leftovers(signed_root)] == ([".tmp-2025-10-31"] if point == "tables" else [])
    # and the next publish of that date goes ahead at once
    tables = {name: pl.read_parquet(demo_root / "2025-10-31" / f"{name}.parquet") for name in TABLES}
    started = time.monotonic()
    write_snapshot(tables, out_root=signed_root, as_at="2025-10-31", area=AREA, demo=True, replace=True, notes=["next"])
    assert time.monotonic() - started < 20
    assert notes(signed_root / "2025-10-31")[-1] == "next"
    assert not (signed_root / LOCK_FILE).exists() and not (signed_root / JOURNAL).exists()


def test_recover_leaves_a_publish_in_progress_alone(signed_root):
    """A journal beside a live lock is a publish going on now, not a dead one: nothing is touched."""
    from ingest.lock import FileLock

    (signed_root / JOURNAL).write_text(json.dumps({"as_at": "2025-10-31", "moved": None}))
    with FileLock(signed_root / LOCK_FILE, purpose="publishing 2025-10-31"):
        assert recover(signed_root) == ""
        assert (signed_root / JOURNAL).exists()
    assert recover(signed_root) != "" and not (signed_root / JOURNAL).exists()


def test_a_journal_naming_folders_elsewhere_is_never_followed(signed_root, tmp_path):
    """The journal lives on shared storage: names in it that are not the writer's own forms are ignored."""
    outside = tmp_path / "precious"
    outside.mkdir()
    entry = {"as_at": "2025-10-31", "moved": "../precious", "new": "../precious", "index": "../precious"}
    (signed_root / JOURNAL).write_text(json.dumps(entry))
    recover(signed_root)
    assert outside.is_dir() and (signed_root / "2025-10-31").is_dir() and not (signed_root / JOURNAL).exists()
