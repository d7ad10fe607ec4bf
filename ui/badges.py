"""The project's own badges: RAG, variation and assurance, each a coloured badge with a symbol and words, never
colour alone."""

from __future__ import annotations

import streamlit as st

from metrics.formatting import ASSURANCE_SHORT, RAG_WORDS, VARIATION_SHORT

RAG_COLOURS = {"Green": "green", "Amber": "orange", "Red": "red", "Grey": "gray"}
ASSURANCE_COLOURS = {"pass": "blue", "fail": "orange", "hit_and_miss": "gray", "none": "gray"}
RAG_SYMBOLS = {"Green": "✓", "Amber": "!", "Red": "✗", "Grey": "–"}


def variation_colour(code: str) -> str:
    if code.startswith("improvement"):
        return "blue"
    if code.startswith("concern"):
        return "orange"
    if code.startswith("neutral"):
        return "violet"
    return "gray"


def badge_line(
    rag: str, variation: str, assurance: str | None, *, rag_text: str | None = None, variation_text: str | None = None
) -> None:
    """A tile's RAG, variation and (given 13 points or more) assurance badges as one line of markdown: one element
    for the browser to draw rather than three. The words are this module's own, never data; the icons' full
    meanings are in each indicator's block below the tiles."""
    parts = [
        f":{RAG_COLOURS[rag]}-badge[{RAG_SYMBOLS[rag]} RAG: {rag_text or RAG_WORDS[rag]}]",
        f":{variation_colour(variation)}-badge[{variation_text or VARIATION_SHORT[variation]}]",
    ]
    if assurance is not None:
        parts.append(f":{ASSURANCE_COLOURS[assurance]}-badge[{ASSURANCE_SHORT[assurance]}]")
    st.markdown(" ".join(parts))
