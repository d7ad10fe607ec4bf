"""One way to lay source files onto a snapshot: a plan of sources → checked tables → the atomic writer.

`assemble` reads each source with its reader (local templates, the locality waiting-times return, NHS England CHS
workbooks, DfE EHCP releases and LAIT files, ONS ward boundaries), lays its rows over the base snapshot's tables by
each table's key, adds the definitions of shared indicators new to the snapshot, and checks the result against the
snapshot contract. Every route onto a snapshot calls it: `python -m ingest build` (`ingest.build`, over an empty
snapshot of the area made from its config), the Update data page (`ingest.update.prepare`, for uploaded files) and
the one-source commands (`python -m ingest waits|chs|wards`), so a file gives the same tables whichever way it comes
in; `publish` writes an update through the atomic writer. Every problem of every source is listed at once, and
nothing is written while there is one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from ingest.catalogue import DFE, apply_plan, catalogue_table, manifest_plan
from ingest.derive import rederive_waits, source_entry
from ingest.local import TEMPLATES, read_template
from ingest.merge import CHANGE_COLUMNS, keep_from, merge, row_changes
from ingest.problems import Problem, of
from ingest.templates import read_rows
from metrics.schema import TABLES, validate_frame
from metrics.snapshot import Snapshot, scan_table

# template → the snapshot table its rows are merged into (annual reviews become kpi_values rows)
TEMPLATE_TABLE = {name: ("kpi_values" if name == "annual_reviews" else name) for name in TEMPLATES}
# columns a template does not carry: a row it revises keeps the snapshot's values of these (a catalogue row setting a
# target keeps the indicator's SPC rebasing dates; a wards.csv row keeps the ward's outline from the boundary file)
KEPT = {"kpi_catalogue": ("spc_rebase", "next_update"), "wards": ("lon", "lat", "geometry", "geometry_source")}
# how a manifest says its neighbours were set by hand in the build config (LAIT's file then leaves them alone)
CONFIGURED_NEIGHBOURS = "the statistical neighbours set in the build config"
# the kinds of source, as the manifest and the preview name them
KINDS = {
    "template": "local template",
    "waits": "locality waiting-times return",
    "ehcp": "DfE EHC plans (SEN2) release",
    "lait": "DfE LAIT file",
    "chs": "NHS England community health services workbook",
    "wards": "ONS ward boundaries (GeoJSON)",
}


@dataclass(frozen=True)
class Source:
    """One file to lay onto the snapshot: what it is (one of KINDS; a template names its table), where it is, and
    the name its owner knows it by (an upload's own name; by default the file's)."""

    kind: str
    path: Path
    table: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or Path(self.path).name


@dataclass
class Plan:
    """A candidate update: the tables it would publish, the sources and notes for the manifest, every problem, and
    the rows each table gained, changed or kept (for the preview)."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
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


def _rows(n: int) -> str:
    return "no rows" if n == 0 else f"{n:,} row" + ("" if n == 1 else "s")


def assemble(
    base: Snapshot,
    sources: list[Source],
    *,
    replace: set[str] = frozenset(),
    log: Callable[[str], None] = lambda _line: None,
) -> Plan:
    """The base's tables with every source laid over them, checked: every problem of every source is listed, and a
    plan with a problem holds no tables. `replace` names template tables to replace whole instead of merging; `log`
    hears a line as each source is read. A new area's build lays its sources over an empty base (ingest.build)."""
    before = {name: scan_table(base, name).collect() for name in TABLES}
    plan = Plan(tables=dict(before))
    # ward boundaries first, then wards.csv, then the rest: a ward's town or the month's ward counts may be for a
    # ward the boundary file brings in the same plan
    order = sorted(sources, key=lambda s: 0 if s.kind == "wards" else 1 if s.table == "wards" else 2)
    _lay(base, order, plan, replace, log)
    _definitions(base, plan)
    _settings(base, plan)
    return check(plan, before)


