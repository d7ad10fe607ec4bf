"""Opening a workbook (XLSX) that someone has given us, without letting it stall or exhaust the server.

An XLSX file is a zip of XML parts, and a few hundred kilobytes of it can hold millions of cells or shared strings
(openpyxl keeps every shared string in memory: two million of them took 25 s of CPU and 386 MB). So:

1. *Before anything is parsed*, here, in a few milliseconds and reading only the zip's directory and the first
   kilobytes of some parts: the size of the directory, the number of parts, each part's and all parts' uncompressed
   size, the shared-string count the workbook declares, and each sheet's declared dimension (`precheck`).
2. *Then in a child process* with a memory limit (`MEMORY_LIMIT`, as its address space) and a time limit
   (`TIME_LIMIT`, CPU and wall clock): every part is streamed, counting its cells and shared strings against the caps
   whatever the workbook declares; only then does openpyxl read the sheets asked for, stopping at the reader's row
   cap and at the column cap. The process is killed at the deadline, and its answer is plain JSON.
3. *Each workbook is read once*: the answer is kept, keyed by the SHA-256 of the file's bytes and what was asked,
   so the Update data page's reruns (and the check after the page has looked at the file) never parse it again.

The page runs this outside the server's run lock (ui.update.check_files); the command line simply waits.

Every refusal names the cap it broke. The caps are far above any real file: NHS England's monthly community health
services workbook has about 60 parts, 10 MB uncompressed, 480,000 cells, 600 shared strings and 200 columns; a
template has at most 100,000 rows (ingest.templates.MAX_ROWS) of a dozen columns.

This file runs as the child process too (`python -I ingest/workbook.py`), so it imports only the standard library
at the top, and openpyxl in the child.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import struct
import subprocess
import sys
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

if __package__:  # imported as ingest.workbook; the child, run as a script with -I, makes no Problem (and cannot import)
    from ingest.problems import Problem

LOG = logging.getLogger(__name__)
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's table of contents: a real workbook's is a few kilobytes
MAX_PARTS = 2_000  # files inside the zip: the NHS workbook has about 60
MAX_PART_BYTES = 100 * 1024 * 1024  # one part, uncompressed: the NHS workbook's largest sheet is under 1 MB
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # every part together, uncompressed: the NHS workbook is about 10 MB
MAX_SHARED_STRINGS = 200_000  # distinct texts: the NHS workbook has about 600
MAX_CELLS = 2_000_000  # in all its sheets together: the NHS workbook has about 480,000
MAX_COLUMNS = 1_000  # one sheet's width: the NHS workbook's widest is 200 (GR); Excel allows 16,384
TIME_LIMIT = 60  # seconds for the whole read, on the clock and on the CPU
MEMORY_LIMIT = 1024 * 1024 * 1024  # the child process's address space, in bytes
MEMORY_EXIT = 3  # the child's exit code when it ran out of memory
HEAD_BYTES = 8 * 1024  # how much of a part's start the pre-check reads for its declarations

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref=\"([^\"]{0,40})\"")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d*:\$?([A-Za-z]{1,3})\$?\d*$")
_UNIQUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\buniqueCount=\"(\d+)\"")
_COUNT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\bcount=\"(\d+)\"")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*?\bname=\"([^\"]*)\"")
_OVERRIDE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Override\b[^>]*>")
_OFFICE_DOCUMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*officeDocument\"[^>]*>")


def _attribute(tag: bytes, name: bytes) -> str:
    m = re.search(rb"\b" + name + rb"=\"([^\"]*)\"", tag)
    return m.group(1).decode("utf-8", "replace") if m else ""


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _seconds(n: int) -> str:
    return f"{n} second{'' if n == 1 else 's'}"


def size_text(size: int) -> str:
    return f"{size:,} bytes" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.0f} MB"


# ── the zip's directory, read before zipfile reads it ─────────────────────────────────────────────────────────────
def zip_directory_problem(source: Path | bytes) -> str:
    """What is wrong with a zip's table of contents, read from its end record before `zipfile` reads the table
    itself (a 50 MB file can list half a million parts, each of which `zipfile` would hold as an object): "" when
    it is within MAX_DIRECTORY_BYTES and MAX_PARTS, or when it is not a zip at all (`zipfile` says so)."""
    if isinstance(source, bytes | bytearray):
        size = len(source)
        tail = bytes(source[max(0, size - 65_557) :])
    else:
        with open(source, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 65_557))
            tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return ""
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":  # ZIP64: the real figures are elsewhere
        (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
        start = size - len(tail)
        if start <= record_at and record_at + 56 <= size:
            entries, directory = struct.unpack_from("<QQ", tail, record_at - start + 32)
        else:
            return "its table of contents cannot be found (a damaged ZIP64 archive)"
    if directory > MAX_DIRECTORY_BYTES:
        return f"its table of contents is {directory:,} bytes; at most {MAX_DIRECTORY_BYTES:,} bytes are read"
    if entries > MAX_PARTS:
        return f"it holds {entries:,} files inside; at most {MAX_PARTS:,} are read"
    return ""


# ── the pre-check: declarations only, in the calling process ──────────────────────────────────────────────────────
def _problem(text: str, sheet: str | None = None) -> Problem:
    """A problem of the workbook (of one sheet, when `sheet` is named); its file is named by whoever read it."""
    return Problem("", text, row=f"sheet '{sheet}'" if sheet is not None else "")


def _head(z: zipfile.ZipFile, info: zipfile.ZipInfo, n: int = HEAD_BYTES) -> bytes:
    with z.open(info) as f:
        return f.read(n)


def _shared_strings_parts(z: zipfile.ZipFile, names: set[str]) -> list[str]:
    """The shared-string parts as openpyxl finds them (declared in [Content_Types].xml), and any part named so."""
    parts = {n for n in names if n.lower().endswith("sharedstrings.xml")}
    if "[Content_Types].xml" in names:
        types = _head(z, z.getinfo("[Content_Types].xml"), MAX_DIRECTORY_BYTES)
        for tag in _OVERRIDE.findall(types):
            if _attribute(tag, b"ContentType") == SHARED_STRINGS_TYPE:
                parts.add(_attribute(tag, b"PartName").lstrip("/"))
    return sorted(p for p in parts if p in names)


def _sheet_titles(z: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part → its name in the workbook, where the workbook says (for naming a sheet in a problem)."""
    rels = "xl/_rels/workbook.xml.rels"
    if "xl/workbook.xml" not in names or rels not in names:
        return {}
    book = _head(z, z.getinfo("xl/workbook.xml"), MAX_DIRECTORY_BYTES)
    targets = {}
    for tag in re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*>", _head(z, z.getinfo(rels), 1 << 20)):
        target = _attribute(tag, b"Target")
        targets[_attribute(tag, b"Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    out = {}
    for tag in re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*>", book):
        rid = re.search(rb"\br:id=\"([^\"]*)\"|\bid=\"([^\"]*)\"", tag)
        if rid:
            part = targets.get((rid.group(1) or rid.group(2)).decode("utf-8", "replace"))
            if part:
                out[part] = _unescape(_attribute(tag, b"name"))
    return out


def _unescape(text: str) -> str:
    from html import unescape

    return unescape(text)


def precheck(data: bytes) -> list[Problem]:
    """The caps a workbook breaks by its own declarations — the zip's directory and parts, each part's and every
    part's uncompressed size, the shared strings it declares, each sheet's declared width — without decompressing
    more than the first kilobytes of a few parts. A file that is not a zip at all is refused here too."""
    problem = zip_directory_problem(data)
    if problem:
        return [_problem(problem)]
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # no child is started for it
        return [_problem(f"not a readable XLSX workbook ({type(exc).__name__})")]
    with z:
        infos = z.infolist()
        names = {i.filename for i in infos}
        problems = []
        if len(infos) > MAX_PARTS:
            problems.append(_problem(f"it holds {len(infos):,} files inside; at most {MAX_PARTS:,} are read"))
        big = [i for i in infos if i.file_size > MAX_PART_BYTES]
        for info in big[:3]:
            problems.append(
                _problem(
                    f"its part {info.filename[:80]} is {size_text(info.file_size)} uncompressed; at most "
                    f"{size_text(MAX_PART_BYTES)} of any one part is read"
                )
            )
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_BYTES:
            problems.append(
                _problem(
                    f"it is {size_text(total)} uncompressed; at most {size_text(MAX_TOTAL_BYTES)} of a workbook is read"
                )
            )
        if problems:
            return problems
        try:
            for part in _shared_strings_parts(z, names):
                head = _head(z, z.getinfo(part))
                for pattern, what, limit in (
                    (_UNIQUE, "texts in its shared-string table", MAX_SHARED_STRINGS),
                    (_COUNT, "cells of text", MAX_CELLS),
                ):
                    m = pattern.search(head)
                    if m and int(m.group(1)) > limit:
                        return [_problem(f"it declares {int(m.group(1)):,} {what}; at most {limit:,} are read")]
            titles = _sheet_titles(z, names)
            for info in infos:
                if info.is_dir() or not info.filename.lower().endswith(".xml"):
                    continue
                m = _DIMENSION.search(_head(z, info))
                ref = m.group(1).decode("utf-8", "replace") if m else ""
                span = _RANGE.match(ref)
                if span:
                    width = _column_number(span.group(2)) - _column_number(span.group(1)) + 1
                    if width > MAX_COLUMNS:
                        problems.append(
                            _problem(
                                f"{width:,} columns wide (its dimension is {ref}); at most {MAX_COLUMNS:,} columns "
                                "are read",
                                titles.get(info.filename, info.filename),
                            )
                        )
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, KeyError) as exc:
            return [_problem(f"not a readable XLSX workbook ({type(exc).__name__})")]
        return problems[:5]


# ── the names of its sheets, for recognising an upload ────────────────────────────────────────────────────────────
def sheet_names(data: bytes) -> tuple[list[str], list[Problem]]:
    """The workbook's sheet names in its order, read from its workbook part alone (no cell is parsed), and the caps
    it breaks (precheck). Kept by the file's SHA-256: the Update data page asks on every rerun."""
    digest = hashlib.sha256(data).hexdigest()
    with _LOCK:
        if digest in _NAMES:
            _NAMES.move_to_end(digest)
            return _NAMES[digest]
    problems = precheck(data)
    names: list[str] = []
    if not problems:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                part = "xl/workbook.xml"
                if "_rels/.rels" in z.namelist():
                    rel = _OFFICE_DOCUMENT.search(_head(z, z.getinfo("_rels/.rels"), 1 << 20))
                    if rel:
                        part = _attribute(rel.group(0), b"Target").lstrip("/")
                names = [
                    _unescape(n.decode("utf-8", "replace")) for n in _SHEET.findall(_head(z, z.getinfo(part), 1 << 20))
                ]
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, KeyError, ValueError) as exc:
            problems = [_problem(f"not a readable XLSX workbook ({type(exc).__name__})")]
        if not names and not problems:
            problems = [_problem("not a readable XLSX workbook (it names no sheet)")]
    with _LOCK:
        _NAMES[digest] = (names, problems)
        while len(_NAMES) > 256:
            _NAMES.popitem(last=False)
    return names, problems


