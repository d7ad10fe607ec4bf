"""Text on slides: how wide a line of Calibri is, how many lines a text takes at a width (so every box and table
row is sized from its text, never guessed), and markdown as plain text. Lengths are whole EMUs."""

from __future__ import annotations

import math
import re

from pptx.util import Emu, Inches, Pt

BODY = Pt(18)
HEADING = Pt(20)  # a section's heading within a slide (since the last board)
TITLE = Pt(32)
FOOTER = Pt(10)
# Text is measured in the theme's font, Calibri, by the advance widths of Carlito (metric-compatible with Calibri;
# SIL Open Font Licence), in thousandths of an em, for ASCII from the space to "~"; other characters as listed, and
# any not listed (symbols PowerPoint takes from another font) as a whole em, erring wide.
_REGULAR = (
    "226 326 401 498 507 715 682 221 303 303 498 498 250 306 252 386 507 507 507 507 507 507 507 507 507 507 268 268 "
    "498 498 498 463 894 579 544 533 615 488 459 631 623 252 319 520 420 855 646 662 517 673 543 459 487 642 567 890 "
    "519 487 468 307 386 307 498 498 291 479 525 423 525 498 305 471 525 229 239 455 229 799 525 527 525 525 349 391 "
    "335 525 452 715 433 453 395 314 460 314 498"
)
_BOLD = (
    "226 326 438 498 507 729 705 233 312 312 498 498 258 306 267 430 507 507 507 507 507 507 507 507 507 507 276 276 "
    "498 498 498 463 898 606 561 529 630 488 459 637 631 267 331 547 423 874 659 676 532 686 563 473 495 653 591 906 "
    "551 520 478 325 430 325 498 498 300 494 537 418 537 503 316 474 537 246 255 480 246 813 537 538 537 537 355 399 "
    "347 537 473 745 459 474 397 344 475 344 498"
)
_OTHER = {"–": 498, "—": 905, "•": 498, "‘": 250, "’": 250, "“": 418, "”": 418, "·": 252, "…": 690, "£": 507}
_OTHER.update({"€": 507, "×": 498, "°": 339})
EM_WIDTHS = {
    bold: {chr(32 + i): int(w) / 1000 for i, w in enumerate(table.split())} | {k: v / 1000 for k, v in _OTHER.items()}
    for bold, table in ((False, _REGULAR), (True, _BOLD))
}
WIDTH_MARGIN = 1.02  # a line is taken to hold 2% less than the widths add up to: renderers round and kern
LINE_EM = 1.22  # Calibri's line height, in ems
CHAR_EM = 0.5  # an average character, a little wide, for sharing out a table's columns (boardpack.column_widths)
INSET_X, INSET_Y = int(Inches(0.1)), int(Inches(0.05))  # PowerPoint's own text box and table cell margins


def emu(x: float) -> Emu:
    """A length as a whole number of EMUs: the file format allows no fractions (x="457200.0" is invalid)."""
    return Emu(round(x))


def pt_emu(size) -> float:
    return float(size)  # a Length is its size in EMUs already


def text_width(text: str, *, bold: bool = False) -> float:
    """The width of `text` in ems of its type size."""
    widths = EM_WIDTHS[bold]
    return sum(widths.get(ch, 1.0) for ch in text)


def text_lines(text: str, width: float, size=BODY, *, bold: bool = False) -> int:
    """How many lines `text` takes in a box or cell `width` EMUs wide (margins included) at `size`: each paragraph
    wrapped word by word as PowerPoint does; a word longer than a line is broken across lines."""
    room = (width - 2 * INSET_X) / pt_emu(size) / WIDTH_MARGIN  # in ems
    space = EM_WIDTHS[bold][" "]
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            w = text_width(word, bold=bold)
            if used and used + space + w <= room:
                used += space + w
                continue
            if used:
                lines += 1
            extra = max(0, math.ceil(w / room) - 1)  # a word wider than the line runs on to the next
            lines += extra
            used = w - extra * room
        total += lines
    return total


def line_height(size=BODY) -> float:
    return pt_emu(size) * LINE_EM


def text_height(text: str, width: float, size=BODY, *, bold: bool = False, space: float = 0) -> int:
    """The height a text box needs for `text` at `width` (its margins and each paragraph's space after included)."""
    paragraphs = len(str(text).split("\n"))
    return int(text_lines(text, width, size, bold=bold) * line_height(size) + paragraphs * space + 2 * INSET_Y + 1)


_LIST_ITEM = re.compile(r"^\s{0,6}[-*+]\s+")
_NUMBERED = re.compile(r"^\s{0,6}(\d{1,3})[.)]\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def plain_text(markdown: str) -> str:
    """Commentary (markdown: paragraphs, `**bold**`, `*italic*`, lists, links) as the plain text of speaker notes:
    the words without their marks, a bulleted item as a "• " line, a numbered one keeping its number, a link's
    words with its address after them. Anything else is left exactly as written."""
    out = []
    for line in str(markdown).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _HEADING.sub("", _QUOTE.sub("", line))
        if _LIST_ITEM.match(line):
            line = "• " + _LIST_ITEM.sub("", line)
        elif m := _NUMBERED.match(line):
            line = f"{m[1]}. " + line[m.end() :]
        line = _IMAGE.sub(lambda m: m[1] or "image", line)
        line = _LINK.sub(lambda m: f"{m[1]} ({m[2]})" if m[2] and m[2] != m[1] else m[1], line)
        line = _CODE.sub(r"\1", line)
        line = _STRONG.sub(r"\2", line)
        line = _EMPHASIS.sub(r"\2", line)
        out.append(_ESCAPED.sub(r"\1", line).rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
