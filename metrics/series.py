"""One indicator's series for charts and tables: the area's SPC result, comparator lines, icons for every
indicator, and a plain-English description of a chart. Pure Polars."""

from __future__ import annotations

import polars as pl

from metrics.formatting import fmt_value, periods, plural
from metrics.kpi import SMALL_DENOMINATOR, followed, for_area_phase
from metrics.spc import MIN_POINTS, icons, spc


def indicator_series(values: pl.LazyFrame, kpi: dict, *, area_code: str, phase: str) -> pl.LazyFrame:
    """The area's series for one indicator with SPC columns (metrics.spc); unit: the indicator's; grain: period.
    Uses the phase's rows when the indicator has them, otherwise all phases (`phase_fallback`). The publisher's
    declared breaks (the catalogue's `series_breaks`) split it, and small numbers get no signal (METHODS §8)."""
    rows = for_area_phase(values.filter(pl.col("kpi_id") == kpi["kpi_id"]), area_code, phase)
    return spc(
        rows,
        polarity=kpi["polarity"],
        rebase=list(kpi["spc_rebase"] or []),
        breaks=list(kpi.get("series_breaks") or []),
        denominator="denominator",
        start="period_start",
    )


def comparator_series(values: pl.LazyFrame, kpi_id: str, names: dict[str, str]) -> pl.LazyFrame:
    """The comparators' rows of one indicator (all phases; `names` maps their codes to names, e.g. England and the
    area's region: metrics.areas.Setup.comparator_names) with an `area_name`; grain: area × period."""
    return (
        values.filter(
            (pl.col("kpi_id") == kpi_id) & pl.col("area_code").is_in(list(names)) & (pl.col("phase") == "all")
        )
        .with_columns(area_name=pl.col("area_code").replace_strict(names))
        .select("area_code", "area_name", "period_end", "period_label", "value")
        .sort("area_name", "period_end")
    )


def all_series(catalogue: pl.DataFrame, values: pl.LazyFrame, *, area_code: str, phase: str) -> dict:
    """indicator_series for every indicator the board follows (metrics.kpi.followed), collected: kpi_id ->
    DataFrame."""
    catalogue = followed(catalogue)
    area = values.filter(pl.col("area_code") == area_code).collect().lazy()  # read the table once, not per indicator
    frames = [indicator_series(area, kpi, area_code=area_code, phase=phase) for kpi in catalogue.iter_rows(named=True)]
    return dict(zip(catalogue["kpi_id"], pl.collect_all(frames), strict=True))


def all_icons(catalogue: pl.DataFrame, values: pl.LazyFrame, *, area_code: str, phase: str) -> pl.DataFrame:
    """Variation and assurance icon (metrics.spc.icons) for every indicator; grain: kpi_id. Returns a DataFrame."""
    return icons_of(catalogue, all_series(catalogue, values, area_code=area_code, phase=phase))


def icons_of(catalogue: pl.DataFrame, by_kpi: dict) -> pl.DataFrame:
    """all_icons from series already worked out (all_series's result)."""
    rows = []
    for kpi in followed(catalogue).iter_rows(named=True):
        result = by_kpi[kpi["kpi_id"]]
        found = icons(result, polarity=kpi["polarity"], target=kpi["target"])
        rows.append(
            {
                "kpi_id": kpi["kpi_id"],
                **found,
                "n_points": result["value"].is_not_null().sum(),
                "no_spc": no_spc_reason(result) if found["variation"] == "none" else "",
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "kpi_id": pl.String,
            "variation": pl.String,
            "assurance": pl.String,
            "n_points": pl.Int64,
            "no_spc": pl.String,
        },
    )


def no_spc_reason(result: pl.DataFrame) -> str:
    """Why a series has no SPC icons: "rolling" (overlapping windows), "small" (its latest figure is on too few
    cases) or "few" (too few points) — metrics.formatting.NO_SPC words each."""
    if "overlapping" in result.columns and result["overlapping"].any():
        return "rolling"
    pts = result.filter(pl.col("value").is_not_null())
    if pts.height and "small_number" in pts.columns and pts["small_number"][-1]:
        return "small"
    return "few"


