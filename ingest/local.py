"""The local data templates (one per table, shipped in data/templates/) and their conversion to snapshot tables.

Each template is validated cell by cell (ingest.templates) and then against the snapshot contract; problems come
back as sentences naming the file, row, column, value and expectation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from ingest.problems import Problem
from ingest.templates import Col, Template, validate
from metrics.schema import (
    ACTION_STATUSES,
    COMMENTARY_KINDS,
    FREQUENCIES,
    MEASURES,
    MILESTONE_KINDS,
    PHASES,
    POLARITIES,
    RISK_DIRECTIONS,
    RISK_STATUSES,
    STATUS_SYMBOLS,
    TABLES,
    UNITS,
    WORKSTREAMS,
)

WS = tuple(WORKSTREAMS)


def _workstream_list(row: dict) -> str | None:
    bad = [w for w in (row.get("workstreams") or "").split(";") if w.strip() and w.strip() not in WS]
    return f"workstreams: {', '.join(bad)} not in {', '.join(WS)} (separate several with ;)" if bad else None


def _num_le_den(row: dict) -> str | None:
    n, d = row.get("numerator"), row.get("denominator")
    if n is not None and d is not None and n > d:
        return f"numerator ({n:g}) is greater than denominator ({d:g})"
    return None


STOCK_MEASURES = ("ehcp_caseload", "sen_support", "ap_placements", "eotas")  # children counted at a point in time


def _count_le_population(row: dict) -> str | None:
    count, population = row.get("count"), row.get("population")
    if row.get("measure") in STOCK_MEASURES and count is not None and population is not None and count > population:
        return (
            f"count ({count:,}) is greater than population ({population:,}): a ward cannot have more children "
            f"counted for {row['measure']} than children of the phase living there"
        )
    return None


def _due_le_plans(row: dict) -> str | None:
    if (
        row.get("reviews_overdue") is not None
        and row.get("plans_due") is not None
        and row["reviews_overdue"] > row["plans_due"]
    ):
        return f"reviews_overdue ({row['reviews_overdue']}) is greater than plans_due ({row['plans_due']})"
    return None


TEMPLATES: dict[str, Template] = {
    "kpi_catalogue": Template(
        "kpi_catalogue",
        (
            Col("kpi_id"),
            Col("theme", "int", allowed=None, minimum=1),
            Col("workstream", allowed=WS),
            Col("title"),
            Col("definition"),
            Col("unit", allowed=UNITS),
            Col("polarity", allowed=POLARITIES),
            Col("target", "float", required=False, minimum=None),
            Col("target_date", "date", required=False, not_future=False),
            Col("baseline_value", "float", required=False, minimum=None),
            Col("baseline_period", "label", required=False),
            Col("frequency", allowed=FREQUENCIES),
            Col("decimals", "int", maximum=6),
            Col("source"),
        ),
        key=("kpi_id",),
    ),
    "kpi_values": Template(
        "kpi_values",
        (
            Col("kpi_id"),
            Col("period_start", "date"),
            Col("period_end", "date"),
            Col("period_label", "label"),
            Col("phase", allowed=PHASES, required=False),
            Col("value", "float", blank_ok=True, minimum=None),
            Col("numerator", "float", required=False),
            Col("denominator", "float", required=False),
            Col("status", allowed=STATUS_SYMBOLS[1:], required=False),
            Col("note", required=False),
        ),
        key=("kpi_id", "period_end", "phase"),
        row_checks=(_num_le_den,),
    ),
    "annual_reviews": Template(
        "annual_reviews",
        (
            Col("academic_year_end", "date"),
            Col("period_label", "label"),
            Col("plans_due", "int"),
            Col("reviews_overdue", "int"),
        ),
        key=("academic_year_end",),
        row_checks=(_due_le_plans,),
    ),
    "wards": Template(
        "wards",
        (
            Col("ward_code"),
            Col("ward_name"),
            Col("town"),
            Col("imd_decile", "int", required=False, minimum=1, maximum=10),
        ),
        key=("ward_code",),
    ),
    "ward_demand": Template(
        "ward_demand",
        (
            Col("period_end", "month"),
            Col("ward_code"),
            Col("phase", allowed=PHASES[1:]),
            Col("measure", allowed=MEASURES),
            Col("count", "int"),
            Col("population", "int"),
        ),
        key=("period_end", "ward_code", "phase", "measure"),
        row_checks=(_count_le_population,),
    ),
    "actions": Template(
        "actions",
        (
            Col("action_id"),
            Col("workstream", allowed=WS),
            Col("title"),
            Col("owner_role"),
            Col("due_date", "date", not_future=False),
            Col("status", allowed=ACTION_STATUSES),
            Col("progress_note", required=False),
            Col("updated", "date"),
        ),
        key=("action_id",),
    ),
    "risks": Template(
        "risks",
        (
            Col("risk_id"),
            Col("workstreams"),
            Col("title"),
            Col("raised", "date"),
            Col("impact"),
            Col("mitigation"),
            Col("likelihood", "int", allowed=None, minimum=1),
            Col("severity", "int", minimum=1),
            Col("direction", allowed=RISK_DIRECTIONS),
            Col("owner_role"),
            Col("status", allowed=RISK_STATUSES),
        ),
        key=("risk_id",),
        row_checks=(_workstream_list,),
    ),
    "commentary": Template(
        "commentary",
        (
            Col("workstream", allowed=WS),
            Col("kpi_id", required=False),
            Col("written", "date"),
            Col("kind", allowed=COMMENTARY_KINDS),
            Col("author_role"),
            Col("text"),
        ),
        key=("workstream", "kpi_id", "written", "kind"),
    ),
    "milestones": Template(
        "milestones",
        (
            Col("date", "date", not_future=False),
            Col("kind", allowed=MILESTONE_KINDS),
            Col("title"),
            Col("detail", required=False),
        ),
        key=("date", "kind", "title"),
    ),
}


def read_template(
    name: str, path: Path, *, la_code: str, ward_codes: set[str] | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """One local template file as its snapshot table (or, for annual reviews, kpi_values rows), and problems."""
    rows, problems = validate(path, TEMPLATES[name])
    if problems:
        return pl.DataFrame(), problems
    fname = Path(path).name
    if name == "ward_demand" and ward_codes is not None:
        unknown = sorted({r["ward_code"] for r in rows} - ward_codes)
        if unknown:
            return pl.DataFrame(), [
                Problem(
                    fname,
                    f"ward code(s) {', '.join(unknown)} are not wards of {la_code} (the wards come from the boundary "
                    "file or wards.csv)",
                    column="ward_code",
                )
            ]
    if name == "kpi_catalogue":
        for r in rows:
            r["spc_rebase"], r["next_update"] = [], None
            if r["theme"] not in (1, 2, 3):
                problems.append(Problem(fname, "1, 2 or 3", f"kpi {r['kpi_id']}", "theme", str(r["theme"])))
    if name == "kpi_values":
        for r in rows:
            r["area_code"] = la_code
            r["phase"] = r.get("phase") or "all"
            r["status"] = r.get("status") or ("x" if r["value"] is None else "")
            r["note"] = r.get("note") or ""
            r.setdefault("numerator", None)
            r.setdefault("denominator", None)
    if name == "annual_reviews":
        out = [
            {
                "kpi_id": "annual_review_overdue_pct",
                "period_start": date(r["academic_year_end"].year - 1, 9, 1),
                "period_end": r["academic_year_end"],
                "period_label": r["period_label"],
                "area_code": la_code,
                "phase": "all",
                "value": 100 * r["reviews_overdue"] / r["plans_due"] if r["plans_due"] else None,
                "numerator": float(r["reviews_overdue"]),
                "denominator": float(r["plans_due"]),
                "status": "" if r["plans_due"] else "z",
                "note": f"{r['plans_due']:,} plans due a review",
            }
            for r in rows
        ]
        return pl.DataFrame(out, schema=TABLES["kpi_values"].columns), problems
    if name == "risks":
        for r in rows:
            r["workstreams"] = [w.strip() for w in r["workstreams"].split(";") if w.strip()]
            r["score"] = r["likelihood"] * r["severity"]
            if r["likelihood"] > 5 or r["severity"] > 5:
                problems.append(Problem(fname, "likelihood and severity are scored 1 to 5", f"risk {r['risk_id']}"))
    if name == "commentary":
        for r in rows:
            r["kpi_id"] = r.get("kpi_id") or ""
    if name in ("actions", "milestones"):
        for r in rows:
            r.setdefault("progress_note", "")
            r.setdefault("detail", "")
            r["progress_note" if name == "actions" else "detail"] = (
                r.get("progress_note" if name == "actions" else "detail") or ""
            )
    if name == "wards":
        return pl.DataFrame(rows), problems
    if problems:
        return pl.DataFrame(), problems
    return pl.DataFrame(rows, schema=TABLES[name].columns), problems
