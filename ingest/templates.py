"""Local data templates (data/templates/): reading CSV or XLSX and validating every cell against a column spec.

Every problem in a file is reported at once, as "file, row N, column 'c': value 'v' — expected …", and a file
with any problem yields no rows. Rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from ingest.problems import Problem
from metrics.schema import today

# Limits on what one file may hold, so a hostile or mistaken file is refused quickly instead of exhausting memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELL_CHARS = 10_000
MAX_LABEL_CHARS = 40  # a period label: "Q1 2025", "2024-25", "January 2025"
# what a spreadsheet runs as a formula when a cell starts with it (the board's slides embed their charts' data in
# workbooks, and downloads are spreadsheets): never the start of a period's name
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INT_LIMIT = 2**31 - 1  # every whole-number column fits a 32-bit integer
FLOAT_LIMIT = 1e15
YEARS = (1900, 2100)
csv.field_size_limit(MAX_FILE_BYTES)  # so an over-long cell is reported as one, not as an unreadable file

MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}


@dataclass(frozen=True)
class Col:
    """One template column: its kind ("month", "date", "int", "float", "str", or "label": a period's name as tables,
    charts and the board's slides show it), whether it may be blank, the allowed values, and bounds for numbers."""

    name: str
    kind: str = "str"
    required: bool = True
    blank_ok: bool = False
    allowed: tuple | None = None
    minimum: float | None = 0
    not_future: bool = True
    maximum: float | None = None


@dataclass(frozen=True)
class Template:
    """A template: its columns, the columns that must be unique together, and whole-row checks."""

    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    row_checks: tuple[Callable[[dict], str | None], ...] = field(default_factory=tuple)

    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def _month_end(y: int, m: int) -> date | None:
    if not 1 <= y <= 9998:  # the last day of December 9999 would need January 10000
        return None
    return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def parse_month(text: str) -> date | None:
    """A month as people write it in a spreadsheet ("2025-07-31", "2025-07", "Jul 2025", "July 2025",
    "31/07/2025") → that month's last day; None if it is not a month."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            d = datetime.strptime(t, fmt).date()
            return _month_end(d.year, d.month)
        except ValueError:
            pass
    m = re.match(r"^(\d{4})-(\d{1,2})$", t)
    if m and 1 <= int(m.group(2)) <= 12:
        return _month_end(int(m.group(1)), int(m.group(2)))
    m = re.match(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$", t)
    if m and m.group(1)[:3].lower() in MONTHS:
        return _month_end(int(m.group(2)), MONTHS[m.group(1)[:3].lower()])
    return None


def parse_date(text: str) -> date | None:
    """A date written YYYY-MM-DD or DD/MM/YYYY; None otherwise."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    return None


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# A UTF-8 multi-byte sequence: a lead byte followed by the right number of continuation bytes.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_text(raw: bytes, name: str) -> tuple[str, Problem | str]:
    """The text of a CSV and "" , or "" and a problem. UTF-8 (with or without BOM); UTF-16 by its BOM (Excel's
    "Unicode text"); Windows-1252 only when the file holds no valid multi-byte UTF-8 at all — a file that is UTF-8
    but for a stray byte is reported with the row of that byte, never silently read as another encoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), ""
        except UnicodeDecodeError as exc:
            return "", f"{name}: starts as UTF-16 text but byte {exc.start} is not valid UTF-16"
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(raw):
            row = raw[: exc.start].count(b"\n") + 1
            return "", (
                f"{name}, row {row}: byte {raw[exc.start]:#04x} is not valid UTF-8, although the rest of the file is "
                'UTF-8; save the file again as "CSV UTF-8" (the figures around it may be damaged)'
            )
    try:
        return raw.decode("cp1252"), ""
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        return "", Problem(
            name, f"the text is neither UTF-8 nor Windows-1252 (byte {raw[exc.start]:#04x})", row=str(row)
        )


def workbook_rows(data: bytes, name: str):
    """A template workbook's first sheet, read within the workbook caps in a child process, once per file
    (ingest.workbook), stopped after the header and MAX_ROWS rows. The Update data page calls this first, outside
    the server's run lock, so that `read_rows` finds the answer kept."""
    from ingest import workbook

    return workbook.read(data, name, max_rows=MAX_ROWS + 1)


def read_rows(path: Path) -> tuple[list[str], list[list[str]], list[Problem]]:
    """Header, data rows (as text) and problems for a CSV (UTF-8 with or without BOM, or Windows-1252) or XLSX."""
    path = Path(path)
    if not path.is_file():
        return [], [], [Problem(str(path), "file not found")]
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return (
            [],
            [],
            [
                Problem(
                    path.name,
                    f"{size / 1024 / 1024:,.1f} MB; a template file may be at most {MAX_FILE_BYTES // 1024 // 1024} MB",
                )
            ],
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        book = workbook_rows(path.read_bytes(), path.name)
        if book.problems:
            return [], [], book.problems
        if any(book.more.values()):
            return (
                [],
                [],
                [Problem(path.name, f"more than {MAX_ROWS:,} rows; split the file or check it is the right one")],
            )
        rows = [[_cell_text(v) for v in r] for sheet in book.rows.values() for r in sheet]  # the first sheet's
    elif suffix in (".csv", ".txt"):
        text, problem = decode_text(path.read_bytes(), path.name)
        if problem:
            return [], [], [problem]
        try:
            rows = []
            for row in csv.reader(io.StringIO(text)):
                rows.append(row)
                if len(rows) > MAX_ROWS + 1:
                    return (
                        [],
                        [],
                        [
                            Problem(
                                path.name, f"more than {MAX_ROWS:,} rows; split the file or check it is the right one"
                            )
                        ],
                    )
        except csv.Error as exc:  # e.g. a NUL byte or an unclosed quote at the end of the file
            return [], [], [Problem(path.name, f"not a readable CSV file ({exc})")]
    else:
        return [], [], [Problem(str(path), f"a {suffix or 'file without extension'} file; expected .csv or .xlsx")]
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return [], [], [Problem(str(path), "the file is empty; expected a header row and at least one data row")]
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    return header, [[c.strip() for c in r] for r in rows[1:]], []


def validate(path: Path, template: Template) -> tuple[list[dict], list[Problem]]:
    """Typed rows and every problem in a template file (file, row, column, value, expectation)."""
    header, rows, problems = read_rows(path)
    if problems:
        return [], problems
    name = Path(path).name
    missing = [c.name for c in template.columns if c.required and c.name not in header]
    unknown = [h for h in header if h not in template.header()]
    if missing:
        problems.append(
            Problem(
                name,
                f"missing column(s) {', '.join(missing)}; the template's columns are {', '.join(template.header())}",
            )
        )
    if unknown:
        problems.append(Problem(name, f"unexpected column(s) {_some(unknown)} (misspelt?)"))
    if missing:
        return [], problems
    if not rows:
        return [], [Problem(name, "no data rows under the header")]
    out: list[dict] = []
    seen: dict[tuple, int] = {}
    ragged_short = Path(path).suffix.lower() in (".csv", ".txt")  # a spreadsheet row is always full width
    for n, raw in enumerate(rows, start=2):
        if len(raw) > len(header) and any(c for c in raw[len(header) :]):
            problems.append(
                Problem(
                    name,
                    f"{len(raw)} cells but the header has {len(header)} columns (a comma inside a value needs the "
                    "value in double quotes)",
                    row=str(n),
                )
            )
            continue
        if ragged_short and len(raw) < len(header):
            problems.append(
                Problem(
                    name,
                    f"{len(raw)} cells but the header has {len(header)} columns (a row cut short, for example by an "
                    "interrupted download or copy)",
                    row=str(n),
                )
            )
            continue
        long = [(h, c) for h, c in zip(header, raw, strict=False) if len(c) > MAX_CELL_CHARS]
        if long:
            for h, c in long:
                problems.append(
                    Problem(name, f"{len(c):,} characters — expected at most {MAX_CELL_CHARS:,}", str(n), h)
                )
            continue
        values = dict(zip(header, raw + [""] * (len(header) - len(raw)), strict=False))
        row: dict = {}
        for col in template.columns:
            text = values.get(col.name, "")
            if text == "":
                if not (col.blank_ok or not col.required):
                    problems.append(Problem(name, _expect(col), str(n), col.name, value=""))
                row[col.name] = None
                continue
            value, problem = _convert(text, col)
            if problem:
                problems.append(Problem(name, problem, str(n), col.name, value=text))
            row[col.name] = value
        for check in template.row_checks:
            message = check(row)
            if message:
                problems.append(Problem(name, message, row=str(n)))
        if template.key and all(row.get(k) is not None for k in template.key):
            key = tuple(row[k] for k in template.key)
            if key in seen:
                problems.append(Problem(name, f"duplicates row {seen[key]} on ({', '.join(template.key)})", row=str(n)))
            else:
                seen[key] = n
        out.append(row)
    return ([] if problems else out), problems


SHOWN = 10  # names listed in one problem: a sheet 16,384 columns wide must not make a message of 100 KB


def _some(names: list[str]) -> str:
    """Names as a list, the first SHOWN of them and how many more."""
    shown = ", ".join(f"'{n[:40]}'" if not n or n != n.strip() else n[:40] for n in names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN:,} more" if len(names) > SHOWN else "")


def _expect(col: Col) -> str:
    if col.allowed:
        shown = ", ".join(str(a) for a in col.allowed[:12]) + ("…" if len(col.allowed) > 12 else "")
        return f"one of {shown}"
    return {
        "month": "a month such as 2025-07 or Jul 2025",
        "date": "a date written YYYY-MM-DD",
        "int": "a whole number",
        "float": "a number",
        "str": "some text",
        "label": f"a period's name such as Q1 2025 or 2024-25, at most {MAX_LABEL_CHARS} characters, not starting "
        "with =, +, -, @, a tab or a carriage return",
    }[col.kind]


def _convert(text: str, col: Col):
    if col.kind in ("month", "date"):
        value = parse_month(text) if col.kind == "month" else parse_date(text)
        if value is None:
            return None, _expect(col)
        if not YEARS[0] <= value.year <= YEARS[1]:
            return None, f"a date from {YEARS[0]} to {YEARS[1]}"
        if col.not_future and value > today() + timedelta(days=31 if col.kind == "month" else 0):
            return None, "a date that is not in the future"
        return value, None
    if col.kind in ("int", "float"):
        cleaned = text.replace(",", "")
        try:
            number = float(cleaned)
        except (ValueError, OverflowError):
            return None, _expect(col)
        if not math.isfinite(number):
            return None, f"{_expect(col)} (not nan or infinity: leave a missing figure empty)"
        if col.kind == "int" and not number.is_integer():
            return None, "a whole number"
        limit = INT_LIMIT if col.kind == "int" else FLOAT_LIMIT
        if abs(number) > limit:
            return None, f"a number no larger than {limit:,.0f}"
        if col.minimum is not None and number < col.minimum:
            return None, f"a number of at least {col.minimum:g}"
        if col.maximum is not None and number > col.maximum:
            return None, f"a number of at most {col.maximum:g}"
        return (int(number) if col.kind == "int" else number), None
    if col.kind == "label" and (len(text) > MAX_LABEL_CHARS or text.startswith(FORMULA_START)):
        return None, _expect(col)
    if col.allowed and text not in col.allowed:
        return None, _expect(col)
    return text, None


def frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    """Validated rows as a frame with the snapshot table's dtypes."""
    return pl.DataFrame(rows, schema=schema)
