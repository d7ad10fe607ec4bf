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


def risk_grid(risks: pl.LazyFrame) -> pl.LazyFrame:
    """The 5 × 5 likelihood × severity grid of the open risks: one row per cell (all 25, empty ones too) with its
    score (likelihood × severity), band (low 1–6, medium 8–12, high 15–25) and the references of the risks placed
    there, in order. Grain: likelihood × severity."""
    cells = pl.LazyFrame(
        {"likelihood": [lk for lk in range(1, 6) for _ in range(5)], "severity": list(range(1, 6)) * 5},
        schema={"likelihood": pl.Int8, "severity": pl.Int8},
    )
    placed = (
        risks.filter(pl.col("status") == "open")
        .sort("risk_id")
        .group_by("likelihood", "severity")
        .agg(refs=pl.col("risk_id"), n=pl.len())
    )
    score = pl.col("likelihood").cast(pl.Int32) * pl.col("severity").cast(pl.Int32)
    return (
        cells.join(placed, on=["likelihood", "severity"], how="left")
        .with_columns(
            score=score,
            band=pl.when(score >= 15)
            .then(pl.lit("high"))
            .when(score >= 8)
            .then(pl.lit("medium"))
            .otherwise(pl.lit("low")),
            n=pl.col("n").fill_null(0).cast(pl.Int32),
            refs=pl.col("refs").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .with_columns(label=pl.col("refs").list.join(" "))
        .sort("likelihood", "severity")
    )


def all_actions(actions: pl.LazyFrame, as_at: date) -> pl.LazyFrame:
    """Every action with `rag` and `overdue`, overdue first, then by due date. Grain: action."""
    return workstream_actions(actions, list(_workstreams()), as_at)


def _workstreams() -> tuple[str, ...]:
    from metrics.schema import WORKSTREAMS

    return tuple(WORKSTREAMS)


def describe_grid(grid: pl.DataFrame) -> str:
    """The risk grid in one sentence (the chart's description and alternative text): where every open risk sits."""
    placed = grid.filter(pl.col("n") > 0)
    if placed.height == 0:
        return "Heat grid of the risk register: no open risks."
    cells = "; ".join(
        f"{r['label']} at likelihood {r['likelihood']}, severity {r['severity']}" for r in placed.iter_rows(named=True)
    )
    return f"Heat grid of {int(grid['n'].sum())} open risks by likelihood and severity: {cells}."


def filter_actions(
    frame: pl.DataFrame, *, workstreams: list[str], owners: list[str], statuses: list[str]
) -> pl.DataFrame:
    """The actions matching every filter that has a choice (an empty choice keeps all); order unchanged."""
    keep = pl.lit(True)
    for column, chosen in (("workstream", workstreams), ("owner_role", owners), ("status", statuses)):
        if chosen:
            keep = keep & pl.col(column).is_in(chosen)
    return frame.filter(keep)


def risk_register(risks: pl.LazyFrame) -> pl.LazyFrame:
    """Every risk, open ones first, highest score first, then by reference."""
    return risks.sort(["status", "score", "risk_id"], descending=[True, True, False])


def latest_and_earlier(commentary: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A workstream's commentary (latest_commentary, collected) split into the latest date's entries and the
    earlier ones."""
    return commentary.filter(pl.col("is_latest")), commentary.filter(~pl.col("is_latest"))
