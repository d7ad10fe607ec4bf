"""The atomic writer and the verifying loader: nothing partial is ever visible, nothing damaged is ever shown."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from ingest.__main__ import main as ingest_main
from ingest.writer import STALE_TEMPORARY, WriteError, write_snapshot
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


def test_the_next_publish_removes_what_a_stopped_writer_left_an_hour_ago_and_nothing_else(demo_tables, tmp_path):
    # a writer stopped while writing its tables (before it took the lock) leaves its temporary folder behind
    stopped = tmp_path / ".tmp-2025-10-31-0123456789abcdef"
    stopped.mkdir()
    (stopped / "kpi_values.parquet").write_bytes(b"PAR1")
    slow = tmp_path / ".tmp-2025-10-31-fedcba9876543210"  # an old folder, but a file written a moment ago: in use
    slow.mkdir()
    (slow / "actions.parquet").write_bytes(b"PAR1")
    other = tmp_path / ".tmp-notes"  # not named as a writer names its folders
    other.mkdir()
    long_ago = time.time() - STALE_TEMPORARY - 60
    for path in (stopped / "kpi_values.parquet", stopped, slow, other):
        os.utime(path, (long_ago, long_ago))
    write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-10-31", area=AREA, demo=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".tmp-2025-10-31-fedcba9876543210",
        ".tmp-notes",
        "2025-10-31",
    ]
    # the same folder written to half an hour ago is still someone's write: kept
    recent = time.time() - STALE_TEMPORARY / 2
    os.utime(slow / "actions.parquet", (recent, recent))
    write_snapshot(demo_tables, out_root=tmp_path, as_at="2025-09-30", area=AREA, demo=True)
    assert slow.exists()


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


# --- issue 24 item 11: two processes replacing one date; the lock shared across processes and machines ---------------

# A writer process: N rounds of replacing one date; each round waits, just after the writer has made its temporary
# folder (so after it has noted what it replaces), until the other process has got as far, so both always race.
RACER = """
import json, sys, time
from pathlib import Path
import polars as pl
from ingest.writer import STALE_TEMPORARY, WriteError, write_snapshot

me, other, root, source, sync, rounds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]), int(sys.argv[6])
tables = {f.stem: pl.read_parquet(f) for f in source.glob("*.parquet")}
import ingest.writer
real_folder = ingest.writer._temporary_folder
state = {"round": 0}

def folder(*args, **kwargs):
    made = real_folder(*args, **kwargs)
    (sync / f"{state['round']}-{me}").touch()
    deadline = time.monotonic() + 60
    while not (sync / f"{state['round']}-{other}").exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    return made

ingest.writer._temporary_folder = folder
for n in range(rounds):
    state["round"] = n
    try:
        write_snapshot(tables, out_root=root, as_at="2025-10-31", area={"la_code": "E08000002", "la_name": "Bury"},
                       demo=True, replace=True, notes=[f"process {me}, round {n}"])
        outcome = "ok"
    except WriteError as exc:
        outcome = "told: " + str(exc)
    except BaseException as exc:
        outcome = f"raw: {type(exc).__name__}: {exc}"
    print(json.dumps({"round": n, "outcome": outcome}), flush=True)
