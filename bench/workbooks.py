"""Hostile workbooks made on the spot (never committed): an XLSX is a zip of XML parts, written here part by part so
that a test (and `python -m bench`) can make one that declares nothing, or declares falsely, as an attacker's would."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}'
    "<sheetData>{rows}</sheetData></worksheet>"
)
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def column(n: int) -> str:
    """1 → A, 16,384 → XFD."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def xlsx(
    rows: list[list[int | str]],
    strings: int | list[str] = 0,
    *,
    declare: bool = True,
    dimension: bool = True,
) -> bytes:
    """A one-sheet workbook: `rows` of cells (an int is a number, a str the index of a shared string), with the
    shared strings given, or that many of them, all "x" (openpyxl keeps every entry of the table, the same or not,
    and the same ones compress to almost nothing). `declare` writes the table's count and uniqueCount, and
    `dimension` the sheet's dimension, as Excel does; an attacker's file need not."""
    width = max((len(r) for r in rows), default=1)
    dim = f'<dimension ref="A1:{column(width)}{max(len(rows), 1)}"/>' if dimension else ""
    body = []
    for i, row in enumerate(rows, start=1):
        cells = []
        for j, v in enumerate(row, start=1):
            ref = f"{column(j)}{i}"
            cells.append(f'<c r="{ref}" t="s"><v>{v}</v></c>' if isinstance(v, str) else f'<c r="{ref}"><v>{v}</v></c>')
        body.append(f'<row r="{i}">{"".join(cells)}</row>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(name="Sheet1"))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", SHEET.format(dimension=dim, rows="".join(body)))
        texts = strings if isinstance(strings, list) else None
        n = len(texts) if texts is not None else strings
        counts = f' count="{n}" uniqueCount="{n}"' if declare else ""
        with z.open("xl/sharedStrings.xml", "w") as f:  # streamed: two million strings are 34 MB of XML
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{NS}"{counts}>'.encode())
            if texts is not None:
                f.write("".join(f"<si><t>{escape(t)}</t></si>" for t in texts).encode())
            for start in range(0, 0 if texts is not None else n, 100_000):
                f.write(b"<si><t>x</t></si>" * (min(n, start + 100_000) - start))
            f.write(b"</sst>")
    return buf.getvalue()


def two_million_strings(*, declare: bool = False) -> bytes:
    """The workbook of the hardening review: one row of numbers and two million shared strings that no cell uses
    (openpyxl reads them all before any cell: 25 s and 386 MB for one of 192 KB). By default it does not declare
    how many it has, so only counting them finds out."""
    return xlsx([[1, 2, 3]], strings=2_000_000, declare=declare)
