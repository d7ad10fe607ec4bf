"""Turning numbers into the words and figures people read: units, periods, changes, GSS symbols.

Pure Python on already-computed values (no Polars expressions, no Streamlit), shared by pages, downloads and the
board pack so a figure reads the same everywhere.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from metrics.schema import PLAN_WORKSTREAMS

STATUS_WORDS = {
    "c": "c (suppressed)",
    "x": "x (not available)",
    "z": "z (not applicable)",
    "low": "low (rounds to zero)",
    "u": "u (low reliability)",
}
UNIT_WORDS = {
    "percent": "%",
    "count": "number",
    "rate_per_1000": "per 1,000",
    "weeks": "weeks",
    "days": "days",
    "score": "score",
    "pounds": "£",
}
WORKSTREAM_TITLES = {
    "PIP1": "PIP1 Strategy",
    "PIP2": "PIP2 Early identification",
    "PIP3": "PIP3 Access to support",
    "PIP4": "PIP4 Preparing for adulthood",
    "PIP5": "PIP5 Transitions",
    "PIP6.1": "PIP6.1 EHC plans: timeliness and quality",
    "PIP6.2": "PIP6.2 Annual reviews",
    "AFI1": "AFI1 Communication",
    "AFI2": "AFI2 Alternative provision and EOTAS",
    "AFI3": "AFI3 Workforce",
    "EHCP_ASSESS": "EHC plans: requests and assessments",
    "EHCP_REVIEWS": "EHC plans: annual reviews and ceased plans",
    "COMMUNITY_WAITS": "Waiting times for community health services",
    "CONTEXT": "Context",
    "BENCHMARKS": "Benchmarks only (published measures no plan places)",
}


def workstream_label(code: str) -> str:
    """A workstream as a table cell: a plan's own number ("PIP6.1") as the plan writes it, a topic grouping or the
    context by its title ("EHC plans: requests and assessments"), since a topic has no number to show."""
    return code if code in PLAN_WORKSTREAMS else WORKSTREAM_TITLES.get(code, code)


THEME_TITLES = {
    1: "Theme 1 – Strategy, communication, workforce",
    2: "Theme 2 – Identification, access, new plans",
    3: "Theme 3 – Adulthood, transitions, reviews, AP",
}
RAG_WORDS = {"Green": "Green", "Amber": "Amber", "Red": "Red", "Grey": "No target"}


def rag_word(rag: str, *, has_target: bool, has_value: bool = True, small: bool = False) -> str:
    """The word for an indicator's RAG: its colour's word, or why it has none — "No target", "No data", or "Too few
    cases" for a figure on fewer than 10 cases, which is never rated against its target (METHODS §8)."""
    if rag != "Grey" or not has_target:
        return RAG_WORDS[rag]
    if not has_value:
        return "No data"
    return "Too few cases" if small else RAG_WORDS[rag]


SMALL_NUMBER_CAUTION = "caution: fewer than 10 cases"


# An action's grey is a not-started action before its due date (METHODS §2): it has no target to miss.
ACTION_RAG_WORDS = {"Green": "Green", "Amber": "Amber", "Red": "Red", "Grey": "Not yet due"}


def fmt_number(value: float, decimals: int) -> str:
    """A number with thousands separators and fixed decimals ("2,804", "14.4")."""
    return f"{value:,.{decimals}f}"


def fmt_value(value: float | None, unit: str, decimals: int, status: str = "") -> str:
    """A value with its unit ("34%", "2,804", "14.4 per 1,000"); a GSS symbol when there is no number."""
    if value is None:
        return status or "x"
    n = fmt_number(value, decimals)
    if unit == "percent":
        return f"{n}%"
    if unit == "rate_per_1000":
        return f"{n} per 1,000"
    if unit in ("weeks", "days"):
        return f"{n} {unit}"
    if unit == "pounds":
        return f"£{n}" if value >= 0 else f"−£{fmt_number(-value, decimals)}"
    return n


