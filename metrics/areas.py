"""The area's comparators and their names: England, the area's own region (from the DfE rows), its health and
care system (configured, or known from `data/reference/systems.toml`) and statistical neighbours.

Nothing here names a particular area: every name comes from a snapshot's manifest, the DfE and NHS files it was
built from, or the systems file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ENGLAND = "E92000001"
NHS_ENGLAND = "ENG"  # England's row in the NHS England community health services workbook
SYSTEMS_FILE = Path(__file__).resolve().parent.parent / "data" / "reference" / "systems.toml"


@dataclass(frozen=True)
class System:
    """A health and care system: its localities (local authorities), integrated care board and NHS providers."""

    name: str
    localities: tuple[str, ...]
    short_name: str = ""
    icb: str | None = None
    providers: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def short(self) -> str:
        return self.short_name or self.name

    def block(self) -> dict:
        """The manifest's `system` block."""
        out = {"name": self.name, "short_name": self.short, "localities": list(self.localities)}
        if self.icb:
            out["icb"] = self.icb
        if self.providers:
            out["providers"] = list(self.providers)
        return out


# English local authorities with SEND duties: unitary (E06), metropolitan (E08), London (E09) and county (E10)
LA_CODE = re.compile(r"E(06|08|09|10)\d{6}")
ICB_CODE = re.compile(r"Q[A-Z0-9]{2}")  # an integrated care board's ODS code, as NHS England's workbooks give it
ODS_CODE = re.compile(r"[A-Z0-9]{3,5}")  # an NHS trust's ODS code
LA_EXPECTED = "a local authority GSS code: E06, E08, E09 or E10 and six digits, such as 'E08000002'"


def quoted(value: object) -> str:
    """A config value as its problem message shows it: in quotes, cut short if long."""
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def code_problems(value: object, where: str, pattern: re.Pattern, expected: str) -> list[str]:
    """The problem with one code in a config, quoting it, or none."""
    if isinstance(value, str) and pattern.fullmatch(value):
        return []
    return [f"{where} {quoted(value)} — expected {expected}"]


def system_problems(block: object, where: str) -> list[str]:
    """Every problem with a `[system]` config or manifest block, each quoting the value and saying what was
    expected."""
    if not isinstance(block, dict):
        return [f"{where}: expected a table with name and localities"]
    problems = []
    if not isinstance(block.get("name"), str) or not block["name"].strip():
        problems.append(f"{where}: name — expected the system's name, e.g. the ICB's area")
    locs = block.get("localities")
    if not isinstance(locs, list) or not locs:
        shown = "" if locs is None else f" {quoted(locs)}"
        problems.append(
            f"{where}: localities{shown} — expected a list of local authority GSS codes such as 'E08000002'"
        )
    else:
        for code in locs:
            problems += code_problems(code, f"{where}: localities:", LA_CODE, LA_EXPECTED)
    if "short_name" in block and not isinstance(block["short_name"], str):
        problems.append(f"{where}: short_name {quoted(block['short_name'])} — expected text")
    if "icb" in block:
        problems += code_problems(
            block["icb"], f"{where}: icb", ICB_CODE, "an integrated care board's ODS code, such as 'QOP'"
        )
    provs = block.get("providers", [])
    if not isinstance(provs, list):
        problems.append(f"{where}: providers {quoted(provs)} — expected a list of NHS ODS codes such as 'RM3'")
    else:
        for code in provs:
            problems += code_problems(code, f"{where}: providers:", ODS_CODE, "an NHS trust's ODS code, such as 'RM3'")
    names = block.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        problems.append(f'{where}: names — expected code = "name" pairs')
    return problems


def system_of(block: dict) -> System:
    """A System from a checked config or manifest block."""
    return System(
        name=block["name"].strip(),
        localities=tuple(block["localities"]),
        short_name=str(block.get("short_name") or "").strip(),
        icb=block.get("icb") or None,
        providers=tuple(block.get("providers", [])),
        names=dict(block.get("names", {})),
    )


@cache
def known_systems() -> tuple[System, ...]:
    """The systems of `data/reference/systems.toml` (none when the file is missing)."""
    if not SYSTEMS_FILE.is_file():
        return ()
    blocks = tomllib.loads(SYSTEMS_FILE.read_text(encoding="utf-8")).get("system", [])
    return tuple(system_of(b) for b in blocks if not system_problems(b, "systems.toml"))


def default_system(la_code: str) -> System | None:
    """The known system the local authority belongs to, if any."""
    return next((s for s in known_systems() if la_code in s.localities), None)


