"""LAIT's data dictionary: what each measure read is (its title, unit, polarity, theme, decimal places and the
kind of year it is counted in), which measures are read (the topic "Children with SEN", and any measure of another
topic whose title names a SEN status), and the period each of LAIT's `Years` labels stands for.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from ingest.catalogue import Kpi
from ingest.problems import Problem
from metrics.benchmarks import LAIT_SOURCE
from metrics.schema import BENCHMARK_ONLY

DICTIONARY_COLUMNS = (
    "Topic",
    "Measure",
    "Chart_title",
    "Measure_short",
    "Polarity",
    "y_axis_name",
    "Description",
    "Last Update",
    "Next Update",
    "Hyperlink(s)",
    "dps",
    "Year_Type",
)
SEN_TOPIC = "Children with SEN"
# a measure of another topic is read when its title names a SEN status (case matters: "Senior practitioners" is not)
SEN_STATUS = re.compile(r"\bSEN\b|\bSEND\b|\bEHCPs?\b|\bEHC [Pp]lans?\b|[Ss]tatements?\b|SENSTATE")
POLARITY = {"high": "higher_is_better", "low": "lower_is_better", "-": "neutral", "na": "neutral", "": "neutral"}
QUALIFIERS = {"prov": "Provisional", "rev": "Revised", "final": "Final", "ot": "Outturn"}
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 as spreadsheets count it (day 45748 is 1 April 2025)


def kpi_id(measure: str) -> str:
    """The indicator id of a LAIT measure: "Age19_SEN-S" → "lait_age19_sen_s"."""
    return "lait_" + re.sub(r"[^a-z0-9]+", "_", measure.lower()).strip("_")


# ── the data dictionary ───────────────────────────────────────────────────────────────────────────────────────────
def _excel_day(text: str) -> date | None:
    """An Excel day number ("45748") as a date; None for the dictionary's words ("New Data", "TBC", …)."""
    try:
        n = float(str(text).strip())
    except ValueError:
        return None
    if not math.isfinite(n) or not 20_000 <= n <= 80_000:  # 1954 to 2119: anything else is not a date
        return None
    return EXCEL_EPOCH + timedelta(days=int(n))


def _unit(title: str, axis: str) -> str | None:
    """The dashboard's unit from LAIT's y-axis name and chart title; None for one it cannot show."""
    t, a = title.lower(), axis.lower()
    if t.rstrip().endswith("(%)") or "%" in a:
        return "percent"
    if t.rstrip().endswith("(num)") or a.startswith(("number", "total")):
        return "count"
    if "score" in a:
        return "score"
    if "cost" in a or "£" in a:
        return "pounds"
    if re.search(r"per 1,?000\b", a):
        return "rate_per_1000"
    return None


def _title(chart_title: str) -> str:
    """LAIT's chart title without the unit it ends with ("… with EHCP (%)" → "… with EHCP"), the unit being shown
    with every figure."""
    return re.sub(r"\s*\((%|num)\)\s*$", "", " ".join(chart_title.split()))


def _theme(title: str) -> int:
    """Where a LAIT measure would sit among the board's three themes, until the area's plan says (`[plan]` sets the
    theme with the workstream): post-16 outcomes in Theme 3, EHC plan work in Theme 2, the rest in Theme 1."""
    if re.search(r"19 year olds|16-17|KS4|Key Stage 4|destination|Level [23]", title):
        return 3
    if re.search(r"EHC|[Aa]ssessment|[Rr]equest|[Tt]ribunal|[Rr]eview|[Cc]eased|cases", title):
        return 2
    return 1


def selected(topic: str, measure: str, chart_title: str) -> bool:
    """Whether a dictionary measure is read: the topic "Children with SEN", or a title that names a SEN status."""
    return topic.strip() == SEN_TOPIC or bool(SEN_STATUS.search(measure) or SEN_STATUS.search(chart_title))


