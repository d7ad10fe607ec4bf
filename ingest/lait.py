"""DfE's Local Authority Interactive Tool (LAIT): its long data, its data dictionary and the children's services
statistical neighbours, into `kpi_values` rows and catalogue indicators for every local authority, region and England.

Each file is recognised by its content, in any order (DATA_FORMATS.md, "DfE LAIT"):

- the **long data** (`bds_long_0.parquet`, or LAIT's CSV or XLSX download of the same table): `Short Desc`, `Data
  item`, `Years`, `LA and Regions`, `Values` (text: numbers, some with float noise, and the marker "-"), `LA Number`
  (the old three-digit DfE number; England 970, regions 980–990), `Region`;
- the **data dictionary** (`lait_data_dictionary.csv`): per measure its `Measure_short` (= `Short Desc`), topic,
  title, `Polarity` (High / Low / - / NA), `y_axis_name`, description, `Last Update` and `Next Update` (Excel day
  numbers, or words such as "New Data" and "TBC"), `Hyperlink(s)`, `dps`, `Year_Type`;
- the **statistical neighbours** (`sn_may_2025.xlsx`): two title rows, then `LA num, LA Name, …, SN1, SNP, …, SN10,
  SNP`, each authority's ten nearest neighbours by number with how close each is.

Read: every measure of the topic "Children with SEN" and every measure of another topic defined by SEN status (its
title names SEN, SEND, an EHC plan or a statement). A value that is a marker is null with its GSS symbol, never 0.
Authorities are matched to GSS codes by number through the DfE files (ingest.lacodes), their names checked; a name
or number that matches no authority is a problem. Every problem in every file is listed at once (file, row, column,
value, expected), and then nothing is used.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from ingest.catalogue import Kpi
from ingest.lacodes import ENGLAND, LaCodes, name_key
from metrics.benchmarks import LAIT_SOURCE
from metrics.schema import BENCHMARK_ONLY, TABLES

# the long data's columns: the ones read, and the one LAIT leaves mostly empty
LONG_COLUMNS = ("Short Desc", "Years", "LA and Regions", "Values", "LA Number", "Region")
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
MARKERS = {"-": "x", "x": "x", "..": "x", "": "x", ":": "z", "z": "z", "n/a": "z", "c": "c", "*": "c", "low": "low"}
POLARITY = {"high": "higher_is_better", "low": "lower_is_better", "-": "neutral", "na": "neutral", "": "neutral"}
QUALIFIERS = {"prov": "Provisional", "rev": "Revised", "final": "Final", "ot": "Outturn"}
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 as spreadsheets count it (day 45748 is 1 April 2025)
# LAIT's halves of London ("London (Inner)", "London (Outer)"): no region of the DfE files
SUB_REGION = re.compile(r"(?i)\s*(london\s*\((inner|outer)\)|(inner|outer)\s+london)\s*")
MAX_LISTED = 200  # problems listed per file before the rest are counted
KINDS = {
    "long": "LAIT long data",
    "dictionary": "LAIT data dictionary",
    "neighbours": "DfE children's services statistical neighbours",
}
MONTH_WORDS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


@dataclass
class LaitResult:
    """What LAIT's files give: kpi_values rows, the indicators' definitions, area names, each authority's region,
    the statistical neighbours (authority → [(neighbour, closeness)]) and the set's name; the files by kind; every
    problem; and notes for the manifest (what was matched by a different spelling, what was not read)."""

    values: pl.DataFrame
    kpis: list[Kpi] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    neighbours: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    neighbours_set: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def kpi_id(measure: str) -> str:
    """The indicator id of a LAIT measure: "Age19_SEN-S" → "lait_age19_sen_s"."""
    return "lait_" + re.sub(r"[^a-z0-9]+", "_", measure.lower()).strip("_")


# ── recognising a file by its content ─────────────────────────────────────────────────────────────────────────────
def _header_cells(row) -> set[str]:
    return {str(c).strip().lower() for c in row if c is not None and str(c).strip()}


def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    text = head.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text)), [])


def _long_header(cells: set[str]) -> bool:
    """LAIT's long data: its `Short Desc` with another of its columns (a file missing one is still recognised, so
    that the missing column is named)."""
    return "short desc" in cells and bool(cells & {"la and regions", "values", "years", "la number"})


def _dictionary_header(cells: set[str]) -> bool:
    return "measure_short" in cells and bool(cells & {"polarity", "topic", "y_axis_name", "year_type"})


def kind_of(path: Path, data: bytes | None = None) -> str | None:
    """The kind of one of LAIT's files, whatever it is called: "long", "dictionary" or "neighbours", read from `path`
    or, for an upload held in memory, from `data`; None for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    source = io.BytesIO(data) if data is not None else path
    try:
        if suffix == ".parquet":
            cells = {c.strip().lower() for c in pl.read_parquet_schema(source)}
            return "long" if _long_header(cells) else None
        if suffix in (".csv", ".txt"):
            head = data[: 64 * 1024].decode("utf-8-sig", errors="replace") if data is not None else None
            cells = _header_cells(next(csv.reader(io.StringIO(head)), []) if head is not None else _csv_header(path))
            if _long_header(cells):
                return "long"
            if _dictionary_header(cells):
                return "dictionary"
            return None
        if suffix in (".xlsx", ".xlsm"):
            # the first rows of each sheet, read within the workbook caps in a child process (ingest.workbook): a
            # workbook is never opened here, where a hostile one could hold up the server
            from ingest import workbook

            raw = data if data is not None else path.read_bytes()
            book = workbook.read(raw, path.name, sheets=".*", max_rows=10)
            for rows in book.rows.values():
                for row in rows:
                    cells = _header_cells(row)
                    if "sn1" in cells and {"la num", "la number"} & cells:
                        return "neighbours"
                    if _long_header(cells):
                        return "long"
    except Exception:  # a file that cannot be opened is not one of LAIT's: the caller says it is not recognised
        return None
    return None


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


