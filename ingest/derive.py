"""What every route onto a snapshot derives alike: a manifest entry for a source file, and the area's waiting-time
indicator rows derived again whenever `waiting_times` changes, so the indicator and the league table never disagree.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from metrics.snapshot import sha256_file
from metrics.waits import derive_wait_kpis


def source_entry(path: Path, name: str, publisher: str, published: str = "") -> dict:
    """A manifest source entry for a file, with its sha256."""
    return {
        "name": name,
        "file": Path(path).name,
        "sha256": sha256_file(path),
        "publisher": publisher,
        "licence": "OGL-3.0" if publisher != "local" else "local data",
        "published": published,
    }


def rederive_waits(values: pl.DataFrame, waits: pl.DataFrame, area_code: str) -> pl.DataFrame:
    """kpi_values with the area's waiting-time indicator rows rebuilt from `waits`."""
    kept = values.filter(~(pl.col("kpi_id").str.starts_with("wait_u18_") & (pl.col("area_code") == area_code)))
    derived = derive_wait_kpis(waits.lazy(), area_code).collect().select(values.columns)
    return pl.concat([kept, derived]).sort("kpi_id", "area_code", "phase", "period_end")
