"""Names of the areas the dashboard compares with: England, the North West and the 10 Greater Manchester
localities (GSS codes), and the NHS organisations of the community waiting-list workbook (ODS codes)."""

from __future__ import annotations

ENGLAND, NORTH_WEST = "E92000001", "E12000002"
GM_LOCALITIES = {
    "E08000001": "Bolton",
    "E08000002": "Bury",
    "E08000003": "Manchester",
    "E08000004": "Oldham",
    "E08000005": "Rochdale",
    "E08000006": "Salford",
    "E08000007": "Stockport",
    "E08000008": "Tameside",
    "E08000009": "Trafford",
    "E08000010": "Wigan",
}
NHS_ORGANISATIONS = {
    "ENG": "England",
    "Y62": "North West (NHS region)",
    "QOP": "NHS Greater Manchester (ICB)",
    "RM3": "Northern Care Alliance NHS FT",
    "R0A": "Manchester University NHS FT",
    "RMC": "Bolton NHS FT",
    "RY2": "Bridgewater Community Healthcare NHS FT",
    "RWJ": "Stockport NHS FT",
    "RMP": "Tameside and Glossop Integrated Care NHS FT",
    "RRF": "Wrightington, Wigan and Leigh NHS FT",
}
AREA_NAMES = {ENGLAND: "England", NORTH_WEST: "North West", **GM_LOCALITIES, **NHS_ORGANISATIONS}


def area_name(code: str) -> str:
    """A person's name for an area or organisation code; the code itself when it is not known."""
    return AREA_NAMES.get(code, code)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
