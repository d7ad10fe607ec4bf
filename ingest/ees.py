"""DfE "Education, health and care plans" (SEN2) open data from explore-education-statistics, any release.

Header-driven (DATA_FORMATS.md §1, §6): column names lower-cased and de-duplicated, BOM stripped, geography
columns in either order, "All …" rows found by prefix, markers (x, z, c, :, low, n/a, empty) turned into null with
a GSS status symbol and never into 0. Reads the 2025-release files (timeliness, requests, new plans, caseload with
placements, annual reviews, assessments, ceased plans, personal budgets, primary need of all plans, and the
tribunal appeal rate from the supporting files) and the older aggregate `sen2_mi.csv` (2022 release), from a zip,
a folder or single CSVs, into `kpi_values` rows for every local authority, region and England, with each local
authority's region as the files give it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ingest.catalogue import NEED_NAMES
from ingest.ees_files import (
    TRIBUNAL,
    read_ees_csv,
    release_members,
    shape_problems,
)
from ingest.ees_tribunal import AGREE, disagreement, read_tribunal
from ingest.problems import Problem
from metrics.schema import TABLES

MARKERS = {"x": "x", "z": "z", "c": "c", ":": "z", "low": "low", "n/a": "z", "": "x", "..": "x"}
GEO = ["time_period", "geographic_level", "region_code", "new_la_code", "la_name", "region_name"]


@dataclass
class EesResult:
    """Rows read from one source, the area names seen, files used and problems."""

    values: pl.DataFrame
    names: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    release: int = 0
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # LA code → (region code, region name)
    old_codes: dict[str, str] = field(default_factory=dict)  # three-digit LA number → GSS code (LAIT names by number)
    name: str = ""  # the zip, folder or file it was read from


# The data files of a release this reader uses (by file stem); every other file is never read.


def _area_code() -> pl.Expr:
    level = pl.col("geographic_level")
    return (
        pl.when(level == "National")
        .then(pl.lit("E92000001"))
        .when(level == "Regional")
        .then(pl.col("region_code"))
        .otherwise(pl.col("new_la_code"))
    )


def _area_name() -> pl.Expr:
    level = pl.col("geographic_level")
    return (
        pl.when(level == "National")
        .then(pl.lit("England"))
        .when(level == "Regional")
        .then(pl.col("region_name"))
        .otherwise(pl.col("la_name"))
    )


def _period(kind: str) -> list[pl.Expr]:
    tp = pl.col("time_period")
    # time periods were checked row by row before parsing (shape_problems), so nothing here can fail to convert
    if kind == "calendar":
        year = tp.str.slice(0, 4).cast(pl.Int32, strict=False)
        return [
            pl.date(year, 1, 1).alias("period_start"),
            pl.date(year, 12, 31).alias("period_end"),
            tp.str.slice(0, 4).alias("period_label"),
        ]
    # 202425: the January 2025 census; the older files' "2022" ("january") is the January 2022 census itself
    year = tp.str.slice(0, 4).cast(pl.Int32, strict=False) + (0 if kind == "january" else 1)
    return [
        pl.date(year, 1, 1).alias("period_start"),
        pl.date(year, 1, 31).alias("period_end"),
        pl.format("January {}", year).alias("period_label"),
    ]


def _number(col: str) -> tuple[pl.Expr, pl.Expr]:
    """A measure column as a number (null for markers) and its status symbol."""
    raw = pl.col(col).str.strip_chars()
    marker = raw.str.to_lowercase().is_in(list(MARKERS))
    value = pl.when(marker).then(None).otherwise(raw.str.replace_all(",", "").cast(pl.Float64, strict=False))
    status = pl.when(marker).then(raw.str.to_lowercase().replace_strict(MARKERS, default="x")).otherwise(pl.lit(""))
    return value, status


def _all_rows(frame: pl.DataFrame) -> pl.DataFrame:
    if "breakdown_topic" not in frame.columns:
        return frame  # the older aggregate files have only totals
    topic, brk = pl.col("breakdown_topic"), pl.col("breakdown")
    return frame.filter(topic.str.starts_with("All") | (topic == brk))


def _rows(
    frame: pl.DataFrame, kpi_id: str, kind: str, value_col: str, num_col: str | None = None, den_col: str | None = None
) -> pl.DataFrame:
    value, status = _number(value_col)
    num = _number(num_col)[0] if num_col else pl.lit(None, pl.Float64)
    den = _number(den_col)[0] if den_col else pl.lit(None, pl.Float64)
    return frame.select(
        pl.lit(kpi_id).alias("kpi_id"),
        *_period(kind),
        _area_code().alias("area_code"),
        pl.lit("all").alias("phase"),
        value.alias("value"),
        num.alias("numerator"),
        den.alias("denominator"),
        status.alias("status"),
        pl.lit("").alias("note"),
    )


def _share_rows(
    frame: pl.DataFrame,
    kpi_id: str,
    parts: list[str],
    total: str | list[str],
    kind: str = "academic",
    published: str | None = None,
) -> pl.DataFrame:
    """A share (%) of its parts over a total (one column, or the sum of several), with the counts beside it.

    Where the file carries the publisher's own percentage (`published`), that is the value, as published, marker
    and all; where it and the counts disagree by more than its rounding, the row's note says so. Otherwise the
    share is worked out from the counts: a marker in any part or the total makes it null (never 0), and a zero
    total gives none. Region and England rows worked out from counts leave out, from the total as well as the
    parts, every authority whose parts are not available ("x") though its total is published (`_without_gaps`)."""
    nums = [_number(p) for p in parts]
    dens = [_number(t) for t in ([total] if isinstance(total, str) else total)]
    numerator = pl.sum_horizontal([v for v, _ in nums])
    den = pl.sum_horizontal([v for v, _ in dens])
    missing = pl.any_horizontal([v.is_null() for v, _ in nums + dens]) | (den == 0)
    first_status = pl.coalesce(
        [pl.when(s != "").then(s) for _, s in nums + dens] + [pl.when(den == 0).then(pl.lit("z"))]
    )
    den_kept = pl.when(pl.any_horizontal([v.is_null() for v, _ in dens])).then(None).otherwise(den)
    num_kept = pl.when(pl.any_horizontal([v.is_null() for v, _ in nums])).then(None).otherwise(numerator)
    if published is not None:
        value, status = _number(published)
        rows = frame.with_columns(
            _value=value,
            _status=status,
            _num=num_kept,
            _den=den_kept,
        )
        disagree = (
            pl.col("_value").is_not_null()
            & pl.col("_num").is_not_null()
            & (pl.col("_den") > 0)
            & ((100 * pl.col("_num") / pl.col("_den") - pl.col("_value")).abs() > AGREE)
        )
        note = (
            pl.when(disagree)
            .then(
                pl.struct("_value", "_num", "_den").map_elements(
                    lambda r: disagreement(r["_value"], r["_num"], r["_den"]), return_dtype=pl.String
                )
            )
            .otherwise(pl.lit(""))
        )
        return rows.select(
            pl.lit(kpi_id).alias("kpi_id"),
            *_period(kind),
            _area_code().alias("area_code"),
            pl.lit("all").alias("phase"),
            pl.col("_value").alias("value"),
            pl.col("_num").alias("numerator"),
            pl.col("_den").alias("denominator"),
            pl.col("_status").alias("status"),
            note.alias("note"),
        )
    out = frame.select(
        pl.lit(kpi_id).alias("kpi_id"),
        *_period(kind),
        _area_code().alias("area_code"),
        pl.lit("all").alias("phase"),
        pl.when(missing).then(None).otherwise(100 * numerator / den).alias("value"),
        pl.when(missing).then(None).otherwise(numerator).alias("numerator"),
        den_kept.alias("denominator"),
        pl.when(missing).then(first_status.fill_null("x")).otherwise(pl.lit("")).alias("status"),
        pl.lit("").alias("note"),
    )
    return _without_gaps(frame, out, parts, total)


def _without_gaps(frame: pl.DataFrame, out: pl.DataFrame, parts: list[str], total: str | list[str]) -> pl.DataFrame:
    """Region and England shares worked out from counts, without the authorities whose parts are not available.

    A local authority that returned its total but not the detail (the DfE's January 2024 caseload: Hackney and
    Peterborough, "x" in every placement column) is in the published region and England totals and in none of
    their parts, so a share of the published total would be too low. Its total is taken off the region's and
    England's, leaving it out of numerator and denominator alike, and the row's note says how many were left out
    and who. A part suppressed for confidentiality ("c") stays: the publisher's aggregates include it."""
    totals = [total] if isinstance(total, str) else total
    level = pl.col("geographic_level")
    gap = pl.any_horizontal([pl.col(p).str.strip_chars().str.to_lowercase().is_in(["x", ""]) for p in parts])
    den = pl.sum_horizontal([_number(t)[0] for t in totals])
    given = ~pl.any_horizontal([_number(t)[0].is_null() for t in totals]) & (den > 0)
    gaps = frame.filter((level == "Local authority") & gap & given).select(
        "time_period",
        "region_code",
        pl.col("la_name" if "la_name" in frame.columns else "new_la_code").alias("la_name"),
        _gap=den,
    )
    if gaps.height == 0:
        return out
    by_region = gaps.group_by("time_period", "region_code").agg(
        pl.col("_gap").sum(), pl.len().alias("_n"), pl.col("la_name").sort().alias("_names")
    )
    by_nation = gaps.group_by("time_period").agg(
        pl.col("_gap").sum(), pl.len().alias("_n"), pl.col("la_name").sort().alias("_names")
    )
    keyed = frame.select(
        _area_code().alias("area_code"),
        "time_period",
        "region_code",
        level.alias("_level"),
    ).with_row_index("_row")
    region_rows = keyed.filter(pl.col("_level") == "Regional").join(
        by_region, on=["time_period", "region_code"], how="inner"
    )
    nation_rows = keyed.filter(pl.col("_level") == "National").join(by_nation, on="time_period", how="inner")
    fix = pl.concat([region_rows, nation_rows]).select("_row", "_gap", "_n", "_names")
    if fix.height == 0:
        return out
    rows = out.with_row_index("_row").join(fix, on="_row", how="left")
    adjusted = pl.col("denominator") - pl.col("_gap")
    usable = pl.col("_gap").is_not_null() & pl.col("numerator").is_not_null() & (adjusted > 0)
    names = pl.col("_names").list.join(", ")
    note = pl.format(
        "Worked out from the published counts leaving out {} authorit{} whose figures are not available ({}), "
        "from the total as well as the parts.",
        pl.col("_n"),
        pl.when(pl.col("_n") == 1).then(pl.lit("y")).otherwise(pl.lit("ies")),
        names,
    )
    return (
        rows.with_columns(
            value=pl.when(usable).then(100 * pl.col("numerator") / adjusted).otherwise(pl.col("value")),
            denominator=pl.when(usable).then(adjusted).otherwise(pl.col("denominator")),
            note=pl.when(usable).then(note).otherwise(pl.col("note")),
        )
        .sort("_row")
        .select(out.columns)
    )