def fmt_change(
    value: float | None,
    compare_value: float | None,
    period_label: str | None,
    compare_label: str | None,
    unit: str,
    decimals: int,
    *,
    short: bool = False,
) -> str:
    """What changed since the compare snapshot, in words: new period, revision, or no new data. `short`: a new
    period's change without naming the new period (a table that shows the period beside it)."""
    if value is None and compare_value is None:
        return "No data"
    if compare_label is None:
        return "New indicator"
    if period_label != compare_label:
        if value is None or compare_value is None:
            return "New period" if short else f"New period: {period_label}"
        arrow = change_arrow(value - compare_value, decimals)
        change = (
            f"no change on {compare_label}"
            if arrow == "►"
            else f"{arrow} {points(value - compare_value, decimals, unit)} on {compare_label}"
        )
        return ("► " + change if arrow == "►" else change) if short else f"New period: {period_label} ({change})"
    if value is not None and compare_value is not None and abs(value - compare_value) >= 0.5 * 10 ** (-decimals) - 1e-9:
        return f"Revised: {fmt_value(compare_value, unit, decimals)} → {fmt_value(value, unit, decimals)}"
    return "No new data"


def plural(count: int, one: str, many: str | None = None) -> str:
    """A count with its noun: "1 period", "19 points", "2 indicators have" (`many` for irregular plurals)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def periods(count: int) -> str:
    """ "1 period", "4 periods": how many periods a series has."""
    return plural(count, "period")


# Month names as labels write them, to their three-letter forms (a list, not strftime, whose names follow the locale)
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_MONTHS = {m.lower(): m[:3] for m in _MONTH_NAMES} | {m[:3].lower(): m[:3] for m in _MONTH_NAMES} | {"sept": "Sep"}
_ROLLING = "12 months to "
_COLLECTION = r"(?: (?:census|survey))?"  # how the figure was collected, the same for every point of a series
_SHORT_PATTERNS = [
    (re.compile(rf"^([A-Za-z]+) (\d{{4}}){_COLLECTION}$"), lambda m: f"{_MONTHS[m[1].lower()]} {m[2][2:]}"),
    (re.compile(r"^(Q[1-4]) (\d{4})/(\d{2})$"), lambda m: f"{m[1]} {m[2][2:]}/{m[3]}"),
    (re.compile(r"^(Autumn|Spring|Summer) term (\d{4})$"), lambda m: f"{m[1]} {m[2][2:]}"),
    (re.compile(rf"^(\d{{4}}(?:/\d{{2}})?){_COLLECTION}$"), lambda m: m[1]),
]


def short_period_label(label: str) -> str:
    """A period label short enough for a chart's category axis, where full labels collide or get rotated: "Sep 2025"
    and "September 2025" → "Sep 25", "Q2 2025/26" → "Q2 25/26", "Summer term 2025" → "Summer 25"; "2024/25" and
    "2024" stay as they are. "census" or "survey" after a date is dropped (every point of a series has it), and so
    is "12 months to " — a chart of rolling figures must say so itself (its axis title or caption). A label of any
    other form is returned unchanged, so nothing is ever made up."""
    text = " ".join(str(label).split())
    for pattern, short in _SHORT_PATTERNS:
        m = pattern.match(text.removeprefix(_ROLLING))
        if m and (pattern is not _SHORT_PATTERNS[0][0] or m[1].lower() in _MONTHS):
            return short(m)
    return text


def fmt_date(d: date | None) -> str:
    """'31 October 2025' — dates as people write them."""
    return "" if d is None else f"{d.day} {d:%B %Y}"


def fmt_target(target: float | None, unit: str, decimals: int, target_date: date | None) -> str:
    """The PIP target with its unit and date ("90% by Mar 2025"), or "No target"."""
    if target is None:
        return "No target"
    when = f" by {target_date:%b %Y}" if target_date else ""
    return fmt_value(target, unit, decimals) + when


VARIATION_LABELS = {
    "common_cause": "● Common cause: no significant change",
    "improvement_high": "▲ Special cause: improving (higher)",
    "improvement_low": "▼ Special cause: improving (lower)",
    "concern_high": "▲ Special cause: concern (higher)",
    "concern_low": "▼ Special cause: concern (lower)",
    "neutral_high": "▲ Special cause: higher",
    "neutral_low": "▼ Special cause: lower",
    "none": "Too few points for SPC (under 13)",
}
# Why an indicator has no SPC icons (metrics.series.no_spc_reason): long words for tables, short for badges.
NO_SPC = {
    "few": "Too few points for SPC (under 13)",
    "rolling": "No SPC: rolling 12-month figures overlap",
    "small": "No SPC signal: too few cases",
}
NO_SPC_SHORT = {"few": "Too few points for SPC", "rolling": "Rolling figures: no SPC", "small": "Too few cases"}


def variation_words(variation: str | None, no_spc: str | None = None, *, short: bool = False) -> str:
    """The variation icon in words, or why there is none."""
    if (variation or "none") == "none":
        return (NO_SPC_SHORT if short else NO_SPC)[no_spc or "few"]
    return (VARIATION_SHORT if short else VARIATION_LABELS)[variation]


ASSURANCE_LABELS = {
    "pass": "✓ Consistently passes the target",
    "fail": "✗ Consistently fails the target",
    "hit_and_miss": "≈ Hit and miss against the target",
    "none": "No assurance: no target",
}
VARIATION_SHORT = {
    "common_cause": "● Common cause",
    "improvement_high": "▲ Improving",
    "improvement_low": "▼ Improving",
    "concern_high": "▲ Concern",
    "concern_low": "▼ Concern",
    "neutral_high": "▲ Higher than usual",
    "neutral_low": "▼ Lower than usual",
    "none": "Too few points for SPC",
}
ASSURANCE_SHORT = {
    "pass": "✓ Passes target",
    "fail": "✗ Fails target",
    "hit_and_miss": "≈ Hit and miss",
    "none": "No target",
}


def change_arrow(delta: float, decimals: int) -> str:
    """▲ or ▼ by the sign of a change, ► when it is under half a display unit (METHODS §5): the arrow always
    follows the sign, whatever the indicator's polarity."""
    if abs(delta) < 0.5 * 10 ** (-decimals) - 1e-9:
        return "►"
    return "▲" if delta > 0 else "▼"


