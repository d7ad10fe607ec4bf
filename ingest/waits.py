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

from ingest.problems import Problem
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


CHS_SHEETS = r"^Table (1|4[a-z]?)$"  # the children's waiting lists, one sheet per band; Table 1 for the month


def chs_sheets(data: bytes, name: str):
    """The workbook's 'Table 4' sheets (and 'Table 1'), read within the workbook caps in a child process, once per
    file (ingest.workbook), each stopped after MAX_SHEET_ROWS rows. The Update data page calls this first, outside
    the server's run lock, so that the reader finds the answer kept."""
    from ingest import workbook

    return workbook.read(data, name, sheets=CHS_SHEETS, max_rows=MAX_SHEET_ROWS)


def _month_of_table_1(rows: list) -> date | None:
    """The month a workbook is for when its tables' titles leave it out (February 2023's does): the last month of
    'Table 1' (non-submissions, one column per month of the half-year) with a figure in England's row."""
    rows = rows[:15]
    at = next((i for i, r in enumerate(rows) if r and sum(isinstance(c, date) for c in r) >= 2), None)
    if at is None:
        return None
    england = next((r for r in rows[at + 1 :] if r and any(str(c or "").strip() == "England" for c in r)), None)
    months = [
        (c.date() if hasattr(c, "date") else c).replace(day=1)
        for i, c in enumerate(rows[at])
        if isinstance(c, date) and england is not None and i < len(england) and isinstance(england[i], int | float)
    ]
    return max(months) if months else None


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


KINDS = {"national": "england", "region": "region", "icb": "icb", "provider": "provider"}


def _org_key(name: str) -> str:
    """An organisation's name reduced for matching between workbooks: "GREATER MANCHESTER" (an ICB by its area,
    whose name gets " ICB"), "Greater Manchester", "Lancashire & South Cumbria NHS Foundation Trust"."""
    text = " ".join(str(name).lower().replace("&", " and ").split())
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return re.sub(r"\s+icb$", "", " ".join(text.split()))


def _read(path: Path, names: dict[str, str] | None) -> tuple[list[dict], list[str], bool]:
    """One workbook's rows (an organisation named but not coded keeps its name, `org_name`, and kind), its problems,
    and whether it gives organisations' codes. Three layouts: from August 2023 'Organisation Type, Organisation
    Code, Organisation Name'; in June and July 2023 no code column; before June 2023 a blank first column, no header
    for type and name, the type given once for each group, and blanks written as empty text."""
    from metrics.areas import nhs_title

    name = Path(path).name
    size = Path(path).stat().st_size if Path(path).is_file() else 0
    if size > MAX_WORKBOOK_BYTES:
        return (
            [],
            [
                Problem(
                    name,
                    f"{size >> 20} MB; a monthly NHS workbook is a few MB, and at most {MAX_WORKBOOK_BYTES >> 20} MB is "
                    "read",
                )
            ],
            True,
        )
    if not Path(path).is_file():
        return [], [Problem(name, "file not found")], True
    book = chs_sheets(Path(path).read_bytes(), name)
    if book.problems:
        return [], book.problems, True
    values: dict[tuple, dict[str, int | None]] = {}
    period: date | None = None
    problems: list[Problem] = []
    bands_seen = set()
    coded = True
    fallback = None
    for sheet, rows in book.rows.items():
        if not re.match(r"^Table 4[a-z]?$", sheet):
            continue
        if book.more[sheet]:
            problems.append(
                Problem(name, f"more than {MAX_SHEET_ROWS:,} rows; not an NHS England CHS workbook", f"sheet '{sheet}'")
            )
            continue
        title = next((str(c) for r in rows[:3] for c in (r or ()) if isinstance(c, str) and c.strip()), "")
        band = _band(title)
        if band is None:
            problems.append(Problem(name, "a waiting-time band", f"sheet '{sheet}', cell A1", value=title))
            continue
        month = _period(title)
        if month is None and re.search(r"by service\s*$", " ".join(title.split())):
            fallback = fallback or _month_of_table_1(book.rows.get("Table 1", []))  # Table 1's latest month
            month = _month_end(fallback) if fallback else None
        if month is None:
            problems.append(Problem(name, f"no 'by service, Month YYYY' in '{title}'", f"sheet '{sheet}', cell A1"))
            continue
        if period and month != period:
            problems.append(Problem(name, f"month {month:%B %Y} differs from {period:%B %Y}", f"sheet '{sheet}'"))
        period = period or month
        header_at = next(
            (i for i, r in enumerate(rows) if r and any(str(c or "").strip().startswith(("(A)", "(CYP)")) for c in r)),
            None,
        )
        if header_at is None:
            problems.append(Problem(name, "no header row of services ('(CYP) …')", f"sheet '{sheet}'"))
            continue
        bands_seen.add(band)
        header = [str(h or "").strip() for h in rows[header_at]]
        first_service = next(i for i, h in enumerate(header) if h.startswith(("(A)", "(CYP)")))
        code_col = header.index("Organisation Code") if "Organisation Code" in header else None
        name_col = header.index("Organisation Name") if "Organisation Name" in header else first_service - 1
        type_col = header.index("Organisation Type") if "Organisation Type" in header else name_col - 1
        coded = coded and code_col is not None
        columns = [(i, service_key(h)) for i, h in enumerate(header) if service_key(h)]
        kind = None
        for r in rows[header_at + 1 :]:
            if not r:
                continue
            cell = lambda i, _r=r: _r[i] if 0 <= i < len(_r) else None  # noqa: E731
            typed = str(cell(type_col) or "").strip()
            org_name = " ".join(str(cell(name_col) or "").split())
            if typed:
                kind = typed.lower()
            if not org_name and not typed:
                continue
            if typed == "National" or (org_name == "England" and kind in (None, "national")):
                org, kind = "ENG", "national"
            elif code_col is not None:
                org = str(cell(code_col) or "").strip()
                if not org:
                    continue
            else:
                org = ""  # matched to its code by name (`resolve`)
            if names is not None and org not in ("", "ENG") and org_name:
                title_case = nhs_title(org_name)[:120]
                if kind == "icb" and not re.search(r"\b(ICB|integrated care board)\b", title_case, re.I):
                    title_case += " ICB"  # the workbook names an ICB by its area alone: "WEST YORKSHIRE"
                names.setdefault(org, title_case)
            key = (org, kind or "", org_name if not org else "")
            for i, service in columns:
                value = cell(i)
                if isinstance(value, str) and value.strip() in ("", "*"):  # blank, or withheld: no count
                    value = None
                where = f"sheet '{sheet}', organisation {org or org_name}"
                ok = value is None or (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                    and float(value).is_integer()
                    and 0 <= value <= COUNT_LIMIT
                )
                if not ok:
                    problems.append(
                        Problem(name, "a whole number of children, or a blank", where, header[i], str(value)[:40])
                    )
                    continue
                values.setdefault((*key, service), {})[band] = None if value is None else int(value)
    if "total" not in bands_seen:
        problems.append(Problem(name, "no 'Table 4' (total waiting list) sheet"))
    if problems or period is None:
        return [], problems or [Problem(name, "no data found")], coded
    out = []
    for (org, kind, org_name, service), v in sorted(values.items()):
        if v.get("total") is None:
            continue  # no organisation submitted for this service line
        under = None if any(v.get(b) is None for b in UNDER_18) else sum(v[b] for b in UNDER_18)
        if under is not None and under > v["total"]:
            problems.append(
                Problem(
                    name,
                    f"{under:,} waiting under 18 weeks but {v['total']:,} on the whole list; the bands cannot add up "
                    "to more than the total",
                    f"organisation {org or org_name}, service {service}",
                )
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
                "org_name": org_name,
                "kind": kind,
                "file": name,
            }
        )
    return ([] if problems else out), problems, coded