def describe(result: pl.DataFrame, kpi: dict) -> str:
    """One or two sentences a screen reader (and the board pack) can use in place of the chart, from the data."""
    pts = result.filter(pl.col("value").is_not_null()).sort("period_end")
    if pts.height == 0:
        return f"{kpi['title']}: no data in this snapshot."
    unit, dec = kpi["unit"], kpi["decimals"]
    last = pts.row(-1, named=True)
    first = pts.row(0, named=True)
    now = f"{kpi['title']}: {fmt_value(last['value'], unit, dec)} in {last['period_label']}"
    if pts.height == 1:
        parts = [f"{now}, the only period with a value."]
    else:
        parts = [
            f"{now}, from {fmt_value(first['value'], unit, dec)} in {first['period_label']} ({periods(pts.height)})."
        ]
    target, polarity = kpi["target"], kpi["polarity"]
    if target is not None and polarity != "neutral":
        meets = pts["value"] >= target if polarity == "higher_is_better" else pts["value"] <= target
        flags = meets.to_list()
        word = "above" if polarity == "higher_is_better" else "below"
        if flags[-1]:
            start = len(flags) - 1
            while start > 0 and flags[start - 1]:
                start -= 1
            goal = f"the target of {fmt_value(target, unit, dec)}"
            if len(flags) == 1:
                parts.append(f"It is at or {word} {goal}.")
            elif start == 0:
                parts.append(f"It has been at or {word} {goal} throughout.")
            elif start == len(flags) - 1:
                parts.append(f"It is at or {word} {goal} for the first time in {last['period_label']}.")
            else:
                parts.append(f"It has been at or {word} {goal} since {pts['period_label'][start]}.")
        else:
            parts.append(f"It has not yet reached the target of {fmt_value(target, unit, dec)}.")
    if "series_break" in pts.columns:
        after = pts.filter(pl.col("series_break"))["period_label"].to_list()
        if after:
            parts.append(
                f"The publisher declares a break in the series before {' and before '.join(after)}: the figures "
                "before it were collected differently, so control limits and runs start again after it."
            )
    if "small_number" in pts.columns and last["small_number"]:
        parts.append(
            f"The latest figure rests on fewer than {SMALL_DENOMINATOR} cases, so it carries a caution and no SPC "
            "signal."
        )
    if "overlapping" in pts.columns and pts["overlapping"].any():
        parts.append(
            "Each figure covers the 12 months to its month, so neighbouring figures share 11 months: no control "
            "limits are worked out for such a series, and it is drawn as a run chart."
        )
    elif pts.height < MIN_POINTS:
        parts.append(f"Too few points for control limits (they need {MIN_POINTS}).")
    else:
        found = icons(result, polarity=polarity, target=target)
        specials = pts.filter(pl.col("rule") != "")
        if found["variation"] in ("common_cause", "none") and specials.height == 0:
            parts.append("No special cause: the variation is what the process normally produces.")
        else:
            rule = last["rule"] or "none at the latest point"
            what = {
                "improvement": "improvement",
                "concern": "concern",
                "common_cause": "common cause",
                "neutral_high": "a special-cause rise",
                "neutral_low": "a special-cause fall",
            }
            latest = what.get(last["signal"], "no signal (too few cases)")
            parts.append(
                f"{plural(specials.height, 'point shows', 'points show')} special cause; the latest point shows "
                f"{latest}" + (f" ({rule.replace('_', ' ')} rule)." if last["rule"] else ".")
            )
        if found["assurance"] == "pass":
            parts.append("The process limits sit inside the target: it will consistently pass.")
        elif found["assurance"] == "fail":
            parts.append("The target lies outside the process limits: it will not be met without a change.")
        elif found["assurance"] == "hit_and_miss":
            parts.append("The target lies within the process limits: it will be met in some periods, not others.")
    return " ".join(parts)


def latest_by_area(
    catalogue: pl.LazyFrame, values: pl.LazyFrame, kpi_ids: list[str], *, area_code: str, areas: dict[str, str]
) -> pl.DataFrame:
    """Some indicators (all phases) at the area's latest period with a value, one row per indicator (kpi_id, title)
    and one column per area of `areas` (code → column name) holding its value (null when it has none), highest
    first in the area's own column; empty when the area has no value of any of them."""
    cat = catalogue.filter(pl.col("kpi_id").is_in(kpi_ids)).collect()
    values = values.filter(pl.col("kpi_id").is_in(kpi_ids) & (pl.col("phase") == "all"))
    mine = values.filter(pl.col("area_code") == area_code).drop_nulls("value").collect()
    if mine.height == 0:
        return pl.DataFrame()
    at = values.filter(pl.col("period_end") == mine["period_end"].max()).collect()
    rows = []
    for k in cat.iter_rows(named=True):
        row = {"kpi_id": k["kpi_id"], "title": k["title"]}
        for code, label in areas.items():
            hit = at.filter((pl.col("kpi_id") == k["kpi_id"]) & (pl.col("area_code") == code))["value"]
            row[label] = hit[0] if len(hit) else None
        rows.append(row)
    schema = {"kpi_id": pl.String, "title": pl.String, **{label: pl.Float64 for label in areas.values()}}
    return pl.DataFrame(rows, schema=schema).sort(areas[area_code], descending=True, nulls_last=True)