def read_dictionary(path: Path) -> tuple[pl.DataFrame, list[str]]:
    """The dictionary as text columns, one row per measure, and every problem with its shape (columns missing). A
    measure LAIT lists under two topics (SusEd_All under Key Stage 4 and Children with SEN; the children in need
    absence measures under two topics with different update dates) is read once: from its "Children with SEN" row
    if it has one, otherwise from its most recently updated row."""
    name = Path(path).name
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as exc:  # not CSV at all
        return pl.DataFrame(), [f"{name}: not a readable CSV file ({type(exc).__name__})"]
    frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns}).with_columns(pl.all().fill_null(""))
    missing = [c for c in DICTIONARY_COLUMNS if c not in frame.columns]
    if missing:
        return pl.DataFrame(), [
            f"{name}, column '{c}': missing — LAIT's data dictionary has the columns {', '.join(DICTIONARY_COLUMNS)}"
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


def definitions(dictionary: pl.DataFrame, values: pl.DataFrame, name: str) -> tuple[dict[str, Kpi], list[str]]:
    """A Kpi for every measure read (by LAIT's Measure_short), and every problem with their definitions. `values` are
    the measures' parsed values (for the decimal places of a measure whose `dps` is "NA")."""
    kpis: dict[str, Kpi] = {}
    problems: list[str] = []
    ids: dict[str, str] = {}
    for r in dictionary.iter_rows(named=True):
        if not selected(r["Topic"], r["Measure"], r["Chart_title"]):
            continue
        at = f"{name}, row {r['_row']}"
        measure = r["Measure_short"]
        if not measure:
            problems.append(f"{at}, column 'Measure_short': value '' — expected the measure's short name")
            continue
        polarity = POLARITY.get(r["Polarity"].lower())
        if polarity is None:
            problems.append(f"{at}, column 'Polarity': value '{r['Polarity']}' — expected High, Low, - or NA")
        title = _title(r["Chart_title"] or r["Measure"])
        unit = _unit(r["Chart_title"] or r["Measure"], r["y_axis_name"])
        if unit is None:
            problems.append(
                f"{at}, column 'y_axis_name': value '{r['y_axis_name']}' — expected a percentage, a number, a score, "
                "a cost or a rate per 1,000"
            )
        if r["Year_Type"] not in YEAR_TYPES:
            problems.append(
                f"{at}, column 'Year_Type': value '{r['Year_Type']}' — expected one of {', '.join(YEAR_TYPES)}"
            )
        dps = r["dps"]
        if dps.isdigit():
            decimals = int(dps)
        elif dps.upper() in ("NA", ""):
            decimals = _decimals_seen(values.filter(pl.col("measure") == measure)["value"])
        else:
            problems.append(f"{at}, column 'dps': value '{dps}' — expected a number of decimal places or NA")
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
                f"{at}, column 'Measure_short': value '{measure}' — expected a name that differs from "
                f"'{ids[kid]}' by more than punctuation and case (both would be {kid})"
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


# ── the long data ─────────────────────────────────────────────────────────────────────────────────────────────────
def _long_frame(path: Path) -> tuple[pl.LazyFrame | None, int, list[str]]:
    """The long data as text columns with each row's number as a spreadsheet would show it (`_row`), lazily; the
    number of the header row's offset; every problem with its columns."""
    name = path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            present = list(pl.read_parquet_schema(path))
            frame = pl.scan_parquet(path)
            offset = 1  # a table without a header row: its first row is row 1
        elif suffix in (".xlsx", ".xlsm"):
            frame, offset = _xlsx_long(path)
            present = frame.collect_schema().names()
        else:
            frame = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
            present = frame.collect_schema().names()
            offset = 2  # the header is row 1
    except Exception as exc:  # a file that is not what its name says
        return None, 0, [f"{name}: not readable as LAIT's long data ({type(exc).__name__})"]
    clean = {c: c.lstrip("\ufeff").strip() for c in present}
    missing = [c for c in LONG_COLUMNS if c not in clean.values()]
    if missing:
        return (
            None,
            0,
            [
                f"{name}, column '{c}': missing — LAIT's long data has the columns Short Desc, Data item, Years, "
                "LA and Regions, Values, LA Number, Region"
                for c in missing
            ],
        )
    frame = frame.rename(clean).select(LONG_COLUMNS)
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in LONG_COLUMNS).with_row_index("_row", offset=offset)
    return frame, offset, []


