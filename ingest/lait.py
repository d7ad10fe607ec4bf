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
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingest.catalogue import Kpi
from ingest.lacodes import ENGLAND, LaCodes, name_key
from ingest.lait_dictionary import (
    definitions,
    period,
    read_dictionary,
    selected,
)
from ingest.lait_neighbours import la_number, read_neighbours
from ingest.problems import Problem
from metrics.schema import TABLES

# the long data's columns: the ones read, and the one LAIT leaves mostly empty
LONG_COLUMNS = ("Short Desc", "Years", "LA and Regions", "Values", "LA Number", "Region")
MARKERS = {"-": "x", "x": "x", "..": "x", "": "x", ":": "z", "z": "z", "n/a": "z", "c": "c", "*": "c", "low": "low"}
# LAIT's halves of London ("London (Inner)", "London (Outer)"): no region of the DfE files
SUB_REGION = re.compile(r"(?i)\s*(london\s*\((inner|outer)\)|(inner|outer)\s+london)\s*")
MAX_LISTED = 200  # problems listed per file before the rest are counted
KINDS = {
    "long": "LAIT long data",
    "dictionary": "LAIT data dictionary",
    "neighbours": "DfE children's services statistical neighbours",
}


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
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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


# ── the long data ─────────────────────────────────────────────────────────────────────────────────────────────────
def _long_frame(path: Path) -> tuple[pl.LazyFrame | None, int, list[Problem]]:
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
        return None, 0, [Problem(name, f"not readable as LAIT's long data ({type(exc).__name__})")]
    clean = {c: c.lstrip("\ufeff").strip() for c in present}
    missing = [c for c in LONG_COLUMNS if c not in clean.values()]
    if missing:
        return (
            None,
            0,
            [
                Problem(
                    name,
                    "missing — LAIT's long data has the columns Short Desc, Data item, Years, LA and Regions, Values, "
                    "LA Number, Region",
                    column=c,
                )
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


def match_areas(areas: pl.DataFrame, codes: LaCodes, name: str) -> tuple[dict, list[Problem], list[str]]:
    """Each distinct (LA Number, LA and Regions, Region) of the long data → (GSS code or "" for a row not read,
    region code); with every problem (a name or number that matches no authority, a number whose authority has
    another name) and notes (names matched in another spelling, LAIT's halves of London not read)."""
    by_name = codes.by_name()
    out: dict[tuple, tuple[str, str]] = {}
    problems, respelt, skipped = [], [], []
    for r in areas.iter_rows(named=True):
        number, label, region = la_number(r["LA Number"]), (r["LA and Regions"] or "").strip(), r["Region"] or ""
        key = (r["LA Number"], r["LA and Regions"], r["Region"])
        at = str(r["_row"])
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
                Problem(
                    name,
                    f"the name of LA number {number}, which the DfE files call '{codes.names.get(code, code)}'",
                    at,
                    "LA and Regions",
                    label,
                )
            )
            continue
        if not code and len(named) == 1:
            code = named[0]
        if not code:
            problems.append(
                Problem(
                    name,
                    "a local authority, region or England of the DfE files (LA number "
                    f"'{r['LA Number']}' is none of them either)",
                    at,
                    "LA and Regions",
                    label,
                )
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


def _listed(problems: list[Problem], name: str) -> list[Problem]:
    if len(problems) <= MAX_LISTED:
        return problems
    return [
        *problems[:MAX_LISTED],
        Problem(name, f"{len(problems) - MAX_LISTED:,} more problems of the same kinds not listed"),
    ]


def read_long(
    path: Path, dictionary: pl.DataFrame, dict_name: str, codes: LaCodes
) -> tuple[pl.DataFrame, dict, list[Problem], list[str]]:
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
                Problem(
                    name,
                    f"a measure of the data dictionary ({dict_name})"
                    + (f"; {r['len'] - 1:,} more rows of it" if r["len"] > 1 else ""),
                    str(r["_row"]),
                    "Short Desc",
                    r["Short Desc"],
                )
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
            Problem(
                name,
                f"a number or one of LAIT's markers ({', '.join(m for m in MARKERS if m)})",
                str(r["_row"]),
                "Values",
                (r["Values"] or "")[:40],
            )
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
                Problem(
                    path.name,
                    "not recognised as LAIT's long data (Short Desc, Years, LA and Regions, Values, …), its data "
                    "dictionary (Measure_short, Polarity, …) or the statistical neighbours workbook (LA num, SN1, …)",
                )
            )
        elif kind in result.files:
            result.problems.append(
                Problem(path.name, f"a second {KINDS[kind]} (with {result.files[kind].name}); give one of each")
            )
        else:
            result.files[kind] = path
    files = result.files
    if ("long" in files) != ("dictionary" in files):
        have, need = ("long", "dictionary") if "long" in files else ("dictionary", "long")
        result.problems.append(Problem(files[have].name, f"the {KINDS[need]} is needed with it (give both files)"))
    if "neighbours" in files:
        result.neighbours, result.neighbours_set, found = read_neighbours(files["neighbours"], codes)
        result.problems += _listed(found, files["neighbours"].name)
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
                Problem(
                    name,
                    f"a year of the measure's type ({year_type[r['measure']] or 'none given'}), such as 2024"
                    + (f"; {r['len'] - 1:,} more rows of it" if r["len"] > 1 else ""),
                    str(r["_row"]),
                    "Years",
                    r["years"],
                )
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
            Problem(
                name,
                f"one row per measure, year and area ({first['measure']} for {codes.names.get(code, code)} is also in "
                f"row(s) {', '.join(str(x) for x in group['_row'][1:].to_list())})",
                str(first["_row"]),
                "Years",
                first["years"],
            )
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
