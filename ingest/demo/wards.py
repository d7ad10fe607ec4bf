"""The demonstration wards (outlines drawn by ingest.demo_geo) and the monthly demand in each ward, by phase
and measure."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingest import demo_facts as F  # noqa: N812 - short name for the facts table
from ingest.demo.calendar import LOCAL_START, allocate, month_range, rng
from ingest.demo.series import PHASE_KEYS, PHASE_WEIGHTS, ap_monthly, ehcp_20wk_month_series, requests_monthly
from ingest.demo_geo import voronoi_wards
from metrics.schema import TABLES

WARD_PROFILE = {  # demand weight (relative prevalence), IMD decile (demo), population weight
    "E05014152": (1.15, 3, 1.0),
    "E05014153": (1.75, 1, 1.1),
    "E05014154": (0.95, 4, 1.0),
    "E05014155": (0.9, 5, 1.0),
    "E05014156": (1.2, 5, 0.95),
    "E05014157": (1.45, 3, 1.05),
    "E05014158": (0.55, 9, 0.9),
    "E05014159": (0.6, 8, 0.95),
    "E05014160": (1.6, 2, 1.05),
    "E05014161": (1.3, 5, 1.0),
    "E05014162": (1.5, 3, 1.05),
    "E05014163": (0.65, 7, 0.95),
    "E05014164": (1.55, 2, 1.05),
    "E05014165": (1.35, 6, 1.0),
    "E05014166": (1.0, 6, 0.95),
    "E05014167": (0.6, 8, 0.95),
    "E05014168": (0.75, 6, 1.0),
}
PHASE_POP = {"early_years": 11_200, "primary": 14_600, "secondary": 12_300, "post16": 8_600, "post19": 12_900}


def wards_frame() -> pl.DataFrame:
    shapes = voronoi_wards({code: (lon, lat) for code, _n, _t, lon, lat in F.WARDS})
    return pl.DataFrame(
        [
            {
                "ward_code": c,
                "ward_name": n,
                "town": t,
                "lon": lon,
                "lat": lat,
                "geometry": shapes[c],
                "geometry_source": "approximate",
                "imd_decile": WARD_PROFILE[c][1],
            }
            for c, n, t, lon, lat in F.WARDS
        ],
        schema=TABLES["wards"].columns,
    )


def caseload_at(d: date) -> int:
    """Borough EHC plans at a month end: the DfE January figures exactly, straight lines between them."""
    jan = {2023: 2241, 2024: 2686, 2025: 2804, 2026: 2930}
    lo, hi = jan[d.year], jan[d.year + 1]
    return round(lo + (hi - lo) * (d.month - 1) / 12)


def borough_monthly(measure: str, months: list[date]) -> list[int]:
    if measure == "ehcp_caseload":
        return [caseload_at(d) for d in months]
    if measure == "ehcp_requests":
        return requests_monthly()[1][: len(months)]
    if measure == "ehcp_new":
        return ehcp_20wk_month_series()[1][: len(months)]
    if measure == "ap_placements":
        return ap_monthly()[1][: len(months)]
    if measure == "sen_support":
        return [round(4290 + 24.5 * i) for i in range(len(months))]
    return [38 + (i * 7) // 10 for i in range(len(months))]  # eotas


def ward_demand_frame(last: date) -> pl.DataFrame:
    months = month_range(LOCAL_START, last)
    codes = [w[0] for w in F.WARDS]
    pops = {p: allocate(PHASE_POP[p], [WARD_PROFILE[c][2] for c in codes]) for p in PHASE_KEYS}
    rows = []
    for measure, shares in PHASE_WEIGHTS.items():
        totals = borough_monthly(measure, months)
        for i, d in enumerate(months):
            cells, keys = [], []
            for pi, p in enumerate(PHASE_KEYS):
                for wi, c in enumerate(codes):
                    noise = 1 + 0.25 * (rng("wd", measure, c, p, d.year, (d.month - 1) // 3).random() - 0.5)
                    cells.append(shares[pi] * WARD_PROFILE[c][0] * pops[p][wi] * noise)
                    keys.append((p, c, pops[p][wi]))
            for (p, c, pop), n in zip(keys, allocate(totals[i], cells), strict=True):
                rows.append((d, c, p, measure, n, pop))
    return pl.DataFrame(rows, schema=TABLES["ward_demand"].columns, orient="row")
