"""Waiting-times importers into `waiting_times`:

- the locality return template (CSV or XLSX, `data/templates/waiting_times.csv`): one row per month × locality
  × service with the list size, those waiting 18 weeks or less and those waiting over 52 weeks;
- the NHS England community health services (CHS) SitRep workbook: the children's services of every organisation
  (England, regions, ICBs, providers), from either layout (a single ">52 weeks" band before December 2024,
  ">52-104" and ">104" after). Blank cells are null, never 0.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import polars as pl

from ingest.templates import Col, Template, parse_month, validate
from metrics.schema import SERVICES, TABLES


def _under_not_above_total(row: dict) -> str | None:
    t, u, o = row.get("waiting_total"), row.get("waiting_under_18_weeks"), row.get("waiting_over_52_weeks")
    if t is not None and u is not None and u > t:
        return f"waiting_under_18_weeks ({u}) is greater than waiting_total ({t})"
    if t is not None and o is not None and u is not None and u + o > t:
        return f"under 18 weeks ({u}) plus over 52 weeks ({o}) is more than waiting_total ({t})"
    if t is None and (u is not None or o is not None):
        return "waiting_total is empty (no return) but other counts are filled in"
    return None


def locality_template(localities: list[str] | tuple[str, ...]) -> Template:
    """The locality return template; `localities` are the allowed area codes: the system's local authorities."""
    return Template(
        name="waiting_times",
        columns=(
            Col("period_end", "month"),
            Col("area_code", allowed=tuple(localities)),
            Col("service", allowed=SERVICES),
            Col("waiting_total", "int", blank_ok=True),
            Col("waiting_under_18_weeks", "int", blank_ok=True),
            Col("waiting_over_52_weeks", "int", blank_ok=True),
            Col("median_wait_weeks", "float", required=False),
        ),
        key=("period_end", "area_code", "service"),
        row_checks=(_under_not_above_total,),
    )


def read_locality_return(path: Path, localities: list[str] | tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """Rows of a locality return as a `waiting_times` frame (source gm_locality_return), and every problem; the
    localities are the system's (metrics.areas.Setup.localities). With no system there is no league to load."""
    if not localities:
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), [
            f"{Path(path).name}: a locality return needs the area's health and care system and its localities "
            "([system] localities in the build config)"
        ]
    rows, problems = validate(path, locality_template(localities))
    for r in rows:
        r["source"] = "gm_locality_return"
        r.setdefault("median_wait_weeks", None)
    return pl.DataFrame(rows, schema=TABLES["waiting_times"].columns), problems


# ── NHS England CHS SitRep workbook ───────────────────────────────────────────────────────────────────────────────
SERVICE_MAP = {
    "(cyp) community paediatric service": "community_paediatrics",
    "(cyp) therapy interventions: speech and language": "salt",
    "(cyp) therapy interventions: occupational therapy": "ot",
    "(cyp) therapy interventions: physiotherapy": "physio",
}
BANDS = [  # (pattern in the sheet's title, band)
    (r"^total waiting list", "total"),
    (r"waiting 0-1 weeks", "w0_1"),
    (r"waiting >1-2 weeks", "w1_2"),
    (r"waiting >2-4 weeks", "w2_4"),
    (r"waiting >4-12 weeks", "w4_12"),
    (r"waiting >12-18 weeks", "w12_18"),
    (r"waiting >18-52 weeks", "w18_52"),
    (r"waiting >52-104 weeks", "w52_104"),
    (r"waiting over 104 weeks", "w104"),
    (r"waiting over 52 weeks", "w52"),
]
UNDER_18 = ("w0_1", "w1_2", "w2_4", "w4_12", "w12_18")


def service_key(header: str) -> str | None:
    """The snake_case service of a children's (CYP) column header, e.g. '(CYP) Audiology' → 'audiology';
    None for adult services."""
    h = " ".join(header.split()).lower()
    if not h.startswith("(cyp)"):
        return None
    if h in SERVICE_MAP:
        return SERVICE_MAP[h]
    return re.sub(r"[^a-z0-9]+", "_", h.removeprefix("(cyp)")).strip("_")


def _band(title: str) -> str | None:
    t = " ".join(title.split()).lower()
    for pattern, band in BANDS:
        if re.search(pattern, t):
            return band
    return None


COUNT_LIMIT = 10_000_000  # more children than England has: not a count
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
MAX_SHEET_ROWS = 20_000  # the workbook has a row per NHS organisation: about 250


def _period(title: str) -> date | None:
    m = re.search(r"by service,\s*([A-Za-z]+\s+\d{4})\s*$", " ".join(title.split()))
    return parse_month(m.group(1)) if m else None


CHS_SHEETS = r"^Table 4[a-z]?$"  # the children's waiting lists, one sheet per band of weeks waited


def chs_sheets(data: bytes, name: str):
    """The workbook's 'Table 4' sheets, read within the workbook caps in a child process, once per file
    (ingest.workbook), each stopped after MAX_SHEET_ROWS rows. The Update data page calls this first, outside the
    server's run lock, so that `read_chs_workbook` finds the answer kept."""
    from ingest import workbook

    return workbook.read(data, name, sheets=CHS_SHEETS, max_rows=MAX_SHEET_ROWS)


