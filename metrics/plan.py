"""The plan's own tables: actions (with RAG and overdue flags), commentary and risks. Pure Polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.kpi import action_rag_expr


def workstream_actions(actions: pl.LazyFrame, workstreams: list[str], as_at: date) -> pl.LazyFrame:
    """Actions of the given workstreams with `rag` (METHODS §2) and `overdue` (past due and not complete);
    overdue first, then by due date. Grain: action."""
    return (
        actions.filter(pl.col("workstream").is_in(workstreams))
        .with_columns(
            rag=action_rag_expr(pl.col("status"), pl.col("due_date"), as_at),
            overdue=(pl.col("due_date") < pl.lit(as_at)) & (pl.col("status") != "complete"),
        )
        .sort(["overdue", "due_date", "action_id"], descending=[True, False, False])
    )


def latest_commentary(commentary: pl.LazyFrame, workstream: str) -> pl.LazyFrame:
    """A workstream's commentary, newest first, with `is_latest` marking the entries of the most recent date."""
    ws = commentary.filter(pl.col("workstream") == workstream)
    return ws.with_columns(is_latest=pl.col("written") == pl.col("written").max()).sort(
        ["written", "kind"], descending=[True, False]
    )


def risks_for(risks: pl.LazyFrame, workstreams: list[str]) -> pl.LazyFrame:
    """Open risks touching any of the workstreams, highest score first. Grain: risk."""
    return risks.filter(
        (pl.col("status") == "open") & pl.col("workstreams").list.eval(pl.element().is_in(workstreams)).list.any()
    ).sort(["score", "risk_id"], descending=[True, False])
