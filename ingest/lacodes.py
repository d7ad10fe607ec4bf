"""Local authorities' three-digit DfE numbers, names and GSS codes, and the regions' codes, from the DfE files.

LAIT and the statistical neighbours file name authorities by their old three-digit DfE number ("351") and LAIT's own
spelling of the name ("Bristol, City of", "Durham", "Poole (Pre LG)"); the snapshot uses GSS codes. The DfE EHC plan
releases carry both (`old_la_code`, `new_la_code`, `la_name`, `region_code`, `region_name`), so the lookup is made
from them: a committed list (`data/reference/la_codes.csv`, made from the 2025 release by `python -m ingest
reference`, authorities before the 2019–2023 reorganisations included) with any release the build reads laid over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent / "data" / "reference"
LA_CODES = ROOT / "la_codes.csv"
ENGLAND = "E92000001"
COLUMNS = {
    "old_la_code": pl.String,
    "new_la_code": pl.String,
    "la_name": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
}
# words a publisher adds or leaves out of the same authority's name ("Bristol, City of", "County Durham",
# "Bedford Borough", "Poole (Pre LG)")
NOISE = {"city", "of", "county", "borough", "the", "council", "upon"}


def name_key(name: str) -> str:
    """An authority's or region's name reduced to the words that identify it, so that two publishers' spellings of
    the same name compare equal: case, punctuation, a bracketed remark such as "(Pre LG)", "&" for "and", and the
    words of NOISE are ignored ("Kingston Upon Hull, City of" and "Kingston upon Hull, City of" → "kingston hull")."""
    text = re.sub(r"\([^)]*\)", " ", str(name).lower()).replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(w for w in words if w not in NOISE)


@dataclass
class LaCodes:
    """The lookup: LA number → GSS code, GSS code → name (authorities and regions), authority → region, and a
    region's name key → its code."""

    by_number: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    region_codes: dict[str, str] = field(default_factory=dict)

    def add(self, number: str, code: str, name: str, region_code: str = "", region_name: str = "") -> None:
        number, code = str(number).strip(), str(code).strip()
        if number.isdigit() and code:
            self.by_number[number] = code
        if code and name:
            self.names[code] = name.strip()
        if code and region_code:
            self.regions[code] = region_code.strip()
        if region_code and region_name:
            self.names.setdefault(region_code.strip(), region_name.strip())
            self.region_codes[name_key(region_name)] = region_code.strip()

    def by_name(self) -> dict[str, list[str]]:
        """Name key → the GSS codes of the authorities with that name (two, for a name LAIT could mean either of)."""
        out: dict[str, list[str]] = {}
        for code, name in self.names.items():
            if code.startswith(("E06", "E08", "E09", "E10")):
                out.setdefault(name_key(name), []).append(code)
        return out


def la_codes(releases: list | None = None) -> LaCodes:
    """The committed list with the DfE releases a build reads (ingest.ees.EesResult) laid over it, newest last."""
    codes = LaCodes()
    if LA_CODES.is_file():
        for row in pl.read_csv(LA_CODES, schema=COLUMNS).fill_null("").iter_rows(named=True):
            codes.add(row["old_la_code"], row["new_la_code"], row["la_name"], row["region_code"], row["region_name"])
    for result in sorted(releases or [], key=lambda r: r.release):
        for number, code in result.old_codes.items():
            region = result.regions.get(code, ("", ""))
            codes.add(number, code, result.names.get(code, ""), region[0], region[1])
    return codes


def codes_frame(result) -> pl.DataFrame:
    """The committed list's rows from one DfE release (ingest.ees.EesResult): every authority with its number."""
    rows = [
        {
            "old_la_code": number,
            "new_la_code": code,
            "la_name": result.names.get(code, ""),
            "region_code": result.regions.get(code, ("", ""))[0],
            "region_name": result.regions.get(code, ("", ""))[1],
        }
        for number, code in result.old_codes.items()
    ]
    return pl.DataFrame(rows, schema=COLUMNS).sort("old_la_code")
