"""The committed extract of published DfE headline figures (`data/reference/dfe_ehcp_headlines.csv`).

A small derived table — local authority × year × measure, with the regions and England — made from the DfE
"Education, health and care plans" release by `python -m ingest reference <release zip>`, so that the demonstration
snapshot ranks the area among every English local authority on the default run. It is not a copy of the published
files: only the headline measures below, the latest years of each, and the figures the dashboard works them out from.
Each value is the publisher's own percentage where the release publishes one, with its counts beside it and a note
where the two disagree (METHODS §8); a share the release does not publish is worked out from its counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from metrics.schema import TABLES

ROOT = Path(__file__).resolve().parent.parent / "data" / "reference"
EXTRACT = ROOT / "dfe_ehcp_headlines.csv"
ABOUT = ROOT / "dfe_ehcp_headlines.json"

# measure → how many of its latest periods are kept
MEASURES = {
    "ehcp_20wk_pct": 6,
    "ehcp_20wk_excl_pct": 1,
    "ehcp_caseload": 2,
    "ehcp_requests": 2,
    "ehcp_new_plans": 2,
    "ehcp_placement_mainstream_pct": 2,
    "ehcp_placement_special_pct": 2,
    "ehcp_placement_independent_pct": 2,
    "ehcp_placement_ap_pct": 2,
    "ehcp_requests_assessed_pct": 2,
    "ehcp_request_6wk_pct": 2,
    "ehcp_assess_issued_pct": 2,
    "ehcp_assess_not_issue_16wk_pct": 2,
    "ehcp_review_meeting_pct": 1,
    "ehcp_review_4wk_pct": 1,
    "ehcp_ceased": 1,
    "ehcp_ceased_needs_met_pct": 1,
    "ehcp_personal_budgets": 1,
    "ehcp_tribunal_appeal_rate_pct": 2,
    "ehcp_need_asd_pct": 1,
    "ehcp_need_slcn_pct": 1,
    "ehcp_need_semh_pct": 1,
    "ehcp_need_mld_pct": 1,
}
COLUMNS = {
    "kpi_id": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "period_label": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "status": pl.String,
    "note": pl.String,  # where the published percentage and its counts disagree, or an aggregate left some out
}


def make_extract(values: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """The extract's rows from a release's kpi_values (ingest.ees.read_ehcp): the measures above, each at its latest
    periods, with the area's name."""
    keep = []
    for kpi_id, periods in MEASURES.items():
        rows = values.filter(pl.col("kpi_id") == kpi_id)
        ends = rows.select(pl.col("period_end").unique().sort(descending=True).head(periods))["period_end"]
        keep.append(rows.filter(pl.col("period_end").is_in(ends.implode())))
    out = pl.concat(keep).with_columns(
        area_name=pl.col("area_code").replace_strict(names, default=pl.col("area_code")),
        value=pl.col("value").round(4),  # published figures are kept as published; worked-out shares to 4 places
    )
    return out.select(list(COLUMNS)).sort("kpi_id", "area_code", "period_end")


def write_extract(zip_path: Path) -> tuple[int, list[str]]:
    """Read a release and write the extract and its description; returns the row count and any problems."""
    from ingest.ees import read_ehcp
    from ingest.lacodes import LA_CODES, codes_frame
    from metrics.snapshot import sha256_file

    result = read_ehcp(zip_path)
    if result.problems:
        return 0, result.problems
    extract = make_extract(result.values, result.names)
    ROOT.mkdir(parents=True, exist_ok=True)
    extract.write_csv(EXTRACT)
    about = {
        "name": "DfE Education, health and care plans: headline figures for every English local authority",
        "publisher": "Department for Education",
        "release": f"Education, health and care plans, reporting year {result.release}",
        "url": "https://explore-education-statistics.service.gov.uk/find-statistics/education-health-and-care-plans",
        "derived_from": Path(zip_path).name,
        "derived_from_sha256": sha256_file(Path(zip_path)),
        "licence": "Open Government Licence v3.0",
        "attribution": "Contains public sector information licensed under the Open Government Licence v3.0",
        "rows": extract.height,
        "measures": list(MEASURES),
        "value": "the publisher's own percentage where the release publishes one, as published; otherwise worked out "
        "from the counts (numerator, denominator), leaving out authorities whose figures are not available",
        "note": "says where a published percentage and its counts disagree, or which authorities an aggregate leaves out",
    }
    ABOUT.write_text(json.dumps(about, indent=2) + "\n", encoding="utf-8")
    # the authorities' three-digit numbers and GSS codes, through which LAIT's rows and the statistical neighbours
    # are matched when a build reads no DfE release of its own (ingest.lacodes)
    codes_frame(result).write_csv(LA_CODES)
    return extract.height, []


def read_extract() -> tuple[pl.DataFrame, dict[str, str], dict]:
    """The committed extract as kpi_values rows, the area names it carries, and its description (release, licence,
    attribution). Empty when the extract is not there."""
    if not EXTRACT.is_file():
        return pl.DataFrame(schema=TABLES["kpi_values"].columns), {}, {}
    frame = pl.read_csv(EXTRACT, schema=COLUMNS)
    names = dict(frame.select("area_code", "area_name").unique().iter_rows())
    about = json.loads(ABOUT.read_text(encoding="utf-8")) if ABOUT.is_file() else {}
    values = frame.with_columns(
        phase=pl.lit("all"), status=pl.col("status").fill_null(""), note=pl.col("note").fill_null("")
    ).select(list(TABLES["kpi_values"].columns))
    return values.cast(TABLES["kpi_values"].columns), names, about