def _xlsx_long(path: Path) -> tuple[pl.LazyFrame, int]:
    """LAIT's XLSX download of the long table: the first sheet whose header row has its columns."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            for i, row in enumerate(rows, start=1):
                cells = [str(c).strip() if c is not None else "" for c in row]
                if _long_header({c.lower() for c in cells if c}):
                    data = [
                        [
                            "" if c is None else (str(int(c)) if isinstance(c, float) and c.is_integer() else str(c))
                            for c in r
                        ]
                        for r in rows
                    ]
                    width = len(cells)
                    data = [(r + [""] * width)[:width] for r in data]
                    cols = [c or f"column {j + 1}" for j, c in enumerate(cells)]
                    return pl.DataFrame(data, schema=dict.fromkeys(cols, pl.String), orient="row").lazy(), i + 1
                if i >= 10:
                    break
    finally:
        wb.close()
    return pl.LazyFrame({c: [] for c in LONG_COLUMNS}, schema=dict.fromkeys(LONG_COLUMNS, pl.String)), 2


def _la_number(text: str | None) -> str:
    """LAIT's LA number as its three digits ("351.0" → "351"); "" when it is not a whole number."""
    try:
        n = float(str(text).strip())
    except (TypeError, ValueError):
        return ""
    return str(int(n)) if math.isfinite(n) and n.is_integer() and n >= 0 else ""


