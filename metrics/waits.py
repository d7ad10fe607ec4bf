"""Children's community waiting times: the PIP3 indicators and the Greater Manchester league table.

Pure Polars over the `waiting_times` table. No Streamlit.
"""

from __future__ import annotations

import polars as pl


def pct_under_18_weeks() -> pl.Expr:
    """% of the waiting list waiting 18 weeks or less; percent; null when the locality made no return."""
    return (100.0 * pl.col("waiting_under_18_weeks") / pl.col("waiting_total")).alias("pct_under_18")


def derive_wait_kpis(waiting_times: pl.LazyFrame, area_code: str) -> pl.LazyFrame:
    """`kpi_values` rows `wait_u18_<service>_pct` for one area, from its locality returns (KPIS.md PIP3).

    Built when a snapshot is written so the indicator and the league table can never disagree. A month with no
    return becomes a null value with status `x`, never 0.
    """
    return (
        waiting_times.filter((pl.col("area_code") == area_code) & (pl.col("source") == "gm_locality_return"))
        .with_columns(pct_under_18_weeks())
        .select(
            kpi_id=pl.lit("wait_u18_") + pl.col("service") + pl.lit("_pct"),
            period_start=pl.col("period_end").dt.month_start(),
            period_end=pl.col("period_end"),
            period_label=pl.col("period_end").dt.strftime("%b %Y"),
            area_code=pl.col("area_code"),
            phase=pl.lit("all"),
            value=pl.col("pct_under_18"),
            numerator=pl.col("waiting_under_18_weeks").cast(pl.Float64),
            denominator=pl.col("waiting_total").cast(pl.Float64),
            status=pl.when(pl.col("waiting_total").is_null()).then(pl.lit("x")).otherwise(pl.lit("")),
            note=pl.lit(""),
        )
        .sort("kpi_id", "period_end")
    )