def change_meaning(delta: float, polarity: str, decimals: int) -> str:
    """What a change means for the indicator: "better" or "worse" by its polarity, "neutral" for an indicator with
    no better direction, "none" when the change is under half a display unit."""
    arrow = change_arrow(delta, decimals)
    if arrow == "►":
        return "none"
    if polarity not in ("higher_is_better", "lower_is_better"):
        return "neutral"
    return "better" if (arrow == "▲") == (polarity == "higher_is_better") else "worse"


# The colour of a change by its meaning: green better, red worse, grey for a neutral measure or no change.
CHANGE_COLOURS = {"better": "green", "worse": "red", "neutral": "gray", "none": "gray"}


def change_badge(delta: float, polarity: str, decimals: int, unit: str, compare_label: str) -> dict:
    """A change since the compare snapshot as a tile shows it: `text` ("−2 points on Aug 2025"), `arrow` ("up",
    "down" or "off", from the sign), `colour` (from what the change means for the indicator's polarity) and
    `meaning` (better, worse, neutral or none)."""
    arrow = change_arrow(delta, decimals)
    meaning = change_meaning(delta, polarity, decimals)
    text = f"No change on {compare_label}" if arrow == "►" else f"{points(delta, decimals, unit)} on {compare_label}"
    return {
        "text": text,
        "arrow": {"▲": "up", "▼": "down", "►": "off"}[arrow],
        "colour": CHANGE_COLOURS[meaning],
        "meaning": meaning,
    }


def points(delta: float, decimals: int, unit: str) -> str:
    """A signed change with its unit: "+3 points", "+1 point", "−2.0", "+0.3". Halves round away from zero: a change
    of half a display unit is one an arrow shows (METHODS §5), so it reads "+1 point", never "▲ +0 points"."""
    sign = "+" if delta >= 0 else "−"
    # to nine places first, as the arrow's own test allows for floating-point error (86.3 − 85.8 is 0.4999…)
    shown = Decimal(f"{abs(delta):.9f}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    n = fmt_number(float(shown), decimals)
    if unit == "percent":
        return f"{sign}{n} {'point' if n == '1' else 'points'}"
    return f"{sign}{n}"


# Every ASCII punctuation character CommonMark lets a backslash escape, which covers Streamlit's own additions
# (`:color[...]` directives, `:material/…:` icons, `$…$` maths) as well as links, images, emphasis and lists.
_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$&=\"'@/%")
# GitHub-flavoured markdown turns bare addresses (x@y.uk, https://…, www.…) into links after escapes are undone, so
# an invisible word joiner goes where it breaks the pattern without changing what people read.
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(@|:|(?i:www)(?=\.))")


