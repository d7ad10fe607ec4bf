"""`python -m ingest build --config ingest.toml --as-at YYYY-MM-DD`: a snapshot from real files.

Checks the config (every mistake at once, before any file is read), makes an empty snapshot of the area from it (its
system, neighbours, plan and providers in the manifest), and lays the sources it names (DfE EHCP releases and LAIT
files, NHS England CHS workbooks, an ONS ward boundary file and a folder of local templates) over it through the one
assembly route the Update data page and the one-source commands use (`ingest.assemble`). Checks across the files
follow (codes of the config no file has; a plan for an indicator nobody defines). Any problem stops the build with
all problems listed and nothing written; otherwise one snapshot is written through the atomic writer with every
source file's sha256 in the manifest. A source that is not configured leaves its tables empty.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ingest.assemble import CONFIGURED_NEIGHBOURS, Plan, Source, assemble
from ingest.catalogue import SHARED_IDS, parse_plan, plan_block, plan_problems
from ingest.local import TEMPLATES, read_template
from ingest.problems import said
from ingest.templates import read_rows
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
from metrics.schema import TABLES, empty_frame
from metrics.snapshot import Snapshot, snapshot_date


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


LA_LIKE = ("E06", "E08", "E09", "E10")


def empty_base(la_code: str, la_name: str, as_at: str, *, config: dict, extra: dict) -> Snapshot:
    """A snapshot of the area with every table empty, held in memory: what a new area's build lays its sources over
    (ingest.assemble), with the config's settings in its manifest as a published snapshot would hold them."""
    manifest = {
        "as_at": as_at,
        "area": {"la_code": la_code, "la_name": la_name},
        "demo": False,
        "sources": [],
        "notes": [],
        "config": config,
        **extra,
    }
    return Snapshot(
        path=Path(f".build-{as_at}"),
        as_at=date.fromisoformat(as_at),
        la_code=la_code,
        la_name=la_name,
        demo=False,
        manifest_json=json.dumps(manifest, sort_keys=True, default=str),
        frames={name: empty_frame(name) for name in TABLES},
    )


def _sources(cfg: dict, base: Path, log: Callable[[str], None]) -> tuple[list[Source], list[str]]:
    """The config's sources as the one assembly route takes them, and the problems of the set as a whole."""
    sources_cfg = cfg.get("sources", {})
    sources = [Source("ehcp", p) for p in _paths(sources_cfg.get("ehcp", []), base)]
    sources += [Source("lait", p) for p in _paths(sources_cfg.get("lait", []), base)]
    sources += [Source("wards", p) for p in _paths(sources_cfg.get("wards", []), base)[:1]]
    problems = []
    folder = _paths(sources_cfg.get("templates"), base)[0] if sources_cfg.get("templates") else None
    if folder is not None:
        log(f"Local templates: {folder}")
        for name in TEMPLATES:
            file = _template_file(folder, name)
            if file is None:
                continue
            if not sources_cfg.get("wards") and name in ("wards", "ward_demand"):
                # a ward list only adds towns and deciles to the boundary file's wards; ward counts need the wards
                if name == "ward_demand" and read_rows(file)[1]:
                    problems.append("ward_demand: ward data needs ward boundaries ([sources] wards = …)")
                continue
            sources.append(Source("template", file, table=name))
        wt = _template_file(folder, "waiting_times")
        if wt:
            sources.append(Source("waits", wt))
    sources += [Source("chs", p) for p in _paths(sources_cfg.get("chs", []), base)]
    return sources, problems


