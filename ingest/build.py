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

from ingest.assemble import check_tables
from ingest.catalogue import (
    ANNUAL_REVIEWS,
    DFE,
    SHARED_IDS,
    apply_plan,
    catalogue_table,
    parse_plan,
    plan_block,
    plan_problems,
    wait_kpi,
)
from ingest.derive import source_entry
from ingest.ees import combine, read_ehcp
from ingest.lacodes import la_codes
from ingest.lait import KINDS as LAIT_KINDS
from ingest.lait import read_lait
from ingest.local import TEMPLATES, read_template
from ingest.problems import said
from ingest.waits import merge_waits, read_chs_workbooks, read_locality_return
from ingest.writer import write_snapshot
from metrics.areas import (
    LA_CODE,
    LA_EXPECTED,
    ODS_CODE,
    code_problems,
    default_system,
    quoted,
    system_of,
    system_problems,
)
from metrics.schema import SERVICES, TABLES, empty_frame
from metrics.waits import derive_wait_kpis


class BuildError(Exception):
    """The build found problems; nothing was written. `problems` lists them all, each a Problem (a setting of the
    config, or a check across sources, is one sentence that names its own place)."""

    def __init__(self, problems: list[str]):
        self.problems = [said(p) for p in problems]
        super().__init__("\n".join(self.problems))


def _paths(value, base: Path) -> list[Path]:
    items = value if isinstance(value, list) else [value]
    return [(base / str(v)).resolve() if not Path(str(v)).is_absolute() else Path(str(v)) for v in items if v]