"""


def test_two_processes_replacing_one_date_one_wins_the_other_is_told(demo_root, tmp_path, monkeypatch):
    """Issue 24 item 11. Before, both writers moved the current snapshot aside in turn and both "succeeded" (the
    second silently replacing the first's, which nobody saw), or the second's rename hit the first's and raised a raw
    FileNotFoundError. Now, in every round, exactly one wins; the other is told and nothing of its is written."""
    import subprocess
    import sys

    from metrics.snapshot import read_index

    key = "a-board-signing-key-for-tests-0123456789"
    monkeypatch.setenv("SEND_SNAPSHOT_KEY", key)
    root, sync, rounds = tmp_path / "snapshots", tmp_path / "sync", 6
    sync.mkdir()
    tables = {name: pl.read_parquet(demo_root / "2025-10-31" / f"{name}.parquet") for name in TABLES}
    write_snapshot(tables, out_root=root, as_at="2025-10-31", area=AREA, demo=True, notes=["the first"])
    env = {**os.environ, "SEND_SNAPSHOT_KEY": key, "PYTHONPATH": str(Path(__file__).parents[1])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, me, other, str(root), str(demo_root / "2025-10-31"), str(sync), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for me, other in (("A", "B"), ("B", "A"))
    ]
    results = {}
    for name, proc in zip("AB", procs, strict=True):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results[name] = [json.loads(line)["outcome"] for line in out.splitlines()]
    assert len(results["A"]) == len(results["B"]) == rounds
    for n in range(rounds):
        outcomes = sorted([results["A"][n], results["B"][n]])
        assert not any(o.startswith("raw:") for o in outcomes), outcomes
        assert outcomes[0] == "ok" and outcomes[1].startswith(
            "told: Snapshot not written: a snapshot for 2025-10-31 was published by someone else a moment ago"
        ), (n, outcomes)
    winners = [f"process {'A' if results['A'][n] == 'ok' else 'B'}, round {n}" for n in range(rounds)]
    # every winner's snapshot is the current one or moved aside, in order; no loser's is anywhere; nothing left over
    assert [p.name for p in root.iterdir() if not p.name.startswith("2025-10-31")] == ["index.json"]  # no lock, no .tmp
    kept = {}
    for folder in root.iterdir():
        if folder.name.startswith("2025-10-31"):
            kept[folder.name] = json.loads((folder / "manifest.json").read_text())["notes"][-1]
    assert sorted(kept.values()) == sorted(["the first", *winners])
    assert kept["2025-10-31"] == winners[-1]
    snap = open_snapshot(root / "2025-10-31", key=key.encode())
    assert read_index(root, key.encode()) == {"2025-10-31": snap.manifest_sha256}
    # each replacing manifest names the one it replaced: one unbroken chain from the first to the last winner
    by_digest = {sha256_file(f / "manifest.json"): f for f in root.iterdir() if f.name.startswith("2025-10-31")}
    chain, folder = [], root / "2025-10-31"
    while True:
        manifest = json.loads((folder / "manifest.json").read_text())
        chain.append(manifest["notes"][-1])
        if "replaces" not in manifest:
            break
        folder = by_digest[manifest["replaces"]["manifest_sha256"]]
    assert chain == [*reversed(winners), "the first"]


def _holder(path: Path, **fields) -> None:
    record = {"token": "t", "owner": "someone", "host": "elsewhere", "pid": 1, "purpose": "publishing", **fields}
    path.write_text(json.dumps(record))


def test_the_lock_is_exclusive_and_names_its_holder(tmp_path):
    from ingest.lock import FileLock, LockBusy

    with FileLock(tmp_path / ".lock", purpose="publishing 2025-10-31"):
        with pytest.raises(LockBusy) as err:
            FileLock(tmp_path / ".lock", purpose="something else", wait=0.2).acquire()
        assert "publishing 2025-10-31, by " in str(err.value) and f"(process {os.getpid()})" in str(err.value)
    assert not (tmp_path / ".lock").exists()  # released
    with FileLock(tmp_path / ".lock", wait=0.2):  # and free again
        pass


def test_a_lock_left_by_a_dead_process_on_this_machine_is_broken_at_once(tmp_path):
    """A holder killed outright (kill -9) never releases: its process is gone, so its lock is stale."""
    import signal
    import subprocess
    import sys
    import time

    from ingest.lock import FileLock

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ingest.lock import FileLock; "
            f"FileLock({str(tmp_path / '.lock')!r}, purpose='held').acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    with FileLock(tmp_path / ".lock", wait=5):
        assert time.monotonic() - started < 1
    assert [p.name for p in tmp_path.iterdir()] == []  # the stale file is gone, not kept under another name


def test_a_lock_from_another_machine_is_stale_only_when_untouched_for_long(tmp_path):
    import time

    from ingest.lock import FileLock, LockBusy

    lock = tmp_path / ".lock"
    _holder(lock, host="another-app-server", pid=os.getpid())
    with pytest.raises(LockBusy, match="publishing, by someone on another-app-server"):
        FileLock(lock, wait=0.2, stale_after=300).acquire()
    old = time.time() - 301
    os.utime(lock, (old, old))  # untouched for longer than stale_after: its holder is taken to be gone
    with FileLock(lock, wait=0.2, stale_after=300):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_breaking_a_stale_lock_never_removes_a_fresh_one(tmp_path):
    """Two processes judge the same lock stale; the first breaks it and locks afresh; the second's break must put
    the fresh lock back, not remove it."""
    from ingest.lock import FileLock

    lock = tmp_path / ".lock"
    _holder(lock)
    judged = os.stat(lock)  # what the slower breaker saw
    os.unlink(lock)
    first = FileLock(lock, purpose="the first breaker")
    first.acquire()  # the faster breaker's fresh lock
    FileLock(lock)._break(judged)
    assert json.loads(lock.read_text())["purpose"] == "the first breaker"
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]
    first.release()
    assert not lock.exists()


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
