"""The files of a DfE EHCP (SEN2) release as the reader takes them: which files are used, each found in a zip (any
folder inside), a folder or given alone, one of each kind; every member checked against the caps (its size,
compression, encryption, method, and the release's total) before any is decompressed; each CSV's shape (rows as
wide as the header, time periods that are periods, no nan or infinity among the measures) checked row by row; and
the CSV read as all-text columns with lower-case, de-duplicated names.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from pathlib import Path

import polars as pl

from ingest.problems import Problem

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


def _one_of_each(source: Path, found: dict[str, list[str]]) -> list[Problem]:
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
            Problem(
                source.name,
                f"{len(paths)} {what} ({', '.join(sorted(paths))}); keep one release's files per folder or zip",
            )
        )
    return problems


def _over_budget(source: Path, total: int) -> list[Problem]:
    from ingest.workbook import size_text

    if total <= MAX_ARCHIVE_BYTES:
        return []
    return [
        Problem(
            source.name,
            f"the files this reader uses add up to {size_text(total)} uncompressed, more than the "
            f"{size_text(MAX_ARCHIVE_BYTES)} one release may hold (the whole 2025 release is about 30 MB); none is read",
        )
    ]


def _zip_members(source: Path) -> tuple[dict[str, bytes], list[Problem]]:
    """The used members of a zip, every one checked — one of each kind, its size, compression, encryption, method,
    and the total of them all — before any is decompressed."""
    from ingest.workbook import zip_directory_problem

    problems: list[Problem] = []
    problem = zip_directory_problem(source)
    if problem:
        return {}, [Problem(source.name, f"{problem}")]
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
                problems.append(Problem(where, "the file is encrypted (password-protected); use the published zip"))
            elif info.compress_type not in READABLE:
                problems.append(
                    Problem(
                        where,
                        f"compressed with a method this reader cannot open (method {info.compress_type}, e.g. "
                        "Deflate64); unzip it and give the folder instead",
                    )
                )
            elif info.file_size > MAX_MEMBER_BYTES:
                problems.append(
                    Problem(where, f"{info.file_size >> 20} MB uncompressed, more than {MAX_MEMBER_BYTES >> 20} MB")
                )
            elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                problems.append(
                    Problem(
                        where,
                        f"compressed {info.file_size // max(info.compress_size, 1):,} times over, which no real data "
                        "file is; refused as a possible zip bomb",
                    )
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
                problems.append(Problem(f"{source.name}/{n}", f"cannot be read from the zip ({exc})"))
    return members, problems


def release_members(source: Path) -> tuple[dict[str, bytes], list[Problem]]:
    """The used CSV files of a source — a zip (any folder inside), a folder (recursively) or one CSV — and every
    problem with them: a kind of file given twice, a member too large, too compressed, encrypted or compressed in a
    way that cannot be read, more than a release's worth in all. Only the members that are used are read, and only
    once all of them have been checked."""
    source = Path(source)
    if source.suffix.lower() == ".zip" and not source.is_dir():
        return _zip_members(source)
    problems: list[Problem] = []
    if not source.is_dir():
        if source.stat().st_size > MAX_MEMBER_BYTES:
            return {}, [Problem(source.name, f"larger than {MAX_MEMBER_BYTES >> 20} MB")]
        return {source.name: source.read_bytes()}, []
    found: dict[str, list[str]] = {}
    fine: dict[str, Path] = {}
    for p in sorted(source.rglob("*.csv")):
        if _used(p.name):
            found.setdefault(_kind(p.name), []).append(str(p.relative_to(source)))
            if p.stat().st_size > MAX_MEMBER_BYTES:
                problems.append(
                    Problem(f"{source.name}/{p.relative_to(source)}", f"larger than {MAX_MEMBER_BYTES >> 20} MB")
                )
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


def shape_problems(name: str, data: bytes) -> list[Problem]:
    """Rows with more or fewer fields than the header (a download cut mid-row, a stray comma), and time periods
    that are not a year (2024) or an academic year (202425) from 1900 to 2100, each with its row number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return [Problem(name, f"not UTF-8 text (byte {data[exc.start]:#04x}); DfE files are UTF-8", row=str(row))]
    problems: list[Problem] = []
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
                    Problem(
                        name,
                        f"{len(row)} fields but the header has {len(header)} (a file cut short, for example by an "
                        "interrupted download, or a stray comma)",
                        row=str(n),
                    )
                )
                continue
            if tp is not None:
                m = TIME_PERIOD.match(row[tp].strip())
                ok = bool(m) and 1900 <= int(m.group(1)) <= 2100
                if ok and m.group(2) is not None:
                    ok = int(m.group(2)) == (int(m.group(1)) + 1) % 100
                if not ok:
                    problems.append(
                        Problem(
                            name,
                            "a year such as 2024 or an academic year such as 202425",
                            str(n),
                            "time_period",
                            row[tp][:40],
                        )
                    )
            for i in measures:
                if _not_finite(row[i]):
                    problems.append(
                        Problem(
                            name,
                            "a number or one of the DfE's markers (x, z, c, :, low), not nan or infinity",
                            str(n),
                            header[i],
                            row[i].strip()[:40],
                        )
                    )
            if len(problems) >= 50:
                problems.append(Problem(name, "more problems not listed; the file is probably not an EES data file"))
                break
    except csv.Error as exc:
        problems.append(Problem(name, f"not a readable CSV ({exc})"))
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