def match_areas(areas: pl.DataFrame, codes: LaCodes, name: str) -> tuple[dict, list[str], list[str]]:
    """Each distinct (LA Number, LA and Regions, Region) of the long data → (GSS code or "" for a row not read,
    region code); with every problem (a name or number that matches no authority, a number whose authority has
    another name) and notes (names matched in another spelling, LAIT's halves of London not read)."""
    by_name = codes.by_name()
    out: dict[tuple, tuple[str, str]] = {}
    problems, respelt, skipped = [], [], []
    for r in areas.iter_rows(named=True):
        number, label, region = _la_number(r["LA Number"]), (r["LA and Regions"] or "").strip(), r["Region"] or ""
        key = (r["LA Number"], r["LA and Regions"], r["Region"])
        at = f"{name}, row {r['_row']}, column 'LA and Regions'"
        nkey = name_key(label)
        region_code = codes.region_codes.get(name_key(region), "")
        if "london" in name_key(region):
            region_code = codes.region_codes.get("london", "")
        if number == "970" or nkey == "england":
            out[key] = (ENGLAND, "")
            continue
        if SUB_REGION.fullmatch(label):
            out[key] = ("", "")
            skipped.append(label)
            continue
        if nkey in codes.region_codes and (not number or number.startswith("9")):
            out[key] = (codes.region_codes[nkey], "")
            continue
        code = codes.by_number.get(number, "")
        named = by_name.get(nkey, [])
        if code and named and code not in named:
            problems.append(
                f"{at}: value '{label}' — expected the name of LA number {number}, which the DfE files call "
                f"'{codes.names.get(code, code)}'"
            )
            continue
        if not code and len(named) == 1:
            code = named[0]
        if not code:
            problems.append(
                f"{at}: value '{label}' — expected a local authority, region or England of the DfE files "
                f"(LA number '{r['LA Number']}' is none of them either)"
            )
            continue
        if label != codes.names.get(code, label):
            respelt.append(f"{label} ({codes.names[code]})")
        out[key] = (code, region_code or codes.regions.get(code, ""))
    notes = []
    if respelt:
        notes.append(
            f"{name}: authorities LAIT spells differently, matched by their number: {'; '.join(sorted(respelt))}."
        )
    if skipped:
        notes.append(
            f"{name}: not read: {', '.join(sorted(set(skipped)))} (LAIT's halves of London, which are no region of "
            "the DfE files)."
        )
    return out, problems, notes


def _listed(problems: list[str], name: str) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    return [
        *problems[:MAX_LISTED],
        f"{name}: {len(problems) - MAX_LISTED:,} more problems of the same kinds not listed",
    ]


def read_long(
    path: Path, dictionary: pl.DataFrame, dict_name: str, codes: LaCodes
) -> tuple[pl.DataFrame, dict, list[str], list[str]]:
    """The rows of the measures read (columns measure, years, code, region, value, status, _row), the area codes'
    regions, every problem and notes."""
    name = path.name
    frame, _offset, problems = _long_frame(path)
    if frame is None:
        return pl.DataFrame(), {}, problems, []
    known = set(dictionary["Measure_short"]) if dictionary.height else set()
    wanted = {
        r["Measure_short"]
        for r in dictionary.iter_rows(named=True)
        if selected(r["Topic"], r["Measure"], r["Chart_title"])
    }
    measures = frame.group_by("Short Desc").agg(pl.col("_row").min(), pl.len()).collect()
    for r in measures.sort("_row").iter_rows(named=True):
        if r["Short Desc"] not in known:
            problems.append(
                f"{name}, row {r['_row']}, column 'Short Desc': value '{r['Short Desc']}' — expected a measure of the "
                f"data dictionary ({dict_name})" + (f"; {r['len'] - 1:,} more rows of it" if r["len"] > 1 else "")
            )
    rows = frame.filter(pl.col("Short Desc").is_in(list(wanted))).collect()
    raw = pl.col("Values").fill_null("").str.strip_chars()
    number = raw.str.replace_all(",", "").cast(pl.Float64, strict=False)
    marker = raw.str.to_lowercase().is_in(list(MARKERS))
    rows = rows.with_columns(
        value=pl.when(marker | ~number.is_finite()).then(None).otherwise(number),
        status=pl.when(marker).then(raw.str.to_lowercase().replace_strict(MARKERS, default="x")).otherwise(pl.lit("")),
        _bad=~marker & (number.is_null() | ~number.is_finite()),
    )
    for r in rows.filter(pl.col("_bad")).head(MAX_LISTED + 1).iter_rows(named=True):
        problems.append(
            f"{name}, row {r['_row']}, column 'Values': value '{(r['Values'] or '')[:40]}' — expected a number or one "
            f"of LAIT's markers ({', '.join(m for m in MARKERS if m)})"
        )
    areas = rows.group_by("LA Number", "LA and Regions", "Region").agg(pl.col("_row").min()).sort("_row")
    matched, found, notes = match_areas(areas, codes, name)
    problems += found
    lookup = pl.DataFrame(
        [
            {"LA Number": k[0], "LA and Regions": k[1], "Region": k[2], "code": v[0], "region": v[1]}
            for k, v in matched.items()
        ],
        schema={
            "LA Number": pl.String,
            "LA and Regions": pl.String,
            "Region": pl.String,
            "code": pl.String,
            "region": pl.String,
        },
    )
    rows = rows.join(lookup, on=["LA Number", "LA and Regions", "Region"], how="left", nulls_equal=True)
    regions = {c: reg for c, reg in lookup.select("code", "region").iter_rows() if c and reg}
    out = rows.filter(pl.col("code").fill_null("") != "").select(
        measure="Short Desc", years="Years", code="code", value="value", status="status", _row="_row"
    )
    return out, regions, _listed(problems, name), notes


