"""Laying rows over a table by its key, and every row that differs between two sets of tables.

Both routes that change a published snapshot use these: files laid over it (`ingest.assemble`) and the edits of the
Update data page (`ingest.update.apply_edits`); the preview shows `row_changes`, so that no row is overwritten unseen.
"""

from __future__ import annotations

import polars as pl

from metrics.schema import TABLES

CHANGE_COLUMNS = ("Table", "Row", "Change", "Column", "Was", "Now")


def _list_text(column: str, sep: str) -> pl.Expr:
    """A list column as one text, whatever its items are (the catalogue's SPC rebasing dates are a list of dates)."""
    return pl.col(column).list.eval(pl.element().cast(pl.String)).list.join(sep)


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with list columns as text, so whole rows can be compared by a join."""
    return frame.with_columns(_list_text(c, "\u241f") for c, t in frame.schema.items() if isinstance(t, pl.List))


def keep_from(base: pl.DataFrame, new: pl.DataFrame, key: list[str], keep: tuple[str, ...]) -> pl.DataFrame:
    """`new` with its `keep` columns taken from `base`'s row of the same key, where there is one."""
    if not keep:
        return new.select(base.columns)
    old = base.select(*key, *keep, pl.lit(True).alias("__known"))
    return (
        new.join(old, on=key, how="left", suffix="__base", nulls_equal=True)
        .with_columns(pl.when(pl.col("__known")).then(pl.col(f"{c}__base")).otherwise(pl.col(c)).alias(c) for c in keep)
        .select(base.columns)
    )


def merge(
    base: pl.DataFrame, new: pl.DataFrame, key: list[str], keep: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, int, int]:
    """`new` laid over `base` by `key`: rows with a new key are added, rows with a known key replace the old one,
    except for the `keep` columns (those the file does not carry), which a replaced row takes from `base`.
    Returns the merged table (sorted by key) and how many rows were added and how many changed."""
    new = keep_from(base, new.select(base.columns), key, keep)
    known = new.join(base.select(key), on=key, how="semi", nulls_equal=True)
    same = _comparable(known).join(_comparable(base), on=base.columns, how="semi", nulls_equal=True)
    added = new.height - known.height
    changed = known.height - same.height
    merged = pl.concat([base.join(new.select(key), on=key, how="anti", nulls_equal=True), new]).sort(key)
    return merged, added, changed


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every cell as the text people would write in a template: whole numbers without ".0", lists separated by
    "; ", an outline as its number of points (its GeoJSON text is thousands of characters)."""
    out = []
    for c, t in frame.schema.items():
        col = pl.col(c)
        if isinstance(t, pl.List):
            out.append(_list_text(c, "; "))
        elif t.is_float():
            whole = col.is_finite() & (col == col.round(0)) & (col.abs() < 1e15)
            out.append(pl.when(whole).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String)).alias(c))
        elif c == "geometry":
            out.append(pl.format("an outline of {} points", col.str.count_matches(r"\[\s*-?\d")).alias(c))
        else:
            out.append(col.cast(pl.String))
    return frame.select(out)


def _describe(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """A whole row as "column: value; …", its empty cells left out: how an added or removed row is shown."""
    parts = [pl.when(pl.col(c).fill_null("") != "").then(pl.format("{}: {}", pl.lit(c), pl.col(c))) for c in columns]
    return pl.concat_list(parts).list.drop_nulls().list.join("; ")


def row_changes(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every row of every table that differs between two sets of tables, matched by each table's key: one line per
    changed cell (its column, old and new value) and one per added or removed row (all its values). The preview
    shows it, so that no upload or edit overwrites a row unseen."""
    parts = []
    for name, spec in TABLES.items():
        if name not in before or name not in after:
            continue
        key, columns = list(spec.key), list(spec.columns)
        rest = [c for c in columns if c not in key]
        old, new = _as_text(before[name].select(columns)), _as_text(after[name].select(columns))
        old_only = old.join(new, on=columns, how="anti", nulls_equal=True)
        new_only = new.join(old, on=columns, how="anti", nulls_equal=True)
        if not old_only.height and not new_only.height:
            continue
        label = pl.concat_list(key).list.eval(pl.element().filter(pl.element() != "")).list.join(" · ").alias("Row")
        both = old_only.join(new_only, on=key, how="inner", suffix="__now", nulls_equal=True)
        for c in rest:
            differ = both.filter(pl.col(c).ne_missing(pl.col(f"{c}__now")))
            parts.append(
                differ.select(
                    pl.lit(name).alias("Table"),
                    label,
                    pl.lit("Changed").alias("Change"),
                    pl.lit(c).alias("Column"),
                    pl.col(c).fill_null("").alias("Was"),
                    pl.col(f"{c}__now").fill_null("").alias("Now"),
                )
            )
        for frame, other, change in ((new_only, old_only, "Added"), (old_only, new_only, "Removed")):
            alone = frame.join(other.select(key), on=key, how="anti", nulls_equal=True)
            described = _describe(alone, rest)
            parts.append(
                alone.select(
                    pl.lit(name).alias("Table"),
                    label,
                    pl.lit(change).alias("Change"),
                    pl.lit("").alias("Column"),
                    (pl.lit("") if change == "Added" else described).alias("Was"),
                    (described if change == "Added" else pl.lit("")).alias("Now"),
                )
            )
    empty = pl.DataFrame(schema=dict.fromkeys(CHANGE_COLUMNS, pl.String))
    if not parts:
        return empty
    order = {name: i for i, name in enumerate(TABLES)}
    return (
        pl.concat([empty, *parts])
        .with_columns(
            pl.col("Table").replace_strict(order, return_dtype=pl.Int32).alias("_t"),
            pl.col("Change").replace_strict({"Changed": 0, "Added": 1, "Removed": 2}, return_dtype=pl.Int8).alias("_c"),
        )
        .sort("_t", "_c", "Row", maintain_order=True)
        .drop("_t", "_c")
    )
