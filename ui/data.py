"""Cached wrappers around metric calls. Keys are small values (snapshot path + fingerprint, phase, kpi_id); the
verified snapshot handle is the only cached resource. Frames come back collected, ready for display.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from metrics import kpi
from metrics.schema import TABLES
from metrics.snapshot import Snapshot, open_snapshot, scan_table


def fingerprint(path: Path | str) -> str:
    """Sizes and modification times of a snapshot's files: cheap, and changes whenever a file does."""
    path = Path(path)
    parts = []
    for name in ["manifest.json", *[f"{t}.parquet" for t in TABLES]]:
        f = path / name
        try:
            s = f.stat()
            parts.append(f"{name}:{s.st_size}:{s.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{name}:missing")
    return "|".join(parts)


@st.cache_resource(max_entries=16, show_spinner=False)
def _open(path: str, fp: str) -> Snapshot:
    return open_snapshot(path)


def snapshot(path: Path | str) -> Snapshot:
    """The verified snapshot at `path`; raises SnapshotError naming the file when it cannot be trusted."""
    return _open(str(path), fingerprint(path))


def _key(snap: Snapshot | None) -> tuple[str, str]:
    return ("", "") if snap is None else (str(snap.path), fingerprint(snap.path))


@st.cache_data(max_entries=64, show_spinner=False)
def _table(path: str, fp: str, name: str) -> pl.DataFrame:
    return scan_table(_open(path, fp), name).collect()


def table(snap: Snapshot, name: str) -> pl.DataFrame:
    """A whole snapshot table, collected once per snapshot and cached."""
    return _table(*_key(snap), name)


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(path: str, fp: str, cpath: str, cfp: str, phase: str) -> pl.DataFrame:
    snap = _open(path, fp)
    compare = scan_table(_open(cpath, cfp), "kpi_values") if cpath else None
    return kpi.summary(
        scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), compare, area_code=snap.la_code, phase=phase
    ).collect()


def summary(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The Summary frame (metrics.kpi.summary) for a snapshot, compare snapshot and phase."""
    return _summary(*_key(snap), *_key(compare), phase)


def rag_counts(frame: pl.DataFrame, theme: int | None = None) -> dict[str, int]:
    """RAG word → number of indicators in an already-computed summary frame (optionally one theme)."""
    lf = frame.lazy() if theme is None else frame.lazy().filter(pl.col("theme") == theme)
    return dict(kpi.rag_counts(lf).collect().iter_rows())