# ── reading: in a child process, once per file ────────────────────────────────────────────────────────────────────
@dataclass
class Book:
    """What was read of a workbook: its sheet names, the rows of the sheets asked for (each at most the reader's row
    cap; `more` says a sheet had more), and every problem, each already naming the file."""

    sheets: list[str] = field(default_factory=list)
    rows: dict[str, list[list]] = field(default_factory=dict)
    more: dict[str, bool] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return sum(len(r) for rows in self.rows.values() for r in rows)


_LOCK = threading.Lock()
_NAMES: OrderedDict[str, tuple[list[str], list[Problem]]] = OrderedDict()
_BOOKS: OrderedDict[tuple, Book] = OrderedDict()
KEPT_CELLS = 1_000_000  # cells of the answers kept (about 80 MB): two NHS workbooks' Table 4 sheets, many templates


def _keep(key: tuple, book: Book) -> None:
    with _LOCK:
        _BOOKS[key] = book
        _BOOKS.move_to_end(key)
        while len(_BOOKS) > 1 and (len(_BOOKS) > 64 or sum(b.cells for b in _BOOKS.values()) > KEPT_CELLS):
            _BOOKS.popitem(last=False)


def forget() -> None:
    """Drop every kept answer (tests that change a cap)."""
    with _LOCK:
        _BOOKS.clear()
        _NAMES.clear()


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        ((kind, text),) = value.items()
        if kind == "$datetime":
            return datetime.fromisoformat(text)
        if kind == "$date":
            return date.fromisoformat(text)
        if kind == "$time":
            return time.fromisoformat(text)
        if kind == "$seconds":
            return timedelta(seconds=float(text))
    return value


