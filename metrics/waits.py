"""Children's community waiting times: the PIP3 indicators, the league table of the system's localities and the
national leagues of integrated care boards and NHS providers.

Pure Polars over the `waiting_times` table. No Streamlit.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl

from metrics.areas import nhs_kind
from metrics.schema import SERVICES
from metrics.stats import compare_interval, wilson

LOCAL = "gm_locality_return"  # the `source` of the locality returns' rows (DATA_MODEL.md)
NHS = "chs_sitrep_provider"  # the `source` of the NHS England workbook's rows


def pct_under_18_weeks() -> pl.Expr:
    """% of the waiting list waiting 18 weeks or less; percent; null when the locality made no return or nobody
    was waiting (no share to give, rather than 0/0)."""
    total = pl.col("waiting_total")
    return pl.when(total > 0).then(100.0 * pl.col("waiting_under_18_weeks") / total).alias("pct_under_18")


def derive_wait_kpis(waiting_times: pl.LazyFrame, area_code: str) -> pl.LazyFrame:
    """`kpi_values` rows `wait_u18_<service>_pct` for one area, from its locality returns (KPIS.md PIP3).

    Built when a snapshot is written so the indicator and the league table can never disagree. A month with no
    return becomes a null value with status `x`, never 0.
    """
    return (
        waiting_times.filter((pl.col("area_code") == area_code) & (pl.col("source") == "gm_locality_return"))
        .with_columns(pct_under_18_weeks())
        .select(
            kpi_id=pl.lit("wait_u18_") + pl.col("service") + pl.lit("_pct"),
            period_start=pl.col("period_end").dt.month_start(),
            period_end=pl.col("period_end"),
            period_label=pl.col("period_end").dt.strftime("%b %Y"),
            area_code=pl.col("area_code"),
            phase=pl.lit("all"),
            value=pl.col("pct_under_18"),
            numerator=pl.col("waiting_under_18_weeks").cast(pl.Float64),
            denominator=pl.col("waiting_total").cast(pl.Float64),
            status=pl.when(pl.col("waiting_total").is_null())
            .then(pl.lit("x"))
            .when(pl.col("waiting_total") == 0)
            .then(pl.lit("z"))
            .otherwise(pl.lit("")),
            note=pl.lit(""),
        )
        .sort("kpi_id", "period_end")
    )


Z95, Z998 = 1.959964, 3.090232
NHS_PUBLICATION = "NHS England's community health services waiting lists"  # as a sentence names the workbooks
SERVICE_NAMES = {
    "camhs": "child and adolescent mental health services (CAMHS)",
    "salt": "speech and language therapy",
    "ot": "occupational therapy",
    "physio": "physiotherapy",
    "community_paediatrics": "community paediatrics",
}


def _month_shift(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    y, m = divmod(idx, 12)
    nxt = date(y + (m == 11), (m + 1) % 12 + 1, 1)
    return nxt - timedelta(days=1)


def year_earlier_window(period_end: date, *, nearest: int = 1) -> tuple[date, date]:
    """The months searched for a comparison a year before `period_end`: from the same month a year earlier (the one
    wanted) to `nearest` months before (the latest used when the year-earlier month has no figure). The league's
    column stops at 2 months before, since last month has a column of its own."""
    return _month_shift(period_end, -12), _month_shift(period_end, -nearest)


def _pct_rows(waiting_times: pl.LazyFrame, service: str, source: str) -> pl.LazyFrame:
    return waiting_times.filter((pl.col("service") == service) & (pl.col("source") == source)).with_columns(
        pct_under_18_weeks()
    )


def league(
    waiting_times: pl.LazyFrame,
    *,
    period_end: date,
    service: str,
    localities: list[str],
    source: str = "gm_locality_return",
    reference: str | None = None,
) -> pl.LazyFrame:
    """The league table for one month and service (METHODS §5): per locality the % waiting under 18 weeks with its
    95% Wilson interval, rank (1 = highest %, ties share the lower rank) of M localities with a return,
    significance against the pooled figure ("better"/"similar"/"worse"), change since the month before and
    since a year earlier (percentage points), list size, over-52-week waits. A locality with no return is
    kept with nulls (shown "x"). With `reference` (e.g. "ENG" in the NHS England workbook) that row's figure
    replaces the pooled one: ICBs and providers are compared with England. Grain: locality.

    "A year earlier" is the same month a year before when the rows have it; otherwise the earliest month they have
    from 11 to 2 months before; `year_end` says which (null when none), so the column can name it."""
    rows = _pct_rows(waiting_times, service, source)
    now = rows.filter(pl.col("period_end") == period_end)
    prev = rows.filter(pl.col("period_end") == _month_shift(period_end, -1)).select(
        "area_code", prev_pct=pl.col("pct_under_18")
    )
    same, last = year_earlier_window(period_end, nearest=2)
    year_end = (
        rows.filter(pl.col("waiting_total").is_not_null() & pl.col("period_end").is_between(same, last))
        .select("period_end")
        .unique()
        .sort(pl.col("period_end") != same, "period_end")  # the same month first, else the earliest
        .head(1)
        .select(year_end="period_end", _k=pl.lit(1))
    )
    year = rows.join(year_end.select(period_end="year_end"), on="period_end").select(
        "area_code", year_pct=pl.col("pct_under_18")
    )
    pct, lcl, ucl = wilson(pl.col("waiting_under_18_weeks"), pl.col("waiting_total"))
    base = (
        pl.LazyFrame({"area_code": localities})
        .join(now, on="area_code", how="left")
        .join(prev, on="area_code", how="left")
        .join(year, on="area_code", how="left")
        .with_columns(pct=pct, lcl=lcl, ucl=ucl, _k=pl.lit(1))
        .join(year_end, on="_k", how="left")  # a left join on a constant: the month, or null when there is none
        .drop("_k")
    )
    has = pl.col("pct").is_not_null()
    if reference is None:
        pooled_total = pl.col("waiting_total").filter(has).sum()
        base = base.with_columns(
            # no locality with a figure: no pooled figure (0/0 would be NaN, which ranks above every number)
            pooled_pct=pl.when(pooled_total > 0).then(
                100 * pl.col("waiting_under_18_weeks").filter(has).sum() / pooled_total
            ),
            ref_total=pooled_total,
            ref_found=has.any(),
            reference=pl.lit(None, pl.String),  # reference_gap reads why there is no figure from these
        )
    else:
        ref = now.filter(pl.col("area_code") == reference).select(
            pooled_pct="pct_under_18", ref_total="waiting_total", ref_found=pl.lit(True), _k=pl.lit(1)
        )
        base = (
            base.with_columns(_k=pl.lit(1))
            .join(ref, on="_k", how="left")
            .drop("_k")
            .with_columns(pl.col("ref_found").fill_null(False), reference=pl.lit(reference))
        )
    side = compare_interval(pl.col("lcl"), pl.col("ucl"), pl.col("pooled_pct"))
    return (
        base.with_columns(m=has.sum())
        .with_columns(
            rank=pl.col("pct").rank(method="min", descending=True).cast(pl.Int32),
            vs_pooled=side.replace_strict({"higher": "better", "lower": "worse", "similar": "similar"}, default=None),
            change_1m=pl.col("pct") - pl.col("prev_pct"),
            change_12m=pl.col("pct") - pl.col("year_pct"),
        )
        .with_columns(tied=pl.col("rank").is_not_null() & (pl.len().over("rank") > 1))
        .with_columns(period_end=pl.lit(period_end), service=pl.lit(service))
        .sort(["rank", "area_code"], nulls_last=True)
    )


def reference_gap(league_frame: pl.DataFrame, *, against: str, unit: str = "locality") -> str:
    """Why the league's month has no figure to compare with — the localities pooled, or the `reference` row's
    (England's) — as a sentence for the page and the pack, e.g. "There is no England figure for speech and language
    therapy for July 2025 (England had nobody waiting), so no ICB is compared with it."; "" when there is one. A zero
    or missing denominator is said, never divided by."""
    if league_frame.height == 0:
        return ""
    r = league_frame.row(0, named=True)
    if r["pooled_pct"] is not None and math.isfinite(r["pooled_pct"]):
        return ""
    what = SERVICE_NAMES.get(r["service"], r["service"].replace("_", " "))
    if r["reference"] is None:
        totals = league_frame["waiting_total"].drop_nulls()
        if totals.len() == 0:
            reason = f"no {unit} made a return"
        elif totals.sum() == 0:
            reason = f"nobody was waiting in any {unit} that made a return"
        else:
            reason = f"no {unit}'s return said how long the children on its list had waited"
    elif not r["ref_found"]:
        reason = f"{against} is not in {NHS_PUBLICATION} for that month"
    elif r["ref_total"] is None:
        reason = f"{against}'s line in {NHS_PUBLICATION} is blank"
    elif r["ref_total"] == 0:
        reason = f"{against} had nobody waiting"
    else:
        reason = f"{against}'s list of {r['ref_total']:,} does not say how long the children on it had waited"
    return (
        f"There is no {against} figure for {what} for {r['period_end']:%B %Y} ({reason}), so no {unit} is compared "
        "with it."
    )


def funnel(league_frame: pl.DataFrame, points: int = 60) -> pl.DataFrame:
    """Funnel-plot limits around the pooled proportion p̄ over list size n (METHODS §5): p̄ ± z√(p̄(1−p̄)/n) for
    95% (z = 1.96) and 99.8% (z = 3.09), in percent, clipped to 0–100. Returns a DataFrame with n and the limits."""
    have = league_frame.drop_nulls("pct")
    pooled = have["pooled_pct"][0] if have.height else None
    if pooled is None or not math.isfinite(pooled):  # no reference figure to draw limits around (reference_gap)
        return pl.DataFrame(
            schema={
                "n": pl.Float64,
                "lower_95": pl.Float64,
                "upper_95": pl.Float64,
                "lower_998": pl.Float64,
                "upper_998": pl.Float64,
                "pooled": pl.Float64,
            }
        )
    p = pooled / 100
    lo, hi = max(10.0, have["waiting_total"].min() * 0.6), have["waiting_total"].max() * 1.15
    ns = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    frame = pl.DataFrame({"n": ns})
    se = (p * (1 - p) / pl.col("n")).sqrt()
    return frame.with_columns(
        lower_95=(100 * (p - Z95 * se)).clip(0, 100),
        upper_95=(100 * (p + Z95 * se)).clip(0, 100),
        lower_998=(100 * (p - Z998 * se)).clip(0, 100),
        upper_998=(100 * (p + Z998 * se)).clip(0, 100),
        pooled=pl.lit(100 * p),
    )


def heat_table(
    waiting_times: pl.LazyFrame,
    *,
    period_end: date | dict[str, date],
    services: list[str],
    localities: list[str],
    source: str = "gm_locality_return",
) -> pl.LazyFrame:
    """Services × localities: % under 18 weeks, rank of M, and rank quarter (1 = best: the quarter that holds the
    mid-rank position, ceil(4 × (rank − ½) / M); for 10 localities 1st–3rd, 4th–5th, 6th–8th, 9th–10th), for
    one month or for each service's own month (a dict, when services report with different lags). Grain:
    service × locality."""
    months = period_end if isinstance(period_end, dict) else dict.fromkeys(services, period_end)
    parts = [
        league(waiting_times, period_end=months[s], service=s, localities=localities, source=source).select(
            "service", "period_end", "area_code", "pct", "rank", "m", "tied"
        )
        for s in services
    ]
    return pl.concat(parts).with_columns(
        quarter=pl.when(pl.col("rank").is_null())
        .then(None)
        .otherwise((4 * (pl.col("rank") - 0.5) / pl.col("m")).ceil().clip(1, 4).cast(pl.Int8))
    )


def provider_gaps(
    waiting_times: pl.LazyFrame, *, service: str, providers: list[str], source: str = "chs_sitrep_provider"
) -> pl.LazyFrame:
    """The months (of those loaded for the service) in which a provider of `providers` that has figures for the
    service in some month has none: its line is missing from the publication, or blank. An ICB's figure is the sum
    of its providers' returns, so that month's figure leaves the provider's list out. Columns period_end and
    `missing` (the providers' codes, sorted). Grain: month with a gap."""
    rows = waiting_times.filter((pl.col("source") == source) & (pl.col("service") == service))
    lines = rows.filter(pl.col("area_code").is_in(providers) & pl.col("waiting_total").is_not_null()).select(
        "period_end", "area_code"
    )
    return (
        rows.select("period_end")
        .unique()
        .join(lines.select("area_code").unique(), how="cross")  # providers that report the service at all
        .join(lines, on=["period_end", "area_code"], how="anti")
        .group_by("period_end")
        .agg(missing=pl.col("area_code").sort())
        .sort("period_end")
    )


def area_trend(
    waiting_times: pl.LazyFrame,
    *,
    service: str,
    area_code: str,
    localities: list[str],
    source: str = "gm_locality_return",
    reference: str | None = None,
    providers: list[str] | None = None,
) -> pl.LazyFrame:
    """Per month: the area's % under 18 weeks, the pooled figure of the localities (or the `reference` row's
    figure, e.g. England's), and the area's rank of M. With `providers` (an ICB's own, in the NHS England
    workbook) a `missing` column lists those with no figures that month (provider_gaps), empty when none.
    Grain: month."""
    every = _pct_rows(waiting_times, service, source)
    rows = every.filter(pl.col("area_code").is_in(localities))
    valid = pl.col("pct_under_18").is_not_null()
    pooled_total = pl.col("waiting_total").filter(valid).sum().over("period_end")
    ranked = rows.with_columns(
        rank=pl.col("pct_under_18").rank(method="min", descending=True).over("period_end").cast(pl.Int32),
        m=valid.sum().over("period_end"),
        pooled_pct=pl.when(pooled_total > 0).then(
            100 * pl.col("waiting_under_18_weeks").filter(valid).sum().over("period_end") / pooled_total
        ),
    )
    if reference is not None:
        ref = every.filter(pl.col("area_code") == reference).select("period_end", ref_pct="pct_under_18")
        ranked = ranked.join(ref, on="period_end", how="left").with_columns(pooled_pct="ref_pct")
    out = (
        ranked.filter(pl.col("area_code") == area_code)
        .select(
            "period_end",
            pct=pl.col("pct_under_18"),
            pooled_pct="pooled_pct",
            rank="rank",
            m="m",
            over_52=pl.col("waiting_over_52_weeks"),
            total=pl.col("waiting_total"),
        )
        .sort("period_end")
    )
    if providers is None:
        return out
    gaps = provider_gaps(waiting_times, service=service, providers=providers, source=source)
    return (
        out.join(gaps, on="period_end", how="left")
        .with_columns(pl.col("missing").fill_null(pl.lit([], pl.List(pl.String))))
        .sort("period_end")  # a join does not keep row order (Polars 2)
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gap_caution(trend: pl.DataFrame, months: list[date], names: dict[str, str], who: str) -> str:
    """A caution for the months of `trend` (area_trend with providers) whose figure leaves out a provider with no
    figures that month, e.g. "Caution: Leeds Community Healthcare NHS Trust has no figures in the publication for
    June 2025, so West Yorkshire ICB's figure for that month leaves out its waiting list."; empty when none does."""
    if "missing" not in trend.columns:
        return ""
    gaps = trend.filter(pl.col("period_end").is_in(months) & (pl.col("missing").list.len() > 0))
    by_org: dict[str, list[str]] = {}
    for r in gaps.sort("period_end").iter_rows(named=True):
        for code in r["missing"]:
            by_org.setdefault(code, []).append(f"{r['period_end']:%B %Y}")
    if not by_org:
        return ""
    parts = [f"{names.get(c, c)} has no figures in the publication for {_and(m)}" for c, m in by_org.items()]
    whose = "its waiting list" if len(by_org) == 1 else "their waiting lists"
    return (
        f"Caution: {'; '.join(parts)}, so {who}'s figure for {'that month' if gaps.height == 1 else 'those months'} "
        f"leaves out {whose}."
    )


def headline(
    league_frame: pl.DataFrame,
    trend: pl.DataFrame,
    *,
    area_code: str,
    service: str,
    name: str,
    members: str = "",
    publication: str = "",
    names: dict[str, str] | None = None,
) -> str:
    """The sentence a board member reads first, e.g. "Bury is 9th of 10 for speech and language therapy: 34%
    waiting under 18 weeks in July 2025, up from 9% in July 2024." (compared with the same month a year earlier
    when the area has a figure for it, otherwise with the earliest month it has in the year before, which the
    sentence names); `name` is the area's, `members` what it is ranked among ("ICBs" → "12th of 42 ICBs").

    With no figure it says why: an organisation with no line in the `publication` (NHS England's workbook) "is not
    in" it; a locality whose return left the list blank "made no return"; a list of nobody, or one without the
    weeks waited, is said as such. When `trend` carries an ICB's provider gaps (area_trend with providers) and the
    month or the one compared with leaves a provider out, a caution follows, naming it from `names`."""
    from metrics.areas import ordinal

    row = league_frame.filter(pl.col("area_code") == area_code)
    what = SERVICE_NAMES.get(service, service.replace("_", " "))
    month = league_frame["period_end"][0]
    if row.height == 0:
        where = publication or "the figures loaded"
        return f"{name} is not in {where} for {what} in {month:%B %Y}."
    r = row.row(0, named=True)
    if r["pct"] is None:
        if r["waiting_total"] is None:
            return f"{name} made no return for {what} for {month:%B %Y}."
        if r["waiting_total"] == 0:
            return f"{name} had nobody waiting for {what} at the end of {month:%B %Y}."
        return (
            f"{name} had {r['waiting_total']:,} waiting for {what} at the end of {month:%B %Y}; how long they had "
            "waited was not given."
        )
    place = ("=" if r["tied"] else "") + ordinal(r["rank"])
    among = f"{r['m']} {members}".strip()
    text = f"{name} is {place} of {among} for {what}: {r['pct']:.0f}% waiting under 18 weeks in {month:%B %Y}"
    same, last = year_earlier_window(month)
    window = trend.filter(pl.col("period_end").is_between(same, last)).drop_nulls("pct")
    window = window.sort(pl.col("period_end") != same, "period_end")  # the same month first, else the earliest
    if window.height:
        first = window.row(0, named=True)
        then, now = round(first["pct"]), round(r["pct"])
        word = "up from" if now > then else "down from" if now < then else "the same as"
        text += f", {word} {then}% in {first['period_end']:%B %Y}"
    months = [month, first["period_end"]] if window.height else [month]
    caution = gap_caution(trend, months, names or {}, name)
    return text + "." + (f" {caution}" if caution else "")


def _returned(waiting_times: pl.LazyFrame, source: str) -> pl.LazyFrame:
    return waiting_times.filter((pl.col("source") == source) & pl.col("waiting_total").is_not_null())


def months_with_returns(waiting_times: pl.LazyFrame, service: str | None = None, source: str = LOCAL) -> list[date]:
    """Months with locality returns (or NHS England rows, `source`) for one service, or any, newest first."""
    rows = _returned(waiting_times, source)
    if service:
        rows = rows.filter(pl.col("service") == service)
    return sorted(rows.select(pl.col("period_end").unique()).collect()["period_end"].to_list(), reverse=True)


def services_with_returns(waiting_times: pl.LazyFrame, source: str = LOCAL) -> list[str]:
    """Services with locality returns (or NHS England rows): the board's five first, in the plan's order, then any
    other A–Z."""
    have = set(_returned(waiting_times, source).select(pl.col("service").unique()).collect()["service"])
    return [s for s in SERVICES if s in have] + sorted(have - set(SERVICES))


def nhs_organisations(waiting_times: pl.LazyFrame, kind: str, period: date | None = None, service: str = "") -> list:
    """Codes of the NHS England workbook's organisations of one kind ("icb" or "provider", metrics.areas.nhs_kind),
    A–Z: those with rows for a month and service, or (no `period`) with any rows."""
    rows = waiting_times.filter(pl.col("source") == NHS)
    if period is not None:
        rows = rows.filter((pl.col("period_end") == period) & (pl.col("service") == service))
    codes = rows.select(pl.col("area_code").unique()).collect()["area_code"]
    return sorted(c for c in codes if nhs_kind(c) == kind)


def provider_rows(waiting_times: pl.LazyFrame, period: date, services: list[str], orgs: list[str]) -> pl.DataFrame:
    """NHS England workbook rows of some organisations and services for a month, by service then organisation
    (empty when not loaded)."""
    return (
        waiting_times.filter(
            (pl.col("source") == NHS)
            & (pl.col("period_end") == period)
            & pl.col("service").is_in(services)
            & pl.col("area_code").is_in(orgs)
        )
        .sort("service", "area_code")
        .collect()
    )