@dataclass(frozen=True)
class Setup:
    """Everything the pages compare the area with, read from one snapshot's manifest."""

    la_code: str
    la_name: str
    region_code: str | None = None
    region_name: str | None = None
    system: System | None = None
    neighbours: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    neighbours_set: str = (
        ""  # which set the neighbours are ("DfE children's services statistical neighbours, May 2025")
    )
    closeness: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # neighbour → "Very close", …
    la_regions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # authority → its region

    @property
    def region_phrase(self) -> str:
        """The region as a sentence names it: "the North West", "the East of England", but "London"."""
        name = self.region_name or ""
        return f"the {name}" if name.startswith(("North", "South", "East", "West")) else name

    @property
    def region_authorities(self) -> tuple[str, ...]:
        """The local authorities of the area's region (the area among them), where the snapshot knows them."""
        if not self.region_code:
            return ()
        return tuple(sorted(c for c, r in self.la_regions.items() if r == self.region_code))

    @property
    def localities(self) -> tuple[str, ...]:
        return self.system.localities if self.system else ()

    @property
    def system_name(self) -> str | None:
        return self.system.name if self.system else None

    @property
    def system_short(self) -> str | None:
        return self.system.short if self.system else None

    def name(self, code: str) -> str:
        """A person's name for an area or organisation code; the code itself when it is not known."""
        return self.names.get(code, code)

    def comparator_names(self) -> dict[str, str]:
        """England and the region: the comparator lines drawn on an indicator's chart."""
        out = {ENGLAND: "England"}
        if self.region_code and self.region_name:
            out[self.region_code] = self.region_name
        return out


def setup_of(manifest: dict) -> Setup:
    """The Setup of a snapshot: its `region` and `system` blocks, with `config.comparators` and `config.area_names`
    from older manifests; a local authority of a known system gets it when the manifest names none."""
    area = manifest.get("area", {})
    la_code = str(area.get("la_code", ""))
    config = manifest.get("config") or {}
    region = manifest.get("region") or {}
    block = manifest.get("system")
    system = system_of(block) if block and not system_problems(block, "manifest") else default_system(la_code)
    legacy = (config.get("comparators") or {}).get("gm")
    if system is not None and not block and legacy:
        system = System(system.name, tuple(legacy), system.short_name, system.icb, system.providers, system.names)
    names = {ENGLAND: "England", NHS_ENGLAND: "England"}
    if system:
        names.update(system.names)
    if region.get("code") and region.get("name"):
        names[region["code"]] = region["name"]
    names.update(config.get("area_names") or {})
    names.setdefault(la_code, str(area.get("la_name", la_code)))
    return Setup(
        la_code=la_code,
        la_name=names.get(la_code, la_code),
        region_code=region.get("code"),
        region_name=region.get("name"),
        system=system,
        neighbours=tuple((config.get("comparators") or {}).get("neighbours") or ()),
        names=names,
        neighbours_set=str((config.get("neighbours_set") or {}).get("name") or ""),
        closeness=dict((config.get("neighbours_set") or {}).get("closeness") or {}),
        la_regions=dict(config.get("la_regions") or {}),
    )


def nhs_kind(code: str) -> str:
    """What an NHS England workbook code is: "england", "region" (Y..), "icb" (Q..) or "provider"."""
    if code == NHS_ENGLAND:
        return "england"
    if len(code) == 3 and code[0] == "Y" and code[1:].isdigit():
        return "region"
    if len(code) == 3 and code[0] == "Q":
        return "icb"
    return "provider"


SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "upon", "with"}
KEEP_UPPER = {"NHS", "ICB", "FT", "CIC", "UK", "CYP", "LLP", "LTD", "GP"}


def nhs_title(name: str) -> str:
    """A published upper-case NHS organisation name in the case people write it: 'NORTHERN CARE ALLIANCE NHS
    FOUNDATION TRUST' → 'Northern Care Alliance NHS Foundation Trust'."""
    if not name.isupper():
        return name.strip()
    words = []
    for i, word in enumerate(name.split()):
        bare = word.strip(",.()")
        if bare in KEEP_UPPER:
            words.append(word)
        elif i and bare.lower() in SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")))
    return " ".join(words)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def named(frame, names: dict[str, str], *, code: str = "area_code", to: str = "area_name"):
    """A frame with a column of names for its codes (the code itself where there is no name)."""
    import polars as pl

    return frame.with_columns(pl.col(code).replace_strict(names, default=pl.col(code)).alias(to))
