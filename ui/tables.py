"""The app's rendering of display tables that needs Streamlit or pandas: RAG words as coloured pills in the
interactive grid and as coloured cells in board mode's static table. The display tables themselves are built in
present/ (no Streamlit), shared with the PDF and the slides."""

from __future__ import annotations

import polars as pl
import streamlit as st

from charts.palette import RAG_FILL, RAG_INK
from present.tables import as_word_lists

# GOV.UK Design System colours for RAG cells, each with a text colour that passes WCAG AA (≥ 4.5:1) on it.
RAG_CELL = {
    **{word: (RAG_FILL[word], RAG_INK[word]) for word in ("Green", "Amber", "Red")},
    "No target": ("#F3F2F1", "#0B0C0C"),
    "Too few cases": ("#F3F2F1", "#0B0C0C"),
    "No data": ("#F3F2F1", "#0B0C0C"),
}


def rag_pills(frame: pl.DataFrame, column: str = "RAG") -> tuple[pl.DataFrame, dict]:
    """The frame with its RAG column as one-word lists, and the column's configuration that shows each word as a
    pill in its RAG colour, for the interactive table: the grid colours them itself, where a pandas Styler would
    be built and turned into styled display values for every cell on every run."""
    words = list(RAG_CELL)
    pills = st.column_config.MultiselectColumn(
        column,
        options=words,
        color=[RAG_CELL[w][0] for w in words],
        width=120,  # "Too few cases" and "No target" on one line
        help="Red, amber or green (RAG) against the Priority Impact Plan target",
    )
    return as_word_lists(frame, column), {column: pills}


def rag_styled(frame: pl.DataFrame, column: str = "RAG"):
    """A pandas Styler (what board mode's static st.table colours cells from) with RAG cells coloured; the word
    stays in the cell."""

    def paint(word: str) -> str:
        bg, fg = RAG_CELL.get(word, ("#FFFFFF", "#0B0C0C"))
        return f"background-color: {bg}; color: {fg}; font-weight: 600; white-space: nowrap"

    return frame.to_pandas().style.map(paint, subset=[column])
