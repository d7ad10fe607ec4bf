"""A new snapshot from a base snapshot with some tables replaced, through the atomic writer.

Whenever `waiting_times` changes, the area's `wait_u18_<service>_pct` indicator rows are derived again from it, so
the indicator and the league table can never disagree. The base snapshot is never touched.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from ingest.writer import write_snapshot
from metrics.schema import TABLES
from metrics.snapshot import Snapshot, scan_table, sha256_file
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


def derive_snapshot(
    base: Snapshot,
    *,
    replace: dict[str, pl.DataFrame],
    out_root: Path,
    as_at: str | None,
    sources: list[dict],
    note: str,
    replace_existing: bool = False,
    config: dict | None = None,
) -> Path:
    """Write a new snapshot: the base's tables, with `replace` laid over them. Raises WriteError."""
    tables = {name: scan_table(base, name).collect() for name in TABLES}
    tables.update(replace)
    if "waiting_times" in replace:
        tables["kpi_values"] = rederive_waits(tables["kpi_values"], tables["waiting_times"], base.la_code)
    manifest = base.manifest
    merged_config = {**manifest.get("config", {}), **(config or {})}
    return write_snapshot(
        tables,
        out_root=out_root,
        as_at=as_at or date.today().isoformat(),
        area=manifest["area"],
        demo=manifest["demo"],
        sources=[*manifest.get("sources", []), *sources],
        replace=replace_existing,
        notes=[*manifest.get("notes", []), f"{note} Other tables copied from snapshot {base.id}."],
        config=merged_config,
        extra={b: manifest[b] for b in ("region", "system") if isinstance(manifest.get(b), dict)},
    )