# ── statistical neighbours ────────────────────────────────────────────────────────────────────────────────────────
def read_neighbours(path: Path, codes: LaCodes) -> tuple[dict[str, list[tuple[str, str]]], str, list[str]]:
    """Each authority's ten statistical neighbours, nearest first, as GSS codes with how close each is; the set's
    name with its date (from the file's name, "sn_may_2025.xlsx" → May 2025); every problem."""
    import openpyxl

    name = Path(path).name
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook
        return {}, "", [f"{name}: not a readable workbook ({type(exc).__name__})"]
    out: dict[str, list[tuple[str, str]]] = {}
    problems: list[str] = []
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = None
            for i, row in enumerate(rows, start=1):
                cells = [str(c).strip() if c is not None else "" for c in row]
                if header is None:
                    if "SN1" in cells and ({"LA num", "LA number"} & set(cells)):
                        header = cells
                    elif i >= 10:
                        break
                    continue
                if not any(cells):
                    continue
                first = cells[0]
                if not _la_number(first):
                    if re.search(r"\d", first) or any(c for c in cells[5:7]):
                        problems.append(
                            f"{name}, sheet '{ws.title}', row {i}, column '{header[0]}': value '{first[:40]}' — "
                            "expected a local authority's three-digit number"
                        )
                    continue  # a footnote
                la = codes.by_number.get(_la_number(first))
                if la is None:
                    problems.append(
                        f"{name}, sheet '{ws.title}', row {i}, column '{header[0]}': value '{first}' — expected the "
                        "number of a local authority of the DfE files"
                    )
                    continue
                nearest = []
                for n in range(1, 11):
                    col = header.index(f"SN{n}") if f"SN{n}" in header else None
                    if col is None:
                        problems.append(f"{name}, sheet '{ws.title}', column 'SN{n}': missing — expected SN1 to SN10")
                        break
                    cell = cells[col] if col < len(cells) else ""
                    code = codes.by_number.get(_la_number(cell))
                    if code is None:
                        problems.append(
                            f"{name}, sheet '{ws.title}', row {i}, column 'SN{n}': value '{cell}' — expected the number "
                            "of a local authority of the DfE files"
                        )
                        continue
                    closeness = cells[col + 1] if col + 1 < len(cells) and header[col + 1] == "SNP" else ""
                    nearest.append((code, closeness))
                out[la] = nearest
            if header is not None:
                break
        else:
            problems.append(f"{name}: no sheet with a header row 'LA num, LA Name, …, SN1, SNP, …, SN10, SNP'")
    finally:
        wb.close()
    when = re.search(r"(" + "|".join(m[:3] for m in MONTH_WORDS) + r")[a-z]*[ _-]*(\d{4})", name.lower())
    label = "DfE children's services statistical neighbours"
    if when:
        month = next(m for m in MONTH_WORDS if m.startswith(when.group(1)))
        label += f", {month.capitalize()} {when.group(2)}"
    return out, label, _listed(problems, name)


