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

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ingest.catalogue import NEED_NAMES
from metrics.schema import TABLES

MARKERS = {"x": "x", "z": "z", "c": "c", ":": "z", "low": "low", "n/a": "z", "": "x", "..": "x"}
GEO = ["time_period", "geographic_level", "region_code", "new_la_code", "la_name", "region_name"]


@dataclass
class EesResult:
    """Rows read from one source, the area names seen, files used and problems."""

    values: pl.DataFrame
    names: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    release: int = 0
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # LA code → (region code, region name)
    old_codes: dict[str, str] = field(default_factory=dict)  # three-digit LA number → GSS code (LAIT names by number)
    name: str = ""  # the zip, folder or file it was read from


# The data files of a release this reader uses (by file stem); every other file is never read.
USED = (
    "timeliness_20_week",
    "requests",
    "newplans",
    "caseload",
    "annual_reviews",
    "assessments",
    "ceased_plans",
    "personal_budgets",
    "sen_needs_all_plans",
    "sen2_mi",
    "sen2_age_caseload",
)
TRIBUNAL = "send tribunals and appeal rate"  # the supporting file's name starts so, then the years it covers
MAX_MEMBER_BYTES = 200 * 1024 * 1024  # the largest 2025 file is a few MB
MAX_ARCHIVE_BYTES = 250 * 1024 * 1024  # all the used files of one release together: the 2025 release's are 29 MB
MAX_RATIO = 200  # uncompressed over compressed size: real CSVs are about 10; a zip bomb is thousands
READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _used(name: str) -> bool:
    stem = Path(name).stem.lower()
    return name.lower().endswith(".csv") and (stem in USED or stem.startswith(TRIBUNAL))


def _kind(name: str) -> str:
    """Which of the release's files a used file is: its stem, or the tribunal table whatever years its name gives."""
    stem = Path(name).stem.lower()
    return TRIBUNAL if stem.startswith(TRIBUNAL) else stem


def _one_of_each(source: Path, found: dict[str, list[str]]) -> list[str]:
    """A problem for each kind of file given more than once: which one the figures would come from would depend on
    the order the files are listed in, and every copy would be held in memory at once, so none is read."""
    problems = []
    for kind, paths in found.items():
        if len(paths) < 2:
            continue
        names = {Path(p).name.lower() for p in paths}
        what = (
            f"files called {Path(paths[0]).name}"
            if len(names) == 1
            else "tribunal appeal-rate tables"
            if kind == TRIBUNAL
            else f"{kind} files"
        )
        problems.append(
            f"{source.name}: {len(paths)} {what} ({', '.join(sorted(paths))}); keep one release's files per folder "
            "or zip"
        )
    return problems


def _over_budget(source: Path, total: int) -> list[str]:
    from ingest.workbook import size_text

    if total <= MAX_ARCHIVE_BYTES:
        return []
    return [
        f"{source.name}: the files this reader uses add up to {size_text(total)} uncompressed, more than the "
        f"{size_text(MAX_ARCHIVE_BYTES)} one release may hold (the whole 2025 release is about 30 MB); none is read"
    ]


