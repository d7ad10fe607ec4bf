"""DfE's children's services statistical neighbours workbook (`sn_may_2025.xlsx`): two title rows, then `LA num, LA
Name, …, SN1, SNP, …, SN10, SNP`, each authority's ten nearest neighbours by their old three-digit DfE number, with
how close each is; matched to GSS codes through the DfE files.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ingest.lacodes import LaCodes
from ingest.problems import Problem

MONTH_WORDS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def la_number(text: str | None) -> str:
    """LAIT's LA number as its three digits ("351.0" → "351"); "" when it is not a whole number."""
    try:
        n = float(str(text).strip())
    except (TypeError, ValueError):
        return ""
    return str(int(n)) if math.isfinite(n) and n.is_integer() and n >= 0 else ""


# ── statistical neighbours ────────────────────────────────────────────────────────────────────────────────────────
def read_neighbours(path: Path, codes: LaCodes) -> tuple[dict[str, list[tuple[str, str]]], str, list[Problem]]:
    """Each authority's ten statistical neighbours, nearest first, as GSS codes with how close each is; the set's
    name with its date (from the file's name, "sn_may_2025.xlsx" → May 2025); every problem."""
    import openpyxl

    name = Path(path).name
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook
        return {}, "", [Problem(name, f"not a readable workbook ({type(exc).__name__})")]
    out: dict[str, list[tuple[str, str]]] = {}
    problems: list[Problem] = []
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = None
            for i, row in enumerate(rows, start=1):
                cells = [str(c).strip() if c is not None else "" for c in row]
                if header is None:
                    if "SN1" in cells and ({"LA num", "LA number"} & set(cells)):
                        header = cells
                    elif i >= 10:
                        break
                    continue
                if not any(cells):
                    continue
                first = cells[0]
                if not la_number(first):
                    if re.search(r"\d", first) or any(c for c in cells[5:7]):
                        problems.append(
                            Problem(
                                name,
                                "a local authority's three-digit number",
                                f"sheet '{ws.title}', row {i}",
                                header[0],
                                first[:40],
                            )
                        )
                    continue  # a footnote
                la = codes.by_number.get(la_number(first))
                if la is None:
                    problems.append(
                        Problem(
                            name,
                            "the number of a local authority of the DfE files",
                            f"sheet '{ws.title}', row {i}",
                            header[0],
                            first,
                        )
                    )
                    continue
                nearest = []
                for n in range(1, 11):
                    col = header.index(f"SN{n}") if f"SN{n}" in header else None
                    if col is None:
                        problems.append(
                            Problem(name, "missing — expected SN1 to SN10", f"sheet '{ws.title}'", f"SN{n}")
                        )
                        break
                    cell = cells[col] if col < len(cells) else ""
                    code = codes.by_number.get(la_number(cell))
                    if code is None:
                        problems.append(
                            Problem(
                                name,
                                "the number of a local authority of the DfE files",
                                f"sheet '{ws.title}', row {i}",
                                f"SN{n}",
                                cell,
                            )
                        )
                        continue
                    closeness = cells[col + 1] if col + 1 < len(cells) and header[col + 1] == "SNP" else ""
                    nearest.append((code, closeness))
                out[la] = nearest
            if header is not None:
                break
        else:
            problems.append(Problem(name, "no sheet with a header row 'LA num, LA Name, …, SN1, SNP, …, SN10, SNP'"))
    finally:
        wb.close()
    when = re.search(r"(" + "|".join(m[:3] for m in MONTH_WORDS) + r")[a-z]*[ _-]*(\d{4})", name.lower())
    label = "DfE children's services statistical neighbours"
    if when:
        month = next(m for m in MONTH_WORDS if m.startswith(when.group(1)))
        label += f", {month.capitalize()} {when.group(2)}"
    return out, label, problems  # listed up to LAIT's limit by ingest.lait, as every LAIT file's problems are
