"""Display versions of metric frames: words, units and periods in place of raw numbers, ready for st.dataframe
and CSV downloads. Row-wise formatting only; the numbers come from metrics/."""

from __future__ import annotations

import polars as pl

from metrics.formatting import RAG_BADGES, THEME_TITLES, WORKSTREAM_TITLES, fmt_change, fmt_target, fmt_value


def summary_display(frame: pl.DataFrame, theme: int | None = None) -> pl.DataFrame:
    """The Summary table as people read it: one row per indicator, every figure with its period and unit."""
    if theme is not None:
        frame = frame.filter(pl.col("theme") == theme)
    rows = []
    for r in frame.iter_rows(named=True):
        latest = fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or "")
        if r["phase_fallback"]:
            latest += " (all phases)"
        rows.append(
            {
                "Theme": THEME_TITLES[r["theme"]].split(" – ")[0],
                "Workstream": WORKSTREAM_TITLES.get(r["workstream"], r["workstream"]),
                "Indicator": r["title"],
                "Latest": latest if r["period_label"] is not None else "No data",
                "Period": r["period_label"] or "",
                "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
                "RAG": RAG_BADGES[r["rag"]],
                "Trend": r["trend"] or "► Only one period",
                "Since compare snapshot": fmt_change(
                    r["value"], r["compare_value"], r["period_label"], r["compare_label"], r["unit"], r["decimals"]
                ),
                "Last 24 periods": [v for v in (r["spark"] or []) if v is not None],
                "kpi_id": r["kpi_id"],
            }
        )
    schema = {
        "Theme": pl.String,
        "Workstream": pl.String,
        "Indicator": pl.String,
        "Latest": pl.String,
        "Period": pl.String,
        "Target": pl.String,
        "RAG": pl.String,
        "Trend": pl.String,
        "Since compare snapshot": pl.String,
        "Last 24 periods": pl.List(pl.Float64),
        "kpi_id": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