def read_dictionary(path: Path) -> tuple[pl.DataFrame, list[Problem]]:
    """The dictionary as text columns, one row per measure, and every problem with its shape (columns missing). A
    measure LAIT lists under two topics (SusEd_All under Key Stage 4 and Children with SEN; the children in need
    absence measures under two topics with different update dates) is read once: from its "Children with SEN" row
    if it has one, otherwise from its most recently updated row."""
    name = Path(path).name
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # not CSV at all
        return pl.DataFrame(), [Problem(name, f"not a readable CSV file ({type(exc).__name__})")]
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns}).with_columns(pl.all().fill_null(""))
    missing = [c for c in DICTIONARY_COLUMNS if c not in frame.columns]
    if missing:
        return pl.DataFrame(), [
            Problem(name, f"missing — LAIT's data dictionary has the columns {', '.join(DICTIONARY_COLUMNS)}", column=c)
            for c in missing
        ]
    frame = frame.with_row_index("_row", offset=2).with_columns(pl.col(c).str.strip_chars() for c in DICTIONARY_COLUMNS)
    preferred = frame.sort(
        pl.col("Topic") == SEN_TOPIC,
        pl.col("Last Update").cast(pl.Float64, strict=False).fill_null(0),
        descending=True,
        maintain_order=True,
    )
    return preferred.unique("Measure_short", keep="first", maintain_order=True).sort("_row"), []


def definitions(dictionary: pl.DataFrame, values: pl.DataFrame, name: str) -> tuple[dict[str, Kpi], list[Problem]]:
    """A Kpi for every measure read (by LAIT's Measure_short), and every problem with their definitions. `values` are
    the measures' parsed values (for the decimal places of a measure whose `dps` is "NA")."""
    kpis: dict[str, Kpi] = {}
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for r in dictionary.iter_rows(named=True):
        if not selected(r["Topic"], r["Measure"], r["Chart_title"]):
            continue
        at = str(r["_row"])
        measure = r["Measure_short"]
        if not measure:
            problems.append(Problem(name, "the measure's short name", at, "Measure_short", ""))
            continue
        polarity = POLARITY.get(r["Polarity"].lower())
        if polarity is None:
            problems.append(Problem(name, "High, Low, - or NA", at, "Polarity", r["Polarity"]))
        title = _title(r["Chart_title"] or r["Measure"])
        unit = _unit(r["Chart_title"] or r["Measure"], r["y_axis_name"])
        if unit is None:
            problems.append(
                Problem(
                    name,
                    "a percentage, a number, a score, a cost or a rate per 1,000",
                    at,
                    "y_axis_name",
                    r["y_axis_name"],
                )
            )
        if r["Year_Type"] not in YEAR_TYPES:
            problems.append(Problem(name, f"one of {', '.join(YEAR_TYPES)}", at, "Year_Type", r["Year_Type"]))
        dps = r["dps"]
        if dps.isdigit():
            decimals = int(dps)
        elif dps.upper() in ("NA", ""):
            decimals = _decimals_seen(values.filter(pl.col("measure") == measure)["value"])
        else:
            problems.append(Problem(name, "a number of decimal places or NA", at, "dps", dps))
            decimals = 1
        if unit == "count":
            decimals = 0
        elif unit == "percent":
            # LAIT keeps some percentages to two places; the DfE's publications print them to one (71.9%, where
            # LAIT stores 71.89), and ranks are worked on the figure as shown
            decimals = min(decimals, 1)
        kid = kpi_id(measure)
        if kid in ids:
            problems.append(
                Problem(
                    name,
                    f"a name that differs from '{ids[kid]}' by more than punctuation and case (both would be {kid})",
                    at,
                    "Measure_short",
                    measure,
                )
            )
            continue
        ids[kid] = measure
        link = next(iter(re.findall(r"https?://\S+", r["Hyperlink(s)"])), None)
        words = " ".join(f"{r['Measure'].rstrip('.')}. {r['Description']}".split()).rstrip(".")
        kpis[measure] = Kpi(
            kid,
            _theme(title),
            BENCHMARK_ONLY,
            title,
            f"{words}. (LAIT measure {measure}.)",
            unit or "count",
            polarity or "neutral",
            "annual",
            decimals,
            LAIT_SOURCE,
            year_type=r["Year_Type"] or None,
            last_update=_excel_day(r["Last Update"]),
            next_update=_excel_day(r["Next Update"]),
            link=link,
            topic=r["Topic"] or None,
        )
    return kpis, problems


