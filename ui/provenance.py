"""Display frames for the Data and methods page: the snapshot's tables and sources, and the indicator catalogue."""

from __future__ import annotations

import polars as pl

from metrics.formatting import WORKSTREAM_TITLES, fmt_date, fmt_target, plain_sources
from metrics.schema import TABLES
from metrics.snapshot import Snapshot

POLARITY_WORDS = {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better", "neutral": "Neutral"}
UNIT_NAMES = {
    "percent": "Percent",
    "count": "Number",
    "rate_per_1000": "Rate per 1,000",
    "weeks": "Weeks",
    "days": "Days",
    "score": "Score",
    "pounds": "Pounds (£)",
}


def tables_frame(snap: Snapshot) -> pl.DataFrame:
    m = snap.manifest
    return pl.DataFrame(
        [
            {
                "Table": name,
                "What it holds": TABLES[name].description,
                "Rows": m["tables"][name]["rows"],
                "SHA-256 (verified)": m["tables"][name]["sha256"],
            }
            for name in TABLES
        ]
    )


def plain_sources_frame(snap: Snapshot) -> pl.DataFrame:
    """The snapshot's sources as anyone reads them: what, who publishes it, when, licence (no files or checksums)."""
    rows = plain_sources(snap.manifest.get("sources", []), snap.la_name)
    return pl.DataFrame(rows, schema={k: pl.String for k in ("Source", "Publisher", "Published", "Licence")})


def sources_frame(snap: Snapshot) -> pl.DataFrame:
    """The source files behind a snapshot, with their checksums (the officers' technical details)."""
    rows = [
        {
            "Source": s.get("name", ""),
            "File": s.get("file", ""),
            "Publisher": s.get("publisher", ""),
            "Published": s.get("published", ""),
            "Licence": s.get("licence", ""),
            "SHA-256": s.get("sha256", ""),
        }
        for s in snap.manifest.get("sources", [])
    ]
    schema = {k: pl.String for k in ("Source", "File", "Publisher", "Published", "Licence", "SHA-256")}
    return pl.DataFrame(rows, schema=schema)


def catalogue_frame(catalogue: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for r in catalogue.iter_rows(named=True):
        rows.append(
            {
                "Workstream": WORKSTREAM_TITLES.get(r["workstream"], r["workstream"]),
                "Indicator": r["title"],
                "Definition": r["definition"],
                "Unit": UNIT_NAMES[r["unit"]],
                "Polarity": POLARITY_WORDS[r["polarity"]],
                "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
                "Frequency": r["frequency"].capitalize(),
                "Source": r["source"] + (f" ({r['topic']})" if r.get("topic") else ""),
                "Year type": r.get("year_type") or "",
                "Last update": fmt_date(r.get("last_update")),
                "Next update": fmt_date(r["next_update"]) or "Not scheduled",
                "Link": r.get("link") or "",
                "Id": r["kpi_id"],
            }
        )
    return pl.DataFrame(rows)