def _cross_checks(cfg: dict, name: str, base: Path, plan: Plan, area_plan: dict) -> list[str]:
    """Checks across the sources once they are read: codes of the config (named `name`) that no file has, and a
    plan for an indicator nobody defines or defined twice."""
    sources_cfg = cfg.get("sources", {})
    configured = system_of(cfg["system"]) if "system" in cfg else None
    problems = []
    dfe_files = [
        p.name for p in [*_paths(sources_cfg.get("ehcp", []), base), *_paths(sources_cfg.get("lait", []), base)]
    ]
    known_las = {c for c in plan.names if c.startswith(LA_LIKE)}
    if dfe_files and known_las:
        problems += _unknown_codes(
            [
                (f"{name} [area]: la_code", cfg["area"]["la_code"]),
                *[(f"{name} [system]: locality", c) for c in (configured.localities if configured else ())],
                *[(f"{name} [comparators]: neighbour", c) for c in cfg.get("comparators", {}).get("neighbours", [])],
            ],
            known_las,
            dfe_files,
            "DfE files",
        )
    chs_files = [p.name for p in _paths(sources_cfg.get("chs", []), base)]
    waits = plan.tables.get("waiting_times")
    nhs = {c for c in plan.names if not c.startswith(LA_LIKE)} | (
        set(waits["area_code"]) if waits is not None else set()
    )
    if chs_files and nhs:
        problems += _unknown_codes(
            [
                *[(f"{name} [system]: icb", c) for c in ([configured.icb] if configured and configured.icb else [])],
                *[(f"{name} [system]: provider", c) for c in (configured.providers if configured else ())],
                *[
                    (f"{name} [chs]: provider_for {k}:", v)
                    for k, v in cfg.get("chs", {}).get("provider_for", {}).items()
                ],
            ],
            nhs,
            chs_files,
            "NHS England workbooks",
        )
    if plan.tables:  # read without a problem: the indicators the sources define are known
        defined = set(plan.tables["kpi_catalogue"]["kpi_id"])  # the shared ones, LAIT's and the area's own
        local = _local_catalogue(cfg, base)
        problems += [  # an area's own indicators may be planned too, once the templates are read
            f"{name} [plan] {k}: not an indicator the build knows (a DfE, waiting-time or annual-review "
            "indicator, a LAIT measure of the files in [sources] lait, or one defined in kpi_catalogue)"
            for k in sorted(set(area_plan) - SHARED_IDS - defined)
        ] + [
            f"{name} [plan] {k}: also defined in kpi_catalogue — set its workstream and target in one place"
            for k in sorted(set(area_plan) & local)
        ]
    return problems


def _local_catalogue(cfg: dict, base: Path) -> set[str]:
    """The indicators the area's own kpi_catalogue template defines."""
    templates = cfg.get("sources", {}).get("templates")
    file = _template_file(_paths(templates, base)[0], "kpi_catalogue") if templates else None
    if file is None:
        return set()
    frame, _ = read_template("kpi_catalogue", file, la_code=cfg["area"]["la_code"])
    return set(frame["kpi_id"]) if "kpi_id" in frame.columns else set()


def build(
    config_path: Path, *, as_at: str, out_root: Path, replace: bool = False, log: Callable[[str], None] = print
) -> Path:
    """Build and write one snapshot from a config file, through the one assembly route (ingest.assemble) over an
    empty snapshot of the area; raises BuildError listing every problem."""
    config_path = Path(config_path)
    try:
        cfg = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError([f"{config_path}: not a readable TOML config ({exc})"]) from exc
    base = config_path.parent
    problems = config_problems(cfg, config_path.name, base)
    if snapshot_date(as_at) is None:  # the writer checks the rest; the empty snapshot is dated by it first
        problems.append(f"as_at '{as_at}' is not a real date written YYYY-MM-DD")
    if problems:  # every mistake in the config at once, before any source is read
        raise BuildError(problems)
    la_code, la_name = cfg["area"]["la_code"], cfg["area"]["la_name"].strip()
    comparators = cfg.get("comparators", {})
    configured = system_of(cfg["system"]) if "system" in cfg else None
    system = configured or default_system(la_code)  # known systems: data/reference/systems.toml
    # the area's own plan; without one the shared indicators keep their topic
    area_plan = parse_plan(cfg.get("plan", {}))

    settings: dict = {"comparators": {"neighbours": list(comparators.get("neighbours", []))}}
    if "neighbours" in comparators:
        settings["neighbours_set"] = {"name": CONFIGURED_NEIGHBOURS}
    if area_plan:  # kept with the snapshot, so an update in the app places a DfE indicator it adds as the plan does
        settings["plan"] = plan_block(area_plan)
    if cfg.get("chs", {}).get("provider_for"):
        settings["provider_for_locality"] = dict(cfg["chs"]["provider_for"])
    extra = {"system": system.block()} if system is not None else {}
    empty = empty_base(la_code, la_name, as_at, config=settings, extra=extra)

    sources, problems = _sources(cfg, base, log)
    plan = assemble(empty, sources, log=log)
    problems = [*plan.problems, *problems, *_cross_checks(cfg, config_path.name, base, plan, area_plan)]
    if problems:
        raise BuildError(problems)

    config = {**settings, **plan.config}
    names = dict(plan.names)
    if system is not None:
        names.update({c: n for c, n in system.names.items() if c not in names})
    config["area_names"] = names
    if plan.region:
        extra["region"] = plan.region
    log(f"Writing snapshot {as_at} …")
    return write_snapshot(
        plan.tables,
        out_root=out_root,
        as_at=as_at,
        area={"la_code": la_code, "la_name": la_name},
        demo=False,
        sources=plan.sources,
        replace=replace,
        notes=plan.notes,
        config=config,
        extra=extra,
    )
