"""Indicator definitions shared by the demo generator and the real-data build: the DfE EHCP (SEN2) measures,
the waiting-time indicators derived from `waiting_times`, and the annual-review indicator.

Nothing here is any area's plan: every shared indicator is grouped by topic (metrics.schema.TOPIC_WORKSTREAMS, or
the context) with no target. An area's own plan places them in its workstreams and sets its targets, from its build
config's `[plan]` (read by `plan_problems`/`parse_plan`, applied by `apply_plan`) or from whole rows in its local
`kpi_catalogue` template, which can also add further indicators."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import date

import polars as pl

from metrics.schema import SERVICES, TABLES, WORKSTREAMS

SERVICE_TITLES = {
    "camhs": "Child and adolescent mental health services (CAMHS)",
    "salt": "Speech and language therapy (SALT)",
    "ot": "Occupational therapy",
    "physio": "Physiotherapy",
    "community_paediatrics": "Community paediatrics",
}


NEED_NAMES = {  # DfE SEN2 primary types of need, most common first nationally
    "asd": "autistic spectrum disorder",
    "slcn": "speech, language and communication needs",
    "semh": "social, emotional and mental health",
    "mld": "moderate learning difficulty",
    "sld": "severe learning difficulty",
    "spld": "specific learning difficulty",
    "pd": "physical disability",
    "pmld": "profound and multiple learning difficulty",
    "hi": "hearing impairment",
    "vi": "visual impairment",
    "msi": "multi-sensory impairment",
    "oth": "other difficulty or disability",
}


@dataclass
class Kpi:
    kpi_id: str
    theme: int
    workstream: str
    title: str
    definition: str
    unit: str
    polarity: str
    frequency: str
    decimals: int
    source: str
    target: float | None = None
    target_date: date | None = None
    baseline_value: float | None = None
    baseline_period: str | None = None
    spc_rebase: tuple[date, ...] = ()
    lag_months: int = 1
    series_breaks: tuple[date, ...] = ()  # where the publisher declares a break: the first period after it starts
    year_type: str | None = None  # the publisher's year type, for a measure it defines (LAIT)
    last_update: date | None = None  # when the publisher last updated it
    next_update: date | None = None  # when the publisher will next update it (the build's own guess otherwise)
    link: str | None = None  # the publisher's page for it
    topic: str | None = None  # the publisher's topic


def wait_kpi(service: str, system: str) -> Kpi:
    """The waiting-time indicator of one service, derived from the locality returns of the area's system (its short
    name, e.g. the name people use for the ICB's area)."""
    return Kpi(
        f"wait_u18_{service}_pct",
        2,
        "COMMUNITY_WAITS",
        f"{SERVICE_TITLES[service]}: children waiting under 18 weeks",
        f"Children and young people on the {SERVICE_TITLES[service]} waiting list at the month end who had waited "
        f"18 weeks or less, as a percentage of everyone on that list. Derived from the {system} locality returns.",
        "percent",
        "higher_is_better",
        "monthly",
        0,
        f"NHS {system} locality returns",
        lag_months=4 if service == "camhs" else 3,
    )