# ── all together ──────────────────────────────────────────────────────────────────────────────────────────────────
def read_lait(paths: list[Path], codes: LaCodes) -> LaitResult:
    """Every LAIT file given (long data and dictionary, which go together, and the statistical neighbours), each
    recognised by its content: kpi_values rows and the indicators' definitions, names, regions and neighbours, with
    every problem in every file. With any problem the rows are empty."""
    empty = pl.DataFrame(schema=TABLES["kpi_values"].columns)
    result = LaitResult(empty)
    for path in map(Path, paths):
        kind = kind_of(path)
        if kind is None:
            result.problems.append(
                f"{path.name}: not recognised as LAIT's long data (Short Desc, Years, LA and Regions, Values, …), its "
                "data dictionary (Measure_short, Polarity, …) or the statistical neighbours workbook (LA num, SN1, …)"
            )
        elif kind in result.files:
            result.problems.append(
                f"{path.name}: a second {KINDS[kind]} (with {result.files[kind].name}); give one of each"
            )
        else:
            result.files[kind] = path
    files = result.files
    if ("long" in files) != ("dictionary" in files):
        have, need = ("long", "dictionary") if "long" in files else ("dictionary", "long")
        result.problems.append(f"{files[have].name}: the {KINDS[need]} is needed with it (give both files)")
    if "neighbours" in files:
        result.neighbours, result.neighbours_set, found = read_neighbours(files["neighbours"], codes)
        result.problems += found
    if "long" in files and "dictionary" in files:
        dictionary, found = read_dictionary(files["dictionary"])
        result.problems += found
        if dictionary.height:
            rows, regions, found, notes = read_long(files["long"], dictionary, files["dictionary"].name, codes)
            result.problems += found
            result.notes += notes
            result.regions = regions
            if rows.height or not found:
                _values(result, rows, dictionary, files["long"].name, files["dictionary"].name, codes)
    for nearest in result.neighbours.values():  # the neighbours' names, for a build of the neighbours file alone
        for code, _ in nearest:
            if code in codes.names:
                result.names.setdefault(code, codes.names[code])
    if result.problems:
        result.values = empty
    return result


def _values(result: LaitResult, rows: pl.DataFrame, dictionary: pl.DataFrame, name: str, dict_name: str, codes) -> None:
    """The kpi_values rows and definitions, with problems for periods that are not periods and duplicate rows."""
    kpis, found = definitions(dictionary, rows, dict_name)
    result.problems += found
    year_type = {m: k.year_type or "" for m, k in kpis.items()}
    pairs = rows.group_by("measure", "years").agg(pl.col("_row").min(), pl.len()).sort("_row")
    periods = []
    for r in pairs.iter_rows(named=True):
        if r["measure"] not in kpis:
            continue
        found_period = period(r["years"] or "", year_type[r["measure"]])
        if found_period is None:
            result.problems.append(
                f"{name}, row {r['_row']}, column 'Years': value '{r['years']}' — expected a year of the measure's "
                f"type ({year_type[r['measure']] or 'none given'}), such as 2024"
                + (f"; {r['len'] - 1:,} more rows of it" if r["len"] > 1 else "")
            )
            continue
        start, end, label, note = found_period
        periods.append(
            {
                "measure": r["measure"],
                "years": r["years"],
                "kpi_id": kpis[r["measure"]].kpi_id,
                "period_start": start,
                "period_end": end,
                "period_label": label,
                "note": note,
            }
        )
    schema = {
        "measure": pl.String,
        "years": pl.String,
        "kpi_id": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "period_label": pl.String,
        "note": pl.String,
    }
    table = rows.join(pl.DataFrame(periods, schema=schema), on=["measure", "years"], how="inner")
    twice = table.filter(pl.struct("kpi_id", "period_end", "code").is_duplicated()).sort("code", "kpi_id", "_row")
    for (_kid, _end, code), group in twice.group_by("kpi_id", "period_end", "code", maintain_order=True):
        first = group.row(0, named=True)
        result.problems.append(
            f"{name}, row {first['_row']}, column 'Years': value '{first['years']}' — expected one row per measure, "
            f"year and area ({first['measure']} for {codes.names.get(code, code)} is also in row(s) "
            f"{', '.join(str(x) for x in group['_row'][1:].to_list())})"
        )
    result.problems[:] = _listed(result.problems, name)
    result.values = (
        table.select(
            "kpi_id",
            "period_start",
            "period_end",
            "period_label",
            area_code="code",
            phase=pl.lit("all"),
            value="value",
            numerator=pl.lit(None, pl.Float64),
            denominator=pl.lit(None, pl.Float64),
            status="status",
            note="note",
        )
        .cast(TABLES["kpi_values"].columns)
        .sort("kpi_id", "area_code", "period_end")
    )
    result.kpis = list(kpis.values())
    result.names = {c: codes.names[c] for c in set(result.values["area_code"]) if c in codes.names}
    result.names.setdefault(ENGLAND, "England")