def _zip_members(source: Path) -> tuple[dict[str, bytes], list[str]]:
    """The used members of a zip, every one checked — one of each kind, its size, compression, encryption, method,
    and the total of them all — before any is decompressed."""
    from ingest.workbook import zip_directory_problem

    problems: list[str] = []
    problem = zip_directory_problem(source)
    if problem:
        return {}, [f"{source.name}: {problem}"]
    with zipfile.ZipFile(source) as z:
        found: dict[str, list[str]] = {}
        fine: dict[str, zipfile.ZipInfo] = {}
        for info in z.infolist():
            n = info.filename
            tribunal = Path(n).stem.lower().startswith(TRIBUNAL)
            if info.is_dir() or ("/supporting-files/" in f"/{n}" and not tribunal) or not _used(Path(n).name):
                continue
            found.setdefault(_kind(n), []).append(n)
            where = f"{source.name}/{n}"
            if info.flag_bits & 0x1:
                problems.append(f"{where}: the file is encrypted (password-protected); use the published zip")
            elif info.compress_type not in READABLE:
                problems.append(
                    f"{where}: compressed with a method this reader cannot open (method {info.compress_type}, "
                    "e.g. Deflate64); unzip it and give the folder instead"
                )
            elif info.file_size > MAX_MEMBER_BYTES:
                problems.append(
                    f"{where}: {info.file_size >> 20} MB uncompressed, more than {MAX_MEMBER_BYTES >> 20} MB"
                )
            elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                problems.append(
                    f"{where}: compressed {info.file_size // max(info.compress_size, 1):,} times over, which no "
                    "real data file is; refused as a possible zip bomb"
                )
            else:
                fine[n] = info
        doubled = _one_of_each(source, found)
        problems += doubled
        fine = {n: i for n, i in fine.items() if len(found[_kind(n)]) == 1}
        budget = _over_budget(source, sum(i.file_size for i in fine.values()))
        if budget:
            return {}, problems + budget
        members: dict[str, bytes] = {}
        for n, info in fine.items():
            try:
                # zipfile stops at the size the directory declares, so the total above bounds what is held
                members[Path(n).name] = z.read(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
                problems.append(f"{source.name}/{n}: cannot be read from the zip ({exc})")
    return members, problems


def _members(source: Path) -> tuple[dict[str, bytes], list[str]]:
    """The used CSV files of a source — a zip (any folder inside), a folder (recursively) or one CSV — and every
    problem with them: a kind of file given twice, a member too large, too compressed, encrypted or compressed in a
    way that cannot be read, more than a release's worth in all. Only the members that are used are read, and only
    once all of them have been checked."""
    source = Path(source)
    if source.suffix.lower() == ".zip" and not source.is_dir():
        return _zip_members(source)
    problems: list[str] = []
    if not source.is_dir():
        if source.stat().st_size > MAX_MEMBER_BYTES:
            return {}, [f"{source.name}: larger than {MAX_MEMBER_BYTES >> 20} MB"]
        return {source.name: source.read_bytes()}, []
    found: dict[str, list[str]] = {}
    fine: dict[str, Path] = {}
    for p in sorted(source.rglob("*.csv")):
        if _used(p.name):
            found.setdefault(_kind(p.name), []).append(str(p.relative_to(source)))
            if p.stat().st_size > MAX_MEMBER_BYTES:
                problems.append(f"{source.name}/{p.relative_to(source)}: larger than {MAX_MEMBER_BYTES >> 20} MB")
            else:
                fine[p.name] = p
    problems += _one_of_each(source, found)
    fine = {n: p for n, p in fine.items() if len(found[_kind(n)]) == 1}
    budget = _over_budget(source, sum(p.stat().st_size for p in fine.values()))
    if budget:
        return {}, problems + budget
    return {n: p.read_bytes() for n, p in fine.items()}, problems


TIME_PERIOD = re.compile(r"^(\d{4})(\d{2})?$")
# Columns of an EES file that hold words or codes, never a measure: a cell there that reads as "nan" is a name.
TEXT_COLUMNS = {"time_period", "time_identifier", "geographic_level", "breakdown_topic", "breakdown"}


# Anything that might spell a number that is not finite, anywhere in a file: only a file with one is looked at cell
# by cell (the whole 2025 release has none, and looking at its million cells one by one doubled its import time).
MAYBE_NOT_FINITE = re.compile(r"(?<![a-z])(?:nan|inf(?:inity)?)(?![a-z])|\de[+-]?\d", re.IGNORECASE)


def _not_finite(cell: str) -> bool:
    """Whether a measure cell reads as a number that is not finite: nan, inf, infinity or an exponent too large for
    any number (1e400). Polars reads all of these as numbers, and the snapshot check would name only the table."""
    text = cell.strip().replace(",", "").lower()
    if "n" not in text and "e" not in text:  # every such spelling has one: most cells are skipped at once
        return False
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def shape_problems(name: str, data: bytes) -> list[str]:
    """Rows with more or fewer fields than the header (a download cut mid-row, a stray comma), and time periods
    that are not a year (2024) or an academic year (202425) from 1900 to 2100, each with its row number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return [f"{name}, row {row}: not UTF-8 text (byte {data[exc.start]:#04x}); DfE files are UTF-8"]
    problems: list[str] = []
    try:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip().lower() for h in next(reader, [])]
        tp = header.index("time_period") if "time_period" in header else None
        measures = [i for i, h in enumerate(header) if h not in TEXT_COLUMNS and not h.endswith(("_code", "_name"))]
        if not MAYBE_NOT_FINITE.search(text):
            measures = []
        for n, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                problems.append(
                    f"{name}, row {n}: {len(row)} fields but the header has {len(header)} (a file cut short, for "
                    "example by an interrupted download, or a stray comma)"
                )
                continue
            if tp is not None:
                m = TIME_PERIOD.match(row[tp].strip())
                ok = bool(m) and 1900 <= int(m.group(1)) <= 2100
                if ok and m.group(2) is not None:
                    ok = int(m.group(2)) == (int(m.group(1)) + 1) % 100
                if not ok:
                    problems.append(
                        f"{name}, row {n}, column 'time_period': value '{row[tp][:40]}' — expected a year such as "
                        "2024 or an academic year such as 202425"
                    )
            for i in measures:
                if _not_finite(row[i]):
                    problems.append(
                        f"{name}, row {n}, column '{header[i]}': value '{row[i].strip()[:40]}' — expected a number "
                        "or one of the DfE's markers (x, z, c, :, low), not nan or infinity"
                    )
            if len(problems) >= 50:
                problems.append(f"{name}: more problems not listed; the file is probably not an EES data file")
                break
    except csv.Error as exc:
        problems.append(f"{name}: not a readable CSV ({exc})")
    return problems


def read_ees_csv(data: bytes) -> pl.DataFrame:
    """An EES CSV as all-text columns with lower-case, de-duplicated names; empty strings kept as ''."""
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    frame = frame.with_columns(pl.all().fill_null(""))  # an empty cell is a marker, kept as text
    frame = frame.filter(~pl.all_horizontal(pl.all() == ""))  # blank lines are not rows
    names, seen = [], {}
    for col in frame.columns:
        name = col.lstrip("\ufeff").strip().lower()
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_duplicated_{seen[name] - 1}")
    return frame.rename(dict(zip(frame.columns, names, strict=True)))


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


AGREE = 0.05 + 1e-9  # a published percentage (one decimal place) agrees with its counts within half a unit


def _fmt_count(x: float | None) -> str:
    return "x" if x is None else f"{x:,.0f}"


def _disagreement(published: float | None, numerator: float | None, denominator: float | None) -> str:
    """The note on a row whose published percentage is not what its counts give (METHODS §8), both to the one
    decimal place the DfE publishes."""
    if published is None or numerator is None or not denominator:
        return ""  # worked out for every row, used only where the two disagree
    return (
        f"The published {published:.1f}% differs from its counts: {_fmt_count(numerator)} of "
        f"{_fmt_count(denominator)} is {100 * numerator / denominator:.1f}%."
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
                    lambda r: _disagreement(r["_value"], r["_num"], r["_den"]), return_dtype=pl.String
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


def _parse(name: str, frame: pl.DataFrame) -> tuple[list[pl.DataFrame], list[str]]:
    stem = Path(name).stem.lower()
    cols = set(frame.columns)
    needed = {"time_period", "geographic_level", "new_la_code", "region_code"}
    if not needed <= cols:
        return [], [f"{name}: not an EES file (missing {', '.join(sorted(needed - cols))})"]
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
            problems.append(f"{name}: column(s) {', '.join(missing)} not found (needed for {kpi_id})")
            continue
        out.append(_rows(frame, kpi_id, kind, value_col, num_col, den_col))
    if stem == "annual_reviews":
        frame, found = _meeting_in_year(frame)
        problems += [f"{name}: {p}" for p in found]
        cols = set(frame.columns)
    for kpi_id, parts, total, published in shares:
        totals = [total] if isinstance(total, str) else total
        missing = [c for c in (*parts, *totals) if c not in cols]
        if missing:
            problems.append(f"{name}: column(s) {', '.join(missing)} not found (needed for {kpi_id})")
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
        return EesResult(pl.DataFrame(schema=TABLES["kpi_values"].columns), problems=[f"{source}: not found"])
    try:
        members, problems = _members(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        return EesResult(
            pl.DataFrame(schema=TABLES["kpi_values"].columns), problems=[f"{source.name}: not a readable zip file"]
        )
    parts, names, used = [], {}, []
    regions: dict[str, tuple[str, str]] = {}
    old_codes: dict[str, str] = {}
    tribunal = {n: d for n, d in members.items() if Path(n).stem.lower().startswith(TRIBUNAL)}
    for name, data in members.items():
        if name in tribunal:
            continue
        shape = shape_problems(f"{source.name}/{name}" if source.name != name else name, data)
        if shape:
            problems += shape
            continue
        try:
            frame = read_ees_csv(data)
        except Exception as exc:  # a CSV the reader cannot parse at all
            problems.append(f"{source.name}/{name}: not a readable CSV ({type(exc).__name__})")
            continue
        rows, found = _parse(name, frame)
        problems += [f"{source.name}/{p}" for p in found]
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
        problems += [f"{source.name}/{p}" if source.name != name else p for p in found]
        if rows.height:
            used.append(name)
            parts.append(rows)
    if not parts and not problems:
        problems.append(
            f"{source}: no EHCP (SEN2) data files found (expected e.g. timeliness_20_week.csv or sen2_mi.csv)"
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


TRIBUNAL_MARKERS = {"-": 0.0, "..": None, "~": None, "x": None, "": None}  # "-" is nil in the tribunal tables


def _tribunal_number(raw: str) -> tuple[float | None, str, bool]:
    """A tribunal-table cell: (value, GSS status, readable); "1,071" → 1071, " - " → 0, ".." → not available."""
    text = raw.strip().replace(",", "")
    if text in TRIBUNAL_MARKERS:
        return TRIBUNAL_MARKERS[text], {"~": "c", "..": "x", "x": "x", "": "x"}.get(text, ""), True
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        return None, "", False
    return (value, "", True) if value >= 0 and value == value and value != float("inf") else (None, "", False)


def read_tribunal(
    name: str, data: bytes, old_codes: dict[str, str], regions: dict[str, tuple[str, str]]
) -> tuple[pl.DataFrame, list[str]]:
    """`ehcp_tribunal_appeal_rate_pct` from the release's supporting file "SEND Tribunals and appeal rate
    2014-20YY.csv": appeals registered over total appealable decisions, per calendar year, for every local
    authority (its three-digit code matched to the GSS code through the release's other files), each region (its
    authorities' counts summed, leaving out those without figures) and England. The value is the table's own
    rate where it gives one (a blank appeals cell beside a published 0.00% is none, not "x"); the note says where
    the rate and the counts disagree. The table is not tidy: title rows, a row of years over three columns each,
    region names as rows of their own, footnotes; every cell that is neither a number nor one of its markers
    (-, .., ~, x) is a problem."""
    empty = pl.DataFrame(schema=TABLES["kpi_values"].columns)
    if not old_codes:
        return empty, [
            f"{name}: its local authorities are named by three-digit codes, matched to GSS codes through the "
            "release's other files; give the whole release (the all-files zip or its folder), not this file alone"
        ]
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        return empty, [f"{name}: not a readable CSV ({exc})"]
    head = next((i for i, r in enumerate(rows) if len(r) > 2 and r[0].strip().lower() == "local authority"), None)
    if head is None or head + 1 >= len(rows):
        return empty, [f"{name}: no header row starting 'Local Authority, LA code' (the tribunal appeal-rate table)"]
    years: dict[int, tuple[int, int | None]] = {}  # first column of a year → (year, its published rate column)
    for i, cell in enumerate(rows[head]):
        if re.fullmatch(r"\d{4}", cell.strip()):
            sub = [c.strip().lower() for c in rows[head + 1][i : i + 3]]
            if len(sub) >= 2 and sub[0].startswith("appeals") and sub[1].startswith("total appealable"):
                rate = i + 2 if len(sub) == 3 and "appeal rate" in sub[2] else None
                years[i] = (int(cell), rate)
    if not years:
        return empty, [
            f"{name}, row {head + 1}: no year columns with 'Appeals registered' and 'Total Appealable Decisions'"
        ]
    problems: list[str] = []
    out: list[dict] = []
    names: dict[str, str] = {}
    for n, r in enumerate(rows[head + 2 :], start=head + 3):
        label = r[0].strip() if r else ""
        if label.lower().startswith("sources"):
            break
        code = r[1].strip() if len(r) > 1 else ""
        if label.lower().startswith("england total"):
            area = "E92000001"
        elif re.fullmatch(r"\d{3}", code):
            area = old_codes.get(code)
            if area is None:
                continue  # an authority not in this release's other files (e.g. before a reorganisation)
            names[area] = re.sub(r"\d+$", "", label)  # "Cumbria8": its footnote number is not its name
        else:
            continue  # a region's heading row, a blank row or a note
        for i, (year, rate_col) in years.items():
            cells = [r[j] if j < len(r) else "" for j in (i, i + 1)]
            if not any(c.strip() for c in cells):
                continue  # both blank: the authority did not exist that year (Cumbria after its split)
            rate_cell = r[rate_col] if rate_col is not None and rate_col < len(r) else ""
            (appeals, s1, ok1), (decisions, s2, ok2), (rate, s3, ok3) = (
                _tribunal_number(c) for c in (*cells, rate_cell)
            )
            for ok, col, cell in ((ok1, i, cells[0]), (ok2, i + 1, cells[1]), (ok3, rate_col, rate_cell)):
                if not ok:
                    problems.append(
                        f"{name}, row {n}, column {col + 1} ({year}): value '{cell.strip()[:40]}' — expected a "
                        "number of appeals or decisions, a rate, or one of the markers -, .., ~, x"
                    )
            if rate_cell.strip() == "":
                rate, s3 = None, ""  # no rate column, or a blank one: worked out from the counts below
            if appeals is None and not cells[0].strip() and rate == 0 and decisions:
                appeals = 0.0  # a blank appeals cell beside decisions the publisher rates 0.00%: none (METHODS §8)
            have = appeals is not None and decisions is not None and decisions > 0
            worked = 100 * appeals / decisions if have else None
            value = rate if rate is not None else worked
            note = ""
            if rate is not None and worked is not None and abs(worked - rate) > AGREE:
                note = _disagreement(rate, appeals, decisions)
            out.append(
                {
                    "area_code": area,
                    "year": year,
                    "value": value,
                    "numerator": appeals if have else None,
                    "denominator": decisions if have else None,
                    "status": "" if value is not None else (s3 or s1 or s2 or "x"),
                    "note": note,
                }
            )
        if len(problems) >= 50:
            problems.append(f"{name}: more problems not listed")
            break
    if problems:
        return empty, problems
    schema = {
        "area_code": pl.String,
        "year": pl.Int32,
        "value": pl.Float64,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "status": pl.String,
        "note": pl.String,
    }
    frame = pl.DataFrame(out, schema=schema)
    every = pl.concat([frame, _tribunal_regions(frame, regions, names)]).unique(["area_code", "year"], keep="first")
    return (
        every.select(
            kpi_id=pl.lit("ehcp_tribunal_appeal_rate_pct"),
            period_start=pl.date(pl.col("year"), 1, 1),
            period_end=pl.date(pl.col("year"), 12, 31),
            period_label=pl.col("year").cast(pl.String),
            area_code="area_code",
            phase=pl.lit("all"),
            value="value",
            numerator="numerator",
            denominator="denominator",
            status="status",
            note="note",
        )
        .cast(TABLES["kpi_values"].columns)
        .sort("area_code", "period_end"),
        [],
    )


def _tribunal_regions(frame: pl.DataFrame, regions: dict[str, tuple[str, str]], names: dict[str, str]) -> pl.DataFrame:
    """Each region's appeal rate, which the table does not give: its authorities' appeals over their appealable
    decisions, leaving out of both every authority without figures that year and saying how many (METHODS §8)."""
    region_of = {c: rc for c, (rc, _) in regions.items()}
    las = frame.filter(pl.col("area_code") != "E92000001").with_columns(
        region=pl.col("area_code").replace_strict(region_of, default=None)
    )
    counted = pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null()
    grouped = (
        las.drop_nulls("region")
        .group_by("region", "year")
        .agg(
            numerator=pl.col("numerator").filter(counted).sum(),
            denominator=pl.col("denominator").filter(counted).sum(),
            used=counted.sum(),
            of=pl.len(),
            left_out=pl.col("area_code").filter(~counted).sort(),
        )
        .sort("region", "year")
    )
    rows = []
    for g in grouped.iter_rows(named=True):
        have = g["used"] > 0 and g["denominator"] > 0
        gone = [names.get(c, c) for c in g["left_out"]]
        note = f"The sum of its {g['of']} authorities' counts; the table gives no region figure."
        if gone:
            note = (
                f"The sum of {g['used']} of its {g['of']} authorities' counts, leaving out {len(gone)} whose figures "
                f"are not available ({', '.join(gone)}); the table gives no region figure."
            )
        rows.append(
            {
                "area_code": g["region"],
                "year": g["year"],
                "value": 100 * g["numerator"] / g["denominator"] if have else None,
                "numerator": g["numerator"] if have else None,
                "denominator": g["denominator"] if have else None,
                "status": "" if have else "x",
                "note": note if have else "",
            }
        )
    return pl.DataFrame(rows, schema=frame.schema)


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