DFE: dict[str, Kpi] = {
    k.kpi_id: k
    for k in [
        Kpi(
            "ehcp_20wk_pct",
            2,
            "EHCP_ASSESS",
            "New EHC plans issued within 20 weeks (DfE)",
            "New EHC plans issued within 20 weeks of the request, including exceptions, as a percentage of all new "
            "plans issued in the calendar year.",
            "percent",
            "higher_is_better",
            "annual",
            1,
            "DfE SEN2",
        ),
        Kpi(
            "ehcp_20wk_excl_pct",
            2,
            "EHCP_ASSESS",
            "New EHC plans within 20 weeks, excluding exceptions (DfE)",
            "As the DfE 20-week measure, excluding plans where an exception to the time limit applied.",
            "percent",
            "higher_is_better",
            "annual",
            1,
            "DfE SEN2",
        ),
        Kpi(
            "ehcp_requests",
            2,
            "EHCP_ASSESS",
            "Requests for an EHC needs assessment (DfE)",
            "Initial requests for an EHC needs assessment received in the calendar year.",
            "count",
            "neutral",
            "annual",
            0,
            "DfE SEN2",
        ),
        Kpi(
            "ehcp_new_plans",
            2,
            "EHCP_ASSESS",
            "New EHC plans issued (DfE)",
            "New EHC plans issued in the calendar year.",
            "count",
            "neutral",
            "annual",
            0,
            "DfE SEN2",
        ),
        Kpi(
            "ehcp_caseload",
            2,
            "CONTEXT",
            "Active EHC plans in January (DfE)",
            "EHC plans maintained by the local authority at the January census.",
            "count",
            "neutral",
            "annual",
            0,
            "DfE SEN2",
        ),
        *[
            Kpi(
                kid,
                2,
                "CONTEXT",
                title,
                f"EHC plans maintained in {where}, as a percentage of all EHC plans at the January census.",
                "percent",
                "neutral",
                "annual",
                1,
                "DfE SEN2",
            )
            for kid, title, where in [
                ("ehcp_placement_mainstream_pct", "EHC plans in mainstream settings", "mainstream schools"),
                ("ehcp_placement_special_pct", "EHC plans in special schools", "special schools"),
                (
                    "ehcp_placement_independent_pct",
                    "EHC plans in independent or non-maintained special schools",
                    "independent or non-maintained special schools",
                ),
                (
                    "ehcp_placement_ap_pct",
                    "EHC plans in alternative provision or pupil referral units",
                    "alternative provision or pupil referral units",
                ),
            ]
        ],
        *[
            Kpi(kid, theme, ws, title, definition, unit, polarity, "annual", dec, "DfE SEN2")
            for kid, theme, ws, title, definition, unit, polarity, dec in [
                (
                    "ehcp_review_meeting_pct",
                    3,
                    "EHCP_REVIEWS",
                    "EHC plans with an annual review meeting in the year (DfE)",
                    "EHC plans whose annual review meeting was held in the calendar year, as a percentage of plans "
                    "where a review was expected.",
                    "percent",
                    "higher_is_better",
                    1,
                ),
                (
                    "ehcp_review_4wk_pct",
                    3,
                    "EHCP_REVIEWS",
                    "Annual review decisions sent within 4 weeks (DfE)",
                    "Annual reviews whose outcome was communicated within 4 weeks of the meeting, as a percentage "
                    "of reviews with an outcome communicated in the calendar year.",
                    "percent",
                    "higher_is_better",
                    1,
                ),
                (
                    "ehcp_ceased",
                    3,
                    "EHCP_REVIEWS",
                    "EHC plans ceased (DfE)",
                    "EHC plans that stopped being maintained in the calendar year, for any reason.",
                    "count",
                    "neutral",
                    0,
                ),
                (
                    "ehcp_ceased_needs_met_pct",
                    3,
                    "EHCP_REVIEWS",
                    "Ceased plans: needs met without a plan (DfE)",
                    "EHC plans ceased because the child's or young person's needs are now met without one, as a "
                    "percentage of all plans ceased in the calendar year.",
                    "percent",
                    "neutral",
                    1,
                ),
                (
                    "ehcp_ceased_education_employment_pct",
                    3,
                    "EHCP_REVIEWS",
                    "Ceased plans: moved on to higher education or employment (DfE)",
                    "EHC plans ceased because the young person went into higher education or paid employment, as a "
                    "percentage of all plans ceased in the calendar year.",
                    "percent",
                    "neutral",
                    1,
                ),
                (
                    "ehcp_ceased_moved_pct",
                    3,
                    "EHCP_REVIEWS",
                    "Ceased plans: moved to another area (DfE)",
                    "EHC plans ceased because the child or young person moved to another local authority or out of "
                    "England, as a percentage of all plans ceased in the calendar year.",
                    "percent",
                    "neutral",
                    1,
                ),
                (
                    "ehcp_requests_assessed_pct",
                    2,
                    "EHCP_ASSESS",
                    "Requests where the council agreed to assess (DfE)",
                    "Requests for an EHC needs assessment where the local authority decided to carry out an "
                    "assessment, as a percentage of requests received in the calendar year.",
                    "percent",
                    "neutral",
                    1,
                ),
                (
                    "ehcp_request_6wk_pct",
                    2,
                    "EHCP_ASSESS",
                    "Decisions on requests made within 6 weeks (DfE)",
                    "Requests for an EHC needs assessment decided within the 6-week time limit, as a percentage of "
                    "requests decided in the calendar year.",
                    "percent",
                    "higher_is_better",
                    1,
                ),
                (
                    "ehcp_assess_issued_pct",
                    2,
                    "EHCP_ASSESS",
                    "Assessments that led to an EHC plan (DfE)",
                    "EHC needs assessments in the calendar year after which a plan was issued, as a percentage of "
                    "all assessments.",
                    "percent",
                    "neutral",
                    1,
                ),
                (
                    "ehcp_assess_not_issue_16wk_pct",
                    2,
                    "EHCP_ASSESS",
                    "Decisions not to issue a plan made within 16 weeks (DfE)",
                    "Assessments where the local authority decided not to issue a plan and told the family within "
                    "16 weeks, as a percentage of all decisions not to issue a plan in the calendar year.",
                    "percent",
                    "higher_is_better",
                    1,
                ),
                (
                    "ehcp_personal_budgets",
                    2,
                    "CONTEXT",
                    "EHC plans with a personal budget (DfE)",
                    "EHC plans with a personal budget in place (for education, health, social care or any "
                    "combination) at the January census.",
                    "count",
                    "neutral",
                    0,
                ),
                (
                    "ehcp_mediations",
                    2,
                    "EHCP_ASSESS",
                    "Mediation cases held (DfE)",
                    "Mediation cases about EHC needs assessments and plans held in the calendar year (the SEN2 return "
                    "to 2022).",
                    "count",
                    "neutral",
                    0,
                ),
                (
                    "ehcp_mediation_tribunal_pct",
                    2,
                    "EHCP_ASSESS",
                    "Mediation cases followed by a tribunal appeal (DfE)",
                    "Mediation cases held in the calendar year that were followed by an appeal to the SEND Tribunal, "
                    "as a percentage of all mediation cases (the SEN2 return to 2022).",
                    "percent",
                    "lower_is_better",
                    1,
                ),
                (
                    "ehcp_tribunal_appeal_rate_pct",
                    2,
                    "EHCP_ASSESS",
                    "Appeals to the SEND Tribunal (DfE and HMCTS)",
                    "Appeals registered with the special educational needs and disability (SEND) Tribunal, as a "
                    "percentage of all appealable decisions the local authority made in the calendar year (refusals "
                    "to assess, decisions not to issue a plan, plans in place and plans ceased because needs are "
                    "met). Appeals from HM Courts and Tribunals Service; decisions from the DfE SEN2 return.",
                    "percent",
                    "lower_is_better",
                    1,
                ),
            ]
        ],
        *[
            Kpi(
                f"ehcp_need_{code}_pct",
                2,
                "CONTEXT",
                f"Primary need: {need} (DfE)",
                f"EHC plans whose primary type of need is {need}, as a percentage of all EHC plans at the January "
                "census.",
                "percent",
                "neutral",
                "annual",
                1,
                "DfE SEN2",
            )
            for code, need in NEED_NAMES.items()
        ],
    ]
}

