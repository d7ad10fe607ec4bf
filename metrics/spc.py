"""Statistical process control: NHS England "Making Data Count" XmR charts, rules and icons (METHODS §1).

`spc()` adds limits and special-cause flags to a series; `icons()` reads the variation and assurance icons off the
result. Pure Polars, no Streamlit. Rules follow the NHS tool exactly: no moving-range screening, trend of 7, shift
of 7, two of three beyond 2σ (including beyond 3σ, the November 2023 rule), process limits at 2.66 × mean moving
range, and no limits or icons below 13 points.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.kpi import small_number

SIGMA3 = 2.66  # 3σ process limits = mean ± 2.66 × mean moving range
SIGMA2 = 1.7733  # 2σ "near" limits = mean ± 1.7733 × mean moving range
MIN_POINTS = 13
RUN = 7  # trend and shift length
RULES = ("astronomical", "trend", "two_of_three", "shift")


def _meaning(direction: pl.Expr, polarity: str) -> pl.Expr:
    if polarity == "neutral":
        return pl.when(direction == "high").then(pl.lit("neutral_high")).otherwise(pl.lit("neutral_low"))
    good = "high" if polarity == "higher_is_better" else "low"
    return pl.when(direction == good).then(pl.lit("improvement")).otherwise(pl.lit("concern"))


def spc(
    frame: pl.LazyFrame,
    *,
    value: str = "value",
    order: str = "period_end",
    polarity: str = "higher_is_better",
    baseline_points: int | None = None,
    rebase: list[date] | None = None,
    breaks: list[date] | None = None,
    denominator: str | None = None,
    start: str | None = None,
) -> pl.LazyFrame:
    """XmR limits and special-cause rules per point; unit of `value`; grain: the input rows. Source: NHS England
    Making Data Count (METHODS §1).

    Returns the input rows sorted by `order` with `mean`, `upl`, `lpl`, `upl_2s`, `lpl_2s` (limits null below 13
    points), `rule` (highest-precedence rule met, or ""), `signal` (improvement, concern, neutral_high,
    neutral_low, common_cause; no_limits where the point's group has no limits; null for a row with no value) and `rules_met` (every rule met, with its direction,
    e.g. ["trend_high", "shift_high"]). Null values are skipped, never treated as numbers. `rebase` dates start a
    new group with its own limits; `baseline_points` fixes each group's limits on its first N points.

    `breaks` are where the publisher declares a break in the series (METHODS §8): each starts a new group too, so
    no limit, run or trend spans it, and the first row after it has `series_break` true; `segment` counts the
    breaks before a row (a chart draws each segment's line apart). With `denominator` (a column name), a point on
    fewer than metrics.kpi.SMALL_DENOMINATOR cases is skipped like a null and marked `small_number`: it is shown,
    with a caution, but gets no signal and moves no limit.

    With `start` (the column of each period's first day), a series whose periods overlap — rolling 12-month
    figures, each sharing 11 months with the one before — gets no limits and no signals, and `overlapping` is true
    on every row: neighbouring points are not independent, so the rules would flag nearly every point.
    """
    if polarity not in ("higher_is_better", "lower_is_better", "neutral"):
        raise ValueError(f"unknown polarity {polarity!r}")
    if baseline_points is not None and baseline_points < 12:
        raise ValueError("a fixed baseline needs at least 12 points")
    x = pl.col(value)
    group = pl.lit(0, pl.Int32)
    for d in sorted({*(rebase or []), *(breaks or [])}):
        group = group + (pl.col(order) >= pl.lit(d)).cast(pl.Int32)
    segment = pl.lit(0, pl.Int32)
    for d in sorted(set(breaks or [])):
        segment = segment + (pl.col(order) >= pl.lit(d)).cast(pl.Int32)
    small = small_number(pl.col(denominator)) if denominator else pl.lit(False)
    overlap = (pl.col(start) <= pl.col(order).shift(1)).any() if start else pl.lit(False)
    rows = (
        frame.sort(order)
        .with_row_index("_row")
        .with_columns(segment=segment, small_number=small, overlapping=overlap.fill_null(False))
        .with_columns(series_break=(pl.col("segment") != pl.col("segment").shift(1)).fill_null(False))
    )
    pts = (
        rows.filter(x.is_not_null() & ~pl.col("small_number"))
        .select("_row", x.cast(pl.Float64).alias("_x"), group.alias("_g"), "overlapping")
        # the 13-point minimum applies to each baseline group, not to the whole series (METHODS §1)
        .with_columns(
            _i=pl.int_range(pl.len()).over("_g"),
            _enough=(pl.len().over("_g") >= MIN_POINTS) & ~pl.col("overlapping"),
        )
    )
    xv = pl.col("_x")
    base = (pl.col("_i") < baseline_points) if baseline_points else pl.lit(True)
    pts = pts.with_columns(_base=base, _mr=(xv - xv.shift(1)).abs().over("_g"))
    pts = pts.with_columns(
        mean=xv.filter(pl.col("_base")).mean().over("_g"),
        _amr=pl.col("_mr").filter(pl.col("_base")).mean().over("_g"),
    )
    lim = pl.when(pl.col("_enough"))
    pts = pts.with_columns(
        upl=lim.then(pl.col("mean") + SIGMA3 * pl.col("_amr")),
        lpl=lim.then(pl.col("mean") - SIGMA3 * pl.col("_amr")),
        upl_2s=lim.then(pl.col("mean") + SIGMA2 * pl.col("_amr")),
        lpl_2s=lim.then(pl.col("mean") - SIGMA2 * pl.col("_amr")),
        _side=(xv - pl.col("mean")).sign(),
        _step=(xv - xv.shift(1)).sign().over("_g"),
    )
    # runs of equal step direction (trend) and of equal side of the mean (shift), within each group
    pts = pts.with_columns(
        _step_run=pl.col("_step").rle_id().over("_g"),
        _side_run=pl.col("_side").rle_id().over("_g"),
    ).with_columns(
        _step_len=pl.len().over("_g", "_step_run"),
        _side_len=pl.len().over("_g", "_side_run"),
        _b2_hi=(xv > pl.col("upl_2s")).fill_null(False),
        _b2_lo=(xv < pl.col("lpl_2s")).fill_null(False),
    )
    on = pl.col("_enough")
    up_steps = (pl.col("_step") == 1) & (pl.col("_step_len") >= RUN - 1)
    down_steps = (pl.col("_step") == -1) & (pl.col("_step_len") >= RUN - 1)
    win_hi = (pl.col("_b2_hi").cast(pl.Int8).rolling_sum(3) >= 2) & (
        (pl.col("_side") == 1).cast(pl.Int8).rolling_sum(3) == 3
    )
    win_lo = (pl.col("_b2_lo").cast(pl.Int8).rolling_sum(3) >= 2) & (
        (pl.col("_side") == -1).cast(pl.Int8).rolling_sum(3) == 3
    )
    pts = pts.with_columns(
        _up=up_steps.fill_null(False),
        _down=down_steps.fill_null(False),
        _w_hi=win_hi.over("_g").fill_null(False),
        _w_lo=win_lo.over("_g").fill_null(False),
    )

    def in_window(w: str) -> pl.Expr:
        c = pl.col(w)
        return c | c.shift(-1).over("_g").fill_null(False) | c.shift(-2).over("_g").fill_null(False)

    flags = {
        "astronomical_high": on & (xv > pl.col("upl")).fill_null(False),
        "astronomical_low": on & (xv < pl.col("lpl")).fill_null(False),
        # a rising run of 6 steps covers 7 points: the point before the first step belongs to it too
        "trend_high": on & (pl.col("_up") | pl.col("_up").shift(-1).over("_g").fill_null(False)),
        "trend_low": on & (pl.col("_down") | pl.col("_down").shift(-1).over("_g").fill_null(False)),
        "two_of_three_high": on & pl.col("_b2_hi") & in_window("_w_hi"),
        "two_of_three_low": on & pl.col("_b2_lo") & in_window("_w_lo"),
        "shift_high": on & (pl.col("_side") == 1) & (pl.col("_side_len") >= RUN),
        "shift_low": on & (pl.col("_side") == -1) & (pl.col("_side_len") >= RUN),
    }
    pts = pts.with_columns(**{f"_f_{k}": v for k, v in flags.items()})
    rule = pl.lit("")
    direction = pl.lit(None, pl.String)
    for name in reversed(RULES):  # build the when-chain from lowest precedence up
        hi, lo = pl.col(f"_f_{name}_high"), pl.col(f"_f_{name}_low")
        rule = pl.when(hi | lo).then(pl.lit(name)).otherwise(rule)
        direction = pl.when(hi).then(pl.lit("high")).when(lo).then(pl.lit("low")).otherwise(direction)
    met = pl.concat_list([pl.when(pl.col(f"_f_{k}")).then(pl.lit(k)) for k in flags]).list.drop_nulls()
    pts = pts.with_columns(
        rule=rule,
        signal=pl.when(~pl.col("_enough"))
        .then(pl.lit("no_limits"))  # a run chart: no limits, so no signal to read, common cause included
        .when(direction.is_null())
        .then(pl.lit("common_cause"))
        .otherwise(_meaning(direction, polarity)),
        rules_met=met,
    ).select("_row", "mean", "upl", "lpl", "upl_2s", "lpl_2s", "rule", "signal", "rules_met")
    return (
        rows.join(pts, on="_row", how="left")
        .with_columns(pl.col("rule").fill_null(""), pl.col("rules_met").fill_null(pl.lit([], pl.List(pl.String))))
        .sort("_row")
        .drop("_row")
    )


def icons(result: pl.DataFrame, *, polarity: str, target: float | None) -> dict:
    """Variation and assurance icons from an `spc()` result (METHODS §1); grain: one series.

    Variation: the state of the last point with a value (improvement wins over concern when it meets both);
    "none" when that point's baseline group has fewer than 13 points or the point is a small number. Assurance: the target against the last
    point's process limits — higher is better: above the upper limit "fail", below the lower "pass", else
    "hit_and_miss"; lower is better swaps pass and fail; "none" without a target, for a neutral indicator or
    without limits.
    """
    small = pl.col("small_number") if "small_number" in result.columns else pl.lit(False)
    pts = result.filter(pl.col("signal").is_not_null() | small)
    if pts.height == 0:
        return {"variation": "none", "assurance": "none"}
    last = pts.row(-1, named=True)
    if last.get("small_number") or last["upl"] is None:  # a small latest figure, or a group too short for limits
        return {"variation": "none", "assurance": "none"}
    variation = _variation(last["rules_met"] or [], polarity)
    assurance = "none"
    if target is not None and polarity != "neutral" and last["upl"] is not None:
        if target > last["upl"]:
            assurance = "fail" if polarity == "higher_is_better" else "pass"
        elif target < last["lpl"]:
            assurance = "pass" if polarity == "higher_is_better" else "fail"
        else:
            assurance = "hit_and_miss"
    return {"variation": variation, "assurance": assurance}


def _variation(met: list[str], polarity: str) -> str:
    """The variation icon for one point's rules: improvement beats concern, then rule precedence decides."""
    found = [(rule, d, _meaning_of(d, polarity)) for rule in RULES for d in ("high", "low") if f"{rule}_{d}" in met]
    for wanted in ("improvement", "concern"):
        for _rule, d, meaning in found:
            if meaning == wanted:
                return f"{wanted}_{d}"
    return found[0][2] if found else "common_cause"


def _meaning_of(direction: str, polarity: str) -> str:
    if polarity == "neutral":
        return f"neutral_{direction}"
    good = "high" if polarity == "higher_is_better" else "low"
    return "improvement" if direction == good else "concern"