# file stem → how to read it; each returns kpi_values rows
PLACEMENTS = {  # the share, its parts, and the publisher's own percentage column where the file has one
    "ehcp_placement_mainstream_pct": (["mainstream_total"], "mainstream_total_pc"),
    "ehcp_placement_special_pct": (["special_total"], "special_total_pc"),
    "ehcp_placement_independent_pct": (["special_independent", "special_non_maintained"], None),
    "ehcp_placement_ap_pct": (["ap_pru_total"], "ap_pru_total_pc"),
}


# file stem → shares: (kpi_id, numerator columns, denominator column or columns, the publisher's percentage column
# or None where the file publishes none and the share is worked out from the counts)
SHARES: dict[str, list[tuple[str, list[str], str | list[str], str | None]]] = {
    "timeliness_20_week": [
        ("ehcp_20wk_pct", ["plans_issued_within_20_weeks"], "plans_issued_den", "pc_plans_issued_within_20_weeks"),
        ("ehcp_20wk_excl_pct", ["plans_issued_20_weeks_ex"], "plans_issued_den_ex", "pc_plans_issued_20_weeks_ex"),
    ],
    "sen2_mi": [
        ("ehcp_20wk_pct", ["incexc20weekehc"], "totincexcehc", "incexc20weekrate"),
        ("ehcp_20wk_excl_pct", ["noexc20weekehc"], "totnoexcehc", "noexc20weekrate"),
    ],
    "caseload": [(k, parts, "ehcplans", pc) for k, (parts, pc) in PLACEMENTS.items()],
    "annual_reviews": [
        ("ehcp_review_meeting_pct", ["review_meeting_in_year"], "review_expected", None),
        (
            "ehcp_review_4wk_pct",
            ["number_decsion_4weeks"],
            ["number_decsion_4weeks", "number_decision_gt_4weeks"],
            "pc_decsion_4weeks",
        ),
    ],
    "assessments": [
        ("ehcp_assess_issued_pct", ["assess_issued"], "assess_in_year", "assess_issued_pc"),
        (
            "ehcp_assess_not_issue_16wk_pct",
            ["outcome_decision_within_time"],
            ["outcome_decision_within_time", "outcome_decision_over_time"],
            "outcome_decision_within_time_pc",
        ),
    ],
    "requests": [
        (
            "ehcp_requests_assessed_pct",
            ["requests_decided_to_assess"],
            "requests_received_in_year",
            "request_assess_pc",
        ),
        (
            "ehcp_request_6wk_pct",
            ["request_outcome_six_weeks"],
            ["request_outcome_six_weeks", "request_outcome_over_6_weeks"],
            "request_outcome_six_weeks_pc",
        ),
    ],
    "ceased_plans": [
        ("ehcp_ceased_needs_met_pct", ["needs_met"], "total_ceased", None),
        ("ehcp_ceased_education_employment_pct", ["he", "employ"], "total_ceased", None),
        ("ehcp_ceased_moved_pct", ["transfer", "moved_outside_eng"], "total_ceased", None),
    ],
    "sen_needs_all_plans": [(f"ehcp_need_{k}_pct", [f"number_{k}"], "ehc_plans", f"{k}_pc") for k in NEED_NAMES],
    # the 2023 release's aggregate file, 2014–2022, in snake_case: each share checked against the file's own
    # percentage column; the reasons plans ceased add up to the 2025 release's (needs met: met_ehc + met_noncomp;
    # moved to another authority: lea_ehc + lea_noncomp, or abroad)
    "sen2_mi_snake": [
        ("ehcp_20wk_pct", ["inc_exc_20week_ehc"], "tot_inc_exc_ehc", "inc_exc_20week_rate"),
        ("ehcp_20wk_excl_pct", ["no_exc_20week_ehc"], "tot_no_exc_ehc", "no_exc_20week_rate"),
        ("ehcp_assess_issued_pct", ["new_all_ehc"], "new_all_ehc_ass_none_ehc_sum", "new_all_ehc_pc"),
        ("ehcp_ceased_needs_met_pct", ["discontinued_met_ehc", "discontinued_met_noncomp"], "discontinued_total", None),
        (
            "ehcp_ceased_education_employment_pct",
            ["discontinued_he", "discontinued_employment"],
            "discontinued_total",
            None,
        ),
        (
            "ehcp_ceased_moved_pct",
            ["discontinued_lea_ehc", "discontinued_lea_noncomp", "discontinued_abroad"],
            "discontinued_total",
            None,
        ),
        (
            "ehcp_mediation_tribunal_pct",
            ["total_tribunal_followed_mediation"],
            "total_mediation",
            "total_tribunal_pc",
        ),
    ],
}
SHARE_KIND = {"caseload": "academic", "sen_needs_all_plans": "academic", "personal_budgets": "academic"}
MEETING = re.compile(r"^review_meeting_(\d{2})$")


