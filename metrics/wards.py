"""Ward-level demand: rates per 1,000 children of the phase with 95% intervals, comparison with the borough rate,
ranks, towns, deprivation and ward profiles. Pure Polars over `ward_demand` and `wards`."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.disclosure import count_status, protect_count
from metrics.stats import compare_interval, rate_per_1000

MEASURE_LABELS = {
    "ehcp_caseload": "EHC plans",
    "ehcp_requests": "Requests for EHC needs assessment",
    "ehcp_new": "New EHC plans issued",
    "sen_support": "Pupils at SEN support",
    "ap_placements": "Children in alternative provision",
    "eotas": "Children educated other than at school (EOTAS)",
}
FLOW_MEASURES = ("ehcp_requests", "ehcp_new")  # counted over the month; the others are counts at the month end


def _counts(frame: pl.LazyFrame, protected: bool) -> pl.LazyFrame:
    """`count` disclosure-controlled when `protected` (METHODS §6), with `count_status` ("c" where suppressed)."""
    if protected:
        return frame.with_columns(count_status=count_status(pl.col("count")), count=protect_count(pl.col("count")))
    return frame.with_columns(count_status=pl.lit(""))


def _slice(demand: pl.LazyFrame, *, period_end: date, measure: str, phase: str) -> pl.LazyFrame:
    rows = demand.filter((pl.col("period_end") == period_end) & (pl.col("measure") == measure))
    if phase != "all":
        rows = rows.filter(pl.col("phase") == phase)
    return rows.group_by("ward_code").agg(pl.col("count").sum(), pl.col("population").sum())


def _with_rates(frame: pl.LazyFrame, borough_rate: pl.Expr) -> pl.LazyFrame:
    rate, lcl, ucl = rate_per_1000(pl.col("count"), pl.col("population"))
    return frame.with_columns(rate=rate, lcl=lcl, ucl=ucl).with_columns(
        borough_rate=borough_rate,
        ratio=pl.col("rate") / borough_rate,
        vs_borough=compare_interval(pl.col("lcl"), pl.col("ucl"), borough_rate),
    )


def ward_rates(
    demand: pl.LazyFrame,
    wards: pl.LazyFrame,
    *,
    period_end: date,
    measure: str,
    phase: str = "all",
    protected: bool = False,
) -> pl.LazyFrame:
    """Per ward: count, population, rate per 1,000 with 95% limits (METHODS §4), the borough rate, ratio to it,
    significance against it ("higher"/"similar"/"lower") and rank (1 = highest rate); grain: ward. With
    `protected`, counts (and the borough total) are disclosure-controlled first and rates come from the protected
    counts (METHODS §6); `count_status` says "c" where suppressed."""
    rows = _slice(demand, period_end=period_end, measure=measure, phase=phase)
    # the borough total is the exact total rounded (never the sum of rounded cells), as METHODS §6 asks
    total = rows.select(pl.col("count").sum().alias("t"), pl.col("population").sum().alias("p"))
    rows = _counts(rows, protected)
    if protected:
        total = total.with_columns(t=protect_count(pl.col("t")))
    borough = (1000.0 * pl.col("t") / pl.col("p")).alias("borough_rate")
    out = (
        wards.select("ward_code", "ward_name", "town", "imd_decile", "lon", "lat")
        .join(rows, on="ward_code", how="left")
        .join(total.select(borough), how="cross")
    )
    out = _with_rates(out, pl.col("borough_rate"))
    return out.with_columns(
        rank=pl.col("rate").rank(method="min", descending=True).cast(pl.Int32),
        share=pl.col("count") / pl.col("count").sum(),
    ).sort(["rank", "ward_name"], nulls_last=True)


def borough_total(
    demand: pl.LazyFrame, *, period_end: date, measure: str, phase: str = "all", protected: bool = False
) -> pl.LazyFrame:
    """The borough's count, population and rate per 1,000 with limits for one month; one row."""
    rows = _slice(demand, period_end=period_end, measure=measure, phase=phase)
    total = rows.select(pl.col("count").sum(), pl.col("population").sum())
    if protected:
        total = total.with_columns(count=protect_count(pl.col("count")))
    rate, lcl, ucl = rate_per_1000(pl.col("count"), pl.col("population"))
    return total.with_columns(rate=rate, lcl=lcl, ucl=ucl)


