"""The app's cached queries and figures: every metric query (metrics/) and figure (present/) a page asks for,
computed once per snapshot and kept (ui.snapshots.cached: keyed on the snapshots' fingerprints and the small
arguments). Frames come back collected, ready for display. No Polars expression here: the queries are metrics', the
words and charts present's.
"""

from __future__ import annotations

import polars as pl

from metrics import benchmarks, diff, exceptions, kpi, plan, series, waits, wards
from metrics.areas import named, setup_of
from metrics.schema import typed_like
from metrics.snapshot import Snapshot, scan_table
from present import benchmarks as bench_figures
from present import figures, places, words
from present import waits as wait_figures
from present.csv import stamped_csv
from present.tables import actions_display, needs_display, series_display
from ui.snapshots import cached


def setup(snap: Snapshot):
    """The area's comparators and names (metrics.areas.Setup): region, system, neighbours, from the manifest."""
    return setup_of(snap.manifest)


def area_names(snap: Snapshot) -> dict[str, str]:
    """Names of areas and organisations: from the DfE and NHS files the snapshot was built from, its system and
    region (metrics.areas.Setup.names)."""
    return setup(snap).names


@cached(max_entries=16)
def abbreviations_table(snap: Snapshot) -> pl.DataFrame:
    """Every abbreviation the app and papers use, with the area's own system short name (present.words)."""
    rows = words.abbreviations(extra=words.system_abbreviation(snap.manifest.get("system")))
    return pl.DataFrame(rows, schema={"Abbreviation": pl.String, "Meaning": pl.String})


@cached(max_entries=64)
def table(snap: Snapshot, name: str) -> pl.DataFrame:
    """A whole snapshot table, collected once per snapshot and cached."""
    return scan_table(snap, name).collect()


def arrow_datasets(spec: dict) -> dict:
    """Replace a Vega-Lite spec's inline datasets with Arrow IPC bytes, which Streamlit passes straight through;
    otherwise it converts every dataset through pandas on every run."""
    from streamlit import dataframe_util

    spec = dict(spec)
    spec["datasets"] = {
        name: rows if isinstance(rows, dict) else dataframe_util.convert_anything_to_arrow_bytes(pl.DataFrame(rows))
        for name, rows in spec.get("datasets", {}).items()
    }
    return spec


def _kpi(snap: Snapshot, kpi_id: str) -> dict:
    return kpi.catalogue_row(scan_table(snap, "kpi_catalogue"), kpi_id)


# --- the plan's indicators -------------------------------------------------------------------------------------