def _meeting_in_year(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The annual-review meetings held in the row's own calendar year: the file names its columns by year
    (`review_meeting_24` in the 2024 rows), so the column is chosen per row from the time period."""
    by_year = {int(m.group(1)): c for c in frame.columns if (m := MEETING.match(c))}
    if "time_period" not in frame.columns or not by_year:
        return frame, ["no review_meeting_YY columns (needed for ehcp_review_meeting_pct)"]
    yy = frame["time_period"].str.slice(2, 2)
    pick = pl.lit("x")
    for year, col in by_year.items():
        pick = pl.when(pl.col("_yy") == f"{year:02d}").then(pl.col(col)).otherwise(pick)
    return frame.with_columns(_yy=yy).with_columns(review_meeting_in_year=pick).drop("_yy"), []


def _parse(name: str, frame: pl.DataFrame) -> tuple[list[pl.DataFrame], list[Problem]]:
    stem = Path(name).stem.lower()
    cols = set(frame.columns)
    needed = {"time_period", "geographic_level", "new_la_code", "region_code"}
    if not needed <= cols:
        return [], [Problem(name, f"not an EES file (missing {', '.join(sorted(needed - cols))})")]
    frame = _all_rows(frame)
    snake = stem == "sen2_mi" and "inc_exc_20week_ehc" in cols  # the 2023 release's layout of the aggregate file
    if snake:
        stem = "sen2_mi_snake"
    if stem == "sen2_age_caseload" and "characteristic_age" in cols:
        frame = frame.filter(pl.col("characteristic_age").str.strip_chars().str.to_lowercase() == "total")
    want: dict[str, tuple] = {
        "requests": ("calendar", [("ehcp_requests", "requests_received_in_year", None, None)]),
        "ceased_plans": ("calendar", [("ehcp_ceased", "total_ceased", None, None)]),
        "personal_budgets": ("academic", [("ehcp_personal_budgets", "personal_budget", None, None)]),
        "newplans": ("calendar", [("ehcp_new_plans", "new_ehc_plans", None, None)]),
        "caseload": ("academic", [("ehcp_caseload", "ehcplans", None, None)]),
        "sen2_mi": (
            "calendar",
            [
                ("ehcp_requests", "inreqehc", None, None),
                ("ehcp_new_plans", "newallehc", None, None),
            ],
        ),
        "sen2_mi_snake": (
            "calendar",
            [
                ("ehcp_requests", "inreq_ehc", None, None),
                ("ehcp_new_plans", "new_all_ehc", None, None),
                ("ehcp_ceased", "discontinued_total", None, None),
                ("ehcp_mediations", "total_mediation", None, None),
            ],
        ),
        # the 2022 release's caseload by age: its total, statements of SEN and EHC plans, at each January from 2010
        "sen2_age_caseload": ("january", [("ehcp_caseload", "total_all", None, None)]),
    }
    shares = SHARES.get(stem, [])
    if stem not in want and not shares:
        return [], []  # other files of the release are not used
    kind, specs = want.get(stem, (SHARE_KIND.get(stem, "calendar"), []))
    out, problems = [], []
    for kpi_id, value_col, num_col, den_col in specs:
        missing = [c for c in (value_col, num_col, den_col) if c and c not in cols]
        if missing:
            problems.append(Problem(name, f"column(s) {', '.join(missing)} not found (needed for {kpi_id})"))
            continue
        out.append(_rows(frame, kpi_id, kind, value_col, num_col, den_col))
    if stem == "annual_reviews":
        frame, found = _meeting_in_year(frame)
        problems += [Problem(name, p) for p in found]
        cols = set(frame.columns)
    for kpi_id, parts, total, published in shares:
        totals = [total] if isinstance(total, str) else total
        missing = [c for c in (*parts, *totals) if c not in cols]
        if missing:
            problems.append(Problem(name, f"column(s) {', '.join(missing)} not found (needed for {kpi_id})"))
            continue
        # the publisher's own percentage where the file has it; a file without the column is worked out from counts
        pc = published if published in cols else None
        out.append(_share_rows(frame, kpi_id, parts, total, SHARE_KIND.get(stem, "calendar"), pc))
    if snake:  # a measure the return did not collect that year ("z") is no row, not an empty one
        out = [rows.filter(~(pl.col("value").is_null() & (pl.col("status") == "z"))) for rows in out]
    if stem == "sen2_age_caseload" and "total_st" in cols:
        out = [_statements_note(frame, rows) for rows in out]
    return out, problems


def _statements_note(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The caseload rows of the years when statements of SEN were still held (to 2018), each noting how many of its
    plans were statements: the January census counted both."""
    st = _number("total_st")[0]
    words = st.cast(pl.Int64).map_elements(lambda n: f"Includes {n:,} statements of SEN.", return_dtype=pl.String)
    notes = frame.select(pl.when(st > 0).then(words).otherwise(pl.lit("")))
    return rows.with_columns(note=notes.to_series())


def read_ehcp(source: Path) -> EesResult:
    """kpi_values rows from one EHCP release (zip, folder or CSV), with the names of every area seen."""
    source = Path(source)
    if not source.exists():
        return EesResult(
            pl.DataFrame(schema=TABLES["kpi_values"].columns), problems=[Problem(str(source), "not found")]
        )
    try:
        members, problems = release_members(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        return EesResult(
            pl.DataFrame(schema=TABLES["kpi_values"].columns),
            problems=[Problem(source.name, "not a readable zip file")],
        )
    parts, names, used = [], {}, []

    def inside(p: Problem) -> Problem:  # a member's problem, of the zip or folder it is in (a lone CSV is itself)
        return p.within(source.name) if source.is_dir() or source.suffix.lower() == ".zip" else p

    regions: dict[str, tuple[str, str]] = {}
    old_codes: dict[str, str] = {}
    tribunal = {n: d for n, d in members.items() if Path(n).stem.lower().startswith(TRIBUNAL)}
    for name, data in members.items():
        if name in tribunal:
            continue
        shape = [inside(p) for p in shape_problems(name, data)]
        if shape:
            problems += shape
            continue
        try:
            frame = read_ees_csv(data)
        except Exception as exc:  # a CSV the reader cannot parse at all
            problems.append(inside(Problem(name, f"not a readable CSV ({type(exc).__name__})")))
            continue
        rows, found = _parse(name, frame)
        problems += [inside(p) for p in found]
        if rows:
            used.append(name)
            parts += rows
            geo = frame.select(_area_code().alias("code"), _area_name().alias("name")).unique()
            names.update({c: n for c, n in geo.iter_rows() if c and n})
            las = frame.filter(pl.col("geographic_level") == "Local authority")
            regions.update(
                {
                    c: (rc, rn)
                    for c, rc, rn in las.select("new_la_code", "region_code", "region_name").unique().iter_rows()
                }
            )
            if "old_la_code" in las.columns:
                old_codes.update(dict(las.select("old_la_code", "new_la_code").unique().iter_rows()))
    for name, data in tribunal.items():
        rows, found = read_tribunal(name, data, old_codes, regions)
        problems += [inside(p) for p in found]
        if rows.height:
            used.append(name)
            parts.append(rows)
    if not parts and not problems:
        problems.append(
            Problem(
                str(source), "no EHCP (SEN2) data files found (expected e.g. timeliness_20_week.csv or sen2_mi.csv)"
            )
        )
    values = (
        pl.concat(parts).filter(pl.col("area_code").is_not_null() & (pl.col("area_code") != ""))
        if parts
        else pl.DataFrame(schema=TABLES["kpi_values"].columns)
    )
    values = values.cast(TABLES["kpi_values"].columns).unique(subset=list(TABLES["kpi_values"].key), keep="first")
    release = values["period_end"].max().year if values.height else 0
    regions = {c: r for c, r in regions.items() if c and r[0] and r[1]}
    old_codes = {o.strip(): n.strip() for o, n in old_codes.items() if o and n and o.strip().isdigit()}
    return EesResult(
        values.sort("kpi_id", "area_code", "period_end"),
        names,
        used,
        problems,
        release,
        regions,
        old_codes,
        source.name,
    )


def combine(results: list[EesResult]) -> tuple[pl.DataFrame, list[str]]:
    """All releases together; where two cover the same indicator, period and area, the newer release wins.
    Returns the rows and a note per release saying what it superseded."""
    key = list(TABLES["kpi_values"].key)
    # newest first: by the latest period each holds (the 2022 release's caseload runs to January 2022, the 2023
    # release's aggregate file to December 2022)
    ordered = sorted(results, key=lambda r: r.values["period_end"].max() if r.values.height else date.min, reverse=True)
    kept: list[tuple[EesResult, pl.DataFrame]] = []
    notes = []
    for r in ordered:
        frame = r.values
        for newer, rows in kept:
            before = frame.height
            frame = frame.join(rows.select(key), on=key, how="anti")
            if before != frame.height:
                notes.append(
                    f"{before - frame.height:,} rows of the release to {r.release}"
                    + (f" ({r.name})" if r.name else "")
                    + f" were superseded by a newer release, to {newer.release}"
                    + (f" ({newer.name})" if newer.name else "")
                    + "."
                )
        kept.append((r, frame))
    kept = [frame for _, frame in kept]
    rows = pl.concat(kept) if kept else pl.DataFrame(schema=TABLES["kpi_values"].columns)
    return rows.sort("kpi_id", "area_code", "period_end"), notes