def town_rates(
    demand: pl.LazyFrame,
    wards: pl.LazyFrame,
    *,
    period_end: date,
    measure: str,
    phase: str = "all",
    protected: bool = False,
) -> pl.LazyFrame:
    """Per town: summed ward counts and populations, rate per 1,000 with limits, against the borough; grain: town.
    With `protected`, the town's count is rounded after summing the exact ward counts."""
    rows = _slice(demand, period_end=period_end, measure=measure, phase=phase).join(
        wards.select("ward_code", "town"), on="ward_code"
    )
    towns = rows.group_by("town").agg(pl.col("count").sum(), pl.col("population").sum(), wards=pl.len())
    total = towns.select(pl.col("count").sum().alias("t"), pl.col("population").sum().alias("p"))
    towns = _counts(towns, protected)
    if protected:
        total = total.with_columns(t=protect_count(pl.col("t")))
    out = towns.join(total.select((1000.0 * pl.col("t") / pl.col("p")).alias("borough_rate")), how="cross")
    return (
        _with_rates(out, pl.col("borough_rate"))
        .with_columns(rank=pl.col("rate").rank(method="min", descending=True).cast(pl.Int32))
        .sort("rank", "town")
    )


def rate_by_deprivation(
    demand: pl.LazyFrame,
    wards: pl.LazyFrame,
    *,
    period_end: date,
    measure: str,
    phase: str = "all",
    protected: bool = False,
) -> pl.LazyFrame:
    """Rate per 1,000 with limits per IMD decile of the wards (1 = most deprived); grain: decile."""
    rows = _slice(demand, period_end=period_end, measure=measure, phase=phase).join(
        wards.select("ward_code", "imd_decile"), on="ward_code"
    )
    out = rows.group_by("imd_decile").agg(pl.col("count").sum(), pl.col("population").sum(), wards=pl.len())
    out = _counts(out, protected)
    rate, lcl, ucl = rate_per_1000(pl.col("count"), pl.col("population"))
    return out.with_columns(rate=rate, lcl=lcl, ucl=ucl).sort("imd_decile")


def ward_trend(demand: pl.LazyFrame, *, ward_code: str, measure: str, protected: bool = False) -> pl.LazyFrame:
    """One ward's rate per 1,000 per month for each phase and for all phases together; grain: month × phase."""
    rows = demand.filter((pl.col("ward_code") == ward_code) & (pl.col("measure") == measure))
    all_phases = (
        rows.group_by("period_end")
        .agg(pl.col("count").sum(), pl.col("population").sum())
        .with_columns(phase=pl.lit("all"))
    )
    both = pl.concat(
        [
            rows.select("period_end", "phase", "count", "population"),
            all_phases.select("period_end", "phase", "count", "population"),
        ]
    )
    both = _counts(both, protected)
    rate, lcl, ucl = rate_per_1000(pl.col("count"), pl.col("population"))
    return both.with_columns(rate=rate, lcl=lcl, ucl=ucl).sort("phase", "period_end")


def class_breaks(rates: list[float], classes: int = 5) -> list[float]:
    """Upper bounds of equal-count (quantile) classes for a choropleth, rounded to one decimal and strictly
    increasing; fewer classes when there are few distinct values."""
    values = sorted(v for v in rates if v is not None)
    if not values:
        return []
    breaks: list[float] = []
    for k in range(1, classes + 1):
        idx = min(len(values) - 1, max(0, round(k * len(values) / classes) - 1))
        b = round(values[idx], 1)
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    if breaks[-1] < values[-1]:
        breaks[-1] = values[-1]
    return breaks


DECILE_BREAKS = [2.0, 4.0, 6.0, 8.0, 10.0]  # the map's deprivation classes: deciles 1–2, 3–4, … 9–10


def map_breaks(rates: pl.DataFrame, shade: str) -> list[float]:
    """The map's class bounds: quantile classes of the wards' rates, or pairs of deprivation deciles."""
    return DECILE_BREAKS if shade == "imd" else class_breaks(rates["rate"].to_list())


def significance_sentence(rates: pl.DataFrame, *, area_word: str = "ward", name: str = "ward_name") -> str:
    """Which areas' 95% intervals lie wholly above the borough rate, in one sentence that gives the rate."""
    from metrics.formatting import fmt_value

    above = rates.filter(pl.col("vs_borough") == "higher").sort("rate", descending=True)[name].to_list()
    below = rates.filter(pl.col("vs_borough") == "lower").height
    borough = rates["borough_rate"].drop_nulls() if "borough_rate" in rates.columns else []
    of = f" of {fmt_value(borough[0], 'rate_per_1000', 1)}" if len(borough) else ""
    if not above:
        text = f"No {area_word} is significantly above the borough rate{of}"
    else:
        plural = area_word if len(above) == 1 else f"{area_word}s"
        text = f"{len(above)} {plural} significantly above the borough rate{of}: {', '.join(above)}"
    return text + f"; {below} significantly below (95% intervals)."


def profile(rates: pl.DataFrame, ward_code: str) -> dict:
    """One ward's row of `ward_rates` with its rank out of the wards that have a rate."""
    row = rates.filter(pl.col("ward_code") == ward_code).row(0, named=True)
    row["ranked"] = rates["rate"].is_not_null().sum()
    return row


def periods(demand: pl.LazyFrame) -> list[date]:
    """Months with ward data, newest first (empty when there is none)."""
    return sorted(demand.select(pl.col("period_end").unique()).collect()["period_end"].to_list(), reverse=True)
