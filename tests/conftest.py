"""Shared fixtures: the committed demo snapshots, and fresh snapshots written into temporary folders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_ROOT = ROOT / "data" / "snapshots"
APP = ROOT / "app.py"


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return DEMO_ROOT


@pytest.fixture(scope="session")
def demo_tables():
    """The tables of the newest demo snapshot, built in memory (no disk)."""
    from ingest.demo import build_tables

    return build_tables(date(2025, 10, 31))


@pytest.fixture
def demo_copy(tmp_path, demo_root):
    """Copy demo snapshots (by date) into a root of their own, `tmp_path` unless another is named; the copy may be
    changed or written beside, the committed snapshots never are. Returns the root."""
    import shutil

    def copy(*dates: str, root: Path | None = None) -> Path:
        root = root or tmp_path
        for name in dates:
            shutil.copytree(demo_root / name, root / name)
        return root

    return copy


@pytest.fixture
def snapshot_factory(tmp_path, demo_tables):
    """Write a valid snapshot (the newest demo's tables, optionally changed) into a temporary root."""
    from ingest.writer import write_snapshot

    def make(as_at: str = "2025-10-31", root: Path | None = None, **overrides):
        tables = {**demo_tables, **overrides}
        return write_snapshot(
            tables, out_root=root or tmp_path, as_at=as_at, area={"la_code": "E08000002", "la_name": "Bury"}, demo=True
        )

    return make


@pytest.fixture(scope="session")
def sentinel_root(tmp_path_factory, demo_tables) -> Path:
    """Two snapshots whose ward counts are recognisable (tests/leaks.py), to find any that leaks."""
    from tests.leaks import write_sentinel_snapshots

    root = tmp_path_factory.mktemp("sentinel")
    write_sentinel_snapshots(root, demo_tables)
    return root


class RecordedBuild:
    """Stands in for the board papers' build process (ui.papers starts one after a publish or when asked): records
    its command line and environment and stays "running". The papers themselves are built for real in
    test_boardpack_papers.py and in the browser test tests/e2e/test_papers.py."""

    def __init__(self, cmd, **kwargs):
        self.cmd, self.env, self.code, self.stderr = cmd, kwargs.get("env"), None, None

    def poll(self):
        return self.code


@pytest.fixture(autouse=True)
def paper_builds(monkeypatch) -> list:
    """Every papers' build a test starts (no ten-second build process behind page tests)."""
    started: list[RecordedBuild] = []
    import ui.papers

    def popen(cmd, **kwargs):
        started.append(RecordedBuild(cmd, **kwargs))
        return started[-1]

    monkeypatch.setattr(ui.papers, "_spawn", popen)
    monkeypatch.setattr(ui.papers, "_JOBS", {})
    return started
