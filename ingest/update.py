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

from ingest import workbook
from ingest.catalogue import DFE, apply_plan, catalogue_frame, manifest_plan
from ingest.derive import rederive_waits, source_entry
from ingest.ees import TRIBUNAL
from ingest.ees import USED as EES_STEMS  # the DfE files recognised by name
from ingest.local import TEMPLATES, read_template
from ingest.templates import read_rows
from metrics.schema import TABLES, validate_frame
from metrics.snapshot import Snapshot, scan_table

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # per file, checked before any parsing
# template → the snapshot table its rows are merged into (annual reviews become kpi_values rows)
TEMPLATE_TABLE = {name: ("kpi_values" if name == "annual_reviews" else name) for name in TEMPLATES}
# columns a template does not carry: a row it revises keeps the snapshot's values of these (a catalogue row setting a
# target keeps the indicator's SPC rebasing dates; a wards.csv row keeps the ward's outline from the boundary file)
KEPT = {"kpi_catalogue": ("spc_rebase", "next_update"), "wards": ("lon", "lat", "geometry", "geometry_source")}
CHANGE_COLUMNS = ("Table", "Row", "Change", "Column", "Was", "Now")
KINDS = {
    "template": "local template",
    "waits": "locality waiting-times return",
    "ehcp": "DfE EHC plans (SEN2) release",
    "lait": "DfE LAIT file",
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
    config: dict = field(default_factory=dict)  # manifest config settings the uploads set (LAIT's neighbours)
    origin: str = "files"  # "files" (uploads) or "edits" (the edit tab), for the words of the preview
    rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=dict.fromkeys(CHANGE_COLUMNS, pl.String)))

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.tables)

    @property
    def unchanged(self) -> bool:
        """Checked and fine, but not one row of any table nor any setting would change: nothing to publish."""
        return self.ok and self.rows.height == 0 and not self.config


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


def _list_text(column: str, sep: str) -> pl.Expr:
    """A list column as one text, whatever its items are (the catalogue's SPC rebasing dates are a list of dates)."""
    return pl.col(column).list.eval(pl.element().cast(pl.String)).list.join(sep)


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with list columns as text, so whole rows can be compared by a join."""
    return frame.with_columns(_list_text(c, "\u241f") for c, t in frame.schema.items() if isinstance(t, pl.List))


def _keep_from(base: pl.DataFrame, new: pl.DataFrame, key: list[str], keep: tuple[str, ...]) -> pl.DataFrame:
    """`new` with its `keep` columns taken from `base`'s row of the same key, where there is one."""
    if not keep:
        return new.select(base.columns)
    old = base.select(*key, *keep, pl.lit(True).alias("__known"))
    return (
        new.join(old, on=key, how="left", suffix="__base", nulls_equal=True)
        .with_columns(pl.when(pl.col("__known")).then(pl.col(f"{c}__base")).otherwise(pl.col(c)).alias(c) for c in keep)
        .select(base.columns)
    )


