"""The SEND tribunal appeal-rate table of a DfE EHCP release (a supporting file, laid out for reading rather than as
EES data): its authorities named by three-digit codes, matched to GSS codes through the release's other files; its
rates as published, each checked against the counts it comes from (METHODS §8), a disagreement noted on the row.
"""

from __future__ import annotations

import csv
import io
import re

import polars as pl

from ingest.problems import Problem
from metrics.schema import TABLES

AGREE = 0.05 + 1e-9  # a published percentage (one decimal place) agrees with its counts within half a unit


def _fmt_count(x: float | None) -> str:
    return "x" if x is None else f"{x:,.0f}"


def disagreement(published: float | None, numerator: float | None, denominator: float | None) -> str:
    """The note on a row whose published percentage is not what its counts give (METHODS §8), both to the one
    decimal place the DfE publishes."""
    if published is None or numerator is None or not denominator:
        return ""  # worked out for every row, used only where the two disagree
    return (
        f"The published {published:.1f}% differs from its counts: {_fmt_count(numerator)} of "
        f"{_fmt_count(denominator)} is {100 * numerator / denominator:.1f}%."
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
) -> tuple[pl.DataFrame, list[Problem]]:
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
            Problem(
                name,
                "its local authorities are named by three-digit codes, matched to GSS codes through the release's "
                "other files; give the whole release (the all-files zip or its folder), not this file alone",
            )
        ]
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        return empty, [Problem(name, f"not a readable CSV ({exc})")]
    head = next((i for i, r in enumerate(rows) if len(r) > 2 and r[0].strip().lower() == "local authority"), None)
    if head is None or head + 1 >= len(rows):
        return empty, [
            Problem(name, "no header row starting 'Local Authority, LA code' (the tribunal appeal-rate table)")
        ]
    years: dict[int, tuple[int, int | None]] = {}  # first column of a year → (year, its published rate column)
    for i, cell in enumerate(rows[head]):
        if re.fullmatch(r"\d{4}", cell.strip()):
            sub = [c.strip().lower() for c in rows[head + 1][i : i + 3]]
            if len(sub) >= 2 and sub[0].startswith("appeals") and sub[1].startswith("total appealable"):
                rate = i + 2 if len(sub) == 3 and "appeal rate" in sub[2] else None
                years[i] = (int(cell), rate)
    if not years:
        return empty, [
            Problem(name, "no year columns with 'Appeals registered' and 'Total Appealable Decisions'", str(head + 1))
        ]
    problems: list[Problem] = []
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
                        Problem(
                            name,
                            "a number of appeals or decisions, a rate, or one of the markers -, .., ~, x",
                            str(n),
                            f"{col + 1} ({year})",
                            cell.strip()[:40],
                        )
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
                note = disagreement(rate, appeals, decisions)
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
            problems.append(Problem(name, "more problems not listed"))
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
