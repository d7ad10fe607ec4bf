"""The abbreviations the app and the papers use, with what each stands for: the papers list those their own words
use (an appendix table, a last slide), and Data and methods lists them all. An area's own short name for its health
system ("GM") comes from its manifest, never from here."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "AFI": "Area for improvement (a workstream of the Priority Impact Plan)",
    "AP": "Alternative provision",
    "CAMHS": "Child and adolescent mental health services",
    "DfE": "Department for Education",
    "EHC": "Education, health and care (an EHC plan)",
    "EHCP": "Education, health and care plan",
    "EOTAS": "Education otherwise than at school",
    "ICB": "Integrated care board",
    "LAIT": "Local Authority Interactive Tool (Department for Education)",
    "NHS": "National Health Service",
    "ONS": "Office for National Statistics",
    "PIP": "Priority Impact Plan",
    "RAG": "Red, amber or green: a rating against a target",
    "SALT": "Speech and language therapy",
    "SEN": "Special educational needs",
    "SENCo": "Special educational needs coordinator",
    "SEND": "Special educational needs and disabilities",
    "SPC": "Statistical process control",
}


def system_abbreviation(system: dict | None) -> dict[str, str]:
    """The health system's short name and its full name, when the manifest gives a short name of its own."""
    system = system or {}
    short, name = str(system.get("short_name") or ""), str(system.get("name") or "")
    return {short: name} if short and name and short != name else {}


def abbreviations(text: str | None = None, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Rows {"Abbreviation", "Meaning"} in alphabetical order: every one, or (`text` given) those the text uses as a
    word of its own (or with a plural "s" or a number). `extra` adds the area's own (system_abbreviation)."""
    known = {**ABBREVIATIONS, **(extra or {})}
    if text is not None:
        # a plural ("SENCos") or a workstream's number ("PIP1", "PIP6.1") counts as the abbreviation's use
        used = lambda k: re.search(rf"(?<![\w-]){re.escape(k)}(?:s|\d[\d.]*)?(?![\w-])", text)  # noqa: E731
        known = {k: v for k, v in known.items() if used(k)}
    return [{"Abbreviation": k, "Meaning": known[k]} for k in sorted(known, key=str.casefold)]
