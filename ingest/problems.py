"""One problem with an input, from every reader to every screen.

A problem names the file it is in, where in the file (`row`: a row number as a spreadsheet shows it, the header
being row 1, or another place — a sheet, a cell, a feature, an organisation, a risk), the column, the value found
and what was expected. Where no one value is at fault, `value` is None and `expected` says what is wrong.

The command line prints each as one line (`str(problem)`, e.g. "kpi_values.csv, row 4, column 'value': value 'nan' —
expected a number"); the Update data page shows the same fields as a table (`problems_table`), which can be
downloaded. Nothing parses the line back: the fields travel with it.

Standard library only at the top: ingest.workbook imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

TABLE_COLUMNS = ("File", "Row", "Column", "Value", "Expected")


@dataclass(frozen=True)
class Problem:
    file: str  # the file as its owner named it ("release.zip/requests.csv" for a file inside a zip); or a table
    expected: str  # what was expected; or, when `value` is None, what is wrong
    row: str = ""  # "4" (a row as a spreadsheet numbers it), or where else: "sheet 'Table 4'", "feature 3", …
    column: str = ""
    value: str | None = None  # the value found ("" for an empty cell); None when no one value is at fault

    @property
    def place(self) -> str:
        """Where in the file, as a sentence says it: "row 4, column 'value'"."""
        row = f"row {self.row}" if self.row.isdigit() else self.row
        return ", ".join(p for p in (row, f"column '{self.column}'" if self.column else "") if p)

    @property
    def what(self) -> str:
        """What is wrong, without where: "value 'nan' — expected a number"."""
        if self.value is None:
            return self.expected
        if self.value == "":
            return f"empty — expected {self.expected}"
        return f"value '{self.value}' — expected {self.expected}"

    @property
    def detail(self) -> str:
        """The problem without the file's name (an upload's note names the file beside it)."""
        return f"{self.place}: {self.what}" if self.place else self.what

    def __str__(self) -> str:
        if not self.file:
            return self.detail
        return f"{self.file}, {self.place}: {self.what}" if self.place else f"{self.file}: {self.what}"

    def named(self, file: str) -> Problem:
        """The same problem, of the file called `file` (a reader that was given the file's bytes alone)."""
        return replace(self, file=file)

    def within(self, folder: str) -> Problem:
        """The same problem, of a file inside `folder` (a zip or a folder of a release): "release.zip/requests.csv"."""
        return replace(self, file=f"{folder}/{self.file}" if self.file else folder)


def said(text: str) -> Problem:
    """A problem that is one sentence naming its own place (a setting of the build config, a check of the whole
    snapshot): no file, row or column of its own."""
    return Problem("", text)


def texts(problems: Iterable[Problem]) -> list[str]:
    """Each problem as the command line prints it."""
    return [str(p) for p in problems]


def problems_table(problems: Iterable[Problem]):
    """Problems as a table people can sort and download: file, row, column, value, expected (or what is wrong)."""
    import polars as pl

    rows = [(p.file, p.row, p.column, p.value or "", p.expected) for p in problems]
    return pl.DataFrame(rows, schema=dict.fromkeys(TABLE_COLUMNS, pl.String), orient="row")
