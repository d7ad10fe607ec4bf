"""The month's update on top of a published snapshot: recognise uploaded files, read them with the same readers as
`python -m ingest build` (templates, DfE EHCP, NHS CHS, the locality return, ONS wards), merge them into the base
snapshot's tables by each table's key, apply edits to actions, risks and commentary, and check the result against
the snapshot contract — all before anything is written. Publishing goes through the atomic writer.

Streamlit-free: the Update data page and the tests call it alike. Uploaded files are held in memory and written
only into a temporary folder beside the snapshots (dot-named, so never listed as one), removed afterwards.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from ingest.catalogue import DFE, apply_plan, catalogue_frame, manifest_plan
from ingest.derive import rederive_waits, source_entry
from ingest.ees import TRIBUNAL
from ingest.ees import USED as EES_STEMS  # the DfE files recognised by name
from ingest.local import TEMPLATES, read_template
from metrics.schema import TABLES, validate_frame
from metrics.snapshot import Snapshot, scan_table

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # per file, checked before any parsing
# template → the snapshot table its rows are merged into (annual reviews become kpi_values rows)
TEMPLATE_TABLE = {name: ("kpi_values" if name == "annual_reviews" else name) for name in TEMPLATES}
KINDS = {
    "template": "local template",
    "waits": "locality waiting-times return",
    "ehcp": "DfE EHC plans (SEN2) release",
    "chs": "NHS England community health services workbook",
    "wards": "ONS ward boundaries (GeoJSON)",
    "unknown": "not recognised",
}


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


@dataclass
class Plan:
    """A candidate update: the tables it would publish, the sources and notes for the manifest, every problem, and
    the rows each table gained, changed or kept (for the preview)."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # {"table", "key", "by"} per changed row
    names: dict[str, str] = field(default_factory=dict)  # area and organisation names read from the uploads
    region: dict | None = None  # the area's region, from an uploaded DfE release

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.tables)


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
        import io

        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            sheets = wb.sheetnames
            wb.close()
        except Exception:  # not a workbook: left unrecognised, and said so
            up.note = "not a readable workbook"
            return up
        if any(re.match(r"^Table 4[a-z]?$", s) for s in sheets):
            up.kind = "chs"
        elif stem in TEMPLATES:
            up.kind, up.table = "template", stem
        elif stem == "waiting_times":
            up.kind = "waits"
    return up


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with list columns as text, so whole rows can be compared by a join."""
    return frame.with_columns(pl.col(c).list.join("\u241f") for c, t in frame.schema.items() if isinstance(t, pl.List))


def merge(base: pl.DataFrame, new: pl.DataFrame, key: list[str]) -> tuple[pl.DataFrame, int, int]:
    """`new` laid over `base` by `key`: rows with a new key are added, rows with a known key replace the old one.
    Returns the merged table (sorted by key) and how many rows were added and how many changed."""
    new = new.select(base.columns)
    known = new.join(base.select(key), on=key, how="semi")
    same = _comparable(known).join(_comparable(base), on=base.columns, how="semi", nulls_equal=True)
    added = new.height - known.height
    changed = known.height - same.height
    merged = pl.concat([base.join(new.select(key), on=key, how="anti"), new]).sort(key)
    return merged, added, changed


def prepare(
    base: Snapshot,
    uploads: list[Upload],
    *,
    replace: set[str] = frozenset(),
    work_dir: Path,
    as_at: str,
) -> Plan:
    """Read every recognised upload with the importers' own readers and merge it into the base's tables. Every
    problem in every file is listed; `replace` names template tables to replace whole instead of merging."""
    plan = Plan(tables={name: scan_table(base, name).collect() for name in TABLES})
    unknown = [u for u in uploads if u.kind == "unknown"]
    plan.problems += [
        f"{u.name}: {u.note or 'not recognised as any of the templates or public files this dashboard reads'}"
        for u in unknown
    ]
    with tempfile.TemporaryDirectory(prefix=".tmp-upload-", dir=work_dir) as tmp:
        folder = Path(tmp)
        paths = {}
        for u in uploads:
            if u.kind == "unknown":
                continue
            path = folder / Path(u.name).name
            path.write_bytes(u.data)
            paths[u.name] = path
        _read_all(base, uploads, paths, plan, replace)
    if not plan.problems:
        for name, frame in plan.tables.items():
            plan.problems += [f"{name}: {p}" for p in validate_frame(name, frame)]
        unknown_kpis = sorted(set(plan.tables["kpi_values"]["kpi_id"]) - set(plan.tables["kpi_catalogue"]["kpi_id"]))
        if unknown_kpis:
            plan.problems.append(f"kpi_values: indicator(s) {', '.join(unknown_kpis)} are not in the catalogue")
    if plan.problems:
        plan.tables = {}
    return plan


def _read_all(base: Snapshot, uploads: list[Upload], paths: dict[str, Path], plan: Plan, replace: set[str]) -> None:
    from ingest.ees import combine, read_ehcp
    from ingest.geo import read_wards, wards_table
    from ingest.waits import merge_waits, read_chs_workbook, read_locality_return

    t = plan.tables
    wards_known = set(t["wards"]["ward_code"])
    for u in uploads:
        if u.name not in paths:
            continue
        path = paths[u.name]
        if u.kind == "template":
            frame, found = read_template(u.table, path, la_code=base.la_code, ward_codes=wards_known or None)
            plan.problems += found
            if found:
                continue
            table = TEMPLATE_TABLE[u.table]
            key = list(TABLES[table].key)
            if u.table in replace:
                t[table] = frame.select(t[table].columns).sort(key)
                plan.notes.append(f"{table} replaced whole by {u.name} ({frame.height} rows).")
            else:
                t[table], added, changed = merge(t[table], frame, key)
                plan.notes.append(f"{table}: {added} row(s) added and {changed} changed from {u.name}.")
            plan.sources.append(source_entry(path, f"Local template: {u.table}", "local"))
        elif u.kind == "waits":
            from metrics.areas import setup_of

            frame, found = read_locality_return(path, setup_of(base.manifest).localities)
            plan.problems += found
            if not found:
                t["waiting_times"] = merge_waits(t["waiting_times"], frame)
                t["kpi_values"] = rederive_waits(t["kpi_values"], t["waiting_times"], base.la_code)
                plan.notes.append(f"{frame.height} locality waiting-time rows from {u.name}.")
                plan.sources.append(source_entry(path, "Locality waiting-times return", "local"))
        elif u.kind == "chs":
            frame, found = read_chs_workbook(path, plan.names)
            plan.problems += found
            if not found:
                t["waiting_times"] = merge_waits(t["waiting_times"], frame)
                plan.notes.append(f"{frame.height} NHS England community waiting-list rows from {u.name}.")
                plan.sources.append(
                    source_entry(path, "NHS England community health services waiting lists", "NHS England")
                )
        elif u.kind == "ehcp":
            result = read_ehcp(path)
            plan.problems += result.problems
            if not result.problems and result.values.height:
                plan.names.update(result.names)
                if base.la_code in result.regions:
                    code, name = result.regions[base.la_code]
                    plan.region = {"code": code, "name": name}
                rows, _ = combine([result])
                t["kpi_values"], added, changed = merge(t["kpi_values"], rows, list(TABLES["kpi_values"].key))
                # the DfE indicators new to this snapshot get their definitions, as `build` gives them; those the
                # snapshot has already keep theirs (and any local target)
                missing = [DFE[k] for k in DFE if k in set(rows["kpi_id"]) - set(t["kpi_catalogue"]["kpi_id"])]
                missing = apply_plan(missing, manifest_plan(base.manifest))  # placed as the area's plan says
                if missing:
                    extra = catalogue_frame(missing).select(t["kpi_catalogue"].columns)
                    t["kpi_catalogue"] = pl.concat([t["kpi_catalogue"], extra]).sort("theme", "workstream", "kpi_id")
                    plan.notes.append(f"kpi_catalogue: {len(missing)} DfE indicator(s) added from {u.name}.")
                plan.notes.append(
                    f"DfE EHC plans (SEN2) to {result.release} from {u.name}: {added} row(s) added, {changed} revised."
                )
                plan.sources.append(
                    source_entry(path, f"DfE Education, health and care plans (SEN2), data to {result.release}", "DfE")
                )
        elif u.kind == "wards":
            wards, found = read_wards(path, base.la_code)
            codes = {w.code for w in wards}
            if wards_known and not found and codes != wards_known:
                found = [
                    f"{u.name}: the wards differ from the snapshot's (missing {sorted(wards_known - codes)[:5]}, "
                    f"unexpected {sorted(codes - wards_known)[:5]}); a different boundary year?"
                ]
            plan.problems += found
            if not found:
                extra = {r["ward_code"]: r for r in t["wards"].iter_rows(named=True)}
                t["wards"] = wards_table(wards, extra)
                plan.notes.append(f"{len(wards)} wards with ONS boundaries from {u.name}.")
                plan.sources.append(source_entry(path, "ONS ward boundaries", "Office for National Statistics"))


def apply_edits(
    base: Snapshot,
    *,
    actions: pl.DataFrame | None,
    risks: pl.DataFrame | None,
    notes: list[dict],
    as_at: date,
    who: str,
) -> Plan:
    """The base's tables with edited actions and risks (the editable columns only) and new commentary notes; every
    changed row is recorded with who changed it; checked against the snapshot contract."""
    plan = Plan(tables={name: scan_table(base, name).collect() for name in TABLES})
    t = plan.tables
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
        plan.problems += [f"{name}: {p}" for p in validate_frame(name, t[name])]
    if not plan.changes:
        plan.problems.append("Nothing was changed: edit a row or write a note first.")
    if plan.problems:
        plan.tables = {}
    return plan


def candidate(base: Snapshot, plan: Plan, as_at: str) -> Snapshot:
    """The snapshot the plan would publish, held in memory (never written), for the preview."""
    manifest = {**base.manifest, "as_at": as_at, "sources": [*base.manifest.get("sources", []), *plan.sources]}
    return Snapshot(
        path=Path(f".candidate-{as_at}"),
        as_at=date.fromisoformat(as_at),
        la_code=base.la_code,
        la_name=base.la_name,
        demo=base.demo,
        manifest_json=json.dumps(manifest, sort_keys=True, default=str),
        frames=plan.tables,
    )


def publish(base: Snapshot, plan: Plan, *, out_root: Path, as_at: str, publisher: dict, replace: bool) -> Path:
    """Write the plan as a new snapshot through the atomic writer, recording who published it and what changed."""
    from ingest.writer import write_snapshot

    manifest = base.manifest
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    extra = {"published_by": {**publisher, "at": stamp}}
    for block in ("region", "system"):
        if isinstance(manifest.get(block), dict):
            extra[block] = manifest[block]
    if plan.region:
        extra["region"] = plan.region
    if "system" not in extra:
        from metrics.areas import default_system

        known = default_system(base.la_code)
        if known is not None:
            extra["system"] = known.block()
    config = dict(manifest.get("config") or {})
    if plan.names:
        config["area_names"] = {**plan.names, **(config.get("area_names") or {})}
    if plan.changes:
        extra["changes"] = plan.changes
    return write_snapshot(
        plan.tables,
        out_root=out_root,
        as_at=as_at,
        area=manifest["area"],
        demo=manifest["demo"],
        sources=[*manifest.get("sources", []), *plan.sources],
        replace=replace,
        notes=[*manifest.get("notes", []), *plan.notes, f"Published in the app on top of snapshot {base.id}."],
        config=config or None,
        extra=extra,
    )


PROBLEM = re.compile(
    r"^(?P<file>[^,:]+?)(?:, (?:row (?P<row>\d+)|sheet '(?P<sheet>[^']*)'|feature (?P<feature>\d+)|organisation "
    r"(?P<org>\S+)))?(?:, [^:]*?column '(?P<column>[^']*)')?: (?:value '(?P<value>.*)' — expected (?P<expected>.*)|(?P<text>.*))$"
)


def problems_table(problems: list[str]) -> pl.DataFrame:
    """Problems as a table people can sort and download: file, row, column, value, expected."""
    rows = []
    for p in problems:
        m = PROBLEM.match(p)
        if not m:
            rows.append({"File": "", "Row": "", "Column": "", "Value": "", "Expected": p})
            continue
        where = (
            m["row"]
            or (f"sheet {m['sheet']}" if m["sheet"] else "")
            or (f"feature {m['feature']}" if m["feature"] else "")
            or (m["org"] or "")
        )
        rows.append(
            {
                "File": m["file"],
                "Row": where,
                "Column": m["column"] or "",
                "Value": m["value"] or "",
                "Expected": m["expected"] or m["text"] or "",
            }
        )
    return pl.DataFrame(rows, schema={c: pl.String for c in ("File", "Row", "Column", "Value", "Expected")})
