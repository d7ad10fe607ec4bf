"""CSV downloads: every text cell safe from spreadsheet formulas, every row stamped with its date and source."""

from __future__ import annotations

from datetime import date

import polars as pl

FORMULA_START = r"^([=+\-@\t\r])"


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
    prefixed with an apostrophe, so a CSV opened in Excel shows them as text (OWASP, "CSV injection"). Numbers stay
    numbers."""
    return frame.with_columns(pl.col(pl.String).str.replace(FORMULA_START, "'${1}"))


def stamped_csv(frame: pl.DataFrame, *, as_at: date, demo: bool, source: str) -> bytes:
    """CSV with the as-at date and source stamped on every row, so a file read on its own still says where it's from;
    every text cell is formula-safe."""
    stamped = frame.with_columns(
        pl.lit(as_at.isoformat()).alias("data_as_at"),
        pl.lit(source).alias("source"),
        pl.lit("Demonstration data" if demo else "").alias("data_status"),
    )
    return formula_safe(stamped).write_csv().encode()
