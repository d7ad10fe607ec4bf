"""Benchmarking the area on the DfE EHCP measures (METHODS §5): against England, its region, the local authorities
of its health and care system and its statistical neighbours; rank among the system's authorities and among all
English local authorities; quartile among all English local authorities (type 7 quantiles, "A" the best quarter for
the polarity). Pure Polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.areas import ENGLAND

LA_PREFIXES = ("E06", "E08", "E09", "E10")  # unitary, metropolitan, London, county councils
NATIONAL_MIN = 100  # fewer local authorities than this: the snapshot does not hold the national picture


def is_la(code: pl.Expr) -> pl.Expr:
    """True for an English upper-tier local authority code."""
    return pl.any_horizontal([code.str.starts_with(p) for p in LA_PREFIXES])


def quartile_letter(value: float | None, q1: float, q2: float, q3: float, polarity: str) -> str | None:
    """A (best quarter) … D (worst) for a value among quartile cut points; None for a neutral indicator."""
    if value is None or polarity == "neutral":
        return None
    if polarity == "higher_is_better":
        return "A" if value >= q3 else "B" if value >= q2 else "C" if value >= q1 else "D"
    return "A" if value <= q1 else "B" if value <= q2 else "C" if value <= q3 else "D"


def _rank(values: pl.DataFrame, area: str, polarity: str) -> tuple[int | None, int, bool]:
    """Rank of the area (1 = best for the polarity; highest first for neutral), ties sharing the lower rank."""
    have = values.drop_nulls("value")
    if area not in set(have["area_code"]):
        return None, have.height, False
    descending = polarity != "lower_is_better"
    ranked = have.with_columns(r=pl.col("value").rank(method="min", descending=descending))
    r = int(ranked.filter(pl.col("area_code") == area)["r"][0])
    return r, have.height, ranked.filter(pl.col("r") == r).height > 1


def benchmark_table(
    values: pl.LazyFrame,
    catalogue: pl.DataFrame,
    *,
    area: str,
    region: str | None,
    system: list[str],
    neighbours: list[str],
) -> pl.DataFrame:
    """One row per DfE indicator the area has: latest period, the area's value, England, its region, the system's
    and neighbours' averages (pooled where numerators exist, else the mean), rank among the system's authorities
    and among all English LAs, and quartile. Counts are listed but not ranked (areas differ in size). Returns a
    DataFrame."""
    rows = []
    for kpi in catalogue.iter_rows(named=True):
        series = values.filter((pl.col("kpi_id") == kpi["kpi_id"]) & (pl.col("phase") == "all")).collect()
        mine = series.filter((pl.col("area_code") == area) & pl.col("value").is_not_null())
        if mine.height == 0:
            continue
        last = mine.sort("period_end").row(-1, named=True)
        at = series.filter(pl.col("period_end") == last["period_end"])
        count = kpi["unit"] == "count"
        polarity = "neutral" if count else kpi["polarity"]

        def value_of(code: str, _at=at) -> float | None:
            hit = _at.filter(pl.col("area_code") == code)["value"]
            return hit[0] if len(hit) else None

        def group(codes: list[str], _at=at) -> float | None:
            g = _at.filter(pl.col("area_code").is_in(codes)).drop_nulls("value")
            if g.height == 0:
                return None
            if g["numerator"].null_count() == 0 and g["denominator"].null_count() == 0 and g["denominator"].sum():
                return 100 * g["numerator"].sum() / g["denominator"].sum()
            return g["value"].mean()

        las = at.filter(is_la(pl.col("area_code")))
        sys_rank = _rank(at.filter(pl.col("area_code").is_in(system)), area, polarity)
        all_rank = _rank(las, area, polarity)
        have = las.drop_nulls("value")["value"]
        national = have.len() >= NATIONAL_MIN
        if not national:  # a rank "in England" among a handful of authorities would mislead
            all_rank = (None, have.len(), False)
        quart = None
        if national and not count:
            q1, q2, q3 = (have.quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
            quart = quartile_letter(last["value"], q1, q2, q3, polarity)
        rows.append(
            {
                "kpi_id": kpi["kpi_id"],
                "title": kpi["title"],
                "unit": kpi["unit"],
                "decimals": kpi["decimals"],
                "polarity": polarity,
                "period_end": last["period_end"],
                "period_label": last["period_label"],
                "value": last["value"],
                "england": value_of(ENGLAND),
                "region": value_of(region) if region else None,
                "system": None if count or not system else group(system),
                "neighbours": None if count or not neighbours else group(neighbours),
                "system_rank": None if count or not system else sys_rank[0],
                "system_of": sys_rank[1],
                "system_tied": sys_rank[2],
                "england_rank": None if count else all_rank[0],
                "england_of": all_rank[1],
                "england_tied": all_rank[2],
                "quartile": quart,
            }
        )
    schema = {
        "kpi_id": pl.String,
        "title": pl.String,
        "unit": pl.String,
        "decimals": pl.Int8,
        "polarity": pl.String,
        "period_end": pl.Date,
        "period_label": pl.String,
        "value": pl.Float64,
        "england": pl.Float64,
        "region": pl.Float64,
        "system": pl.Float64,
        "neighbours": pl.Float64,
        "system_rank": pl.Int64,
        "system_of": pl.Int64,
        "system_tied": pl.Boolean,
        "england_rank": pl.Int64,
        "england_of": pl.Int64,
        "england_tied": pl.Boolean,
        "quartile": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def distribution(values: pl.LazyFrame, *, kpi_id: str, period_end: date, area: str, system: list[str]) -> pl.LazyFrame:
    """Every English LA's value for one indicator and period, marked area / system / other; grain: local
    authority."""
    return (
        values.filter(
            (pl.col("kpi_id") == kpi_id)
            & (pl.col("period_end") == period_end)
            & (pl.col("phase") == "all")
            & is_la(pl.col("area_code"))
            & pl.col("value").is_not_null()
        )
        .with_columns(
            group=pl.when(pl.col("area_code") == area)
            .then(pl.lit("area"))
            .when(pl.col("area_code").is_in(system))
            .then(pl.lit("system"))
            .otherwise(pl.lit("other"))
        )
        .select("area_code", "value", "group")
        .sort("value")
    )


def comparator_trend(
    values: pl.LazyFrame,
    *,
    kpi_id: str,
    area: str,
    region: tuple[str, str] | None,
    system: tuple[str, list[str]] | None,
) -> pl.LazyFrame:
    """Per period: the area, England, the region (code, name) and the system's average (name, localities; pooled
    where numerators exist, else the mean of its authorities); grain: period × series."""
    rows = values.filter((pl.col("kpi_id") == kpi_id) & (pl.col("phase") == "all"))
    series = {area: "area", ENGLAND: "England", **({region[0]: region[1]} if region else {})}
    named = rows.filter(pl.col("area_code").is_in(list(series))).select(
        "period_end", "period_label", "value", series=pl.col("area_code").replace_strict(series)
    )
    if system is None:
        return named.sort("series", "period_end")
    g = rows.filter(pl.col("area_code").is_in(system[1]) & pl.col("value").is_not_null())
    system_avg = (
        g.group_by("period_end", "period_label")
        .agg(
            value=pl.when(pl.col("numerator").is_null().any() | (pl.col("denominator").sum() == 0))
            .then(pl.col("value").mean())
            .otherwise(100 * pl.col("numerator").sum() / pl.col("denominator").sum())
        )
        .with_columns(series=pl.lit(system[0]))
    )
    return pl.concat([named, system_avg.select(named.collect_schema().names())]).sort("series", "period_end")