def _run_child(data: bytes, request: dict) -> subprocess.CompletedProcess:
    """This file as a child process (`python -I`: no user site, no environment's paths), the workbook on its input,
    killed at the deadline."""
    return subprocess.run(
        [sys.executable, "-I", str(Path(__file__).resolve()), json.dumps(request)],
        input=data,
        capture_output=True,
        timeout=TIME_LIMIT,
        check=False,
    )


def read(data: bytes, name: str, *, sheets: str | None = None, max_rows: int) -> Book:
    """The rows of a workbook's first worksheet (`sheets` None) or of every sheet whose name matches the regular
    expression `sheets`, each stopped after `max_rows` rows, read within the caps above. Read once per file: the
    answer is kept, keyed by the file's SHA-256, its name (which the problems give), `sheets` and `max_rows`."""
    key = (hashlib.sha256(data).hexdigest(), name, sheets, max_rows, MAX_CELLS, MAX_COLUMNS, MAX_SHARED_STRINGS)
    with _LOCK:
        if key in _BOOKS:
            _BOOKS.move_to_end(key)
            return _BOOKS[key]
    found = precheck(data)
    if found:
        return Book(problems=[p.named(name) for p in found])  # refused at once, and cheap to refuse again
    request = {
        "sheets": sheets,
        "max_rows": max_rows,
        "caps": {"cells": MAX_CELLS, "columns": MAX_COLUMNS, "strings": MAX_SHARED_STRINGS},
        "memory": MEMORY_LIMIT,
        "seconds": TIME_LIMIT,
    }
    try:
        done = _run_child(data, request)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child before raising
        return Book(
            problems=[
                Problem(
                    name,
                    f"reading the workbook took longer than {_seconds(TIME_LIMIT)}, the most one file may take; "
                    "check it is the right file",
                )
            ]
        )
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):  # stopped by its limits, or failed some other way (logged, and said plainly)
        if done.returncode == MEMORY_EXIT or b"memory" in done.stderr.lower():
            said = f"reading the workbook needed more than the {MEMORY_LIMIT >> 20} MB of memory one file may use"
        elif done.returncode == -24:  # SIGXCPU: its processor time ran out
            said = (
                f"reading the workbook took more than {_seconds(TIME_LIMIT)} of processing, the most one file may take"
            )
        else:
            LOG.error("Workbook reader for %s stopped (exit %s): %s", name, done.returncode, done.stderr[-2000:])
            said = f"the workbook reader stopped without an answer (exit code {done.returncode})"
        return Book(problems=[Problem(name, said)])
    book = Book(
        sheets=answer["sheets"],
        rows={s: [[_decode(v) for v in row] for row in rows] for s, rows in answer["rows"].items()},
        more=answer["more"],
        problems=[_problem(p["text"], p.get("sheet")).named(name) for p in answer["problems"]],
    )
    _keep(key, book)
    return book


