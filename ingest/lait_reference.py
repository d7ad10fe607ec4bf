"""The committed extracts of DfE's LAIT measures and statistical neighbours (`data/reference/lait_sen.*`,
`data/reference/statistical_neighbours.*`), made by `python -m ingest reference-lait <LAIT files> --area <GSS code>`.

A small derived table — local authority × year × measure — of the LAIT measures an area's plan follows (the Level 2
and Level 3 at 19 pair by SEN status, 16–17-year-olds with SEN in education or training, pupils at SEN support and
with an EHC plan): every English authority, region and England at each measure's latest periods (what Benchmarks ranks
on), and the whole series of the area, England, its region, its health and care system and its statistical
neighbours (what the theme pages chart). With it, each measure's definition as LAIT's dictionary gives it, and every
authority's ten statistical neighbours from DfE's file. Not a copy of the published files: the demonstration
snapshot reads them so that the area's published figures and its neighbours show on the default run.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from pathlib import Path

import polars as pl

from ingest.catalogue import Kpi
from ingest.lacodes import ROOT
from metrics.schema import TABLES

EXTRACT = ROOT / "lait_sen.csv"
ABOUT = ROOT / "lait_sen.json"
NEIGHBOURS = ROOT / "statistical_neighbours.csv"
NEIGHBOURS_ABOUT = ROOT / "statistical_neighbours.json"
# LAIT's measures (its Measure_short) kept, and how many of their latest periods are kept for every area
MEASURES = (
    "Age19_SENwoS",
    "Age19_SEN-S",
    "Age19_SENwoS_L3",
    "Age19_SEN-S_L3",
    "16-17YroldSEN_ET",
    "SEN_TotSENSuP",
    "SEN_TotStat",
)
LATEST = 3
COLUMNS = {
    "kpi_id": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "period_label": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "value": pl.Float64,
    "status": pl.String,
    "note": pl.String,
}
NEIGHBOUR_COLUMNS = {"la_code": pl.String, "rank": pl.Int8, "neighbour_code": pl.String, "closeness": pl.String}
LICENCE = "Open Government Licence v3.0"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0"


def make_extract(result, kept: list[str], focus: set[str]) -> pl.DataFrame:
    """The extract's rows from LAIT's values (ingest.lait.LaitResult): the kept measures, every area at each
    measure's latest LATEST periods, and every period of the `focus` areas."""
    from ingest.lait_dictionary import kpi_id

    ids = {kpi_id(m) for m in kept}
    rows = result.values.filter(pl.col("kpi_id").is_in(list(ids)))
    latest = rows.group_by("kpi_id").agg(pl.col("period_end").unique().sort(descending=True).head(LATEST).alias("ends"))
    recent = rows.join(latest, on="kpi_id").filter(pl.col("period_end").is_in(pl.col("ends"))).drop("ends")
    every = pl.concat([recent, rows.filter(pl.col("area_code").is_in(list(focus)))]).unique(
        ["kpi_id", "period_end", "area_code"], keep="first"
    )
    return (
        every.with_columns(area_name=pl.col("area_code").replace_strict(result.names, default=pl.col("area_code")))
        .select(list(COLUMNS))
        .sort("kpi_id", "area_code", "period_end")
    )


def _kpi_json(k: Kpi) -> dict:
    return {
        f.name: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
        for f in fields(k)
        for v in [getattr(k, f.name)]
    }


