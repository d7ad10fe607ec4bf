"""Indicator metrics for the Summary and theme pages: latest values, RAG, trend arrows, change since a compare
snapshot and sparkline series. Pure Polars; frames in, LazyFrames out.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.schema import BENCHMARK_ONLY, WORKSTREAMS

RAG_TOLERANCE = 0.05  # METHODS §2: amber when the target is missed by no more than 5% of the target
SMALL_DENOMINATOR = 10  # METHODS §8: a figure on fewer gets a caution and no rank, quartile, RAG or SPC signal
SPARK_POINTS = 24


def half_unit(decimals: pl.Expr) -> pl.Expr:
    """Half a display unit for `decimals` (0 → 0.5, 1 → 0.05): the smallest change worth an arrow or a revision.

    Less a hair (1e-9) so a difference of exactly half a unit, stored as 0.04999… in binary, still counts."""
    return 0.5 * pl.lit(10.0).pow(-decimals.cast(pl.Float64)) - 1e-9


def small_number(denominator: pl.Expr) -> pl.Expr:
    """True where a percentage or rate rests on fewer than SMALL_DENOMINATOR cases (METHODS §8): the Isles of
    Scilly's one plan of one on time is 100%, and says nothing a rank, quartile, RAG or SPC signal could. False where
    there is no denominator (a count)."""
    return (denominator < SMALL_DENOMINATOR).fill_null(False)


def rag_expr(
    value: pl.Expr, target: pl.Expr, polarity: pl.Expr, decimals: pl.Expr, denominator: pl.Expr | None = None
) -> pl.Expr:
    """RAG word (Green/Amber/Red/Grey) of a value against the PIP target; METHODS §2.

    The value is compared as displayed (rounded to the indicator's decimals), so a board never sees "90%" marked
    amber against a 90% target. Grey: no target, no value, a neutral indicator, or a figure on a small denominator
    (METHODS §8, `small_number`).
    """
    scale = pl.lit(10.0).pow(decimals.cast(pl.Float64))
    shown = (value * scale).round(0) / scale
    slack = RAG_TOLERANCE * target.abs()
    higher = polarity == "higher_is_better"
    lower = polarity == "lower_is_better"
    return (
        pl.when(value.is_null() | value.is_nan() | target.is_null() | target.is_nan() | ~(higher | lower))
        .then(pl.lit("Grey"))
        .when(small_number(denominator) if denominator is not None else pl.lit(False))
        .then(pl.lit("Grey"))
        .when((higher & (shown >= target)) | (lower & (shown <= target)))
        .then(pl.lit("Green"))
        .when((higher & (shown >= target - slack)) | (lower & (shown <= target + slack)))
        .then(pl.lit("Amber"))
        .otherwise(pl.lit("Red"))
    )


def trend_expr(value: pl.Expr, previous: pl.Expr, polarity: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """Trend against the previous period (METHODS §5): "▲ Improving", "▼ Worsening", "► No change", "▲ Up"/"▼ Down"
    for neutral indicators; null when there is no previous value."""
    delta = value - previous
    up = delta > 0
    flat = delta.abs() < half_unit(decimals)
    better = (up & (polarity == "higher_is_better")) | (~up & (polarity == "lower_is_better"))
    arrow = pl.when(up).then(pl.lit("▲ ")).otherwise(pl.lit("▼ "))
    word = (
        pl.when(polarity == "neutral")
        .then(pl.when(up).then(pl.lit("Up")).otherwise(pl.lit("Down")))
        .when(better)
        .then(pl.lit("Improving"))
        .otherwise(pl.lit("Worsening"))
    )
    return (
        pl.when(delta.is_null() | delta.is_nan())  # NaN is a missing figure, never a change
        .then(None)
        .when(flat)
        .then(pl.lit("► No change"))
        .otherwise(arrow + word)
    )


def latest_values(values: pl.LazyFrame) -> pl.LazyFrame:
    """Per kpi × area × phase: the latest period's row, the previous period's value and the last 24 values (oldest
    first) for a sparkline. Grain: kpi_id, area_code, phase."""
    by = pl.col("period_end")
    return (
        values.group_by("kpi_id", "area_code", "phase")
        .agg(
            period_start=pl.col("period_start").sort_by(by).last(),
            period_end=by.max(),
            period_label=pl.col("period_label").sort_by(by).last(),
            value=pl.col("value").sort_by(by).last(),
            numerator=pl.col("numerator").sort_by(by).last(),
            denominator=pl.col("denominator").sort_by(by).last(),
            status=pl.col("status").sort_by(by).last(),
            note=pl.col("note").sort_by(by).last(),
            previous_value=pl.col("value").sort_by(by).shift(1).last(),
            previous_label=pl.col("period_label").sort_by(by).shift(1).last(),
            n_points=pl.col("value").is_not_null().sum(),
            spark=pl.col("value").sort_by(by).tail(SPARK_POINTS),
        )
        .sort("kpi_id", "area_code", "phase")
    )


def for_area_phase(values: pl.LazyFrame, area_code: str, phase: str) -> pl.LazyFrame:
    """One area's rows for a phase; an indicator with no rows for that phase keeps its all-phase rows, marked by
    `phase_fallback = True` so pages can say "not available by phase"."""
    area = values.filter(pl.col("area_code") == area_code)
    if phase == "all":
        return area.filter(pl.col("phase") == "all").with_columns(phase_fallback=pl.lit(False))
    has_phase = area.filter(pl.col("phase") == phase).select("kpi_id").unique()
    exact = area.filter(pl.col("phase") == phase).with_columns(phase_fallback=pl.lit(False))
    fallback = (
        area.filter(pl.col("phase") == "all")
        .join(has_phase, on="kpi_id", how="anti")
        .with_columns(phase_fallback=pl.lit(True))
    )
    return pl.concat([exact, fallback]).sort("kpi_id", "period_end")


def followed(catalogue):
    """The catalogue's indicators the board follows (a LazyFrame or a DataFrame): every one but the published measures
    shown on Benchmarks only (metrics.schema.BENCHMARK_ONLY)."""
    return catalogue.filter(pl.col("workstream") != BENCHMARK_ONLY)


def summary(
    catalogue: pl.LazyFrame,
    values: pl.LazyFrame,
    compare_values: pl.LazyFrame | None,
    *,
    area_code: str,
    phase: str = "all",
) -> pl.LazyFrame:
    """One row per catalogue indicator the board follows (not those shown on Benchmarks only): latest value and
    period, target, RAG, trend, change since the compare snapshot and sparkline. Grain: kpi_id. Methods: METHODS §2
    (RAG), §5 (trend arrows), §3 (compare)."""
    catalogue = followed(catalogue)
    latest = latest_values(for_area_phase(values, area_code, phase))
    fallback = for_area_phase(values, area_code, phase).group_by("kpi_id").agg(pl.col("phase_fallback").first())
    out = (
        catalogue.join(latest.drop("area_code", "phase"), on="kpi_id", how="left")
        .join(fallback, on="kpi_id", how="left")
        .with_columns(
            rag=rag_expr(
                pl.col("value"), pl.col("target"), pl.col("polarity"), pl.col("decimals"), pl.col("denominator")
            ),
            trend=trend_expr(pl.col("value"), pl.col("previous_value"), pl.col("polarity"), pl.col("decimals")),
            phase_fallback=pl.col("phase_fallback").fill_null(False),
            small_number=small_number(pl.col("denominator")),
        )
    )
    if compare_values is None:
        out = out.with_columns(
            compare_value=pl.lit(None, pl.Float64),
            compare_label=pl.lit(None, pl.String),
            change=pl.lit(None, pl.Float64),
        )
    else:
        before = latest_values(for_area_phase(compare_values, area_code, phase)).select(
            "kpi_id", compare_value=pl.col("value"), compare_label=pl.col("period_label")
        )
        out = out.join(before, on="kpi_id", how="left").with_columns(change=pl.col("value") - pl.col("compare_value"))
    order = pl.LazyFrame({"workstream": list(WORKSTREAMS), "ws_order": list(range(len(WORKSTREAMS)))})
    return out.join(order, on="workstream", how="left").sort("theme", "ws_order", "kpi_id").drop("ws_order")


def rag_counts(summary_frame: pl.LazyFrame) -> pl.LazyFrame:
    """Number of indicators per RAG word, always all four words in Green, Amber, Red, Grey order."""
    words = pl.LazyFrame({"rag": ["Green", "Amber", "Red", "Grey"], "order": [0, 1, 2, 3]})
    counts = summary_frame.group_by("rag").agg(n=pl.len())
    return (
        words.join(counts, on="rag", how="left")
        .with_columns(pl.col("n").fill_null(0).cast(pl.Int64))
        .sort("order")
        .drop("order")
    )


def action_rag_expr(status: pl.Expr, due: pl.Expr, as_at: date) -> pl.Expr:
    """RAG of a PIP action (METHODS §2), one rule for the app, the pack and the slides: complete is Green; any
    other status past its due date is Red (overdue, whatever its owner last reported: an overdue action is never
    Green or Amber); otherwise on track Green, at risk Amber, off track Red, and not started Grey (not yet due)."""
    return (
        pl.when(status == "complete")
        .then(pl.lit("Green"))
        .when(due < pl.lit(as_at))
        .then(pl.lit("Red"))
        .when(status == "on_track")
        .then(pl.lit("Green"))
        .when(status == "at_risk")
        .then(pl.lit("Amber"))
        .when(status == "off_track")
        .then(pl.lit("Red"))
        .otherwise(pl.lit("Grey"))
    )


def catalogue_row(catalogue: pl.LazyFrame, kpi_id: str) -> dict:
    """One indicator's catalogue entry as a dict (raises when the catalogue has no such indicator)."""
    return catalogue.filter(pl.col("kpi_id") == kpi_id).collect().row(0, named=True)


def with_icons(summary_frame: pl.DataFrame, icons: pl.DataFrame) -> pl.DataFrame:
    """The Summary frame with each indicator's variation and assurance icons (metrics.series.all_icons), in the
    Summary's order."""
    return summary_frame.join(icons, on="kpi_id", how="left", maintain_order="left")


def of_theme(summary_frame: pl.DataFrame, theme: int | None, workstream: str | None = None) -> pl.DataFrame:
    """The Summary rows of one theme (all with None), and of one workstream within it when given."""
    if theme is not None:
        summary_frame = summary_frame.filter(pl.col("theme") == theme)
    if workstream is not None:
        summary_frame = summary_frame.filter(pl.col("workstream") == workstream)
    return summary_frame


def rag_count_words(summary_frame: pl.DataFrame, theme: int | None = None) -> dict[str, int]:
    """RAG word → number of indicators in a collected Summary frame (optionally one theme's)."""
    return dict(rag_counts(of_theme(summary_frame, theme).lazy()).collect().iter_rows())


def split_by_id(frame: pl.DataFrame, prefix: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows whose kpi_id starts with `prefix`, and the others (order kept)."""
    hit = pl.col("kpi_id").str.starts_with(prefix)
    return frame.filter(hit), frame.filter(~hit)