# The DfE declares a break in the SEN2 time series: from its 2023 collection the return is person-level, not each
# authority's totals (the release's data guidance, "The time series"). That collection holds the January 2023 census
# and the calendar year 2022 before it, so the census measures break before January 2023 and the year's flows before
# 2022; the tribunal table's footnote cautions against comparing its 2023 decisions with earlier years.
FROM_2023 = ("ehcp_caseload", "ehcp_personal_budgets", "ehcp_placement_", "ehcp_need_", "ehcp_tribunal_")
for _kpi in DFE.values():
    _kpi.series_breaks = (date(2023, 1, 1) if _kpi.kpi_id.startswith(FROM_2023) else date(2022, 1, 1),)


ANNUAL_REVIEWS = Kpi(
    "annual_review_overdue_pct",
    3,
    "EHCP_REVIEWS",
    "EHC plans with an overdue annual review",
    "EHC plans due an annual review in the academic year whose review was not completed in time, as a "
    "percentage of plans due a review.",
    "percent",
    "lower_is_better",
    "annual",
    0,
    "Local case-management system",
)


def catalogue_table(kpis: list[Kpi], next_update: dict[str, date | None] | None = None) -> pl.DataFrame:
    """The `kpi_catalogue` table of a list of definitions (not to be confused with the Data and methods page's display
    of that table, ui.provenance.catalogue_frame)."""
    next_update = next_update or {}
    rows = []
    for k in kpis:
        row = {f.name: getattr(k, f.name) for f in fields(k) if f.name in TABLES["kpi_catalogue"].columns}
        row["spc_rebase"] = list(k.spc_rebase)
        row["series_breaks"] = list(k.series_breaks)
        row["next_update"] = next_update.get(k.kpi_id, k.next_update)
        rows.append(row)
    return pl.DataFrame(rows, schema=TABLES["kpi_catalogue"].columns)


