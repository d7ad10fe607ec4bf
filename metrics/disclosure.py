"""Disclosure control for anything below local-authority level (METHODS §6), in one place.

A true 0 stays 0; counts of 1–7 become null with status "c"; every other count, totals included, is rounded to the
nearest 5. Rates and percentages are recomputed from the rounded counts, so a shown rate can never be multiplied
back into an exact count, and are "c" when their numerator or denominator is suppressed. Applied in board mode and
to every export.
"""

from __future__ import annotations

import polars as pl

LEGEND = "c = fewer than 8, suppressed to protect privacy; other counts rounded to the nearest 5"
LOW, HIGH = 1, 7


def suppressed(count: pl.Expr) -> pl.Expr:
    """True for a count that must not be shown (1 up to 7; fractional inputs such as averages are compared as
    they are, so 7.5 is not suppressed)."""
    return (count >= LOW) & (count <= HIGH)


def protect_count(count: pl.Expr) -> pl.Expr:
    """The count as it may be shown: 0 stays 0, 1–7 null (shown "c"), others rounded half up to the nearest 5."""
    return (
        pl.when(count.is_null())
        .then(None)
        .when(count == 0)
        .then(pl.lit(0, pl.Int64))
        .when(suppressed(count))
        .then(None)
        .otherwise(((count.cast(pl.Float64) / 5 + 0.5).floor() * 5).cast(pl.Int64))
    )


def count_status(count: pl.Expr) -> pl.Expr:
    """GSS status of a protected count: "c" when suppressed, "" otherwise."""
    return pl.when(suppressed(count).fill_null(False)).then(pl.lit("c")).otherwise(pl.lit(""))


def protect(frame: pl.LazyFrame, counts: list[str]) -> pl.LazyFrame:
    """Replace each count column with its protected value and add `<column>_status`; grain unchanged."""
    return frame.with_columns(
        *[count_status(pl.col(c)).alias(f"{c}_status") for c in counts],
    ).with_columns(*[protect_count(pl.col(c)).alias(c) for c in counts])


def any_suppressed(frame: pl.DataFrame, counts: list[str]) -> bool:
    """Whether a protected frame has a suppressed cell, i.e. needs the legend."""
    return any((frame[f"{c}_status"] == "c").any() for c in counts if f"{c}_status" in frame.columns)
