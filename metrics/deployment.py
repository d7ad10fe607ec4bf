"""Which local areas one deployment serves, and where each keeps its snapshots, its officers' list and its signing
key. Pure: plain mappings in (the secrets as parsed), plain data out; no Streamlit.

Two layouts of the snapshot root:

- **one area**, as before: the root holds the snapshot folders themselves (`<root>/2025-10-31/`); the officers are
  `[officers]` and the key `[snapshots] key` (or $SEND_SNAPSHOT_KEY);
- **several areas**: one folder per area under the root, named by the area's GSS code (`<root>/E08000002/`), and/or
  one `[areas.<code>]` block per area in the secrets:

      [areas.E08000002]
      name = "Bury"                      # optional: else the name the DfE publishes for the code
      snapshots = "/srv/send/bury"       # optional: else <root>/E08000002 (relative paths are read from the root)
      key = "…"                          # optional: the area's own signing key, else the deployment's
      [areas.E08000002.officers]         # who is an officer of this area (as [officers]); none: the public only
      domains = ["bury.gov.uk"]

  An area folder without a block is an area too: its snapshots are checked with the deployment's key and, when
  sign-in is on, nobody is its officer.

Problems (a code that is not an English local authority's, a setting this dashboard does not read, a value of the
wrong type) are listed in plain English: the app treats them as a configuration error and shows the public view.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

AREA_KEYS = ("name", "snapshots", "key", "officers")
# GSS codes of English local authorities with SEND duties: unitary (E06), metropolitan (E08), London (E09), county
# (E10); E07 districts have none, but the snapshot contract accepts them, so an area folder may be one too.
AREA_CODE = re.compile(r"^E0[6-9]\d{6}$|^E10\d{6}$")
SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference" / "dfe_ehcp_headlines.csv"


@dataclass(frozen=True)
class Area:
    """One local area of a deployment. `code` is "" for the one area of a root that holds its snapshot folders
    itself (its code is then whatever its snapshots say)."""

    code: str
    root: Path
    name: str = ""
    officers: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def title(self) -> str:
        """The area's name for people: configured, else the DfE's name for the code, else the code."""
        return self.name or la_names().get(self.code, "") or self.code or "this area"


@dataclass(frozen=True)
class Deployment:
    """The areas a deployment serves, in the order the landing page lists them (by name), and whether it is laid out
    for several (the area then belongs in the address)."""

    areas: tuple[Area, ...]
    several: bool  # the several-areas layout: the area is part of the address
    problems: tuple[str, ...] = ()  # configuration errors (the app shows the public view and names them)
    notices: tuple[str, ...] = ()  # worth saying on the landing page, not errors

    def find(self, code: Any) -> Area | None:
        if not isinstance(code, str):
            return None
        return next((a for a in self.areas if a.code and a.code == code.strip().upper()), None)


def _quoted(value: Any) -> str:
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def block_problems(code: Any, block: Any) -> list[str]:
    """What is wrong with one `[areas.<code>]` block, in plain English (never quoting its key, which is secret)."""
    where = f"[areas.{str(code)[:40]}]"
    if not isinstance(code, str) or not AREA_CODE.match(code):
        return [
            f"[areas] has {_quoted(code)}, which is not an English local authority's GSS code (E06, E08, E09 or "
            "E10 and six digits, such as E08000002)"
        ]
    if not isinstance(block, Mapping):
        return [f"{where} is not a table of settings"]
    problems = []
    for name in block:
        if name not in AREA_KEYS:
            near = difflib.get_close_matches(str(name).lower(), AREA_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(f"{where} has {name}, which this dashboard does not read{hint}")
    name = block.get("name")
    if name is not None and not (isinstance(name, str) and name.strip()):
        problems.append(f"{where} name must be the area's name")
    folder = block.get("snapshots")
    if folder is not None and not (isinstance(folder, str) and folder.strip()):
        problems.append(f"{where} snapshots must be the path of the area's snapshot folder")
    key = block.get("key")
    if key is not None and not (isinstance(key, str) and key.strip()):
        problems.append(f"{where} key must be a non-empty string")
    officers = block.get("officers")
    if officers is not None and not isinstance(officers, Mapping):
        problems.append(f"{where} officers must be a table ([areas.{code}.officers])")
    return problems


def _area_folders(root: Path) -> tuple[list[str], list[str]]:
    """Names of the area folders (GSS codes) and of the snapshot folders directly under `root`. A root that cannot
    be listed gives neither: the pages then say the store cannot be reached."""
    codes, dates = [], []
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if AREA_CODE.match(entry.name):
                    codes.append(entry.name)
                elif SNAPSHOT_NAME.match(entry.name):
                    dates.append(entry.name)
    except OSError:
        pass
    return codes, dates


def read(secrets: Mapping[str, Any] | None, root: Path | str) -> Deployment:
    """The deployment's areas from the secrets' `[areas.<code>]` blocks and the area folders under `root`."""
    secrets = secrets or {}
    root = Path(root)
    problems: list[str] = []
    configured: dict[str, Area] = {}
    blocks = secrets.get("areas")
    if blocks is not None and not isinstance(blocks, Mapping):
        problems.append("[areas] must hold one [areas.<code>] block per area")
    elif blocks:
        for code, block in blocks.items():
            found = block_problems(code, block)
            problems += found
            if not isinstance(code, str) or not AREA_CODE.match(code) or not isinstance(block, Mapping):
                continue
            folder = block.get("snapshots")
            path = root / code
            if isinstance(folder, str) and folder.strip():
                path = Path(folder.strip()) if Path(folder.strip()).is_absolute() else root / folder.strip()
            name = block.get("name") if isinstance(block.get("name"), str) else ""
            officers = block.get("officers") if isinstance(block.get("officers"), Mapping) else None
            configured[code] = Area(code, path, name.strip(), officers)
    codes, dates = _area_folders(root)
    found = [Area(code, root / code) for code in codes if code not in configured]
    if not configured and not found and not problems:
        return Deployment((Area("", root, officers=secrets.get("officers")),), several=False)
    notices = []
    if dates:
        shown = ", ".join(sorted(dates, reverse=True)[:3]) + (" …" if len(dates) > 3 else "")
        notices.append(
            f"Snapshot folders directly in the snapshot folder ({shown}) are not shown: with several areas, each "
            "area's snapshots are in a folder of its own, named by its code"
        )
    areas = sorted([*configured.values(), *found], key=lambda a: (a.title.lower(), a.code))
    return Deployment(tuple(areas), several=True, problems=tuple(problems), notices=tuple(notices))


@cache
def la_names() -> dict[str, str]:
    """Local authorities' names by GSS code, as the DfE publishes them (the committed reference extract)."""
    try:
        import polars as pl

        frame = pl.read_csv(REFERENCE, columns=["area_code", "area_name"], infer_schema_length=0).unique("area_code")
    except Exception as exc:  # a missing extract costs only the names
        LOG.warning("Local authority names could not be read: %s", exc)
        return {}
    return dict(frame.iter_rows())