# ── the child ─────────────────────────────────────────────────────────────────────────────────────────────────────
class _RefusedError(Exception):
    def __init__(self, text: str, sheet: str | None = None):
        super().__init__(text)
        self.problem = {"text": text, "sheet": sheet}


def _stream_counts(z: zipfile.ZipFile, caps: dict) -> None:
    """Every part streamed, its cells and shared strings counted against the caps whatever the workbook declares
    (a cell is a `<c>` element of a sheet, a shared string an `<si>`; namespace prefixes allowed)."""
    cells = strings = 0

    def count(text: bytes) -> None:
        nonlocal cells, strings
        cells += len(_CELL.findall(text))
        strings += len(_STRING.findall(text))
        if strings > caps["strings"]:
            raise _RefusedError(
                f"more than {caps['strings']:,} texts in its shared-string table; at most {caps['strings']:,} are read"
            )
        if cells > caps["cells"]:
            raise _RefusedError(f"more than {caps['cells']:,} cells; at most {caps['cells']:,} are read")

    for info in z.infolist():
        if info.is_dir():
            continue
        carry = b""
        with z.open(info) as f:
            while chunk := f.read(1 << 20):
                buf = carry + chunk
                cut = buf.rfind(b"<")  # a tag cut at the chunk's end is counted with the next chunk
                whole, carry = (buf[:cut], buf[cut:]) if cut >= 0 and len(buf) - cut < 256 else (buf, b"")
                count(whole)
        count(carry)