def read_chs_workbook(path: Path, names: dict[str, str] | None = None) -> tuple[pl.DataFrame, list[str]]:
    """Every children's service of every organisation in one monthly CHS workbook, as `waiting_times` rows
    (source chs_sitrep_provider; area_code the organisation code, ENG for England). `names`, when given, is filled
    with each organisation's published name in the case people write it (metrics.areas.nhs_title)."""
    from metrics.areas import nhs_title

    name = Path(path).name
    size = Path(path).stat().st_size if Path(path).is_file() else 0
    if size > MAX_WORKBOOK_BYTES:
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), [
            f"{name}: {size >> 20} MB; a monthly NHS workbook is a few MB, and at most {MAX_WORKBOOK_BYTES >> 20} MB is read"
        ]
    if not Path(path).is_file():
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), [f"{name}: file not found"]
    book = chs_sheets(Path(path).read_bytes(), name)
    if book.problems:
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), book.problems
    values: dict[tuple[str, str], dict[str, int | None]] = {}
    period: date | None = None
    problems: list[str] = []
    bands_seen = set()
    for sheet, rows in book.rows.items():
        if book.more[sheet]:
            problems.append(
                f"{name}, sheet '{sheet}': more than {MAX_SHEET_ROWS:,} rows; not an NHS England CHS workbook"
            )
            continue
        title = str(rows[0][0] or "") if rows else ""
        band = _band(title)
        if band is None:
            problems.append(f"{name}, sheet '{sheet}', cell A1: title '{title}' — expected a waiting-time band")
            continue
        month = _period(title)
        if month is None:
            problems.append(f"{name}, sheet '{sheet}', cell A1: no 'by service, Month YYYY' in '{title}'")
            continue
        if period and month != period:
            problems.append(f"{name}, sheet '{sheet}': month {month:%B %Y} differs from {period:%B %Y}")
        period = period or month
        header_at = next((i for i, r in enumerate(rows) if r and str(r[0] or "").strip() == "Organisation Type"), None)
        if header_at is None:
            problems.append(f"{name}, sheet '{sheet}': no header row starting 'Organisation Type'")
            continue
        bands_seen.add(band)
        header = [str(h or "") for h in rows[header_at]]
        columns = [(i, service_key(h)) for i, h in enumerate(header) if service_key(h)]
        for r in rows[header_at + 1 :]:
            if not r or r[0] is None:
                continue
            org = "ENG" if str(r[0]).strip() == "National" else str(r[1] or "").strip()
            if not org:
                continue
            if names is not None and org != "ENG" and len(r) > 2 and isinstance(r[2], str) and r[2].strip():
                title = nhs_title(" ".join(r[2].split()))[:120]
                if str(r[0]).strip() == "ICB" and not re.search(r"\b(ICB|integrated care board)\b", title, re.I):
                    title += " ICB"  # the workbook names an ICB by its area alone: "WEST YORKSHIRE"
                names.setdefault(org, title)
            for i, service in columns:
                cell = r[i] if i < len(r) else None
                where = f"{name}, sheet '{sheet}', organisation {org}, column '{header[i]}'"
                ok = cell is None or (
                    isinstance(cell, int | float)
                    and not isinstance(cell, bool)
                    and math.isfinite(cell)
                    and float(cell).is_integer()
                    and 0 <= cell <= COUNT_LIMIT
                )
                if not ok:
                    problems.append(
                        f"{where}: value '{str(cell)[:40]}' — expected a whole number of children, or a blank"
                    )
                    continue
                values.setdefault((org, service), {})[band] = None if cell is None else int(cell)
    if "total" not in bands_seen:
        problems.append(f"{name}: no 'Table 4' (total waiting list) sheet")
    if problems or period is None:
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), problems or [f"{name}: no data found"]
    out = []
    for (org, service), v in sorted(values.items()):
        if v.get("total") is None:
            continue  # no organisation submitted for this service line
        under = None if any(v.get(b) is None for b in UNDER_18) else sum(v[b] for b in UNDER_18)
        if under is not None and under > v["total"]:
            problems.append(
                f"{name}, organisation {org}, service {service}: {under:,} waiting under 18 weeks but {v['total']:,} "
                "on the whole list; the bands cannot add up to more than the total"
            )
        if "w52" in bands_seen:
            over = v.get("w52")
        else:
            over = None if v.get("w52_104") is None or v.get("w104") is None else v["w52_104"] + v["w104"]
        out.append(
            {
                "period_end": period,
                "area_code": org,
                "service": service,
                "waiting_total": v["total"],
                "waiting_under_18_weeks": under,
                "waiting_over_52_weeks": over,
                "median_wait_weeks": None,
                "source": "chs_sitrep_provider",
            }
        )
    if problems:
        return pl.DataFrame(schema=TABLES["waiting_times"].columns), problems
    return pl.DataFrame(out, schema=TABLES["waiting_times"].columns), []


def merge_waits(base: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Base rows with the new ones laid over them: a row with the same month, area, service and source is
    replaced; everything else is kept."""
    key = list(TABLES["waiting_times"].key)
    kept = base.join(new.select(key), on=key, how="anti")
    return pl.concat([kept, new]).sort(key)
