"""Indicator definitions shared by the demo generator and the real-data build: the DfE EHCP (SEN2) measures,
the waiting-time indicators derived from `waiting_times`, and the annual-review indicator. A local catalogue
template can add targets or further indicators."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import polars as pl

from metrics.schema import TABLES

SERVICE_TITLES = {
    "camhs": "Child and adolescent mental health services (CAMHS)",
    "salt": "Speech and language therapy (SALT)",
    "ot": "Occupational therapy",
    "physio": "Physiotherapy",
    "community_paediatrics": "Community paediatrics",
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


def wait_kpi(service: str) -> Kpi:
    return Kpi(
        f"wait_u18_{service}_pct",
        2,
        "PIP3",
        f"{SERVICE_TITLES[service]}: children waiting under 18 weeks",
        f"Children and young people on the {SERVICE_TITLES[service]} waiting list at the month end who had waited "
        "18 weeks or less, as a percentage of everyone on that list. Derived from the GM locality returns.",
        "percent",
        "higher_is_better",
        "monthly",
        0,
        "NHS GM locality returns",
        target=80.0,
        target_date=date(2026, 3, 31),
        lag_months=4 if service == "camhs" else 3,
    )


DFE: dict[str, Kpi] = {
    k.kpi_id: k
    for k in [
        Kpi(
            "ehcp_20wk_pct",
            2,
            "PIP6.1",
            "New EHC plans issued within 20 weeks (DfE)",
            "New EHC plans issued within 20 weeks of the request, including exceptions, as a percentage of all new "
            "plans issued in the calendar year.",
            "percent",
            "higher_is_better",
            "annual",
            1,
            "DfE SEN2",
            target=90.0,
            target_date=date(2025, 12, 31),
        ),
        Kpi(
            "ehcp_20wk_excl_pct",
            2,
            "PIP6.1",
            "New EHC plans within 20 weeks, excluding exceptions (DfE)",
            "As the DfE 20-week measure, excluding plans where an exception to the time limit applied.",
            "percent",
            "higher_is_better",
            "annual",
            1,
            "DfE SEN2",
            target=90.0,
            target_date=date(2025, 12, 31),
        ),
        Kpi(
            "ehcp_requests",
            2,
            "PIP6.1",
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
            "PIP6.1",
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
            "PIP6.1",
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
    ]
}

ANNUAL_REVIEWS = Kpi(
    "annual_review_overdue_pct",
    3,
    "PIP6.2",
    "EHC plans with an overdue annual review",
    "EHC plans due an annual review in the academic year whose review was not completed in time, as a "
    "percentage of plans due a review.",
    "percent",
    "lower_is_better",
    "annual",
    0,
    "Local case-management system",
)


def catalogue_frame(kpis: list[Kpi], next_update: dict[str, date | None] | None = None) -> pl.DataFrame:
    """kpi_catalogue rows for a list of definitions."""
    next_update = next_update or {}
    rows = []
    for k in kpis:
        row = {f.name: getattr(k, f.name) for f in fields(k) if f.name in TABLES["kpi_catalogue"].columns}
        row["spc_rebase"] = list(k.spc_rebase)
        row["next_update"] = next_update.get(k.kpi_id)
        rows.append(row)
    return pl.DataFrame(rows, schema=TABLES["kpi_catalogue"].columns)
