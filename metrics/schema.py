"""The snapshot contract (DATA_MODEL.md), defined once.

Importers validate against it before writing, the loader checks every table against it when a snapshot is opened,
and the tests build fixtures from it. Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

SCHEMA_VERSION = 1

PHASES = ("all", "early_years", "primary", "secondary", "post16", "post19")
PHASE_LABELS = {
    "all": "All phases",
    "early_years": "Early years (0–4)",
    "primary": "Primary (5–10)",
    "secondary": "Secondary (11–15)",
    "post16": "Post-16 (16–19)",
    "post19": "Post-19 (20–25)",
}
PLAN_WORKSTREAMS = ("PIP1", "PIP2", "PIP3", "PIP4", "PIP5", "PIP6.1", "PIP6.2", "AFI1", "AFI2", "AFI3")
# Where the shared indicators sit until an area's own plan places them (ingest.catalogue): groupings by topic, with
# no plan number, so an area built from the public files alone is never shown another area's plan.
TOPIC_WORKSTREAMS = ("EHCP_ASSESS", "EHCP_REVIEWS", "COMMUNITY_WAITS")
# A published measure no plan places (LAIT's SEN measures, read for every authority): shown on Benchmarks only, never
# on the Summary, the theme pages or in the board pack, where dozens of unplanned measures would bury the plan's own.
BENCHMARK_ONLY = "BENCHMARKS"
WORKSTREAMS = (*PLAN_WORKSTREAMS, *TOPIC_WORKSTREAMS, "CONTEXT", BENCHMARK_ONLY)  # the board's order, context last
UNITS = ("percent", "count", "rate_per_1000", "weeks", "days", "score", "pounds")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
FREQUENCIES = ("monthly", "quarterly", "termly", "annual", "survey")
STATUS_SYMBOLS = ("", "c", "x", "z", "low", "u")
MEASURES = ("ehcp_caseload", "ehcp_requests", "ehcp_new", "sen_support", "ap_placements", "eotas")
SERVICES = ("camhs", "salt", "ot", "physio", "community_paediatrics")
WAIT_SOURCES = ("gm_locality_return", "chs_sitrep_provider")
ACTION_STATUSES = ("complete", "on_track", "at_risk", "off_track", "not_started")
RISK_DIRECTIONS = ("rising", "stable", "falling")
RISK_STATUSES = ("open", "closed")
COMMENTARY_KINDS = ("impact", "next_steps", "strength", "development", "exception")
MILESTONE_KINDS = ("inspection", "report", "board", "stocktake", "deep_dive", "launch", "deadline")
GEOMETRY_SOURCES = ("ons", "approximate")


def age_to_phase(age: int) -> str:
    """Phase for an age on 31 August of the academic year (DATA_MODEL.md "Phases"); the one mapping everything uses."""
    if age < 0 or age > 25:
        raise ValueError(f"age {age} is outside 0–25, the SEND age range")
    if age <= 4:
        return "early_years"
    if age <= 10:
        return "primary"
    if age <= 15:
        return "secondary"
    if age <= 19:
        return "post16"
    return "post19"


@dataclass(frozen=True)
class Table:
    """One snapshot table: column dtypes in order, enumerations, the unique key and the columns that may be null."""

    name: str
    columns: dict[str, pl.DataType]
    key: tuple[str, ...] = ()
    enums: dict[str, tuple] = field(default_factory=dict)
    nullable: frozenset[str] = frozenset()
    description: str = ""
    added: frozenset[str] = frozenset()  # nullable columns newer than SCHEMA_VERSION 1: read as null when absent


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "kpi_catalogue",
            {
                "kpi_id": pl.String(),
                "theme": pl.Int8(),
                "workstream": pl.String(),
                "title": pl.String(),
                "definition": pl.String(),
                "unit": pl.String(),
                "polarity": pl.String(),
                "target": pl.Float64(),
                "target_date": pl.Date(),
                "baseline_value": pl.Float64(),
                "baseline_period": pl.String(),
                "frequency": pl.String(),
                "decimals": pl.Int8(),
                "source": pl.String(),
                "next_update": pl.Date(),
                "spc_rebase": pl.List(pl.Date()),
                "series_breaks": pl.List(pl.Date()),
                "year_type": pl.String(),  # the publisher's year type ("Academic Year", "Financial Year", …)
                "last_update": pl.Date(),  # when the publisher last updated the measure
                "link": pl.String(),  # the publisher's page for the measure
                "topic": pl.String(),  # the publisher's topic ("Children with SEN", "Key Stage 2", …)
            },
            key=("kpi_id",),
            enums={
                "theme": (1, 2, 3),
                "workstream": WORKSTREAMS,
                "unit": UNITS,
                "polarity": POLARITIES,
                "frequency": FREQUENCIES,
            },
            nullable=frozenset(
                {
                    "target",
                    "target_date",
                    "baseline_value",
                    "baseline_period",
                    "next_update",
                    "series_breaks",
                    "year_type",
                    "last_update",
                    "link",
                    "topic",
                }
            ),
            description="one row per indicator: definition, unit, polarity, PIP target and baseline",
            added=frozenset({"series_breaks", "year_type", "last_update", "link", "topic"}),
        ),
        Table(
            "kpi_values",
            {
                "kpi_id": pl.String(),
                "period_start": pl.Date(),
                "period_end": pl.Date(),
                "period_label": pl.String(),
                "area_code": pl.String(),
                "phase": pl.String(),
                "value": pl.Float64(),
                "numerator": pl.Float64(),
                "denominator": pl.Float64(),
                "status": pl.String(),
                "note": pl.String(),
            },
            key=("kpi_id", "period_end", "area_code", "phase"),
            enums={"phase": PHASES, "status": STATUS_SYMBOLS},
            nullable=frozenset({"value", "numerator", "denominator"}),
            description="long format: one value per indicator × period × area × phase",
        ),
        Table(
            "wards",
            {
                "ward_code": pl.String(),
                "ward_name": pl.String(),
                "town": pl.String(),
                "lon": pl.Float64(),
                "lat": pl.Float64(),
                "geometry": pl.String(),
                "geometry_source": pl.String(),
                "imd_decile": pl.Int8(),
            },
            key=("ward_code",),
            enums={"geometry_source": GEOMETRY_SOURCES},
            nullable=frozenset({"imd_decile"}),
            description="one row per ward: name, town, centroid, GeoJSON geometry, deprivation decile",
        ),
        Table(
            "ward_demand",
            {
                "period_end": pl.Date(),
                "ward_code": pl.String(),
                "phase": pl.String(),
                "measure": pl.String(),
                "count": pl.Int64(),
                "population": pl.Int64(),
            },
            key=("period_end", "ward_code", "phase", "measure"),
            enums={"phase": PHASES[1:], "measure": MEASURES},
            description="raw counts and populations per month × ward × phase × measure (never pre-suppressed)",
        ),
        Table(
            "waiting_times",
            {
                "period_end": pl.Date(),
                "area_code": pl.String(),
                "service": pl.String(),
                "waiting_total": pl.Int64(),
                "waiting_under_18_weeks": pl.Int64(),
                "waiting_over_52_weeks": pl.Int64(),
                "median_wait_weeks": pl.Float64(),
                "source": pl.String(),
            },
            key=("period_end", "area_code", "service", "source"),
            enums={"source": WAIT_SOURCES},
            nullable=frozenset(
                {"waiting_total", "waiting_under_18_weeks", "waiting_over_52_weeks", "median_wait_weeks"}
            ),
            description="children's community waiting lists per month × locality (or NHS organisation) × service",
        ),
        Table(
            "actions",
            {
                "action_id": pl.String(),
                "workstream": pl.String(),
                "title": pl.String(),
                "owner_role": pl.String(),
                "due_date": pl.Date(),
                "status": pl.String(),
                "progress_note": pl.String(),
                "updated": pl.Date(),
            },
            key=("action_id",),
            enums={"workstream": WORKSTREAMS, "status": ACTION_STATUSES},
            description="the PIP action tracker: owner role, due date, status",
        ),
        Table(
            "risks",
            {
                "risk_id": pl.String(),
                "workstreams": pl.List(pl.String()),
                "title": pl.String(),
                "raised": pl.Date(),
                "impact": pl.String(),
                "mitigation": pl.String(),
                "likelihood": pl.Int8(),
                "severity": pl.Int8(),
                "score": pl.Int8(),
                "direction": pl.String(),
                "owner_role": pl.String(),
                "status": pl.String(),
            },
            key=("risk_id",),
            enums={
                "likelihood": (1, 2, 3, 4, 5),
                "severity": (1, 2, 3, 4, 5),
                "direction": RISK_DIRECTIONS,
                "status": RISK_STATUSES,
            },
            description="the risk register: likelihood × severity, direction, owner role",
        ),
        Table(
            "commentary",
            {
                "workstream": pl.String(),
                "kpi_id": pl.String(),
                "written": pl.Date(),
                "kind": pl.String(),
                "author_role": pl.String(),
                "text": pl.String(),
            },
            key=("workstream", "kpi_id", "written", "kind"),
            enums={"workstream": WORKSTREAMS, "kind": COMMENTARY_KINDS},
            description="dated narrative per workstream (optionally per indicator), markdown",
        ),
        Table(
            "milestones",
            {"date": pl.Date(), "kind": pl.String(), "title": pl.String(), "detail": pl.String()},
            key=("date", "kind", "title"),
            enums={"kind": MILESTONE_KINDS},
            description="the governance timeline; board dates drive 'since the last board'",
        ),
    )
}


def empty_frame(name: str) -> pl.DataFrame:
    """An empty frame with the exact columns and dtypes of a snapshot table."""
    return pl.DataFrame(schema=TABLES[name].columns)


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A table as read from a snapshot written before a column was added to the contract (`Table.added`): the
    column is added empty, which means what its absence meant (no declared series break). Nothing else changes,
    so every other difference from the contract is still reported by validate_frame."""
    table = TABLES[name]
    missing = [c for c in sorted(table.added) if c not in frame.columns]
    return frame.with_columns(pl.lit(None, table.columns[c]).alias(c) for c in missing) if missing else frame


