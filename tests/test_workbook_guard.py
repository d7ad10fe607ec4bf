"""Issue 24, item 1: no uploaded workbook can stall or exhaust the server. Its parts are checked against caps before
anything is parsed; it is read once (kept by its SHA-256), in a child process with a time and memory budget, outside
the server's run lock; a file over a cap is refused with a message naming the cap; a sheet 16,384 columns wide gives
one short message. Every workbook here is made by the test (bench/workbooks.py), none is committed."""

from __future__ import annotations

import threading
import time
import zipfile
from io import BytesIO

import pytest

from bench.workbooks import column, two_million_strings, xlsx
from ingest import workbook
from ingest.local import TEMPLATES
from ingest.templates import validate
from ingest.update import prepare, recognise
from ingest.waits import read_chs_workbook
from metrics.snapshot import open_snapshot

STRINGS_CAP = "more than 200,000 texts in its shared-string table; at most 200,000 are read"


@pytest.fixture(autouse=True)
def fresh():
    """Every test reads its workbooks afresh (the answers are kept by the file's SHA-256 across tests otherwise)."""
    workbook.forget()
    yield
    workbook.forget()


def test_two_million_shared_strings_are_counted_and_refused_in_a_moment(tmp_path, monkeypatch):
    """The hardening review's workbook: openpyxl read its two million shared strings before any cell (25 s of CPU and
    386 MB, inside the run lock, on every rerun of the page). It declares no count, so the child counts them as it
    streams the part, and stops at the cap."""
    data = two_million_strings()
    assert len(data) < 200_000  # 82 KB: they compress to almost nothing
    children = []
    real_child = workbook._run_child
    monkeypatch.setattr(workbook, "_run_child", lambda *a: children.append(a) or real_child(*a))
    opened = []
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))
    up = recognise("risks.xlsx", data)  # what the page does on every rerun: the sheets' names only
    assert (up.kind, up.table) == ("template", "risks")
    assert children == [] and opened == []  # no cell read, no workbook opened in the server's process
    other = recognise("figures.xlsx", data)  # a name that says nothing: looked at in the guarded child only
    assert opened == [] and len(children) == 1 and other.kind == "unknown"
    monkeypatch.undo()
    path = tmp_path / "risks.xlsx"
    path.write_bytes(data)
    rows, problems = validate(path, TEMPLATES["risks"])  # read in the child, which counts the strings and stops
    assert rows == [] and problems == [f"risks.xlsx: {STRINGS_CAP}"]
    # the NHS workbook's reader is guarded the same way
    path = tmp_path / "chs.xlsx"
    path.write_bytes(data)
    frame, problems = read_chs_workbook(path)
    assert frame.height == 0 and problems == [f"chs.xlsx: {STRINGS_CAP}"]


def test_a_declared_count_over_the_cap_is_refused_before_any_process_starts(monkeypatch):
    started = []
    monkeypatch.setattr(workbook, "_run_child", lambda *a: started.append(a))
    data = two_million_strings(declare=True)
    up = recognise("risks.xlsx", data)
    said = "it declares 2,000,000 texts in its shared-string table; at most 200,000 are read"
    assert up.kind == "unknown" and up.note == said
    assert up.label == f"not recognised ({said})"  # what the page's table of uploads shows at once
    book = workbook.read(data, "risks.xlsx", max_rows=10)
    assert book.problems == [f"risks.xlsx: {said}"] and started == []


