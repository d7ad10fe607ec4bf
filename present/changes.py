"""What changed between two snapshots (metrics.diff.between) as people read it: one display table per
kind of change, in the order and under the headings the Since last board page, the Update data page's preview, the
PDF and the slides all use."""

from __future__ import annotations

import polars as pl

from metrics.formatting import (
    ASSURANCE_LABELS,
    RAG_WORDS,
    VARIATION_LABELS,
    fmt_value,
    workstream_label,
)
from present.tables import ACTION_STATUS_WORDS


def new_periods_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Value": fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or ""),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={"Workstream": pl.String, "Indicator": pl.String, "Period": pl.String, "Value": pl.String},
    )


def revisions_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Was": fmt_value(r["before"], r["unit"], r["decimals"], r["before_status"] or ""),
                "Now": fmt_value(r["after"], r["unit"], r["decimals"], r["after_status"] or ""),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={k: pl.String for k in ("Workstream", "Indicator", "Period", "Was", "Now")},
    )


def ratings_display(frame: pl.DataFrame) -> pl.DataFrame:
    def word(what: str, code: str) -> str:
        if what == "RAG":
            return RAG_WORDS.get(code, code)
        if what == "Variation":
            return VARIATION_LABELS.get(code, code)
        return ASSURANCE_LABELS.get(code, code)

    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "What changed": r["what"],
                "Was": word(r["what"], r["before"]),
                "Now": word(r["what"], r["after"]),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={k: pl.String for k in ("Workstream", "Indicator", "What changed", "Was", "Now")},
    )


def action_changes_display(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("action_id").alias("Ref"),
        pl.col("workstream").map_elements(workstream_label, return_dtype=pl.String).alias("Workstream"),
        pl.col("title").alias("Action"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("before").replace_strict(ACTION_STATUS_WORDS, default="New action").alias("Was"),
        pl.col("after").replace_strict(ACTION_STATUS_WORDS).alias("Now"),
    )


def risk_changes_display(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("risk_id").alias("Ref"),
        pl.col("title").alias("Risk"),
        pl.col("change").alias("Change"),
        pl.col("score").alias("Score now (likelihood × severity)"),
        pl.col("direction").str.to_titlecase().alias("Direction"),
    )


# Each kind of change: its heading, its key in metrics.diff.between's result, its display table, and what the app
# says when there is none ({when}: the compare snapshot's date). The order is the order every output shows them in.
SECTIONS = [
    ("New data", "new", new_periods_display, "No new data since the snapshot of {when}."),
    ("Revised figures", "revised", revisions_display, "No revisions since the snapshot of {when}."),
    (
        "Rating and SPC icon changes",
        "ratings",
        ratings_display,
        "No RAG rating or SPC icon has changed since the snapshot of {when}.",
    ),
    ("Actions", "actions", action_changes_display, "No action has changed status since the snapshot of {when}."),
    ("Risks", "risks", risk_changes_display, "No risk is new, closed or re-scored since the snapshot of {when}."),
]


def change_sections(changes: dict[str, pl.DataFrame]) -> list[tuple[str, str, pl.DataFrame | None]]:
    """(heading, key, display table or None when nothing of that kind changed) for each kind of change, in order."""
    return [(title, key, display(changes[key]) if changes[key].height else None) for title, key, display, _ in SECTIONS]


def rows_of_table(rows: pl.DataFrame, table: str) -> tuple[pl.DataFrame, dict[str, int]]:
    """One table's lines of the Update data page's row-by-row preview (columns Table, Change, Row, ...), and how
    many rows each kind of change ("Changed", "Added", "Removed") touches (a changed row has a line per cell)."""
    part = rows.filter(pl.col("Table") == table)
    return part, dict(part.group_by("Change").agg(pl.col("Row").n_unique()).iter_rows())