def write_extract(paths: list[Path], area: str) -> tuple[int, list[str]]:
    """Read LAIT's files (long data, dictionary, statistical neighbours) and write both extracts and their
    descriptions; returns the measure rows written and any problems."""
    from ingest.lacodes import la_codes
    from ingest.lait import read_lait
    from metrics.areas import default_system
    from metrics.snapshot import sha256_file

    codes = la_codes()
    result = read_lait(paths, codes)
    problems = list(result.problems)
    if "neighbours" not in result.files or "long" not in result.files:
        problems.append("give LAIT's long data, its data dictionary and the statistical neighbours workbook")
    if area not in result.neighbours:
        problems.append(f"{area} is not an authority of the statistical neighbours file")
    if problems:
        return 0, problems
    system = default_system(area)
    focus = {area, "E92000001", codes.regions.get(area, ""), *(system.localities if system else ())}
    focus |= {c for c, _ in result.neighbours[area]}
    extract = make_extract(result, list(MEASURES), focus)
    kept = [k for k in result.kpis if k.kpi_id in set(extract["kpi_id"])]
    ROOT.mkdir(parents=True, exist_ok=True)
    extract.write_csv(EXTRACT)
    files = {kind: {"file": p.name, "sha256": sha256_file(p)} for kind, p in result.files.items()}
    about = {
        "name": "DfE Local Authority Interactive Tool (LAIT): SEN measures for every English local authority",
        "publisher": "Department for Education",
        "url": "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait",
        "derived_from": files,
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "rows": extract.height,
        "measures": list(MEASURES),
        "kept": f"every area at each measure's latest {LATEST} periods; every period of {area}, England, its region, "
        "its health and care system's authorities and its statistical neighbours",
        "value": "LAIT's figure as published, a marker ('-') as an empty value with its symbol",
        "indicators": [_kpi_json(k) for k in kept],
    }
    ABOUT.write_text(json.dumps(about, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = [
        {"la_code": la, "rank": i, "neighbour_code": code, "closeness": word}
        for la, nearest in sorted(result.neighbours.items())
        for i, (code, word) in enumerate(nearest, start=1)
    ]
    pl.DataFrame(rows, schema=NEIGHBOUR_COLUMNS).write_csv(NEIGHBOURS)
    neighbours_about = {
        "name": result.neighbours_set,
        "publisher": "Department for Education",
        "url": "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait",
        "derived_from": files["neighbours"],
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "rows": len(rows),
        "columns": "la_code: the authority (GSS); rank: 1 the nearest; neighbour_code: its neighbour (GSS); closeness: "
        "DfE's word for how close",
    }
    NEIGHBOURS_ABOUT.write_text(json.dumps(neighbours_about, indent=2) + "\n", encoding="utf-8")
    return extract.height, []


def _kpi_of(block: dict) -> Kpi:
    kinds = {f.name: f.type for f in fields(Kpi)}
    out = {}
    for name, value in block.items():
        if name not in kinds:
            continue
        if name in ("last_update", "next_update", "target_date") and value:
            value = date.fromisoformat(value)
        elif name in ("spc_rebase", "series_breaks"):
            value = tuple(date.fromisoformat(v) for v in value)
        out[name] = value
    return Kpi(**out)


def read_extract() -> tuple[pl.DataFrame, list[Kpi], dict[str, str], dict]:
    """The committed LAIT extract as kpi_values rows, its indicators' definitions, the area names it carries and its
    description. Empty when it is not there."""
    if not EXTRACT.is_file() or not ABOUT.is_file():
        return pl.DataFrame(schema=TABLES["kpi_values"].columns), [], {}, {}
    frame = pl.read_csv(EXTRACT, schema=COLUMNS)
    about = json.loads(ABOUT.read_text(encoding="utf-8"))
    names = dict(frame.select("area_code", "area_name").unique().iter_rows())
    values = frame.with_columns(
        phase=pl.lit("all"),
        numerator=pl.lit(None, pl.Float64),
        denominator=pl.lit(None, pl.Float64),
        status=pl.col("status").fill_null(""),
        note=pl.col("note").fill_null(""),
    ).select(list(TABLES["kpi_values"].columns))
    return values.cast(TABLES["kpi_values"].columns), [_kpi_of(b) for b in about["indicators"]], names, about


def read_neighbours() -> tuple[dict[str, list[tuple[str, str]]], dict]:
    """The committed statistical neighbours: authority → [(neighbour, closeness)], nearest first; and the set's
    description (its name says which and when)."""
    if not NEIGHBOURS.is_file():
        return {}, {}
    out: dict[str, list[tuple[str, str]]] = {}
    for r in pl.read_csv(NEIGHBOURS, schema=NEIGHBOUR_COLUMNS).sort("la_code", "rank").iter_rows(named=True):
        out.setdefault(r["la_code"], []).append((r["neighbour_code"], r["closeness"] or ""))
    about = json.loads(NEIGHBOURS_ABOUT.read_text(encoding="utf-8")) if NEIGHBOURS_ABOUT.is_file() else {}
    return out, about