def md_escape(text: object, *, keep: str = "") -> str:
    """Plain text (a name, a title, a role) made safe to put inside Streamlit markdown: every markdown character
    (but those in `keep`) is backslash-escaped, bare addresses cannot become links, and line breaks become spaces,
    so it shows exactly as written and can never form a link, an image, a badge or a heading."""
    if text is None:
        return ""
    flat = _AUTOLINK.sub(lambda m: m.group(1) + _JOINER, " ".join(str(text).split()))
    special = _MD_SPECIAL - set(keep)
    return "".join(f"\\{ch}" if ch in special else ch for ch in flat)


_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_LIST_ITEM = re.compile(r"^(\s{0,6})([-*+]|\d{1,3}[.)])\s+")


def safe_markdown(text: object) -> str:
    """Commentary in the safe subset of markdown: paragraphs, bold and italic (`**…**`, `*…*`, `_…_`) and bulleted
    or numbered lists. An image shows as its description in brackets, a link as its words with the address after
    them as plain text; headings, badges, icons, tables, code, maths and HTML show as the characters typed."""
    if text is None:
        return ""
    lines = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _IMAGE.sub(lambda m: f"[image: {m.group(1)}]" if m.group(1) else "[image]", line)
        line = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), line)
        item = _LIST_ITEM.match(line)
        prefix, rest = (item.group(0), line[item.end() :]) if item else ("", line)
        lines.append(prefix + md_escape(rest, keep="*_") if rest.strip() else prefix.rstrip())
    return "\n".join(lines)


UNIT_NAMES = {
    "percent": "percentage",
    "count": "number",
    "rate_per_1000": "rate per 1,000",
    "weeks": "weeks",
    "days": "days",
}
POLARITY_NAMES = {"higher_is_better": "higher", "lower_is_better": "lower", "neutral": "neither"}
TABLE_NAMES = {
    "kpi_catalogue": "indicators and targets",
    "kpi_values": "indicator values",
    "annual_reviews": "annual reviews",
    "wards": "wards",
    "ward_demand": "demand by ward",
    "waiting_times": "waiting times",
    "actions": "action tracker",
    "risks": "risk register",
    "commentary": "commentary",
    "milestones": "milestones",
}


def plain_sources(sources: list[dict], area: str) -> list[dict]:
    """The snapshot's sources as a reader of the papers wants them: what each is, who publishes it, when, and its
    licence — no file names, checksums or commands (those are in the snapshot's manifest for officers)."""
    out: dict[str, dict] = {}
    for s in sources:
        name = re.sub(r"\s*`[^`]*`", "", str(s.get("name", ""))).strip()  # never a command
        publisher = str(s.get("publisher", ""))
        if publisher in ("this project", ""):
            name = "Demonstration figures, made up around the area's published figures"
        if name.startswith("Local template: "):
            table = name.removeprefix("Local template: ")
            name = f"{area}'s own records: {TABLE_NAMES.get(table, table.replace('_', ' '))}"
        if publisher == "local":
            publisher = f"{area} SEND partnership"
        elif publisher in ("this project", ""):
            publisher = "Generated for this demonstration"
        licence = {"OGL-3.0": "Open Government Licence v3.0", "local data": "Local data"}.get(
            str(s.get("licence", "")), str(s.get("licence", ""))
        )
        row = out.setdefault(name, {"Source": name, "Publisher": publisher, "Published": "", "Licence": licence})
        if s.get("published"):
            row["Published"] = fmt_date(date.fromisoformat(str(s["published"])[:10]))
    return list(out.values())
