"""The benchmark and statistical-neighbour tables as people read them (METHODS §8)."""

from __future__ import annotations

import polars as pl

from metrics.formatting import (
    fmt_value,
)
from present.figures import BOARD_SCALE, Figure


def benchmark_display(frame: pl.DataFrame, setup, *, region_only: bool = False) -> pl.DataFrame:
    """The benchmark table as people read it: the area's value as published with its counts, comparators (England,
    the area's region and system, its statistical neighbours' average; a column only for a comparator the area has;
    the system's and neighbours' figures say how many authorities they use when some are left out), ranks "=Nth of
    M" among the system's authorities, among the area and its neighbours, and in England with the quartile — or, in
    the region-only view (`region_only`), among the region's authorities — and a note (the publisher's percentage
    against its counts, a small-number caution). METHODS §8."""
    from metrics.areas import ordinal
    from metrics.kpi import SMALL_DENOMINATOR

    small_words = f"fewer than {SMALL_DENOMINATOR} cases"

    def rank(r, key):
        if r["unit"] == "count":
            return "Not ranked (a count)"
        if r["small_number"]:
            return f"Not ranked: {small_words}"
        if r[f"{key}_rank"] is None:
            return "Needs the full DfE release" if key == "england" else "x"
        word = ("=" if r[f"{key}_tied"] else "") + f"{ordinal(r[f'{key}_rank'])} of {r[f'{key}_of']}"
        return word + (" (highest first)" if r["polarity"] == "neutral" else "")

    def quartile(r):
        if r["quartile"]:
            return r["quartile"]
        if r["polarity"] == "neutral":
            return "Not applicable"
        return f"Not given: {small_words}" if r["small_number"] else "Needs the full DfE release"

    def counts(r):
        if r["unit"] == "count" or r["numerator"] is None or r["denominator"] is None:
            return ""
        return f"{r['numerator']:,.0f} of {r['denominator']:,.0f}"

    def note(r):
        parts = []
        if r["small_number"]:
            parts.append(f"Small number: {counts(r)}, {small_words}; shown without rank or quartile.")
        if r["note"]:
            parts.append(r["note"])
        return " ".join(parts)

    rows = []
    for r in frame.iter_rows(named=True):

        def v(x, _r=r):
            return fmt_value(x, _r["unit"], _r["decimals"]) if x is not None else "x"

        def group(key, _r=r):
            if _r[key] is None:
                return "Not applicable" if _r["unit"] == "count" and key == "neighbours" else "x"
            used, of = _r[f"{key}_used"], _r[f"{key}_count"]
            return v(_r[key]) + (f" ({used} of {of} authorities)" if used < of else "")

        rows.append(
            {
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Area": v(r["value"]),
                "Counts": counts(r),
                "England": v(r["england"]),
                **({setup.region_name: v(r["region"])} if setup.region_name else {}),
                **({setup.system_short: group("system")} if setup.system else {}),
                **({"Statistical neighbours (average)": group("neighbours")} if setup.neighbours else {}),
                **({f"Rank in {setup.system_short}": rank(r, "system")} if setup.system else {}),
                **({"Rank among neighbours": rank(r, "neighbours")} if setup.neighbours else {}),
                **(
                    {f"Rank in {setup.region_phrase}": rank(r, "region")}
                    if region_only
                    else {"Rank in England": rank(r, "england"), "Quartile (A = best)": quartile(r)}
                ),
                "Note": note(r),
            }
        )
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


def neighbour_display(frame: pl.DataFrame, setup, row: dict) -> pl.DataFrame:
    """The area and each of its statistical neighbours on one indicator (metrics.benchmarks.neighbour_table), as
    people read it: the authority, how close a neighbour DfE's file says it is, the figure as published (its symbol
    where there is none) and its rank among them ("=2nd of 11"; counts and small numbers are not ranked)."""
    from metrics.areas import ordinal

    rows = []
    for r in frame.iter_rows(named=True):
        if r["rank"] is None or row["unit"] == "count":
            rank = "Not ranked (a count)" if row["unit"] == "count" else "Not ranked"
        else:
            rank = ("=" if r["tied"] else "") + f"{ordinal(r['rank'])} of {r['of']}"
            rank += " (highest first)" if row["polarity"] == "neutral" else ""
        rows.append(
            {
                "Local authority": setup.name(r["area_code"]),
                "Statistical neighbour": "The area itself"
                if r["area_code"] == setup.la_code
                else setup.closeness.get(r["area_code"], "") or "Yes",
                row["period_label"] or "Value": fmt_value(r["value"], row["unit"], row["decimals"], r["status"]),
                "Rank among them": rank,
            }
        )
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


def comparison_words(where) -> str:
    """England, the region and the system as a sentence's list: "England, the East Midlands and Derbyshire"
    (the region and system only when the area has them)."""
    parts = ["England"]
    if where.region_name:
        parts.append(
            f"the {where.region_name}"
            if where.region_name.startswith(("North", "South", "East", "West"))
            else where.region_name
        )
    if where.system_name:
        parts.append(where.system_name)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def bench_trend_figure(trend: pl.DataFrame, row: dict, where, *, breaks: list, board: bool = False) -> Figure:
    """The area's figure on one benchmark indicator over time against England, its region and system
    (metrics.benchmarks.comparator_trend)."""
    from charts import benchmarks as bc
    from charts.spc import UNIT_AXIS

    text = f"{row['title']}: {where.la_name} against {comparison_words(where)} over time"
    chart = bc.comparator_trend_chart(
        trend,
        breaks=breaks,
        area=where.la_name,
        unit_title=UNIT_AXIS[row["unit"]],
        decimals=row["decimals"],
        font_scale=BOARD_SCALE if board else 1.0,
        description=text,
    )
    return Figure(chart, text, board=board, raise_labels=True)


def strip_figure(dist: pl.DataFrame, row: dict, where, *, region_only: bool = False, board: bool = False) -> Figure:
    """Every English local authority's figure (or the region's, `region_only`) on one indicator, the area
    highlighted (metrics.benchmarks.distribution, named)."""
    from charts import benchmarks as bc
    from charts.spc import UNIT_AXIS

    text = (
        f"{row['title']}, {row['period_label']}: every local authority"
        + (f" of the {where.region_name}" if region_only else "")
        + f", {where.la_name} highlighted"
    )
    chart = bc.strip(
        dist,
        area=where.la_name,
        unit_title=UNIT_AXIS[row["unit"]],
        decimals=row["decimals"],
        font_scale=BOARD_SCALE if board else 1.0,
        description=text,
    )
    return Figure(chart, text, board=board, raise_labels=True)