def merge(
    base: pl.DataFrame, new: pl.DataFrame, key: list[str], keep: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, int, int]:
    """`new` laid over `base` by `key`: rows with a new key are added, rows with a known key replace the old one,
    except for the `keep` columns (those the file does not carry), which a replaced row takes from `base`.
    Returns the merged table (sorted by key) and how many rows were added and how many changed."""
    new = _keep_from(base, new.select(base.columns), key, keep)
    known = new.join(base.select(key), on=key, how="semi", nulls_equal=True)
    same = _comparable(known).join(_comparable(base), on=base.columns, how="semi", nulls_equal=True)
    added = new.height - known.height
    changed = known.height - same.height
    merged = pl.concat([base.join(new.select(key), on=key, how="anti", nulls_equal=True), new]).sort(key)
    return merged, added, changed


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every cell as the text people would write in a template: whole numbers without ".0", lists separated by
    "; ", an outline as its number of points (its GeoJSON text is thousands of characters)."""
    out = []
    for c, t in frame.schema.items():
        col = pl.col(c)
        if isinstance(t, pl.List):
            out.append(_list_text(c, "; "))
        elif t.is_float():
            whole = col.is_finite() & (col == col.round(0)) & (col.abs() < 1e15)
            out.append(pl.when(whole).then(col.cast(pl.Int64).cast(pl.String)).otherwise(col.cast(pl.String)).alias(c))
        elif c == "geometry":
            out.append(pl.format("an outline of {} points", col.str.count_matches(r"\[\s*-?\d")).alias(c))
        else:
            out.append(col.cast(pl.String))
    return frame.select(out)


def _describe(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """A whole row as "column: value; …", its empty cells left out: how an added or removed row is shown."""
    parts = [pl.when(pl.col(c).fill_null("") != "").then(pl.format("{}: {}", pl.lit(c), pl.col(c))) for c in columns]
    return pl.concat_list(parts).list.drop_nulls().list.join("; ")


def row_changes(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every row of every table that differs between two sets of tables, matched by each table's key: one line per
    changed cell (its column, old and new value) and one per added or removed row (all its values). The preview
    shows it, so that no upload or edit overwrites a row unseen."""
    parts = []
    for name, spec in TABLES.items():
        if name not in before or name not in after:
            continue
        key, columns = list(spec.key), list(spec.columns)
        rest = [c for c in columns if c not in key]
        old, new = _as_text(before[name].select(columns)), _as_text(after[name].select(columns))
        old_only = old.join(new, on=columns, how="anti", nulls_equal=True)
        new_only = new.join(old, on=columns, how="anti", nulls_equal=True)
        if not old_only.height and not new_only.height:
            continue
        label = pl.concat_list(key).list.eval(pl.element().filter(pl.element() != "")).list.join(" · ").alias("Row")
        both = old_only.join(new_only, on=key, how="inner", suffix="__now", nulls_equal=True)
        for c in rest:
            differ = both.filter(pl.col(c).ne_missing(pl.col(f"{c}__now")))
            parts.append(
                differ.select(
                    pl.lit(name).alias("Table"),
                    label,
                    pl.lit("Changed").alias("Change"),
                    pl.lit(c).alias("Column"),
                    pl.col(c).fill_null("").alias("Was"),
                    pl.col(f"{c}__now").fill_null("").alias("Now"),
                )
            )
        for frame, other, change in ((new_only, old_only, "Added"), (old_only, new_only, "Removed")):
            alone = frame.join(other.select(key), on=key, how="anti", nulls_equal=True)
            described = _describe(alone, rest)
            parts.append(
                alone.select(
                    pl.lit(name).alias("Table"),
                    label,
                    pl.lit(change).alias("Change"),
                    pl.lit("").alias("Column"),
                    (pl.lit("") if change == "Added" else described).alias("Was"),
                    (described if change == "Added" else pl.lit("")).alias("Now"),
                )
            )
    empty = pl.DataFrame(schema=dict.fromkeys(CHANGE_COLUMNS, pl.String))
    if not parts:
        return empty
    order = {name: i for i, name in enumerate(TABLES)}
    return (
        pl.concat([empty, *parts])
        .with_columns(
            pl.col("Table").replace_strict(order, return_dtype=pl.Int32).alias("_t"),
            pl.col("Change").replace_strict({"Changed": 0, "Added": 1, "Removed": 2}, return_dtype=pl.Int8).alias("_c"),
        )
        .sort("_t", "_c", "Row", maintain_order=True)
        .drop("_t", "_c")
    )


def _rows(n: int) -> str:
    return "no rows" if n == 0 else f"{n:,} row" + ("" if n == 1 else "s")


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


