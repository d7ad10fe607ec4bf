"""Benchmarking the area on the DfE EHCP measures (METHODS §5, §8): against England and its region (the publisher's
own rows), the local authorities of its health and care system and its statistical neighbours (aggregated here,
leaving out authorities without figures and saying how many); rank among the system's authorities and among all
English local authorities, worked on values as displayed with ties shown "="; quartile among all English local
authorities (type 7 quantiles of the displayed values, "A" the best quarter for the polarity); no rank or quartile
for a figure on a small denominator. Pure Polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.areas import ENGLAND
from metrics.kpi import SMALL_DENOMINATOR, small_number

LAIT_SOURCE = "DfE Local Authority Interactive Tool (LAIT)"
# the sources whose indicators are published for every local authority: what Benchmarks compares the area on
PUBLISHED_SOURCES = ("DfE SEN2", LAIT_SOURCE)
SEN2_TOPIC = "EHC plans (SEN2)"  # the topic of the DfE release's measures, which LAIT groups as "Children with SEN"
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


def shown(value: pl.Expr, decimals: int) -> pl.Expr:
    """A value as the table shows it, rounded to the indicator's (the publisher's) decimal places: what ranks and
    quartiles are worked on, so two authorities both shown as 50.0% share a rank (METHODS §8)."""
    scale = 10.0**decimals
    return (value * scale).round(0) / scale


def _rankable(frame: pl.DataFrame, decimals: int) -> pl.DataFrame:
    """The authorities that are ranked: with a value, not on a small denominator (METHODS §8), as displayed."""
    return frame.filter(pl.col("value").is_not_null() & ~small_number(pl.col("denominator"))).with_columns(
        shown=shown(pl.col("value"), decimals)
    )


def _rank(ranked: pl.DataFrame, area: str, polarity: str) -> tuple[int | None, int, bool]:
    """Rank of the area among `ranked` (1 = best for the polarity; highest first for neutral), worked on the shown
    values; equal shown values share the better rank ("=3rd"), as LAIT does. Returns (rank, how many ranked, tied)."""
    if area not in set(ranked["area_code"]):
        return None, ranked.height, False
    descending = polarity != "lower_is_better"
    with_rank = ranked.with_columns(r=pl.col("shown").rank(method="min", descending=descending))
    r = int(with_rank.filter(pl.col("area_code") == area)["r"][0])
    return r, ranked.height, with_rank.filter(pl.col("r") == r).height > 1


def pooled(rows: pl.DataFrame, codes: list[str], *, count: bool) -> tuple[float | None, int, int]:
    """The figure of a group of authorities we aggregate ourselves (a health system, the neighbours), and how many
    of the group it uses: (value, used, of). A count is the sum of the authorities with one. A percentage is pooled
    from counts, leaving out of numerator and denominator alike every authority whose figure is suppressed or
    missing (METHODS §8); where no authority has counts, it is the mean of their values."""
    group = rows.filter(pl.col("area_code").is_in(codes))
    of = len(set(codes))
    have = group.filter(pl.col("value").is_not_null())
    if count:
        return (have["value"].sum() if have.height else None), have.height, of
    counted = have.filter(
        pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)
    )
    if counted.height:
        return 100 * counted["numerator"].sum() / counted["denominator"].sum(), counted.height, of
    if have.height:
        return have["value"].mean(), have.height, of
    return None, 0, of


def benchmark_table(
    values: pl.LazyFrame,
    catalogue: pl.DataFrame,
    *,
    area: str,
    region: str | None,
    system: list[str],
    neighbours: list[str],
    region_las: list[str] | None = None,
) -> pl.DataFrame:
    """One row per published indicator the area has: latest period, the area's value as published with its counts
    and note, England and its region (the publisher's own rows), the system's and neighbours' figures (`pooled`,
    with how many authorities each uses: the neighbours' average where they publish no counts), rank among the
    system's authorities, among the area and its statistical neighbours, among the authorities of its region
    (`region_las`) and among all English LAs, and quartile.

    Ranks and quartiles are worked on values as displayed, ties shown with "=", counting the authorities ranked;
    a figure on a small denominator is shown with a caution and gets no rank or quartile, nor is it ranked among
    (METHODS §8). Counts are not ranked (areas differ in size); the system's count is the sum of its authorities.
    Returns a DataFrame."""
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
        small = not count and last["denominator"] is not None and last["denominator"] < SMALL_DENOMINATOR

        def value_of(code: str, _at=at) -> float | None:
            hit = _at.filter(pl.col("area_code") == code)["value"]
            return hit[0] if len(hit) else None

        las = at.filter(is_la(pl.col("area_code")))
        national = las.drop_nulls("value").height >= NATIONAL_MIN
        ranked = _rankable(las, kpi["decimals"])
        sys_rank = _rank(ranked.filter(pl.col("area_code").is_in(system)), area, polarity)
        nb_rank = _rank(ranked.filter(pl.col("area_code").is_in([area, *neighbours])), area, polarity)
        reg_rank = _rank(ranked.filter(pl.col("area_code").is_in(region_las or [])), area, polarity)
        all_rank = _rank(ranked, area, polarity)
        if not national:  # a rank "in England" among a handful of authorities would mislead
            all_rank = (None, ranked.height, False)
        quart = None
        if national and not count and not small:
            have = ranked["shown"]
            q1, q2, q3 = (have.quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
            mine_shown = pl.select(shown(pl.lit(last["value"], pl.Float64), kpi["decimals"])).item()
            quart = quartile_letter(mine_shown, q1, q2, q3, polarity)
        sys_value, sys_used, sys_count = pooled(at, system, count=count) if system else (None, 0, 0)
        nb_value, nb_used, nb_count = pooled(at, neighbours, count=False) if neighbours and not count else (None, 0, 0)
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
                "numerator": last["numerator"],
                "denominator": last["denominator"],
                "note": last["note"] or "",
                "small_number": small,
                "england": value_of(ENGLAND),
                "region": value_of(region) if region else None,
                "system": sys_value,
                "system_used": sys_used,
                "system_count": sys_count,
                "neighbours": nb_value,
                "neighbours_used": nb_used,
                "neighbours_count": nb_count,
                "system_rank": None if count or small or not system else sys_rank[0],
                "system_of": sys_rank[1],
                "system_tied": sys_rank[2],
                "neighbours_rank": None if count or small or not neighbours else nb_rank[0],
                "neighbours_of": nb_rank[1],
                "neighbours_tied": nb_rank[2],
                "region_rank": None if count or small or not region_las else reg_rank[0],
                "region_of": reg_rank[1],
                "region_tied": reg_rank[2],
                "england_rank": None if count or small else all_rank[0],
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
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "note": pl.String,
        "small_number": pl.Boolean,
        "england": pl.Float64,
        "region": pl.Float64,
        "system": pl.Float64,
        "system_used": pl.Int64,
        "system_count": pl.Int64,
        "neighbours": pl.Float64,
        "neighbours_used": pl.Int64,
        "neighbours_count": pl.Int64,
        "system_rank": pl.Int64,
        "system_of": pl.Int64,
        "system_tied": pl.Boolean,
        "neighbours_rank": pl.Int64,
        "neighbours_of": pl.Int64,
        "neighbours_tied": pl.Boolean,
        "region_rank": pl.Int64,
        "region_of": pl.Int64,
        "region_tied": pl.Boolean,
        "england_rank": pl.Int64,
        "england_of": pl.Int64,
        "england_tied": pl.Boolean,
        "quartile": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def distribution(
    values: pl.LazyFrame,
    *,
    kpi_id: str,
    period_end: date,
    area: str,
    system: list[str],
    only: list[str] | None = None,
) -> pl.LazyFrame:
    """Every English LA's value for one indicator and period (or only those of `only`: the region's), marked area /
    system / other; grain: local authority."""
    within = pl.col("area_code").is_in(only) if only is not None else pl.lit(True)
    return (
        values.filter(
            (pl.col("kpi_id") == kpi_id)
            & (pl.col("period_end") == period_end)
            & (pl.col("phase") == "all")
            & is_la(pl.col("area_code"))
            & pl.col("value").is_not_null()
            & within
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
    count: bool = False,
) -> pl.LazyFrame:
    """Per period: the area, England, the region (code, name) as published, and the system's figure (name,
    localities) worked out as `pooled` does: a count summed, a percentage pooled from the counts of the authorities
    that have them (the mean of their values where none has), leaving out the rest; `authorities` says how many
    were used ("9 of 10 authorities"), empty for the published series. Grain: period × series."""
    rows = values.filter((pl.col("kpi_id") == kpi_id) & (pl.col("phase") == "all"))
    series = {area: "area", ENGLAND: "England", **({region[0]: region[1]} if region else {})}
    named = rows.filter(pl.col("area_code").is_in(list(series))).select(
        "period_end",
        "period_label",
        "value",
        series=pl.col("area_code").replace_strict(series),
        authorities=pl.lit(""),
    )
    if system is None:
        return named.sort("series", "period_end")
    g = rows.filter(pl.col("area_code").is_in(system[1]) & pl.col("value").is_not_null())
    counted = pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null() & (pl.col("denominator") > 0)
    if count:
        value, used = pl.col("value").sum(), pl.len()
    else:
        pooled_value = 100 * pl.col("numerator").filter(counted).sum() / pl.col("denominator").filter(counted).sum()
        value = pl.when(counted.any()).then(pooled_value).otherwise(pl.col("value").mean())
        used = pl.when(counted.any()).then(counted.sum()).otherwise(pl.len())
    of = len(set(system[1]))
    system_rows = (
        g.group_by("period_end", "period_label")
        .agg(value=value, used=used.cast(pl.Int64))
        .with_columns(
            series=pl.lit(system[0]),
            authorities=pl.format("{} of {} authorities", pl.col("used"), pl.lit(of)),
        )
    )
    return pl.concat([named, system_rows.select(named.collect_schema().names())]).sort("series", "period_end")


def neighbour_table(
    values: pl.LazyFrame,
    *,
    kpi_id: str,
    period_end: date,
    area: str,
    neighbours: list[str],
    decimals: int,
    polarity: str,
) -> pl.DataFrame:
    """The area and each of its statistical neighbours for one indicator and period, in the neighbours' order: the
    value as published (null with its symbol where there is none) and the rank among them, worked as
    `benchmark_table` works every rank (on the shown figure, ties "=", small numbers and missing figures not
    ranked). Grain: local authority."""
    codes = [area, *[c for c in neighbours if c != area]]
    at = values.filter(
        (pl.col("kpi_id") == kpi_id)
        & (pl.col("period_end") == period_end)
        & (pl.col("phase") == "all")
        & pl.col("area_code").is_in(codes)
    ).collect()
    ranked = _rankable(at, decimals)
    descending = polarity != "lower_is_better"
    ranks = ranked.with_columns(rank=pl.col("shown").rank(method="min", descending=descending).cast(pl.Int64))
    ranks = ranks.with_columns(tied=pl.col("rank").is_duplicated()).select("area_code", "rank", "tied")
    order = pl.DataFrame({"area_code": codes, "order": list(range(len(codes)))})
    return (
        order.join(at.select("area_code", "value", "status", "denominator"), on="area_code", how="left")
        .join(ranks, on="area_code", how="left")
        .with_columns(of=pl.lit(ranked.height, pl.Int64), status=pl.col("status").fill_null("x"))
        .sort("order")
        .select("area_code", "value", "status", "rank", "tied", "of")
    )


def published_table(values: pl.LazyFrame, catalogue: pl.LazyFrame, where, *, area: str) -> pl.DataFrame:
    """benchmark_table of the indicators published for every local authority (PUBLISHED_SOURCES), in the plan's
    workstream order (context, primary need, last), with each one's topic; `where` is the area's metrics.areas.Setup."""
    from metrics.schema import WORKSTREAMS

    order = {w: i for i, w in enumerate(WORKSTREAMS)}
    cat = (
        catalogue.filter(pl.col("source").is_in(PUBLISHED_SOURCES))
        .collect()
        .sort(pl.col("workstream").replace_strict(order, default=len(order)), "theme", maintain_order=True)
    )
    table = benchmark_table(
        values,
        cat,
        area=area,
        region=where.region_code,
        system=list(where.localities),
        neighbours=list(where.neighbours),
        region_las=list(where.region_authorities),
    )
    topics = cat.select("kpi_id", topic=pl.col("topic").fill_null(pl.lit(SEN2_TOPIC)))
    return table.join(topics, on="kpi_id", how="left", maintain_order="left")


def of_topic(rows: pl.DataFrame, topic: str | None) -> pl.DataFrame:
    """The benchmark rows of one topic (all with None)."""
    return rows if topic is None else rows.filter(pl.col("topic") == topic)


def row_of(rows: pl.DataFrame, kpi_id: str) -> dict:
    """One indicator's benchmark row as a dict."""
    return rows.filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
