"""NHS England community health services workbooks made by the tests, in the published layouts (openpyxl writes
them): shared by the reader's tests and the test that lays one onto a snapshot by two routes."""

from __future__ import annotations

import openpyxl

HEADERS = [
    "(A) Audiology",
    "(CYP) Community paediatric service",
    "(CYP) Therapy interventions: Speech and language",
    "(CYP) therapy interventions: occupational therapy",
]  # lower-case variant seen in older files
ORGS = [
    ("National", "", "England"),
    ("Region", "Y62", "NORTH WEST"),
    ("ICB", "QOP", "GREATER MANCHESTER"),
    ("Provider", "RM3", "NORTHERN CARE ALLIANCE NHS FOUNDATION TRUST"),
]


def workbook(path, month: str, sheets: dict[str, tuple[str, dict]]):
    """A CHS-layout workbook: per sheet a title (cell A1) and values {org code or 'ENG': [v per HEADERS]}."""
    wb = openpyxl.Workbook()
    wb.active.title = "Cover page"
    wb.active["A7"], wb.active["B7"] = "Published:", "11/09/2025"
    for sheet, (title, values) in sheets.items():
        ws = wb.create_sheet(sheet)
        ws["A1"] = f"{title} by service, {month}"
        ws["A2"] = "Blanks indicate no organisation submitted for the service line."
        ws.append([])
        ws.append([])
        ws.append(["Organisation Type", "Organisation Code", "Organisation Name", *HEADERS])
        for kind, code, name in ORGS:
            ws.append([kind, code, name, *values[code or "ENG"]])
    wb.save(path)
    return path


def bands(total, b0, b1, b2, b4, b12, b18):
    return {
        "Total waiting list": total,
        "Number waiting 0-1 weeks (0-7 days)": b0,
        "Number waiting >1-2 weeks (8-14 days)": b1,
        "Number waiting >2-4 weeks (15-28 days)": b2,
        "Number waiting >4-12 weeks (29-84 days)": b4,
        "Number waiting >12-18 weeks (85-126 days)": b12,
        "Number waiting >18-52 weeks (127-364 days)": b18,
    }


def build(path, month, layout):
    return workbook(path, month, chs_sheets(layout))


def chs_sheets(layout):
    """RM3 community paediatrics as published for July 2025: 2181 = 34+65+168+630+285 (=1182 under 18) + 897 +
    102 over 52 (102 + 0 in the new layout). RM3 SALT has a blank >2-4 band, so its under-18 count is unknown."""
    sheet_names = ["Table 4", "Table 4a", "Table 4b", "Table 4c", "Table 4d", "Table 4e", "Table 4f"]
    per_org = {
        "ENG": [
            (17352,) * 7,
            (26165, 1000, 1000, 2000, 6000, 3000, 9000),
            (69601, 3000, 3000, 5000, 15000, 8000, 20000),
            (9000, 500, 500, 800, 2500, 1200, 3000),
        ],
        "Y62": [
            (100,) * 7,
            (2396, 100, 100, 200, 700, 300, 800),
            (10158, 300, 300, 600, 2000, 1000, 3000),
            (900, 50, 50, 80, 250, 120, 300),
        ],
        "QOP": [
            (50,) * 7,
            (4244, 100, 200, 400, 1200, 842, 1400),
            (5365, 200, 300, 500, 1500, 877, 1489),
            (860, 40, 50, 60, 200, 150, 300),
        ],
        "RM3": [(None,) * 7, (2181, 34, 65, 168, 630, 285, 897), (2118, 61, 143, None, 419, 205, 631), (None,) * 7],
    }
    sheets = {}
    titles = list(bands(*range(7)))
    for i, (sheet, title) in enumerate(zip(sheet_names, titles, strict=True)):
        sheets[sheet] = (title, {org: [v[i] for v in vals] for org, vals in per_org.items()})
    over = {"ENG": [5, 600, 7601, 0], "Y62": [1, 96, 958, 0], "QOP": [0, 102, 499, 20], "RM3": [None, 102, 481, None]}
    if layout == "old":
        sheets["Table 4g"] = ("Number waiting over 52 weeks (over 365 days)", over)
    else:
        sheets["Table 4g"] = ("Number waiting >52-104 weeks (365-728 days)", over)
        sheets["Table 4h"] = (
            "Number waiting over 104 weeks (over 2 years)",
            {k: [None if v is None else 0 for v in vals] for k, vals in over.items()},
        )
    return sheets