def check_tables(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Every table against the snapshot contract, and every indicator's figures against the catalogue."""
    problems = [p for name, frame in tables.items() for p in of(name, validate_frame(name, frame))]
    unknown = sorted(set(tables["kpi_values"]["kpi_id"]) - set(tables["kpi_catalogue"]["kpi_id"]))
    if unknown:
        problems.append(
            Problem("kpi_values", f"indicator(s) {', '.join(unknown)} are not in the catalogue", column="kpi_id")
        )
    return problems


def check(plan: Plan, before: dict[str, pl.DataFrame]) -> Plan:
    """The plan checked against the snapshot contract once every source is read; with a problem it keeps no tables,
    without one it lists every row that would change against `before`."""
    if not plan.problems:
        plan.problems += check_tables(plan.tables)
    for name in ("kpi_values", "waiting_times"):  # the figures in one order by key, whichever route laid them
        if name in plan.tables:
            plan.tables[name] = plan.tables[name].sort(list(TABLES[name].key))
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


def _lay(base: Snapshot, sources: list[Source], plan: Plan, replace: set[str], log: Callable[[str], None]) -> None:
    from ingest.geo import read_wards, wards_table
    from ingest.waits import locality_template, merge_waits, read_chs_workbooks, read_locality_return
    from metrics.areas import setup_of

    t = plan.tables
    localities = setup_of(base.manifest).localities
    waits_read: list[pl.DataFrame] = []
    # the NHS workbooks read together, so that one from before August 2023 (organisations named without codes) is
    # matched by the others and by the codes the snapshot already knows
    chs = [s.path for s in sources if s.kind == "chs"]
    if chs:
        log(f"CHS waiting lists: reading {', '.join(p.name for p in chs)} …")
    known = {**((base.manifest.get("config") or {}).get("area_names") or {}), **plan.names}
    chs_read = {p.name: (frame, found) for p, frame, found in read_chs_workbooks(chs, known, plan.notes)}
    plan.names.update({c: n for c, n in known.items() if c not in plan.names})
    # the DfE releases go together (where two cover the same figure, the newer wins), and before LAIT, which names
    # authorities by the numbers the releases give them
    releases = _read_ehcp(base, [s for s in sources if s.kind == "ehcp"], plan, log)
    lait = [s.path for s in sources if s.kind == "lait"]
    if lait:  # LAIT's files go together: read them as one source
        log(f"LAIT: reading {', '.join(p.name for p in lait)} …")
        _read_lait(base, lait, plan, releases, log)
    for u in sources:
        path = u.path
        shape = TEMPLATES.get(u.table) if u.kind == "template" else None
        if u.kind == "waits":
            shape = locality_template(localities or ("",))
        if shape is not None and _no_rows(path, shape):
            table = TEMPLATE_TABLE.get(u.table, "waiting_times")
            if u.table in replace:
                plan.problems.append(
                    Problem(
                        u.name,
                        f"the header and no rows, so it cannot replace {table}; add the rows, or untick “Replace this "
                        "table”",
                    )
                )
            else:
                plan.notes.append(f"{u.name}: the header and no rows, so {table} is left as it was.")
            continue
        wards_known = set(t["wards"]["ward_code"])  # after any boundary file read above
        if u.kind == "template":
            log(f"  {u.name}: local template for {u.table}")
            frame, found = read_template(u.table, path, la_code=base.la_code, ward_codes=wards_known or None)
            if u.table == "wards" and not found:
                unknown = sorted(set(frame["ward_code"]) - wards_known)
                if unknown:
                    found = [
                        Problem(
                            u.name,
                            f"ward code(s) {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''} are not wards "
                            "of the snapshot; a ward's outline comes from the ONS boundary file, so upload it with "
                            "wards.csv",
                        )
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
                frame = keep_from(t[table], frame, key, keep)
                t[table] = frame.sort(key)
                plan.notes.append(f"{u.name}: {table} replaced whole by its {_rows(frame.height)}.")
            else:
                t[table], added, changed = merge(t[table], frame, key, keep)
                plan.notes.append(f"{u.name}: {_rows(added)} added and {_rows(changed)} changed in {table}.")
            plan.sources.append(source_entry(path, f"Local template: {u.table}", "local"))
        elif u.kind == "waits":
            frame, found = read_locality_return(path, localities)
            if not found and waits_read:  # several returns at once: a month's figure for a service in one only
                key = ["period_end", "area_code", "service"]
                twice = frame.select(key).join(pl.concat(waits_read).select(key), on=key, how="semi")
                if twice.height:
                    found = [Problem(u.name, f"{twice.height} month/locality/service row(s) are in another return too")]
            waits_read.append(frame)
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
        elif u.kind == "wards":
            log(f"Ward boundaries: reading {u.name} …")
            wards, found = read_wards(path, base.la_code)
            codes = {w.code for w in wards}
            if wards_known:  # the snapshot's wards, each with its outline: the same wards, or a different year
                missing, extra = sorted(wards_known - codes), sorted(codes - wards_known)
                if missing:
                    found.append(
                        Problem(u.name, f"{len(missing)} ward(s) of {base.la_code} missing: {', '.join(missing)}")
                    )
                if extra:
                    found.append(
                        Problem(
                            u.name,
                            f"{len(extra)} ward(s) not in the snapshot's ward list (a different boundary year?): "
                            f"{', '.join(extra)}",
                        )
                    )
            plan.problems += found
            if not found:
                extra = {r["ward_code"]: r for r in t["wards"].iter_rows(named=True)}
                t["wards"] = wards_table(wards, extra)
                plan.notes.append(f"{u.name}: ONS boundaries of {len(wards)} wards.")
                plan.sources.append(source_entry(path, "ONS ward boundaries", "Office for National Statistics"))


def _read_ehcp(base: Snapshot, sources: list[Source], plan: Plan, log: Callable[[str], None]) -> list:
    """The DfE EHC plan (SEN2) releases, read together (ingest.ees.combine: the newer release wins a figure two
    give) and laid over kpi_values by key; the authorities' names and regions, and the area's own region, with them.
    Returns the releases read (LAIT names authorities by the numbers they give)."""
    from ingest.ees import combine, read_ehcp

    results = []
    for source in sources:
        log(f"EHCP (SEN2): reading {source.name} …")
        result = read_ehcp(source.path)
        plan.problems += result.problems
        if result.problems or not result.values.height:
            continue
        log(
            f"  {result.values.height:,} rows for {len(result.names):,} areas, to {result.release} "
            f"({', '.join(result.files)})"
        )
        results.append(result)
        plan.names.update(result.names)
        path = Path(source.path)
        for file in [path] if path.is_file() else [next(path.rglob(f)) for f in result.files]:
            entry = source_entry(
                file,
                f"DfE Education, health and care plans (SEN2), data to {result.release}",
                "Department for Education",
            )
            plan.sources.append({**entry, "release_to": result.release})
    if not results:
        return results
    t = plan.tables
    key = list(TABLES["kpi_values"].key)
    # a release older than the newest the snapshot was built from adds what the snapshot lacks, and never takes the
    # place of the newer release's figures: the newer release wins on every route, as `combine` has it
    newest = max((s.get("release_to") or 0 for s in base.manifest.get("sources", []) if isinstance(s, dict)), default=0)
    laid = []
    for result in results:
        kept = result.values
        if result.release < newest:
            kept = kept.join(t["kpi_values"].select(key), on=key, how="anti", nulls_equal=True)
            if kept.height < result.values.height:
                plan.notes.append(
                    f"{result.values.height - kept.height:,} rows of the release to {result.release} ({result.name}) "
                    f"were left as the snapshot has them, from a newer release, to {newest}."
                )
        laid.append(dataclasses.replace(result, values=kept))
    rows, notes = combine(laid)
    plan.notes += notes
    t["kpi_values"], added, changed = merge(t["kpi_values"], rows, key)
    plan.notes.append(
        f"{', '.join(s.name for s in sources)}: DfE EHC plans (SEN2) to {max(r.release for r in results)}, "
        f"{_rows(added)} added and {_rows(changed)} revised in kpi_values."
    )
    regions = {c: r for result in sorted(results, key=lambda r: r.release) for c, r in result.regions.items()}
    if base.la_code in regions:
        code, name = regions[base.la_code]
        plan.region = {"code": code, "name": name}
    if regions:  # every authority's region, the releases' own over any the snapshot has: Benchmarks ranks by it
        config = base.manifest.get("config") or {}
        plan.config["la_regions"] = {**(config.get("la_regions") or {}), **{c: r[0] for c, r in regions.items()}}
    return results


def _definitions(base: Snapshot, plan: Plan) -> None:
    """The definitions of the shared indicators (DfE, waiting-time, annual-review) new to the snapshot, placed as the
    area's plan says; those the snapshot has already keep theirs (and any local target)."""
    from ingest.catalogue import ANNUAL_REVIEWS, wait_kpi
    from metrics.areas import setup_of
    from metrics.schema import SERVICES

    t = plan.tables
    new = set(t["kpi_values"]["kpi_id"]) - set(t["kpi_catalogue"]["kpi_id"])
    if not new or plan.problems:
        return
    system = setup_of(base.manifest).system
    shared = {k: DFE[k] for k in DFE} | {ANNUAL_REVIEWS.kpi_id: ANNUAL_REVIEWS}
    for service in SERVICES:
        kpi = wait_kpi(service, system.short if system else base.la_name)
        shared[kpi.kpi_id] = kpi
    missing = apply_plan([shared[k] for k in sorted(new) if k in shared], manifest_plan(base.manifest))
    if missing:
        extra = catalogue_table(missing).select(t["kpi_catalogue"].columns)
        t["kpi_catalogue"] = pl.concat([t["kpi_catalogue"], extra]).sort("theme", "workstream", "kpi_id")
        plan.notes.append(
            f"The definitions of {len(missing)} indicator{'' if len(missing) == 1 else 's'} new to the snapshot added "
            "to kpi_catalogue."
        )


def _settings(base: Snapshot, plan: Plan) -> None:
    """The area's region from the authorities' regions and names when no release gave it; a setting the files leave
    as it was is no change."""
    config = base.manifest.get("config") or {}
    if plan.config.get("la_regions"):
        plan.config["la_regions"] = dict(sorted(plan.config["la_regions"].items()))
    region = plan.config.get("la_regions", {}).get(base.la_code)
    if plan.region is None and not base.manifest.get("region") and region in plan.names:
        plan.region = {"code": region, "name": plan.names[region]}
    for key in list(plan.config):
        if plan.config[key] == config.get(key):
            del plan.config[key]


def _read_lait(base: Snapshot, paths: list[Path], plan: Plan, releases: list, log: Callable[[str], None]) -> None:
    """LAIT's uploaded files, read as `build` reads them: their rows laid over kpi_values by key, the definitions of
    measures new to the snapshot added (placed as the area's plan says, or on Benchmarks only), and, unless the
    area's neighbours were set in its build config, its ten from the statistical neighbours file."""
    from ingest.lacodes import la_codes
    from ingest.lait import KINDS as LAIT_KINDS
    from ingest.lait import read_lait

    t = plan.tables
    result = read_lait(paths, la_codes(releases))
    plan.problems += result.problems
    if result.problems:
        return
    names = ", ".join(p.name for p in paths)
    if result.values.height:
        log(f"  {result.values.height:,} rows of {len(result.kpis)} measures for {len(result.names):,} areas")
        t["kpi_values"], added, changed = merge(t["kpi_values"], result.values, list(TABLES["kpi_values"].key))
        missing = [k for k in result.kpis if k.kpi_id not in set(t["kpi_catalogue"]["kpi_id"])]
        missing = apply_plan(missing, manifest_plan(base.manifest))
        if missing:
            extra = catalogue_table(missing).select(t["kpi_catalogue"].columns)
            t["kpi_catalogue"] = pl.concat([t["kpi_catalogue"], extra]).sort("theme", "workstream", "kpi_id")
        plan.notes.append(
            f"{names}: {len(result.kpis)} LAIT measures, {_rows(added)} added and {_rows(changed)} revised in "
            f"kpi_values; {len(missing)} definition{'' if len(missing) == 1 else 's'} added to kpi_catalogue."
        )
    plan.names.update({c: n for c, n in result.names.items() if c not in plan.names})
    plan.notes += result.notes
    config = base.manifest.get("config") or {}
    configured = (config.get("neighbours_set") or {}).get("name") == CONFIGURED_NEIGHBOURS
    if base.la_code in result.neighbours and not configured:
        nearest = result.neighbours[base.la_code]
        plan.config["comparators"] = {**(config.get("comparators") or {}), "neighbours": [c for c, _ in nearest]}
        plan.config["neighbours_set"] = {"name": result.neighbours_set, "closeness": {c: w for c, w in nearest if w}}
        plan.notes.append(f"{base.la_name}'s statistical neighbours: its ten in {result.neighbours_set}.")
    elif result.neighbours and not configured:  # the file read, but the area is not in it
        plan.notes.append(
            f"{base.la_name} ({base.la_code}) is not in the statistical neighbours file: no neighbours are shown."
        )
    if result.neighbours:
        log(f"  statistical neighbours of {len(result.neighbours):,} authorities ({result.neighbours_set})")
    if result.regions:  # the snapshot's own regions, and the DfE releases', over LAIT's
        own = {**(config.get("la_regions") or {}), **plan.config.get("la_regions", {})}
        plan.config["la_regions"] = {**result.regions, **own}
    for kind, path in result.files.items():
        plan.sources.append(source_entry(path, LAIT_KINDS[kind], "Department for Education"))


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


def publish(
    base: Snapshot,
    plan: Plan,
    *,
    out_root: Path,
    as_at: str,
    publisher: dict,
    replace: bool,
    where: str = "in the app",
) -> Path:
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
        notes=[*manifest.get("notes", []), *plan.notes, f"Published {where} on top of snapshot {base.id}."],
        config=config or None,
        extra=extra,
    )
