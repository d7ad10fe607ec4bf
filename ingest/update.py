"""The month's update on top of a published snapshot, as the Update data page makes it: recognise uploaded files,
refuse a template uploaded twice, then lay them onto the base snapshot with `ingest.assemble` (the readers and checks
`python -m ingest` uses too); or apply the page's edits to actions, risks and commentary. Nothing is written until
`ingest.assemble.publish`.

Streamlit-free: the Update data page and the tests call it alike. Uploaded files are held in memory and written
only into a temporary folder beside the snapshots (dot-named, so never listed as one), removed afterwards.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ingest import workbook
from ingest.assemble import KINDS as SOURCE_KINDS
from ingest.assemble import Plan, Source, assemble
from ingest.ees_files import TRIBUNAL
from ingest.ees_files import USED as EES_STEMS  # the DfE files recognised by name
from ingest.local import TEMPLATES
from ingest.merge import merge, row_changes
from ingest.problems import Problem, of, said
from metrics.schema import TABLES, validate_frame
from metrics.snapshot import Snapshot, scan_table

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # per file, checked before any parsing
KINDS = {**SOURCE_KINDS, "unknown": "not recognised"}


@dataclass
class Upload:
    name: str
    data: bytes
    kind: str = "unknown"
    table: str = ""  # the template's table, for kind "template"
    note: str = ""

    @property
    def label(self) -> str:
        if self.kind == "template":
            return f"local template: {self.table}"
        return KINDS[self.kind] + (f" ({self.note})" if self.note else "")


def _header(data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return [h.strip().lower().replace(" ", "_") for h in first.strip().split(",")]


def recognise(name: str, data: bytes) -> Upload:
    """What an uploaded file is, by its name and its header (or sheets)."""
    up = Upload(name, data)
    stem, suffix = Path(name).stem.lower(), Path(name).suffix.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        up.note = f"{len(data) >> 20} MB, more than the {MAX_UPLOAD_BYTES >> 20} MB a file may be"
        return up
    from ingest.lait import KINDS as LAIT_KINDS
    from ingest.lait import kind_of

    lait = kind_of(Path(name), data) if suffix in (".parquet", ".csv", ".txt") else None
    if lait is not None:  # LAIT's long data, its dictionary or the statistical neighbours, by their content
        up.kind, up.note = "lait", LAIT_KINDS[lait]
        return up
    if suffix == ".zip":
        up.kind = "ehcp"
    elif suffix in (".geojson", ".json"):
        up.kind = "wards"
    elif suffix in (".csv", ".txt"):
        header = _header(data)
        by_header = [t for t, tpl in TEMPLATES.items() if header[: len(tpl.header())] == tpl.header()]
        waits = ["period_end", "area_code", "service", "waiting_total"]
        if {"time_period", "geographic_level"} <= set(header):  # an EES file, even one named like a template
            up.kind = "ehcp"
        elif stem in TEMPLATES:
            up.kind, up.table = "template", stem
        elif stem in EES_STEMS or stem.startswith(TRIBUNAL):
            up.kind = "ehcp"
        elif stem == "waiting_times" or header[:4] == waits:
            up.kind = "waits"
        elif by_header:
            up.kind, up.table = "template", by_header[0]
    elif suffix in (".xlsx", ".xlsm"):
        # the sheets' names from the workbook part alone, and its declarations against the caps: no cell is parsed
        # here, on every rerun of the page (ingest.workbook keeps the answer by the file's SHA-256)
        sheets, found = workbook.sheet_names(data)
        if found:  # not a workbook, or one over a cap: left unrecognised, and said so
            up.note = "; ".join(p.detail for p in found)
            return up
        if any(re.match(r"^Table 4[a-z]?$", s) for s in sheets):
            up.kind = "chs"
        elif stem in TEMPLATES:
            up.kind, up.table = "template", stem
        elif stem == "waiting_times":
            up.kind = "waits"
        elif (lait := kind_of(Path(name), data)) is not None:  # LAIT's neighbours or long data, by their first rows
            up.kind, up.note = "lait", LAIT_KINDS[lait]
    return up


def read_workbooks(uploads: list[Upload]) -> None:
    """Read each uploaded workbook that `prepare` will read, as its reader will read it. This is the slow part of a
    check (each workbook is read in a child process, within the caps of ingest.workbook, which keeps the answer by
    the file's SHA-256), so the Update data page calls it outside the server's run lock; `prepare` then finds every
    workbook already read."""
    from ingest.templates import workbook_rows
    from ingest.waits import chs_sheets

    for u in uploads:
        if Path(u.name).suffix.lower() not in (".xlsx", ".xlsm"):
            continue
        if u.kind == "chs":
            chs_sheets(u.data, Path(u.name).name)
        elif u.kind in ("template", "waits"):
            workbook_rows(u.data, Path(u.name).name)


def _same_kind(uploads: list[Upload]) -> dict[str, list[Upload]]:
    """The uploads that are one template (or one kind of file that can only come once), by what they are."""
    groups: dict[str, list[Upload]] = {}
    for u in uploads:
        what = {"template": f"the {u.table} template", "waits": "the locality waiting-times return"}.get(u.kind)
        if u.kind == "wards":
            what = "ONS ward boundaries"
        if what:
            groups.setdefault(what, []).append(u)
    return groups


def duplicates(uploads: list[Upload]) -> list[Problem]:
    """A problem for each template uploaded in more than one file: which file's rows would win would depend on the
    order they were chosen in, so the pair is refused and the officer puts the rows in one file."""
    return [
        Problem(
            " and ".join(u.name for u in group),
            f"each is {what}; "
            + (
                "upload only the one to use"
                if what == "ONS ward boundaries"
                else "put the rows in one file and upload that"
            )
            + " (which file would win depends on the order they were chosen in, so neither is used)",
        )
        for what, group in _same_kind(uploads).items()
        if len(group) > 1
    ]


def prepare(
    base: Snapshot,
    uploads: list[Upload],
    *,
    replace: set[str] = frozenset(),
    work_dir: Path,
    as_at: str,
) -> Plan:
    """Lay every recognised upload onto the base's tables with `ingest.assemble`. Every problem in every file is
    listed, those of the uploads (not recognised, or a template twice) first; `replace` names template tables to
    replace whole instead of merging."""
    problems = [
        Problem(u.name, u.note or "not recognised as any of the templates or public files this dashboard reads")
        for u in uploads
        if u.kind == "unknown"
    ]
    problems += duplicates(uploads)
    # neither file of a pair is read; the other files are, so that every problem is listed at once
    doubled = {id(u) for group in _same_kind(uploads).values() if len(group) > 1 for u in group}
    with tempfile.TemporaryDirectory(prefix=".tmp-upload-", dir=work_dir) as tmp:
        sources = []
        for u in uploads:
            if u.kind == "unknown" or id(u) in doubled:
                continue
            path = Path(tmp) / Path(u.name).name
            path.write_bytes(u.data)
            sources.append(Source(u.kind, path, table=u.table, label=u.name))
        plan = assemble(base, sources, replace=replace)
    if problems:
        plan.problems[:0] = problems
        plan.tables = {}
    return plan


def rescored_same_direction(old: pl.DataFrame, edited: pl.DataFrame | None) -> list[dict]:
    """The risks whose score (likelihood × severity) an edit changes while their direction stays as it was: a
    re-scored risk usually has a new direction, so the officer is asked to set it or confirm it."""
    if edited is None or not edited.height:
        return []
    new = edited.select(
        "risk_id",
        pl.col("direction").alias("direction_now"),
        (pl.col("likelihood").cast(pl.Int16) * pl.col("severity").cast(pl.Int16)).alias("score_now"),
    )
    rows = (
        old.select("risk_id", "title", "direction", pl.col("score").cast(pl.Int16))
        .join(new, on="risk_id")
        .filter(pl.col("score_now").ne_missing(pl.col("score")) & (pl.col("direction_now") == pl.col("direction")))
        .sort("risk_id")
    )
    return rows.select("risk_id", "title", "direction", "score", "score_now").to_dicts()


def apply_edits(
    base: Snapshot,
    *,
    actions: pl.DataFrame | None,
    risks: pl.DataFrame | None,
    notes: list[dict],
    as_at: date,
    who: str,
    direction_confirmed: set[str] = frozenset(),
) -> Plan:
    """The base's tables with edited actions and risks (the editable columns only) and new commentary notes; every
    changed row is recorded with who changed it; checked against the snapshot contract. A risk re-scored with its
    direction unchanged is refused unless its id is in `direction_confirmed`."""
    before = {name: scan_table(base, name).collect() for name in TABLES}
    plan = Plan(tables=dict(before), origin="edits")
    t = plan.tables
    for r in rescored_same_direction(t["risks"], risks):
        if r["risk_id"] not in direction_confirmed:
            plan.problems.append(
                Problem(
                    "risks",
                    f"the score goes from {r['score']} to {r['score_now']} but the direction is still "
                    f"“{r['direction'].capitalize()}” — set the direction that the new score shows, or tick the box to "
                    "confirm it is unchanged",
                    f"risk {r['risk_id']}",
                )
            )
    for table, edited, editable in (
        ("actions", actions, ["status", "progress_note", "due_date"]),
        ("risks", risks, ["likelihood", "severity", "direction", "status", "mitigation"]),
    ):
        if edited is None:
            continue
        key = list(TABLES[table].key)
        old = t[table]
        new = old.drop(editable).join(edited.select(key + editable), on=key, how="left").select(old.columns)
        if table == "risks":
            new = new.with_columns(score=(pl.col("likelihood").cast(pl.Int16) * pl.col("severity")).cast(pl.Int8))
        compared = key + editable
        changed = new.select(compared).join(old.select(compared), on=compared, how="anti", nulls_equal=True)
        if table == "actions" and changed.height:
            ids = changed["action_id"].to_list()
            new = new.with_columns(
                updated=pl.when(pl.col("action_id").is_in(ids)).then(pl.lit(as_at)).otherwise(pl.col("updated"))
            )
        for k in changed.select(key).iter_rows():
            plan.changes.append({"table": table, "key": "/".join(map(str, k)), "by": who})
        t[table] = new.sort(key)
        if changed.height:
            plan.notes.append(f"{table}: {changed.height} row(s) edited in the app by {who}.")
    if notes:
        added = pl.DataFrame(notes, schema=TABLES["commentary"].columns)
        t["commentary"], _, _ = merge(t["commentary"], added, list(TABLES["commentary"].key))
        for r in added.iter_rows(named=True):
            plan.changes.append(
                {"table": "commentary", "key": f"{r['workstream']}/{r['written']}/{r['kind']}", "by": who}
            )
        plan.notes.append(f"commentary: {added.height} note(s) written in the app by {who}.")
    for name in ("actions", "risks", "commentary"):
        plan.problems += of(name, validate_frame(name, t[name]))
    if not plan.changes:
        plan.problems.append(said("Nothing was changed: edit a row or write a note first."))
    if plan.problems:
        plan.tables = {}
    else:
        plan.rows = row_changes(before, plan.tables)
    return plan