def _encode(value):
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": str(value.total_seconds())}
    return str(value)


def _child_read(data: bytes, request: dict) -> dict:
    caps = request["caps"]
    out = {"sheets": [], "rows": {}, "more": {}, "problems": []}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            _stream_counts(z, caps)
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _RefusedError as refused:
        out["problems"].append(refused.problem)
        return out
    except MemoryError:
        raise
    except Exception as exc:  # any reader failure: not a usable workbook
        out["problems"].append({"text": f"not a readable XLSX workbook ({type(exc).__name__})"})
        return out
    try:
        out["sheets"] = list(wb.sheetnames)
        if request["sheets"] is None:
            chosen = wb.worksheets[:1]
        else:
            chosen = [wb[s] for s in wb.sheetnames if re.match(request["sheets"], s)]
        cells = 0
        for ws in chosen:
            ws.reset_dimensions()  # the declared dimension may be wrong: read the rows as they are
            rows: list[list] = []
            more = False
            for r in ws.iter_rows(values_only=True):
                if len(rows) >= request["max_rows"]:
                    more = True
                    break
                if len(r) > caps["columns"]:
                    raise _RefusedError(
                        f"row {len(rows) + 1} is {len(r):,} cells wide; at most {caps['columns']:,} columns are read",
                        ws.title,
                    )
                cells += len(r)
                if cells > caps["cells"]:
                    raise _RefusedError(f"more than {caps['cells']:,} cells; at most {caps['cells']:,} are read")
                rows.append(list(r))
            out["rows"][ws.title] = rows
            out["more"][ws.title] = more
    except _RefusedError as refused:
        out["rows"], out["more"] = {}, {}
        out["problems"].append(refused.problem)
    except MemoryError:
        raise
    except Exception as exc:
        out["rows"], out["more"] = {}, {}
        out["problems"].append({"text": f"not a readable XLSX workbook ({type(exc).__name__})"})
    finally:
        wb.close()
    return out


def _child_main() -> None:
    request = json.loads(sys.argv[1])
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        cpu = max(1, math.ceil(request["seconds"]))  # the limit is whole seconds; the parent's deadline keeps fractions
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (ImportError, ValueError, OSError):  # no such limits here (Windows): the parent's deadline still holds
        pass
    # openpyxl uses numpy when it can import it, which starts OpenBLAS's threads and buffers: tens of megabytes of
    # the memory budget before a cell is read, for nothing the reader needs
    sys.modules["numpy"] = None
    data = sys.stdin.buffer.read()
    try:
        out = _child_read(data, request)
    except MemoryError:
        sys.exit(MEMORY_EXIT)  # the parent says which limit it met
    sys.stdout.write(json.dumps(out, default=_encode))


if __name__ == "__main__":
    _child_main()