@cached(max_entries=64)
def summary(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The Summary frame (metrics.kpi.summary) for a snapshot, compare snapshot and phase."""
    before = scan_table(compare, "kpi_values") if compare is not None else None
    return kpi.summary(
        scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), before, area_code=snap.la_code, phase=phase
    ).collect()


@cached(max_entries=64)
def icons(snap: Snapshot, phase: str) -> pl.DataFrame:
    """Variation and assurance icons of every indicator (kpi_id, variation, assurance, n_points)."""
    cat = scan_table(snap, "kpi_catalogue").collect()
    return series.all_icons(cat, scan_table(snap, "kpi_values"), area_code=snap.la_code, phase=phase)


@cached(max_entries=64)
def summary_with_icons(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The Summary frame with each indicator's variation and assurance icons."""
    return kpi.with_icons(summary(snap, compare, phase), icons(snap, phase))


@cached(max_entries=256)
def workstream_rows(
    snap: Snapshot, compare: Snapshot | None, phase: str, theme: int, workstream: str, apart: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One workstream's Summary rows (with icons) as a theme page shows them: those whose kpi_id starts with
    `apart` (shown together), and the others, in the Summary's order."""
    return kpi.split_by_id(kpi.of_theme(summary_with_icons(snap, compare, phase), theme, workstream), apart)


@cached(max_entries=64, shared=False)
def rag_counts_of(snap: Snapshot, compare: Snapshot | None, phase: str, theme: int | None) -> dict[str, int]:
    """RAG word → number of indicators of the Summary (optionally one theme's)."""
    return kpi.rag_count_words(summary_with_icons(snap, compare, phase), theme)


@cached(max_entries=32, shared=False)
def board_diff(snap: Snapshot, compare: Snapshot, phase: str) -> dict[str, pl.DataFrame]:
    """Everything that changed between two snapshots (metrics.diff.between), as frames keyed new, revised,
    ratings, risks and actions."""
    return diff.between(snap, compare, phase)


@cached(max_entries=64)
def exceptions_frame(snap: Snapshot, compare: Snapshot | None, phase: str) -> pl.DataFrame:
    """The indicators needing the board's attention (metrics.exceptions), worst first."""
    ratings = board_diff(snap, compare, phase)["ratings"] if compare is not None else None
    return exceptions.exceptions(summary_with_icons(snap, compare, phase), ratings)


@cached(max_entries=512)
def indicator(snap: Snapshot, kpi_id: str, phase: str) -> pl.DataFrame:
    """One indicator's series for the area with SPC columns (metrics.series.indicator_series)."""
    values = scan_table(snap, "kpi_values")
    return series.indicator_series(values, _kpi(snap, kpi_id), area_code=snap.la_code, phase=phase).collect()


@cached(max_entries=512)
def comparators(snap: Snapshot, kpi_id: str) -> pl.DataFrame:
    """England's and the area's region's values of one indicator."""
    return series.comparator_series(scan_table(snap, "kpi_values"), kpi_id, setup(snap).comparator_names()).collect()


def _indicator_figure(snap: Snapshot, kpi_id: str, phase: str, board: bool = False) -> figures.Figure:
    return figures.indicator_figure(
        indicator(snap, kpi_id, phase), comparators(snap, kpi_id), _kpi(snap, kpi_id), board=board
    )


@cached(max_entries=1024, shared=False)
def indicator_spec(snap: Snapshot, kpi_id: str, phase: str, board: bool) -> dict:
    """The Vega-Lite spec of one indicator's chart (present.figures.indicator_figure), built once per snapshot,
    phase and mode: building and validating an Altair chart costs ~100 ms, far more than drawing a cached spec."""
    return arrow_datasets(_indicator_figure(snap, kpi_id, phase, board).spec())


@cached(max_entries=1024, shared=False)
def description(snap: Snapshot, kpi_id: str, phase: str) -> str:
    """The one-sentence description of an indicator's chart (metrics.series.describe)."""
    return series.describe(indicator(snap, kpi_id, phase), _kpi(snap, kpi_id))


@cached(max_entries=1024)
def indicator_table(snap: Snapshot, kpi_id: str, phase: str) -> pl.DataFrame:
    """The table twin of an indicator chart (present.tables.series_display), cached."""
    return series_display(indicator(snap, kpi_id, phase), comparators(snap, kpi_id), _kpi(snap, kpi_id))


@cached(max_entries=1024, shared=False)
def indicator_csv(snap: Snapshot, kpi_id: str, phase: str) -> bytes:
    """indicator_table as the stamped CSV its download gives (present.csv.stamped_csv), cached."""
    source = _kpi(snap, kpi_id)["source"]
    return stamped_csv(indicator_table(snap, kpi_id, phase), as_at=snap.as_at, demo=snap.demo, source=source)


@cached(max_entries=32)
def needs_table(snap: Snapshot, kpi_ids: list[str]) -> pl.DataFrame:
    """The area's EHC plans by primary type of need beside England and its region, at the latest period."""
    where = setup(snap)
    frame = series.latest_by_area(
        scan_table(snap, "kpi_catalogue"),
        scan_table(snap, "kpi_values"),
        list(kpi_ids),
        area_code=snap.la_code,
        areas={snap.la_code: where.la_name, **where.comparator_names()},
    )
    return needs_display(frame)


# --- the plan's actions, risks and commentary ------------------------------------------------------------------


@cached(max_entries=128)
def actions(snap: Snapshot, workstreams: list[str]) -> pl.DataFrame:
    """Actions of some workstreams with RAG and overdue flags, overdue first."""
    return plan.workstream_actions(scan_table(snap, "actions"), list(workstreams), snap.as_at).collect()


@cached(max_entries=128)
def actions_table(snap: Snapshot, workstreams: list[str]) -> pl.DataFrame:
    """`actions` as people read them (present.tables.actions_display)."""
    return actions_display(actions(snap, workstreams))


@cached(max_entries=32)
def risk_register(snap: Snapshot) -> pl.DataFrame:
    """Every risk, open ones first, highest score first."""
    return plan.risk_register(scan_table(snap, "risks")).collect()


@cached(max_entries=32)
def risk_grid(snap: Snapshot) -> pl.DataFrame:
    """The 5 × 5 likelihood × severity grid of the open risks (metrics.plan.risk_grid)."""
    return plan.risk_grid(scan_table(snap, "risks")).collect()


@cached(max_entries=32, shared=False)
def risk_chart(snap: Snapshot, board: bool) -> dict:
    """The risk heat grid's Vega-Lite spec, its description naming where every risk sits."""
    return arrow_datasets(figures.risk_figure(risk_grid(snap), board=board).spec())


@cached(max_entries=128)
def commentary(snap: Snapshot, workstream: str) -> pl.DataFrame:
    """A workstream's commentary, newest first, with the latest date's entries marked."""
    return plan.latest_commentary(scan_table(snap, "commentary"), workstream).collect()


@cached(max_entries=128)
def commentary_parts(snap: Snapshot, workstream: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A workstream's latest commentary and the earlier entries (metrics.plan.latest_and_earlier)."""
    return plan.latest_and_earlier(commentary(snap, workstream))


# --- wards -----------------------------------------------------------------------------------------------------


@cached(max_entries=16, shared=False)
def ward_periods(snap: Snapshot) -> list:
    """Months with ward data, newest first (empty when the snapshot has no ward data)."""
    return wards.periods(scan_table(snap, "ward_demand"))


@cached(max_entries=256)
def ward_rates(
    snap: Snapshot, period, measure: str, phase: str, *, protected: bool, towns: bool = False
) -> pl.DataFrame:
    """Ward (or town) rates per 1,000 with intervals, borough comparison and rank (metrics.wards)."""
    fn = wards.town_rates if towns else wards.ward_rates
    return fn(
        scan_table(snap, "ward_demand"),
        scan_table(snap, "wards"),
        period_end=period,
        measure=measure,
        phase=phase,
        protected=protected,
    ).collect()


@cached(max_entries=256, shared=False)
def ward_borough(snap: Snapshot, period, measure: str, phase: str, *, protected: bool) -> dict:
    """The borough's count, population and rate with limits for one month."""
    demand = scan_table(snap, "ward_demand")
    found = wards.borough_total(demand, period_end=period, measure=measure, phase=phase, protected=protected)
    return found.collect().row(0, named=True)


@cached(max_entries=256)
def deprivation(snap: Snapshot, period, measure: str, phase: str, *, protected: bool) -> pl.DataFrame:
    """Rate per 1,000 by the wards' deprivation decile."""
    return wards.rate_by_deprivation(
        scan_table(snap, "ward_demand"),
        scan_table(snap, "wards"),
        period_end=period,
        measure=measure,
        phase=phase,
        protected=protected,
    ).collect()


@cached(max_entries=256)
def ward_trend(snap: Snapshot, ward_code: str, measure: str, *, protected: bool) -> pl.DataFrame:
    """One ward's monthly rate per phase."""
    demand = scan_table(snap, "ward_demand")
    return wards.ward_trend(demand, ward_code=ward_code, measure=measure, protected=protected).collect()


@cached(max_entries=64, shared=False)
def map_size(snap: Snapshot, *, board: bool) -> tuple[int, int]:
    """The ward map's width and height in px (present.places.map_size), which the page sizes its columns by."""
    return places.map_size(table(snap, "wards"), board=board)


@cached(max_entries=512, shared=False)
def ward_chart(
    snap: Snapshot,
    kind: str,
    *,
    period,
    measure: str,
    phase: str,
    protected: bool,
    towns: bool = False,
    highlight: str | None = None,
    board: bool = False,
    shade: str = "rate",
    selection: str = "ward",
) -> dict:
    """Cached Vega-Lite spec of a ward chart: "map" (wards shaded by `shade`, "rate" or "imd"), "ranked",
    "deprivation" or "trend" (present.places' figures). `selection` names the map's point selection."""
    label = wards.MEASURE_LABELS[measure]
    if kind == "map":
        figure = places.map_figure(
            ward_rates(snap, period, measure, phase, protected=protected),
            table(snap, "wards"),
            label=label,
            period=period,
            shade=shade,
            selection=selection,
            highlight=highlight,
            board=board,
        )
    elif kind == "ranked":
        figure = places.ranked_figure(
            ward_rates(snap, period, measure, phase, protected=protected, towns=towns),
            label=label,
            borough_rate=ward_borough(snap, period, measure, phase, protected=protected)["rate"],
            towns=towns,
            highlight=highlight,
            board=board,
        )
    elif kind == "deprivation":
        frame = deprivation(snap, period, measure, phase, protected=protected)
        figure = places.deprivation_figure(frame, label=label, board=board)
    else:  # trend of the highlighted ward
        frame = ward_trend(snap, highlight, measure, protected=protected)
        figure = places.ward_trend_figure(frame, label=label, board=board)
    return arrow_datasets(figure.spec())


# --- waiting times ---------------------------------------------------------------------------------------------

LOCAL, NHS = waits.LOCAL, waits.NHS  # the `source` of the locality returns' and NHS England workbooks' rows


@cached(max_entries=32, shared=False)
def wait_months(snap: Snapshot, service: str | None = None, source: str = LOCAL) -> list:
    """Months with locality returns (or NHS England rows) for one service, or any, newest first."""
    return waits.months_with_returns(scan_table(snap, "waiting_times"), service, source)


@cached(max_entries=32, shared=False)
def wait_services(snap: Snapshot, source: str = LOCAL) -> list[str]:
    """Services with locality returns (or NHS England rows): the board's five first, then the rest A–Z."""
    return waits.services_with_returns(scan_table(snap, "waiting_times"), source)


@cached(max_entries=64, shared=False)
def _nhs_orgs(snap: Snapshot, kind: str, period, service: str) -> list[str]:
    return waits.nhs_organisations(scan_table(snap, "waiting_times"), kind, period, service)


def _league_of(level: str) -> tuple[str, str | None]:
    """The rows and reference of a league: the system's localities against their pooled figure, or every ICB or
    provider in the NHS England workbook against England."""
    return (LOCAL, None) if level == "locality" else (NHS, "ENG")


@cached(max_entries=256)
def league(snap: Snapshot, period, service: str, level: str = "locality") -> pl.DataFrame:
    """The league table for a month and service (metrics.waits.league), with names: the system's localities
    (`level` "locality"), or every English ICB ("icb") or provider ("provider") against England."""
    source, reference = _league_of(level)
    members = list(setup(snap).localities) if level == "locality" else _nhs_orgs(snap, level, period, service)
    frame = waits.league(
        scan_table(snap, "waiting_times"),
        period_end=period,
        service=service,
        localities=members,
        source=source,
        reference=reference,
    ).collect()
    return named(frame, setup(snap).names)


@cached(max_entries=64)
def area_trend(snap: Snapshot, service: str, level: str = "locality", code: str = "") -> pl.DataFrame:
    """Monthly % under 18 weeks of the area (or of one ICB or provider, `code`), the reference figure (the pooled
    system figure, or England's) and its rank."""
    source, reference = _league_of(level)
    system = setup(snap).system
    providers = None  # the area's own ICB: its figure leaves out any of its providers with no figures that month
    if level == "locality":
        members = list(setup(snap).localities)
    else:
        members = waits.nhs_organisations(scan_table(snap, "waiting_times"), level)
        if level == "icb" and system and system.icb == code and system.providers:
            providers = list(system.providers)
    return waits.area_trend(
        scan_table(snap, "waiting_times"),
        service=service,
        area_code=code or snap.la_code,
        localities=members,
        source=source,
        reference=reference,
        providers=providers,
    ).collect()


@cached(max_entries=64)
def heat(snap: Snapshot, period, services: list[str]) -> pl.DataFrame:
    """Services × localities for a month with rank quarters."""
    # each service at its latest month up to the chosen one (CAMHS returns run a month behind the others)
    months = {s: next((m for m in wait_months(snap, s) if m <= period), period) for s in services}
    return waits.heat_table(
        scan_table(snap, "waiting_times"),
        period_end=months,
        services=list(services),
        localities=list(setup(snap).localities),
    ).collect()


@cached(max_entries=64)
def providers(snap: Snapshot, period, services: list[str], orgs: list[str]) -> pl.DataFrame:
    """NHS England workbook rows for some organisations, services and a month (empty when not loaded)."""
    return waits.provider_rows(scan_table(snap, "waiting_times"), period, list(services), list(orgs))


@cached(max_entries=256, shared=False)
def wait_chart(
    snap: Snapshot,
    kind: str,
    *,
    period,
    service: str | None = None,
    services: list[str] = (),
    board: bool = False,
    level: str = "locality",
    code: str = "",
) -> dict:
    """Cached Vega-Lite spec of a waiting-time chart: "heat", "funnel" or "trend" (present.waits' figures), for the
    system's localities or for a national ICB or provider league (`level`, `code` the organisation followed)."""
    where = setup(snap)
    focus = where.name(code or snap.la_code)
    reference = where.system_name if level == "locality" else "England"
    if kind == "heat":
        figure = wait_figures.heat_figure(
            heat(snap, period, services), where.names, focus=focus, period=period, board=board
        )
    elif kind == "funnel":
        own = where.system.providers if where.system else ()
        figure = wait_figures.funnel_figure(
            league(snap, period, service, level),
            focus=focus,
            reference=reference,
            level=level,
            service=service,
            period=period,
            highlight=[where.name(p) for p in own] if level == "provider" else None,
            board=board,
        )
    else:
        figure = wait_figures.trend_figure(
            area_trend(snap, service, level, code),
            where.names,
            focus=focus,
            reference=reference,
            service=service,
            board=board,
        )
    return arrow_datasets(figure.spec())


# --- benchmarks ------------------------------------------------------------------------------------------------


@cached(max_entries=16)
def _benchmarks(snap: Snapshot) -> pl.DataFrame:
    return benchmarks.published_table(
        scan_table(snap, "kpi_values"), scan_table(snap, "kpi_catalogue"), setup(snap), area=snap.la_code
    )


def benchmark_rows(snap: Snapshot, topic: str | None = None) -> pl.DataFrame:
    """The benchmark table (metrics.benchmarks.benchmark_table) of the published DfE indicators, with each one's
    topic; only one topic's with `topic`."""
    return benchmarks.of_topic(_benchmarks(snap), topic)


@cached(max_entries=128, shared=False)
def bench_chart(snap: Snapshot, kind: str, kpi_id: str, board: bool, region_only: bool = False) -> dict:
    """Cached spec of a benchmark chart: "trend" or "strip" (present.benchmarks' figures), the strip of every
    English local authority or (`region_only`) of the region's."""
    where = setup(snap)
    row = benchmarks.row_of(_benchmarks(snap), kpi_id)
    values = scan_table(snap, "kpi_values")
    if kind == "trend":
        trend = benchmarks.comparator_trend(
            values,
            kpi_id=kpi_id,
            area=snap.la_code,
            region=(where.region_code, where.region_name) if where.region_code else None,
            system=(where.system_name, list(where.localities)) if where.system else None,
            count=row["unit"] == "count",
        ).collect()
        breaks = _kpi(snap, kpi_id)["series_breaks"]
        figure = bench_figures.bench_trend_figure(trend, row, where, breaks=list(breaks or []), board=board)
    else:
        dist = benchmarks.distribution(
            values,
            kpi_id=kpi_id,
            period_end=row["period_end"],
            area=snap.la_code,
            system=list(where.localities),
            only=list(where.region_authorities) if region_only else None,
        ).collect()
        dist = named(dist, where.names, to="name")
        figure = bench_figures.strip_figure(dist, row, where, region_only=region_only, board=board)
    return arrow_datasets(figure.spec())


@cached(max_entries=64)
def neighbours(snap: Snapshot, kpi_id: str) -> pl.DataFrame:
    """The area and each statistical neighbour on one benchmark indicator, ranked (metrics.benchmarks)."""
    row = benchmarks.row_of(_benchmarks(snap), kpi_id)
    return benchmarks.neighbour_table(
        scan_table(snap, "kpi_values"),
        kpi_id=kpi_id,
        period_end=row["period_end"],
        area=snap.la_code,
        neighbours=list(setup(snap).neighbours),
        decimals=row["decimals"],
        polarity=row["polarity"],
    )


def edited_frame(edited, table: str) -> pl.DataFrame:
    """Rows back from `st.data_editor` (a pandas frame) as Polars with the snapshot table's types for the columns
    it has; a value that cannot take the type becomes empty and is then refused by the contract check."""
    return typed_like(pl.from_pandas(edited), table)
