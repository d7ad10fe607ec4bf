"""`python -m ingest build --config ingest.toml --as-at YYYY-MM-DD`: a snapshot from real files.

Reads the sources named in the config (DfE EHCP releases, NHS England CHS workbooks, an ONS ward boundary file and
a folder of local templates), validates everything, and writes one snapshot through the atomic writer with every
source file's sha256 in the manifest. A source that is not configured leaves its tables empty. Any problem in any
file stops the build with all problems listed; nothing is written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ingest.catalogue import (
    ANNUAL_REVIEWS,
    DFE,
    SHARED_IDS,
    apply_plan,
    catalogue_frame,
    parse_plan,
    plan_problems,
    wait_kpi,
)
from ingest.derive import source_entry
from ingest.ees import combine, read_ehcp
from ingest.local import TEMPLATES, read_template
from ingest.waits import merge_waits, read_chs_workbook, read_locality_return
from ingest.writer import write_snapshot
from metrics.areas import default_system, system_of, system_problems
from metrics.schema import SERVICES, TABLES, empty_frame
from metrics.waits import derive_wait_kpis


class BuildError(Exception):
    """The build found problems; nothing was written. `problems` lists them all."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _paths(value, base: Path) -> list[Path]:
    items = value if isinstance(value, list) else [value]
    return [(base / str(v)).resolve() if not Path(str(v)).is_absolute() else Path(str(v)) for v in items if v]