# ── an area's own plan ────────────────────────────────────────────────────────────────────────────────────────────
PLAN_SETTINGS = ("workstream", "theme", "target", "target_date")
SHARED_IDS = frozenset(
    {*DFE, *(f"wait_u18_{s}_pct" for s in SERVICES), ANNUAL_REVIEWS.kpi_id}
)  # every indicator this module defines, whichever sources a build reads


def _as_date(value: object) -> date | None:
    """A TOML date (`2026-03-31`, unquoted) or the same written as text; None for anything else."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def plan_problems(block: object, where: str) -> list[str]:
    """Every problem with a `[plan]` config block (one table per indicator: its workstream, theme, target and target
    date), each quoting the value and saying what was expected."""
    if not isinstance(block, dict):
        return [f"{where}: expected one table per indicator, such as [plan.ehcp_20wk_pct]"]
    problems = []
    for kpi_id, entry in block.items():
        at = f"{where} {kpi_id}"
        if not isinstance(entry, dict) or not entry:
            problems.append(
                f'{at}: expected settings such as workstream = "PIP1", target = 90, target_date = 2026-03-31'
            )
            continue
        for key in sorted(set(entry) - set(PLAN_SETTINGS)):
            problems.append(f"{at}: '{key}' is not a plan setting (expected {', '.join(PLAN_SETTINGS)})")
        ws = entry.get("workstream")
        if ws is not None and ws not in WORKSTREAMS:
            problems.append(f"{at}: workstream '{ws}' — expected one of {', '.join(WORKSTREAMS)}")
        theme = entry.get("theme")
        if theme is not None and (isinstance(theme, bool) or theme not in (1, 2, 3)):
            problems.append(f"{at}: theme '{theme}' — expected 1, 2 or 3")
        target = entry.get("target")
        if target is not None and (
            isinstance(target, bool) or not isinstance(target, int | float) or not math.isfinite(target)
        ):
            problems.append(f"{at}: target '{target}' — expected a number such as 90")
        if "target_date" in entry:
            if _as_date(entry["target_date"]) is None:
                problems.append(f"{at}: target_date '{entry['target_date']}' — expected a date such as 2026-03-31")
            elif target is None:
                problems.append(f"{at}: target_date without a target — give the target too")
    return problems


def parse_plan(block: dict) -> dict[str, dict]:
    """A checked `[plan]` block (no `plan_problems`) as {kpi_id: {setting: value}}, targets as floats and dates as
    dates."""
    out = {}
    for kpi_id, entry in block.items():
        settings = {k: entry[k] for k in PLAN_SETTINGS if k in entry}
        if "target" in settings:
            settings["target"] = float(settings["target"])
        if "target_date" in settings:
            settings["target_date"] = _as_date(settings["target_date"])
        out[kpi_id] = settings
    return out


def apply_plan(kpis: list[Kpi], plan: dict[str, dict]) -> list[Kpi]:
    """The definitions with an area's plan laid over them: for each indicator the plan names, its workstream, theme,
    target and target date as the plan sets them; everything else as defined."""
    return [replace(k, **plan[k.kpi_id]) if k.kpi_id in plan else k for k in kpis]


def plan_block(plan: dict[str, dict]) -> dict[str, dict]:
    """A plan as the manifest keeps it (`config.plan`, dates as text): a later update that adds a shared indicator
    places it where the area's plan says, not in its topic."""
    return {k: {s: v.isoformat() if isinstance(v, date) else v for s, v in p.items()} for k, p in plan.items()}


def manifest_plan(manifest: dict) -> dict[str, dict]:
    """The area's plan a snapshot was built with (none for one built before plans were recorded, or without)."""
    block = (manifest.get("config") or {}).get("plan") or {}
    return {} if plan_problems(block, "manifest") else parse_plan(block)
