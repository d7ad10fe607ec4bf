"""Display versions of metric frames: words, units and periods in place of raw numbers, ready for st.dataframe
and CSV downloads. Row-wise formatting only; the numbers come from metrics/."""

from __future__ import annotations

import polars as pl

from metrics.formatting import RAG_WORDS, fmt_change, fmt_target, fmt_value


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
                "Theme": str(r["theme"]),
                "Workstream": r["workstream"].replace("CONTEXT", "Context"),
                "Indicator": r["title"],
                "Latest": latest if r["period_label"] is not None else "No data",
                "Period": r["period_label"] or "",
                "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
                "RAG": RAG_WORDS[r["rag"]] if r["period_label"] is not None or r["target"] is None else "No data",
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


def board_columns(table: pl.DataFrame) -> pl.DataFrame:
    """The Summary columns that read at a distance (no sparkline, no ids)."""
    return table.select(
        "Workstream", "Indicator", "Latest", "Period", "Target", "RAG", "Trend", "Since compare snapshot"
    )


# GOV.UK Design System colours for RAG cells, each with a text colour that passes WCAG AA (≥ 4.5:1) on it.
RAG_CELL = {
    "Green": ("#00703C", "#FFFFFF"),
    "Amber": ("#FFDD00", "#0B0C0C"),
    "Red": ("#D4351C", "#FFFFFF"),
    "No target": ("#F3F2F1", "#0B0C0C"),
    "No data": ("#F3F2F1", "#0B0C0C"),
}


def rag_styled(frame: pl.DataFrame, column: str = "RAG"):
    """A pandas Styler (what st.dataframe colours cells from) with RAG cells coloured; the word stays in the cell."""

    def paint(word: str) -> str:
        bg, fg = RAG_CELL.get(word, ("#FFFFFF", "#0B0C0C"))
        return f"background-color: {bg}; color: {fg}; font-weight: 600"

    return frame.to_pandas().style.map(paint, subset=[column])