def validate_frame(name: str, frame: pl.DataFrame) -> list[str]:
    """Every way `frame` breaks the contract for table `name`, as readable sentences (empty list = valid)."""
    table = TABLES[name]
    problems: list[str] = []
    actual = dict(frame.schema)
    missing = [c for c in table.columns if c not in actual]
    extra = [c for c in actual if c not in table.columns]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    for col, dtype in table.columns.items():
        if col in actual and actual[col] != dtype:
            problems.append(f"column '{col}' has type {actual[col]}, expected {dtype}")
    if problems:
        return problems
    for col in table.columns:
        if col not in table.nullable:
            nulls = frame[col].null_count()
            if nulls:
                problems.append(f"column '{col}' has {nulls} empty value(s); it must always be filled")
    for col, dtype in table.columns.items():
        if dtype.is_float():
            bad = frame.filter(pl.col(col).is_nan() | pl.col(col).is_infinite())[col]
            if len(bad):
                problems.append(
                    f"column '{col}' has {len(bad)} value(s) that are not finite numbers (such as {bad[0]}); "
                    "a missing figure is left empty with its status symbol"
                )
    for col, allowed in table.enums.items():
        bad = frame.filter(pl.col(col).is_not_null() & ~pl.col(col).is_in(list(allowed)))[col].unique().sort()
        if len(bad):
            shown = ", ".join(repr(v) for v in bad.head(5).to_list())
            problems.append(f"column '{col}' has value(s) {shown} not in the allowed set {list(allowed)}")
    if table.key and frame.height:
        dupes = frame.group_by(table.key).len().filter(pl.col("len") > 1)
        if dupes.height:
            first = dupes.sort(table.key).row(0, named=True)
            shown = ", ".join(f"{k}={first[k]}" for k in table.key)
            problems.append(f"{dupes.height} duplicate key(s) on ({', '.join(table.key)}), for example {shown}")
    return problems


def today() -> date:
    """Today's date; one place so tests and importers agree on what "in the future" means."""
    return date.today()


def typed_like(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """A frame (e.g. rows edited by hand) with the snapshot table's types for the columns it has; a value that
    cannot take its type becomes empty, for the contract check to refuse."""
    schema = TABLES[table].columns
    return frame.with_columns(
        pl.col(c).cast(schema[c], strict=False)
        if not isinstance(schema[c], pl.Date)
        else pl.col(c).cast(pl.Date, strict=False)
        for c in frame.columns
        if c in schema
    )