def duplicates(uploads: list[Upload]) -> list[str]:
    """A problem for each template uploaded in more than one file: which file's rows would win would depend on the
    order they were chosen in, so the pair is refused and the officer puts the rows in one file."""
    return [
        f"{' and '.join(u.name for u in group)}: each is {what}; "
        + (
            "upload only the one to use"
            if what == "ONS ward boundaries"
            else "put the rows in one file and upload that"
        )
        + " (which file would win depends on the order they were chosen in, so neither is used)"
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
    """Read every recognised upload with the importers' own readers and merge it into the base's tables. Every
    problem in every file is listed; `replace` names template tables to replace whole instead of merging."""
    before = {name: scan_table(base, name).collect() for name in TABLES}
    plan = Plan(tables=dict(before))
    unknown = [u for u in uploads if u.kind == "unknown"]
    plan.problems += [
        f"{u.name}: {u.note or 'not recognised as any of the templates or public files this dashboard reads'}"
        for u in unknown
    ]
    plan.problems += duplicates(uploads)
    # neither file of a pair is read; the other files are, so that every problem is listed at once
    doubled = {id(u) for group in _same_kind(uploads).values() if len(group) > 1 for u in group}
    uploads = [u for u in uploads if id(u) not in doubled]
    # ward boundaries first, then wards.csv, then the rest: a ward's town or the month's ward counts may be for a
    # ward the boundary file brings in the same upload
    uploads = sorted(uploads, key=lambda u: 0 if u.kind == "wards" else 1 if u.table == "wards" else 2)
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
    else:
        plan.rows = row_changes(before, plan.tables)
    return plan


def _no_rows(path: Path, template) -> bool:
    """Whether the file is a template's header with no rows under it (as the templates are shipped): nothing to
    merge, and not an error. A header with columns missing is read as usual, so its problems are listed."""
    header, rows, found = read_rows(path)
    return not found and not rows and all(c.name in header for c in template.columns if c.required)


def _read_all(base: Snapshot, uploads: list[Upload], paths: dict[str, Path], plan: Plan, replace: set[str]) -> None:
    from ingest.ees import combine, read_ehcp
    from ingest.geo import read_wards, wards_table
    from ingest.waits import locality_template, merge_waits, read_chs_workbooks, read_locality_return
    from metrics.areas import setup_of

    t = plan.tables
    localities = setup_of(base.manifest).localities
    # the NHS workbooks read together, so that one from before August 2023 (organisations named without codes) is
    # matched by the others and by the codes the snapshot already knows
    chs = [paths[u.name] for u in uploads if u.kind == "chs" and u.name in paths]
    known = {**((base.manifest.get("config") or {}).get("area_names") or {}), **plan.names}
    chs_read = {p.name: (frame, found) for p, frame, found in read_chs_workbooks(chs, known, plan.notes)}
    plan.names.update({c: n for c, n in known.items() if c not in plan.names})
    lait = [paths[u.name] for u in uploads if u.kind == "lait" and u.name in paths]
    if lait:  # LAIT's files go together: read them as one source
        _read_lait(base, lait, plan)
    for u in uploads:
        if u.name not in paths:
            continue
        path = paths[u.name]
        shape = TEMPLATES.get(u.table) if u.kind == "template" else None
        if u.kind == "waits":
            shape = locality_template(localities or ("",))
        if shape is not None and _no_rows(path, shape):
            table = TEMPLATE_TABLE.get(u.table, "waiting_times")
            if u.table in replace:
                plan.problems.append(
                    f"{u.name}: the header and no rows, so it cannot replace {table}; add the rows, or untick "
                    f"“Replace this table”"
                )
            else:
                plan.notes.append(f"{u.name}: the header and no rows, so {table} is carried over unchanged.")
            continue
        wards_known = set(t["wards"]["ward_code"])  # after any boundary file read above
        if u.kind == "template":
            frame, found = read_template(u.table, path, la_code=base.la_code, ward_codes=wards_known or None)
            if u.table == "wards" and not found:
                unknown = sorted(set(frame["ward_code"]) - wards_known)
                if unknown:
                    found = [
                        f"{u.name}: ward code(s) {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''} are "
                        f"not wards of the snapshot; a ward's outline comes from the ONS boundary file, so upload it "
                        "with wards.csv"
                    ]
            plan.problems += found
            if found:
                continue
            table = TEMPLATE_TABLE[u.table]
            key = list(TABLES[table].key)
            keep = KEPT.get(u.table, ())
            frame = frame.with_columns(pl.lit(None).alias(c) for c in keep if c not in frame.columns)
            frame = frame.select(pl.col(c).cast(d) for c, d in TABLES[table].columns.items())
            if u.table in replace:  # a whole table of wards or definitions still keeps what the file does not carry
                frame = _keep_from(t[table], frame, key, keep)
                t[table] = frame.sort(key)
                plan.notes.append(f"{u.name}: {table} replaced whole by its {_rows(frame.height)}.")
            else:
                t[table], added, changed = merge(t[table], frame, key, keep)
                plan.notes.append(f"{u.name}: {_rows(added)} added and {_rows(changed)} changed in {table}.")
            plan.sources.append(source_entry(path, f"Local template: {u.table}", "local"))
        elif u.kind == "waits":
            frame, found = read_locality_return(path, localities)
            plan.problems += found
            if not found:
                t["waiting_times"] = merge_waits(t["waiting_times"], frame)
                t["kpi_values"] = rederive_waits(t["kpi_values"], t["waiting_times"], base.la_code)
                plan.notes.append(f"{u.name}: {_rows(frame.height)} of locality waiting times.")
                plan.sources.append(source_entry(path, "Locality waiting-times return", "local"))
        elif u.kind == "chs":
            frame, found = chs_read[path.name]
            plan.problems += found
            if not found:
                t["waiting_times"] = merge_waits(t["waiting_times"], frame)
                plan.notes.append(f"{u.name}: {_rows(frame.height)} of NHS England community waiting lists.")
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
                    plan.notes.append(
                        f"{u.name}: the definitions of {len(missing)} DfE indicator"
                        f"{'' if len(missing) == 1 else 's'} new to the snapshot added to kpi_catalogue."
                    )
                plan.notes.append(
                    f"{u.name}: DfE EHC plans (SEN2) to {result.release}, {_rows(added)} added and {_rows(changed)} "
                    "revised in kpi_values."
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
                plan.notes.append(f"{u.name}: ONS boundaries of {len(wards)} wards.")
                plan.sources.append(source_entry(path, "ONS ward boundaries", "Office for National Statistics"))


def _read_lait(base: Snapshot, paths: list[Path], plan: Plan) -> None:
    """LAIT's uploaded files, read as `build` reads them: their rows laid over kpi_values by key, the definitions of
    measures new to the snapshot added (placed as the area's plan says, or on Benchmarks only), and, unless the
    area's neighbours were set in its build config, its ten from the statistical neighbours file."""
    from ingest.lacodes import la_codes
    from ingest.lait import KINDS as LAIT_KINDS
    from ingest.lait import read_lait

    t = plan.tables
    result = read_lait(paths, la_codes())
    plan.problems += result.problems
    if result.problems:
        return
    names = ", ".join(p.name for p in paths)
    if result.values.height:
        t["kpi_values"], added, changed = merge(t["kpi_values"], result.values, list(TABLES["kpi_values"].key))
        missing = [k for k in result.kpis if k.kpi_id not in set(t["kpi_catalogue"]["kpi_id"])]
        missing = apply_plan(missing, manifest_plan(base.manifest))
        if missing:
            extra = catalogue_frame(missing).select(t["kpi_catalogue"].columns)
            t["kpi_catalogue"] = pl.concat([t["kpi_catalogue"], extra]).sort("theme", "workstream", "kpi_id")
        plan.notes.append(
            f"{names}: {len(result.kpis)} LAIT measures, {_rows(added)} added and {_rows(changed)} revised in "
            f"kpi_values; {len(missing)} definition{'' if len(missing) == 1 else 's'} added to kpi_catalogue."
        )
    plan.names.update({c: n for c, n in result.names.items() if c not in plan.names})
    plan.notes += result.notes
    config = base.manifest.get("config") or {}
    configured = (config.get("neighbours_set") or {}).get(
        "name"
    ) == "the statistical neighbours set in the build config"
    if base.la_code in result.neighbours and not configured:
        nearest = result.neighbours[base.la_code]
        plan.config["comparators"] = {**(config.get("comparators") or {}), "neighbours": [c for c, _ in nearest]}
        plan.config["neighbours_set"] = {"name": result.neighbours_set, "closeness": {c: w for c, w in nearest if w}}
        plan.notes.append(f"{base.la_name}'s statistical neighbours: its ten in {result.neighbours_set}.")
    if result.regions:
        plan.config["la_regions"] = dict(sorted({**result.regions, **(config.get("la_regions") or {})}.items()))
    for key in list(plan.config):  # a setting the files leave as it was is no change
        if plan.config[key] == config.get(key):
            del plan.config[key]
    for kind, path in result.files.items():
        plan.sources.append(source_entry(path, LAIT_KINDS[kind], "Department for Education"))


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
                f"risks, risk {r['risk_id']}: the score goes from {r['score']} to {r['score_now']} but the direction "
                f"is still “{r['direction'].capitalize()}” — set the direction that the new score shows, or tick the box to "
                "confirm it is unchanged"
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
        plan.problems += [f"{name}: {p}" for p in validate_frame(name, t[name])]
    if not plan.changes:
        plan.problems.append("Nothing was changed: edit a row or write a note first.")
    if plan.problems:
        plan.tables = {}
    else:
        plan.rows = row_changes(before, plan.tables)
    return plan


def candidate(base: Snapshot, plan: Plan, as_at: str) -> Snapshot:
    """The snapshot the plan would publish, held in memory (never written), for the preview."""
    manifest = {**base.manifest, "as_at": as_at, "sources": [*base.manifest.get("sources", []), *plan.sources]}
    if plan.config:  # the neighbours an upload sets, previewed as they would be published
        manifest["config"] = {**(base.manifest.get("config") or {}), **plan.config}
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
    config = {**(manifest.get("config") or {}), **plan.config}
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
    r"(?P<org>\S+)|(?P<item>(?:risk|kpi|action) [^\s:,]+)))?(?:, [^:]*?column '(?P<column>[^']*)')?: (?:value '(?P<value>.*)' — expected (?P<expected>.*)|(?P<text>.*))$"
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
            or (m["item"] or "")
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