def test_the_check_of_an_upload_over_a_cap_names_the_cap(demo_root, tmp_path):
    base = open_snapshot(demo_root / "2025-10-31")
    uploads = [
        recognise("risks.xlsx", two_million_strings()),
        recognise("actions.xlsx", two_million_strings(declare=True)),
    ]
    plan = prepare(base, uploads, work_dir=tmp_path, as_at="2025-11-30")
    assert plan.problems == [
        "actions.xlsx: it declares 2,000,000 texts in its shared-string table; at most 200,000 are read",
        f"risks.xlsx: {STRINGS_CAP}",
    ]
    assert plan.tables == {} and [p.name for p in tmp_path.iterdir()] == []  # nothing written, nothing left


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _with_parts(data: bytes, extra: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    return _zip({**parts, **extra})


def test_every_cap_is_checked_and_named(monkeypatch):
    good = xlsx([[1, 2], [3, 4]], strings=2)
    assert workbook.read(good, "w.xlsx", max_rows=10).rows == {"Sheet1": [[1, 2], [3, 4]]}
    cases = [
        # (cap, its value here, the workbook, what is said)
        (
            "MAX_PARTS",
            6,
            _with_parts(good, {f"x/{i}.bin": b"" for i in range(5)}),
            "it holds 11 files inside; at most 6",
        ),
        ("MAX_DIRECTORY_BYTES", 200, good, "its table of contents is 391 bytes; at most 200 bytes are read"),
        (
            "MAX_PART_BYTES",
            1_000,
            _with_parts(good, {"x/big.bin": b"a" * 1_001}),
            "x/big.bin is 1,001 bytes uncompressed; at most 1,000",
        ),
        ("MAX_TOTAL_BYTES", 1_000, good, "uncompressed; at most 1,000 bytes of a workbook is read"),
        ("MAX_CELLS", 3, good, "more than 3 cells; at most 3 are read"),  # counted by the child: 4 <c> elements
        ("MAX_SHARED_STRINGS", 1, xlsx([[1]], strings=2, declare=False), "more than 1 texts in its shared-string"),
        ("MAX_COLUMNS", 1, good, "sheet 'Sheet1': 2 columns wide (its dimension is A1:B2); at most 1 columns"),
    ]
    for cap, value, data, said in cases:
        workbook.forget()
        with monkeypatch.context() as m:
            m.setattr(workbook, cap, value)
            book = workbook.read(data, "w.xlsx", max_rows=10)
        assert book.rows == {} and len(book.problems) == 1, (cap, book.problems)
        assert book.problems[0].startswith("w.xlsx") and said in book.problems[0], (cap, book.problems)


def test_a_sheet_16384_columns_wide_gives_one_short_message(tmp_path):
    header = TEMPLATES["risks"].header()
    wide = [[*map(str, range(len(header))), *[1] * (16_384 - len(header))]]
    strings = [*header]
    declared = xlsx(wide, strings)  # with its dimension: A1:XFD1, refused by the pre-check
    bare = xlsx(wide, strings, dimension=False)  # none: refused by the child on reading the row
    for data, said in (
        (declared, "risks.xlsx, sheet 'Sheet1': 16,384 columns wide (its dimension is A1:XFD1); at most 1,000"),
        (bare, "risks.xlsx, sheet 'Sheet1': row 1 is 16,384 cells wide; at most 1,000 columns are read"),
    ):
        path = tmp_path / "risks.xlsx"
        path.write_bytes(data)
        rows, problems = validate(path, TEMPLATES["risks"])
        assert rows == [] and len(problems) == 1 and problems[0].startswith(said), problems
        assert len(problems[0]) < 200
    assert column(16_384) == "XFD"
    # a CSV of that width: its unexpected columns are summarised (the message was 120 KB)
    extra = [f"c{i}" for i in range(16_384 - len(header))]
    path = tmp_path / "risks.csv"
    path.write_text(",".join(header + extra) + "\n" + ",".join(["x"] * 16_384) + "\n")
    _, problems = validate(path, TEMPLATES["risks"])
    assert problems[0] == (
        "risks.csv: unexpected column(s) c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 16,363 more (misspelt?)"
    )
    assert max(len(p) for p in problems) < 300


def test_a_workbook_over_the_time_budget_is_stopped_and_said(monkeypatch):
    # 190,000 shared strings is under the cap, and takes openpyxl a second or two to read: far over a budget of a
    # twentieth of a second, which not even the child's start fits in
    data = xlsx([[1]], strings=190_000)
    monkeypatch.setattr(workbook, "TIME_LIMIT", 0.05)
    book = workbook.read(data, "slow.xlsx", max_rows=10)
    assert book.problems[0].startswith("slow.xlsx: reading the workbook took"), book.problems
    assert "the most one file may take" in book.problems[0] and not book.rows


def test_a_workbook_over_the_memory_budget_is_stopped_and_said(monkeypatch):
    # the child itself (Python, zipfile, openpyxl) runs in under 40 MB; 190,000 shared strings need about 60
    monkeypatch.setattr(workbook, "MEMORY_LIMIT", 45 * 1024 * 1024)
    assert workbook.read(xlsx([[1, 2]], strings=2), "small.xlsx", max_rows=10).problems == []
    book = workbook.read(xlsx([[1]], strings=190_000), "big.xlsx", max_rows=10)
    assert book.problems == ["big.xlsx: reading the workbook needed more than the 45 MB of memory one file may use"]


def test_each_upload_is_read_once(monkeypatch, tmp_path):
    real = workbook._run_child
    runs = []
    monkeypatch.setattr(workbook, "_run_child", lambda data, request: runs.append(1) or real(data, request))
    data = xlsx([[*range(len(TEMPLATES["risks"].header()))]], strings=0)
    for _ in range(3):  # the page's reruns, then the check
        recognise("risks.xlsx", data)
        workbook.read(data, "risks.xlsx", max_rows=100_001)
    path = tmp_path / "risks.xlsx"
    path.write_bytes(data)
    validate(path, TEMPLATES["risks"])  # the reader meets the same bytes: the kept answer
    assert len(runs) == 1


def test_a_workbook_is_read_outside_the_run_lock(demo_root, tmp_path, monkeypatch):
    """A page run holds the server's run lock; while its check reads a workbook (two seconds here), another
    session's run can take the lock: it used to wait for the whole read (25 s for the review's workbook)."""
    from ui import snapshots
    from ui.update import check_files

    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(tmp_path))
    base = open_snapshot(demo_root / "2025-10-31")
    header = TEMPLATES["risks"].header()
    slow = xlsx([[str(i) for i in range(len(header))]], strings=[*header, *["x"] * 190_000])
    upload = recognise("risks.xlsx", slow)
    assert upload.kind == "template"
    times = {}

    def page_run():
        with snapshots.RUN_LOCK:
            times["plan"] = check_files(base, [upload], set(), "2025-11-30")
            times["checked"] = time.perf_counter()

    def other_session():
        time.sleep(0.3)  # the check has started
        with snapshots.RUN_LOCK:
            times["other"] = time.perf_counter()

    threads = [threading.Thread(target=page_run), threading.Thread(target=other_session)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert times["other"] < times["checked"]  # the other run went ahead while the workbook was read
    plan = times["plan"]
    assert plan.problems == [] and plan.notes == ["risks.xlsx: the header and no rows, so risks is left as it was."]