def _template_file(folder: Path, name: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return None


def build(
    config_path: Path, *, as_at: str, out_root: Path, replace: bool = False, log: Callable[[str], None] = print
) -> Path:
    """Build and write one snapshot from a config file; raises BuildError listing every problem."""
    config_path = Path(config_path)
    try:
        cfg = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError([f"{config_path}: not a readable TOML config ({exc})"]) from exc
    base = config_path.parent
    problems: list[str] = []
    area = cfg.get("area", {})
    la_code, la_name = area.get("la_code"), area.get("la_name")
    if not la_code or not la_name:
        problems.append(f"{config_path}: [area] needs la_code and la_name")
    sources_cfg = cfg.get("sources", {})
    comparators = cfg.get("comparators", {})
    system = None
    if "system" in cfg:
        found = system_problems(cfg["system"], f"{config_path.name} [system]")
        problems += found
        system = None if found else system_of(cfg["system"])
    elif la_code:
        system = default_system(la_code)  # known systems: data/reference/systems.toml
    plan: dict[str, dict] = {}  # the area's own plan; without one the shared indicators are grouped by topic
    if "plan" in cfg:
        found = plan_problems(cfg["plan"], f"{config_path.name} [plan]")
        problems += found
        plan = {} if found else parse_plan(cfg["plan"])
    localities = list(system.localities) if system else []
    tables = {name: empty_frame(name) for name in TABLES}
    manifest_sources: list[dict] = []
    catalogue = []
    names: dict[str, str] = {}
    regions: dict[str, tuple[str, str]] = {}

    # DfE EHCP (SEN2) releases
    ehcp_results = []
    for path in _paths(sources_cfg.get("ehcp", []), base):
        log(f"EHCP (SEN2): reading {path.name} …")
        result = read_ehcp(path)
        problems += result.problems
        if result.values.height:
            log(
                f"  {result.values.height:,} rows for {len(result.names):,} areas, to {result.release} "
                f"({', '.join(result.files)})"
            )
            ehcp_results.append(result)
            names.update(result.names)
            regions.update(result.regions)
            files = [path] if path.is_file() else [next(path.rglob(f)) for f in result.files]
            for file in files:
                entry = source_entry(
                    file,
                    f"DfE Education, health and care plans (SEN2), data to {result.release}",
                    "Department for Education",
                )
                entry["release_to"] = result.release
                manifest_sources.append(entry)
    values_parts = []
    notes = []
    if ehcp_results:
        rows, notes = combine(ehcp_results)
        values_parts.append(rows)
        catalogue += [DFE[k] for k in DFE if k in set(rows["kpi_id"])]

    # local templates (read first: the ward list and locality returns feed the rest)
    folder = _paths(sources_cfg.get("templates"), base)[0] if sources_cfg.get("templates") else None
    if folder is not None and not folder.is_dir():
        problems.append(f"{folder}: templates folder not found")
        folder = None
    local: dict[str, pl.DataFrame] = {}
    ward_list = None
    if folder is not None:
        log(f"Local templates: {folder}")
        wards_file = _template_file(folder, "wards")
        if wards_file:
            ward_list, found = read_template("wards", wards_file, la_code=la_code)
            problems += found
        codes = set(ward_list["ward_code"]) if ward_list is not None and ward_list.height else None
        for name in TEMPLATES:
            if name == "wards":
                continue
            file = _template_file(folder, name)
            if file is None:
                continue
            frame, found = read_template(name, file, la_code=la_code, ward_codes=codes)
            problems += found
            if not found:
                local[name] = frame
                log(f"  {file.name}: {frame.height:,} rows")
                manifest_sources.append(source_entry(file, f"Local template: {name}", "local"))
        wt = _template_file(folder, "waiting_times")
        if wt:
            frame, found = read_locality_return(wt, localities)
            problems += found
            if not found:
                tables["waiting_times"] = merge_waits(tables["waiting_times"], frame)
                log(f"  {wt.name}: {frame.height:,} rows")
                manifest_sources.append(source_entry(wt, "Locality waiting-times return", "local"))

    # NHS England community health services workbooks
    for path in _paths(sources_cfg.get("chs", []), base):
        log(f"CHS waiting lists: reading {path.name} …")
        nhs_names: dict[str, str] = {}
        frame, found = read_chs_workbook(path, nhs_names)
        problems += found
        for code, name in nhs_names.items():
            names.setdefault(code, name)
        if not found:
            tables["waiting_times"] = merge_waits(tables["waiting_times"], frame)
            manifest_sources.append(
                source_entry(path, "NHS England community health services waiting lists", "NHS England")
            )

    # ward boundaries
    if sources_cfg.get("wards"):
        from ingest.geo import read_wards, wards_table

        path = _paths(sources_cfg["wards"], base)[0]
        log(f"Ward boundaries: reading {path.name} …")
        wards, found = read_wards(path, la_code)
        problems += found
        extra = {r["ward_code"]: r for r in ward_list.iter_rows(named=True)} if ward_list is not None else {}
        if ward_list is not None:
            missing = sorted(set(extra) - {w.code for w in wards})
            if missing:
                problems.append(f"{path.name}: ward(s) in wards.csv but not in the boundary file: {', '.join(missing)}")
        tables["wards"] = wards_table(wards, extra)
        manifest_sources.append(source_entry(path, "ONS ward boundaries", "Office for National Statistics"))
        known = set(tables["wards"]["ward_code"])
        if "ward_demand" in local:
            unknown = sorted(set(local["ward_demand"]["ward_code"]) - known)
            if unknown:
                problems.append(f"ward_demand: ward code(s) {', '.join(unknown)} are not in the boundary file")
    elif "ward_demand" in local:
        problems.append("ward_demand: ward data needs ward boundaries ([sources] wards = …)")

    own_rows = set(local["kpi_catalogue"]["kpi_id"]) if "kpi_catalogue" in local else set()
    plan_errors = [  # checked once the templates are read: an area's own indicators may be planned too
        f"{config_path.name} [plan] {k}: not an indicator the build knows (a DfE, waiting-time or annual-review "
        "indicator, or one defined in kpi_catalogue)"
        for k in sorted(set(plan) - SHARED_IDS - own_rows)
    ] + [
        f"{config_path.name} [plan] {k}: also defined in kpi_catalogue — set its workstream and target in one place"
        for k in sorted(set(plan) & own_rows)
    ]
    problems += plan_errors
    if problems:
        raise BuildError(problems)

    # assemble
    for name in ("ward_demand", "actions", "risks", "commentary", "milestones"):
        if name in local:
            tables[name] = local[name]
    waits = tables["waiting_times"]
    own = waits.filter((pl.col("area_code") == la_code) & (pl.col("source") == "gm_locality_return"))
    if own.height:
        values_parts.append(derive_wait_kpis(waits.lazy(), la_code).collect())
        catalogue += [wait_kpi(s, system.short) for s in SERVICES if s in set(own["service"])]
    if "annual_reviews" in local:
        values_parts.append(local["annual_reviews"])
        catalogue.append(ANNUAL_REVIEWS)
    cat = catalogue_frame(apply_plan(catalogue, plan))
    if own_rows:  # local definitions add indicators and may replace a shared one whole, with the area's target
        cat = pl.concat(
            [cat.join(local["kpi_catalogue"].select("kpi_id"), on="kpi_id", how="anti"), local["kpi_catalogue"]]
        )
    if "kpi_values" in local:
        unknown = sorted(set(local["kpi_values"]["kpi_id"]) - set(cat["kpi_id"]))
        if unknown:
            raise BuildError(
                [
                    f"kpi_values: indicator(s) {', '.join(unknown)} are not in the catalogue (add them to "
                    "kpi_catalogue.csv)"
                ]
            )
        values_parts.append(local["kpi_values"].select(list(TABLES["kpi_values"].columns)))
    tables["kpi_values"] = (
        pl.concat([v.select(list(TABLES["kpi_values"].columns)) for v in values_parts])
        if values_parts
        else empty_frame("kpi_values")
    )
    tables["kpi_catalogue"] = cat.sort("theme", "workstream", "kpi_id")
    config = {"area_names": names, "comparators": {"neighbours": list(comparators.get("neighbours", []))}}
    extra = {}
    if la_code in regions:  # the area's region, as the DfE files give it
        extra["region"] = {"code": regions[la_code][0], "name": regions[la_code][1]}
    if system is not None:
        extra["system"] = system.block()
        names.update({c: n for c, n in system.names.items() if c not in names})
    if cfg.get("chs", {}).get("provider_for"):
        config["provider_for_locality"] = dict(cfg["chs"]["provider_for"])
    log(f"Writing snapshot {as_at} …")
    return write_snapshot(
        tables,
        out_root=out_root,
        as_at=as_at,
        area={"la_code": la_code, "la_name": la_name},
        demo=False,
        sources=manifest_sources,
        replace=replace,
        notes=notes,
        config=config,
        extra=extra,
    )
