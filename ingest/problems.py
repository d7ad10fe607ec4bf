"""One problem with an input, from every reader to every screen.

A problem names the file it is in, where in the file (`row`: a row number as a spreadsheet shows it, the header
being row 1, or another place — a sheet, a cell, a feature, an organisation, a risk), the column, the value found
and what was expected. Where no one value is at fault, `value` is None and `expected` says what is wrong.

A problem is also its own line of text, as the command line prints it ("kpi_values.csv, row 4, column 'value':
value 'nan' — expected a number"): `Problem` is a `str` whose fields travel with it, so a reader's problems can be
printed, joined and searched like the lines they always were, while the Update data page shows the same fields as a
table (`problems_table`), which can be downloaded. Nothing parses the line back: the fields are kept, never guessed.

Standard library only at the top: ingest.workbook imports it.
"""

from __future__ import annotations

from collections.abc import Iterable

TABLE_COLUMNS = ("File", "Row", "Column", "Value", "Expected")


def _place(row: str, column: str) -> str:
    row = f"row {row}" if row.isdigit() else row
    return ", ".join(p for p in (row, f"column '{column}'" if column else "") if p)


def _what(value: str | None, expected: str) -> str:
    if value is None:
        return expected
    if value == "":
        return f"empty — expected {expected}"
    return f"value '{value}' — expected {expected}"


class Problem(str):
    """One problem: its line of text, with the fields it was made from (immutable, as the text is)."""

    file: str  # the file as its owner named it ("release.zip/requests.csv" for a file inside a zip); or a table
    expected: str  # what was expected; or, when `value` is None, what is wrong
    row: str  # "4" (a row as a spreadsheet numbers it), or where else: "sheet 'Table 4'", "feature 3", …
    column: str
    value: str | None  # the value found ("" for an empty cell); None when no one value is at fault

    def __new__(cls, file: str, expected: str, row: str = "", column: str = "", value: str | None = None) -> Problem:
        place, what = _place(str(row), column), _what(value, expected)
        detail = f"{place}: {what}" if place else what
        text = detail if not file else (f"{file}, {detail}" if place else f"{file}: {what}")
        self = super().__new__(cls, text)
        for name, field in (("file", file), ("expected", expected), ("row", str(row)), ("column", column)):
            object.__setattr__(self, name, field)
        object.__setattr__(self, "value", value)
        return self

    def __setattr__(self, name, value):
        raise AttributeError("a Problem is immutable; make another with named() or within()")

    def __reduce__(self):  # pickled (a child process's answer) with its fields, not as a bare line
        return (Problem, (self.file, self.expected, self.row, self.column, self.value))

    @property
    def place(self) -> str:
        """Where in the file, as a sentence says it: "row 4, column 'value'"."""
        return _place(self.row, self.column)

    @property
    def what(self) -> str:
        """What is wrong, without where: "value 'nan' — expected a number"."""
        return _what(self.value, self.expected)

    @property
    def detail(self) -> str:
        """The problem without the file's name (an upload's note names the file beside it)."""
        return f"{self.place}: {self.what}" if self.place else self.what

    def named(self, file: str) -> Problem:
        """The same problem, of the file called `file` (a reader that was given the file's bytes alone)."""
        return Problem(file, self.expected, self.row, self.column, self.value)

    def within(self, folder: str) -> Problem:
        """The same problem, of a file inside `folder` (a zip or a folder of a release): "release.zip/requests.csv"."""
        return self.named(f"{folder}/{self.file}" if self.file else folder)


def said(text: str) -> Problem:
    """A problem that is one sentence naming its own place (a setting of the build config, a check of the whole
    snapshot): no file, row or column of its own."""
    return text if isinstance(text, Problem) else Problem("", text)


def of(file: str, texts: Iterable[str]) -> list[Problem]:
    """Problems a check gave as sentences (the snapshot contract's, in metrics.schema), each of the file or table
    `file`: "kpi_values: column 'value' …"."""
    return [Problem(file, t) for t in texts]


def texts(problems: Iterable[Problem]) -> list[str]:
    """Each problem as the command line prints it."""
    return [str.__str__(p) for p in problems]


def problems_table(problems: Iterable[Problem]):
    """Problems as a table people can sort and download: file, row, column, value, expected (or what is wrong). A
    bare line that is not a Problem is shown whole as what is wrong: no line is parsed back into fields."""
    import polars as pl

    rows = [(p.file, p.row, p.column, p.value or "", p.expected) for p in map(said, problems)]
    return pl.DataFrame(rows, schema=dict.fromkeys(TABLE_COLUMNS, pl.String), orient="row")