def _template_file(folder: Path, name: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return None


SECTIONS = ("area", "sources", "system", "comparators", "chs", "plan")
SOURCES = {"ehcp": "file or folder", "lait": "file", "chs": "file", "wards": "file", "templates": "folder"}
# the settings of each section (the plan's are its indicators, checked by plan_problems; the sources' are SOURCES)
SETTINGS = {
    "area": ("la_code", "la_name"),
    "system": ("name", "short_name", "localities", "icb", "providers", "names"),
    "comparators": ("neighbours",),
    "chs": ("provider_for",),
}
TRUST_EXPECTED = "an NHS trust's ODS code, such as 'RM3'"


def config_problems(cfg: dict, name: str, base: Path) -> list[str]:
    """Every mistake in a build config, each naming its section and quoting the value: unknown sections and
    sources, codes that are not codes, source files that are not there, and the plan's settings. Nothing is read
    but the config and the file system's list of files."""
    problems = [
        f"{name}: [{section}] is not a section of the build config (expected {', '.join(f'[{s}]' for s in SECTIONS)})"
        for section in cfg
        if section not in SECTIONS
    ]
    problems += [
        f"{name}: [{section}] — expected a table of settings"
        for section in SECTIONS
        if section in cfg and not isinstance(cfg[section], dict)
    ]
    cfg = {k: v for k, v in cfg.items() if k in SECTIONS and isinstance(v, dict)}  # the rest is listed above
    for section, known in SETTINGS.items():
        problems += [
            f"{name} [{section}]: '{key}' is not a setting of [{section}] (expected {', '.join(known)})"
            for key in cfg.get(section, {})
            if key not in known
        ]
    area = cfg.get("area", {})
    if "la_code" not in area:
        problems.append(f"{name} [area]: la_code is missing — expected {LA_EXPECTED}")
    else:
        problems += code_problems(area["la_code"], f"{name} [area]: la_code", LA_CODE, LA_EXPECTED)
    if not isinstance(area.get("la_name"), str) or not area["la_name"].strip():
        shown = f" {quoted(area['la_name'])}" if "la_name" in area else " is missing"
        problems.append(f"{name} [area]: la_name{shown} — expected the local authority's name, such as 'Leeds'")
    if "system" in cfg:
        found = system_problems(cfg["system"], f"{name} [system]")
        problems += found
        if not found and isinstance(area.get("la_code"), str) and area["la_code"] not in cfg["system"]["localities"]:
            problems.append(f"{name} [system]: localities — the area's own code {area['la_code']} is not among them")
    neighbours = cfg.get("comparators", {}).get("neighbours", [])
    if not isinstance(neighbours, list):
        problems.append(f"{name} [comparators]: neighbours {quoted(neighbours)} — expected a list of GSS codes")
    else:
        for code in neighbours:
            problems += code_problems(code, f"{name} [comparators]: neighbours:", LA_CODE, LA_EXPECTED)
    provider_for = cfg.get("chs", {}).get("provider_for", {})
    if not isinstance(provider_for, dict):
        problems.append(f'{name} [chs]: provider_for {quoted(provider_for)} — expected {{ E08000002 = "RM3" }}')
    else:
        for locality, provider in provider_for.items():
            problems += code_problems(locality, f"{name} [chs]: provider_for locality", LA_CODE, LA_EXPECTED)
            problems += code_problems(provider, f"{name} [chs]: provider_for {locality}:", ODS_CODE, TRUST_EXPECTED)
    for key, value in cfg.get("sources", {}).items():
        if key not in SOURCES:
            problems.append(f"{name} [sources]: '{key}' is not a source (expected {', '.join(SOURCES)})")
            continue
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            problems.append(f"{name} [sources]: {key} {quoted(value)} — expected a path, or a list of paths")
            continue
        for value_, path in zip(values, _paths(values, base), strict=True):
            kind = SOURCES[key]
            there = path.is_dir() if kind == "folder" else path.is_file() if kind == "file" else path.exists()
            if not there:  # the path as written: a relative one is looked for beside the config
                problems.append(f"{name} [sources]: {key} '{value_}' — no such {kind}")
    if "plan" in cfg:
        problems += plan_problems(cfg["plan"], f"{name} [plan]")
    return problems


def _unknown_codes(codes: list[tuple[str, str]], known: set[str], files: list[str], what: str) -> list[str]:
    """Codes of the config (each with where it was set) that none of the files read has: a mistyped code would
    otherwise build an area of empty pages, or a system with a gap nobody sees."""
    return [
        f"{where} {code} is in none of the {what} read ({', '.join(files)}) — check the code"
        for where, code in codes
        if code not in known
    ]


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
    problems = config_problems(cfg, config_path.name, base)
    if problems:  # every mistake in the config at once, before any source is read
        raise BuildError(problems)
    la_code, la_name = cfg["area"]["la_code"], cfg["area"]["la_name"].strip()
    sources_cfg = cfg.get("sources", {})
    comparators = cfg.get("comparators", {})
    configured = system_of(cfg["system"]) if "system" in cfg else None
    system = configured or default_system(la_code)  # known systems: data/reference/systems.toml
    plan = parse_plan(cfg.get("plan", {}))  # the area's own plan; without one the shared indicators keep their topic
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
    cfg_name = config_path.name
    if ehcp_results:
        rows, notes = combine(ehcp_results)
        values_parts.append(rows)
        catalogue += [DFE[k] for k in DFE if k in set(rows["kpi_id"])]

    # DfE LAIT: its long data, data dictionary and the statistical neighbours, each recognised by its content
    lait = None
    lait_paths = _paths(sources_cfg.get("lait", []), base)
    if lait_paths:
        log(f"LAIT: reading {', '.join(p.name for p in lait_paths)} …")
        lait = read_lait(lait_paths, la_codes(ehcp_results))
        problems += lait.problems
        if not lait.problems:
            if lait.values.height:
                log(f"  {lait.values.height:,} rows of {len(lait.kpis)} measures for {len(lait.names):,} areas")
                values_parts.append(lait.values)
                catalogue += lait.kpis
            if lait.neighbours:
                log(f"  statistical neighbours of {len(lait.neighbours):,} authorities ({lait.neighbours_set})")
            notes += lait.notes
            for c, n in lait.names.items():
                names.setdefault(c, n)  # the DfE release's own names first
            for kind, file in lait.files.items():
                manifest_sources.append(source_entry(file, f"{LAIT_KINDS[kind]}", "Department for Education"))
    if ehcp_results or (lait is not None and lait.names and not lait.problems):
        problems += _unknown_codes(
            [
                (f"{cfg_name} [area]: la_code", la_code),
                *[(f"{cfg_name} [system]: locality", c) for c in (configured.localities if configured else ())],
                *[(f"{cfg_name} [comparators]: neighbour", c) for c in comparators.get("neighbours", [])],
            ],
            set(names),
            [p.name for p in [*_paths(sources_cfg.get("ehcp", []), base), *lait_paths]],
            "DfE files",
        )

    # local templates (read first: the ward list and locality returns feed the rest)
    folder = _paths(sources_cfg.get("templates"), base)[0] if sources_cfg.get("templates") else None
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
    nhs_codes: set[str] = set()
    chs_paths = _paths(sources_cfg.get("chs", []), base)
    if chs_paths:
        log(f"CHS waiting lists: reading {', '.join(p.name for p in chs_paths)} …")
    nhs_names: dict[str, str] = {}
    # read together: a workbook from before August 2023 names organisations without codes, matched by the others
    for path, frame, found in read_chs_workbooks(chs_paths, nhs_names, notes):
        problems += found
        nhs_codes |= set(nhs_names) | set(frame["area_code"])
        if not found:
            tables["waiting_times"] = merge_waits(tables["waiting_times"], frame)
            manifest_sources.append(
                source_entry(path, "NHS England community health services waiting lists", "NHS England")
            )
    for code, name in nhs_names.items():
        names.setdefault(code, name)

    if nhs_codes:
        problems += _unknown_codes(
            [
                *[
                    (f"{cfg_name} [system]: icb", c)
                    for c in ([configured.icb] if configured and configured.icb else [])
                ],
                *[(f"{cfg_name} [system]: provider", c) for c in (configured.providers if configured else ())],
                *[
                    (f"{cfg_name} [chs]: provider_for {k}:", v)
                    for k, v in cfg.get("chs", {}).get("provider_for", {}).items()
                ],
            ],
            nhs_codes,
            [p.name for p in _paths(sources_cfg["chs"], base)],
            "NHS England workbooks",
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
    lait_ids = {k.kpi_id for k in lait.kpis} if lait is not None else set()
    plan_errors = [  # checked once the templates are read: an area's own indicators may be planned too
        f"{cfg_name} [plan] {k}: not an indicator the build knows (a DfE, waiting-time or annual-review "
        "indicator, a LAIT measure of the files in [sources] lait, or one defined in kpi_catalogue)"
        for k in sorted(set(plan) - SHARED_IDS - lait_ids - own_rows)
    ] + [
        f"{cfg_name} [plan] {k}: also defined in kpi_catalogue — set its workstream and target in one place"
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
    cat = catalogue_table(apply_plan(catalogue, plan))
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
    neighbours, neighbours_set = list(comparators.get("neighbours", [])), {}
    if "neighbours" in comparators:
        neighbours_set = {"name": "the statistical neighbours set in the build config"}
    elif lait is not None and la_code in lait.neighbours:  # by default, the area's ten from DfE's file
        nearest = lait.neighbours[la_code]
        neighbours = [c for c, _ in nearest]
        neighbours_set = {"name": lait.neighbours_set, "closeness": {c: w for c, w in nearest if w}}
    elif lait is not None and lait.neighbours:
        notes.append(f"{la_name} ({la_code}) is not in the statistical neighbours file: no neighbours are shown.")
    config = {"area_names": names, "comparators": {"neighbours": neighbours}}
    if neighbours_set:
        config["neighbours_set"] = neighbours_set
    la_regions = {c: r[0] for c, r in regions.items()}
    if lait is not None:
        la_regions = {**lait.regions, **la_regions}  # the DfE release's own first
    if la_regions:  # every authority's region: Benchmarks ranks the area within its region
        config["la_regions"] = dict(sorted(la_regions.items()))
    if plan:  # kept with the snapshot, so an update in the app places a DfE indicator it adds as the plan does
        config["plan"] = plan_block(plan)
    extra = {}
    if la_code in regions:  # the area's region, as the DfE files give it
        extra["region"] = {"code": regions[la_code][0], "name": regions[la_code][1]}
    elif la_code in la_regions and la_regions[la_code] in names:  # or LAIT, with the DfE files' names
        extra["region"] = {"code": la_regions[la_code], "name": names[la_regions[la_code]]}
    if system is not None:
        extra["system"] = system.block()
        names.update({c: n for c, n in system.names.items() if c not in names})
    if cfg.get("chs", {}).get("provider_for"):
        config["provider_for_locality"] = dict(cfg["chs"]["provider_for"])
    problems = check_tables(tables)  # as every route onto a snapshot checks its tables, before the writer
    if problems:
        raise BuildError(problems)
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