def _decimals_seen(values: pl.Series) -> int:
    """The decimal places most of a measure's values are published with, float noise ignored (71.89 → 2); 1 for a
    measure with no values."""
    counts: dict[int, int] = {}
    for v in values.drop_nulls().head(2000).to_list():
        text = f"{v:.6f}".rstrip("0")
        places = len(text.split(".")[1]) if "." in text else 0
        counts[places] = counts.get(places, 0) + 1
    return max(counts, key=lambda k: (counts[k], k)) if counts else 1


# ── periods ───────────────────────────────────────────────────────────────────────────────────────────────────────
YEAR_TYPES = (
    "Academic Year",
    "Financial Year",
    "Calendar Year",
    "Annual",
    "Annual - January",
    "Annual (end of Sept)",
)


def period(years: str, year_type: str) -> tuple[date, date, str, str] | None:
    """(start, end, label, note) of one of LAIT's `Years` under the measure's year type, or None when it is not a
    period of that type. A bare year is the year the period ends in: academic year "2024" is 2023/24 (September to
    August), financial year "2025" is 2024-25 (April to March, "as at 31 March 2025"), "Annual - January" is the
    January census. A span ("2014-16", "2015/16-17/18") runs from the first year's start to the last's end. A remark
    in brackets ("2025 (prov)", "2016-17 (OT)") is kept as the row's note."""
    text = years.strip()
    note = ""
    m = re.fullmatch(r"(.*?)\s*\(([^)]*)\)", text)
    if m:
        text, remark = m.group(1).strip(), m.group(2).strip()
        note = QUALIFIERS.get(remark.lower(), remark)
    single = re.fullmatch(r"(\d{4})", text)
    pair = re.fullmatch(r"(\d{4})[-/](\d{2})", text)  # "2016-17", "2023/24"
    span = re.fullmatch(r"(\d{4})/(\d{2})-(\d{2})/(\d{2})", text)  # "2015/16-17/18"
    if span:
        first = int(span.group(1)) + 1
        last = int(span.group(1)[:2] + span.group(4))
    elif pair:
        a, b = int(pair.group(1)), int(pair.group(1)[:2] + pair.group(2))
        if b <= a:
            return None
        # a financial or academic "2016-17" is one year (ending in 2017); a calendar "2014-16" is three
        one_year = year_type in ("Academic Year", "Financial Year") and b == a + 1
        first, last = (b, b) if one_year else (a, b)
    elif single:
        first = last = int(single.group(1))
    else:
        return None
    if not (1990 <= first <= last <= 2100):
        return None
    if year_type == "Academic Year":
        start, end = date(first - 1, 9, 1), date(last, 8, 31)
        label = (
            f"{first - 1}/{str(first)[2:]}"
            if first == last
            else f"{first - 1}/{str(first)[2:]} to {last - 1}/{str(last)[2:]}"
        )
    elif year_type == "Financial Year":
        start, end = date(first - 1, 4, 1), date(last, 3, 31)
        label = (
            f"{first - 1}-{str(first)[2:]}"
            if first == last
            else f"{first - 1}-{str(first)[2:]} to {last - 1}-{str(last)[2:]}"
        )
    elif year_type == "Annual - January":
        if first != last:
            return None
        start, end, label = date(first, 1, 1), date(first, 1, 31), f"January {first}"
    elif year_type == "Annual (end of Sept)":
        if first != last:
            return None
        start, end, label = date(first - 1, 10, 1), date(first, 9, 30), f"September {first}"
    elif year_type in ("Calendar Year", "Annual"):
        start, end = date(first, 1, 1), date(last, 12, 31)
        label = str(first) if first == last else f"{first}-{str(last)[2:]}"
    else:
        return None
    return start, end, label, note