def _resolve(rows: list[dict], names: dict[str, str]) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Rows of a workbook that names organisations without codes, each given the code its name has in the
    workbooks that do (`names`: code → name), within its kind (region, ICB, provider). An ICB or region no other
    workbook names is a problem; a provider none names (one that has since merged or closed) is left out and
    said so in a note."""
    from metrics.areas import nhs_kind

    by_name = {(KINDS.get(nhs_kind(c), nhs_kind(c)), _org_key(n)): c for c, n in names.items()}
    problems, unmatched, out = [], {}, []
    for r in rows:
        if not r["area_code"]:
            kind = KINDS.get(r["kind"], "provider")
            code = by_name.get((kind, _org_key(r["org_name"])))
            if code is None:
                unmatched.setdefault((r["file"], kind), set()).add(r["org_name"])
                continue
            r = {**r, "area_code": code}
        out.append(r)
    notes = []
    for (file, kind), orgs in sorted(unmatched.items()):
        listed = ", ".join(sorted(orgs))
        if kind in ("region", "icb"):
            problems.append(
                Problem(
                    file,
                    f"{'ICB' if kind == 'icb' else 'region'}(s) {listed} — expected an organisation named in a newer "
                    "workbook (from August 2023, which gives each organisation's code) read with this one",
                )
            )
        else:
            notes.append(
                f"{file}: not read, as no newer workbook read with it names them with their codes (since merged or "
                f"closed): {listed}."
            )
    frame = pl.DataFrame(
        out, schema={**TABLES["waiting_times"].columns, "org_name": pl.String, "kind": pl.String, "file": pl.String}
    )
    return frame.select(list(TABLES["waiting_times"].columns)), problems, notes


def read_chs_workbooks(
    paths: list[Path], names: dict[str, str] | None = None, notes: list[str] | None = None
) -> list[tuple[Path, pl.DataFrame, list[str]]]:
    """Every workbook given, in one go: (path, rows, problems) each. Those from before August 2023, which name
    organisations without their codes, are matched by name to the codes the newer ones give (and to `names`, the
    codes already known); what cannot be matched is listed in `notes` or as a problem (`_resolve`)."""
    names = names if names is not None else {}
    read = [(Path(p), *_read(Path(p), names)) for p in paths]
    out = []
    for path, rows, problems, _coded in read:
        found, more, said = _resolve(rows, names) if not problems else (None, [], [])
        if notes is not None:
            notes += said
        frame = found if found is not None else pl.DataFrame(schema=TABLES["waiting_times"].columns)
        out.append((path, frame if not more else pl.DataFrame(schema=TABLES["waiting_times"].columns), problems + more))
    return out


def read_chs_workbook(path: Path, names: dict[str, str] | None = None) -> tuple[pl.DataFrame, list[str]]:
    """Every children's service of every organisation in one monthly CHS workbook, as `waiting_times` rows
    (source chs_sitrep_provider; area_code the organisation code, ENG for England). `names`, when given, is filled
    with each organisation's published name in the case people write it (metrics.areas.nhs_title); a workbook
    from before August 2023 is matched by those names (read_chs_workbooks)."""
    ((_, frame, problems),) = read_chs_workbooks([path], names)
    return frame, problems


def merge_waits(base: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Base rows with the new ones laid over them: a row with the same month, area, service and source is
    replaced; everything else is kept."""
    key = list(TABLES["waiting_times"].key)
    kept = base.join(new.select(key), on=key, how="anti")
    return pl.concat([kept, new]).sort(key)
