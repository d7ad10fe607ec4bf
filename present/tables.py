"""Display tables of the plan's indicators, actions and risks: words, units and periods in place of raw
numbers, one row per thing, the same for the app's screens, its CSV downloads, the PDF and the slides. Row-wise
formatting only; the numbers come from metrics/."""

from __future__ import annotations

import polars as pl

from metrics.formatting import (
    ACTION_RAG_WORDS,
    ASSURANCE_LABELS,
    ASSURANCE_SHORT,
    SMALL_NUMBER_CAUTION,
    fmt_change,
    fmt_date,
    fmt_target,
    fmt_value,
    rag_word,
    variation_words,
    workstream_label,
)


def summary_display(frame: pl.DataFrame, theme: int | None = None, *, short: bool = False) -> pl.DataFrame:
    """The Summary table as people read it: one row per indicator, every figure with its period and unit. `short`:
    the SPC variation and assurance as an icon and a word or two, and a new period's change without the period
    (shown beside it), for the officer's grid and the papers' table, where every column must fit; the downloads
    give the sentences."""
    if theme is not None:
        frame = frame.filter(pl.col("theme") == theme)
    rows = []
    for r in frame.iter_rows(named=True):
        latest = fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or "")
        if r["phase_fallback"]:
            latest += " (all phases)"
        if r.get("small_number") and r["value"] is not None:
            latest += f" ({SMALL_NUMBER_CAUTION})"
        rows.append(
            {
                "Theme": str(r["theme"]),
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Latest": latest if r["period_label"] is not None else "No data",
                "Period": r["period_label"] or "",
                "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
                "RAG": rag_word(
                    r["rag"],
                    has_target=r["target"] is not None,
                    has_value=r["period_label"] is not None,
                    small=bool(r.get("small_number")),
                ),
                "Trend": r["trend"] or "► Only one period",
                "Since compare snapshot": fmt_change(
                    r["value"],
                    r["compare_value"],
                    r["period_label"],
                    r["compare_label"],
                    r["unit"],
                    r["decimals"],
                    short=short,
                ),
                "Variation": variation_words(r.get("variation"), r.get("no_spc"), short=short),
                "Assurance": ""
                if (r.get("variation") or "none") == "none"
                else (ASSURANCE_SHORT if short else ASSURANCE_LABELS)[r.get("assurance") or "none"],
                "Last 24 periods": [v for v in (r["spark"] or []) if v is not None],
                "Page": f"theme_{r['theme']}",
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
        "Variation": pl.String,
        "Assurance": pl.String,
        "Last 24 periods": pl.List(pl.Float64),
        "Page": pl.String,
        "kpi_id": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _first_capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def exceptions_display(frame: pl.DataFrame, compare_label: str | None) -> pl.DataFrame:
    """The exceptions as the Summary opens with them: the indicator, its latest figure and period, and why it
    needs the board's attention (metrics.exceptions.reasons)."""
    from metrics.exceptions import reasons

    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Latest": fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or ""),
                "Period": r["period_label"] or "",
                "Why it needs attention": _first_capital("; ".join(reasons(r, compare_label, short=True))),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={c: pl.String for c in ("Workstream", "Indicator", "Latest", "Period", "Why it needs attention")},
    )


def paper_columns(table: pl.DataFrame) -> pl.DataFrame:
    """The Summary columns the board papers print (the PDF and the slides), under the headings the app's table
    shows them with: no theme, sparkline, change since the compare snapshot (the papers give it its own section),
    link or id."""
    return table.select(
        "Workstream",
        "Indicator",
        "Latest",
        "Period",
        "Target",
        "RAG",
        "Trend",
        pl.col("Variation").alias("SPC variation"),
        pl.col("Assurance").alias("SPC assurance"),
    )


def board_columns(table: pl.DataFrame) -> pl.DataFrame:
    """The Summary columns that read at a distance, one line a row (no sparkline, no ids; what changed since the
    last board has its own page)."""
    return table.select("Workstream", "Indicator", "Latest", "Period", "Target", "RAG", "Trend")


# GOV.UK Design System colours for RAG cells, each with a text colour that passes WCAG AA (≥ 4.5:1) on it.


SIGNAL_WORDS = {
    "common_cause": "Common cause",
    "improvement": "Improvement",
    "concern": "Concern",
    "neutral_high": "Higher (special cause)",
    "neutral_low": "Lower (special cause)",
}


def series_display(series: pl.DataFrame, comparators: pl.DataFrame, kpi: dict) -> pl.DataFrame:
    """The table twin of an indicator chart: every period with value, SPC centre and limits, signal, and the
    comparators' values for the same period. The note marks the first period after a declared break in the series
    and a figure on a small denominator, which has no SPC signal (METHODS §8)."""
    from metrics.kpi import SMALL_DENOMINATOR

    unit, dec = kpi["unit"], kpi["decimals"]
    brk = pl.col("series_break") if "series_break" in series.columns else pl.lit(False)
    small = pl.col("small_number") if "small_number" in series.columns else pl.lit(False)
    signal = (
        pl.when(small)
        .then(pl.lit(f"No signal: fewer than {SMALL_DENOMINATOR} cases"))
        .otherwise(pl.col("signal").replace_strict(SIGNAL_WORDS, default=""))
    )
    note = pl.concat_str(
        [
            pl.when(brk).then(
                pl.lit(
                    "Break in the series: the publisher changed how the figures are collected from this period, so "
                    "limits and runs start again here."
                )
            ),
            pl.when(small).then(pl.lit(f"Small number: fewer than {SMALL_DENOMINATOR} cases, shown with caution.")),
            pl.when(pl.col("note") != "").then(pl.col("note")),
        ],
        separator=" ",
        ignore_nulls=True,
    )
    out = series.sort("period_end").select(
        pl.col("period_label").alias("Period"),
        pl.struct("value", "status")
        .map_elements(lambda r: fmt_value(r["value"], unit, dec, r["status"] or ""), return_dtype=pl.String)
        .alias("Value"),
        pl.col("numerator").alias("Numerator"),
        pl.col("denominator").alias("Denominator"),
        pl.col("mean").round(dec + 1).alias("Mean"),
        pl.col("lpl").round(dec + 1).alias("Lower process limit"),
        pl.col("upl").round(dec + 1).alias("Upper process limit"),
        signal.alias("SPC signal"),
        pl.col("rule").str.replace_all("_", " ").alias("SPC rule"),
        note.alias("Note"),
    )
    for name in comparators["area_name"].unique(maintain_order=True).to_list() if comparators.height else []:
        comp = comparators.filter(pl.col("area_name") == name).select(
            pl.col("period_label").alias("Period"),
            pl.col("value").map_elements(lambda v: fmt_value(v, unit, dec), return_dtype=pl.String).alias(name),
        )
        out = out.join(comp, on="Period", how="full", coalesce=True)
    return out


ACTION_STATUS_WORDS = {
    "complete": "Complete",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "not_started": "Not started",
}


def actions_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Actions as people read them: overdue marked, status and RAG in words, owner role, due date."""
    return frame.select(
        pl.when(pl.col("overdue")).then(pl.lit("⚠ Overdue")).otherwise(pl.lit("")).alias("Overdue"),
        pl.col("action_id").alias("Ref"),
        pl.col("title").alias("Action"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("due_date").map_elements(fmt_date, return_dtype=pl.String).alias("Due"),
        pl.col("status").replace_strict(ACTION_STATUS_WORDS).alias("Status"),
        pl.col("rag").replace_strict(ACTION_RAG_WORDS).alias("RAG"),
        pl.col("progress_note").alias("Latest update"),
        pl.col("updated").map_elements(fmt_date, return_dtype=pl.String).alias("Updated"),
    )


DIRECTION_WORDS = {"rising": "▲ Rising", "stable": "► Stable", "falling": "▼ Falling"}


def risks_display(frame: pl.DataFrame) -> pl.DataFrame:
    """The risk register as people read it: reference, risk, workstreams, likelihood, severity, score, direction
    (arrow and word), owner role, status, mitigation."""
    return frame.select(
        pl.col("risk_id").alias("Ref"),
        pl.col("title").alias("Risk"),
        pl.col("workstreams").list.join(", ").alias("Workstreams"),
        pl.col("likelihood").cast(pl.Int32).alias("Likelihood (1–5)"),
        pl.col("severity").cast(pl.Int32).alias("Severity (1–5)"),
        pl.col("score").cast(pl.Int32).alias("Score (of 25)"),
        pl.col("direction").replace_strict(DIRECTION_WORDS).alias("Direction"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("status").str.to_titlecase().alias("Status"),
        pl.col("mitigation").alias("Mitigation"),
    )


def needs_display(frame: pl.DataFrame) -> pl.DataFrame:
    """EHC plans by primary type of need (metrics.series.latest_by_area) as people read them: the need in words,
    then each area's per cent to one decimal place, x where it has none."""
    if frame.height == 0:
        return pl.DataFrame()
    areas = [c for c in frame.columns if c not in ("kpi_id", "title")]
    need = pl.col("title").str.strip_prefix("Primary need: ").str.strip_suffix(" (DfE)")
    return frame.select(
        (need.str.slice(0, 1).str.to_uppercase() + need.str.slice(1).str.to_lowercase()).alias("Primary need"),
        *[
            pl.col(c).map_elements(lambda v: fmt_value(v, "percent", 1), return_dtype=pl.String).fill_null("x")
            for c in areas
        ],
    )


def as_word_lists(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """The frame with one column's words as lists of one word (what the app's grid shows as pills)."""
    return frame.with_columns(pl.concat_list(pl.col(column)))
