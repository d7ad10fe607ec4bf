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


def rag_pills(frame: pl.DataFrame, column: str = "RAG", *, width: int = 120) -> tuple[pl.DataFrame, dict]:
    """The frame with its RAG column as one-word lists, and the column's configuration that shows each word as a
    pill in its RAG colour, for the interactive table: the grid colours them itself, where a pandas Styler would
    be built and turned into styled display values for every cell on every run."""
    words = list(RAG_CELL)
    pills = st.column_config.MultiselectColumn(
        column,
        options=words,
        color=[RAG_CELL[w][0] for w in words],
        width=width,  # 110 or more: "Too few cases" and "No target" on one line
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


# The officer's Summary grid, column by column: its header, its width in pixels and its help. Every width holds the
# header on one line and every value within the rows' three lines (tests/e2e/test_browser.py measures both in the
# browser's own font), and together they fit the page at 1600 px wide with the sidebar open (1,140 px of grid).
SUMMARY_ROW_HEIGHT = 66  # over 4rem, so the grid wraps long values (at most three lines at this height)
SUMMARY_GRID = {
    "Page": ("Theme", 60, "Theme of the Priority Impact Plan (PIP): 1, 2 or 3; opens that theme's page"),
    "Workstream": ("Workstream", 92, "PIP priority action or area for improvement (AFI)"),
    "Indicator": ("Indicator", 210, None),
    "Latest": ("Latest", 70, "The latest value, as published"),
    "Period": ("Period", 80, "The period the latest value is for"),
    "Target": ("Target", 75, "The PIP target and the date it is due by"),
    "RAG": ("RAG", 105, "Red, amber or green (RAG) against the PIP target"),
    "Trend": ("Trend", 85, "The latest period against the one before"),
    "Since compare snapshot": ("Since", 120, "The change since the snapshot compared with"),
    "Variation": ("Variation", 85, "Statistical process control (SPC) variation, as NHS England's Making Data Count"),
    "Assurance": ("Assurance", 85, "SPC assurance: whether the target will be met without a change"),
    "Last 24 periods": ("History", 62, "The last 24 periods, oldest to latest"),
}


def summary_grid(table: pl.DataFrame, since: str | None) -> tuple[pl.DataFrame, dict, list[str]]:
    """The Summary display table (present.tables.summary_display, short SPC words) as the officer's grid shows it:
    the frame, each column's configuration (SUMMARY_GRID) and their order. The theme is a link to its page; `since`
    names the snapshot compared with ("30 Sep 2025"), which heads the change column ("Since 30 Sep")."""
    shown, rag = rag_pills(table, width=SUMMARY_GRID["RAG"][1])
    config = {}
    for column, (label, width, help_) in SUMMARY_GRID.items():
        if column == "RAG":
            config.update(rag)
        elif column == "Page":
            config[column] = st.column_config.LinkColumn(label, display_text=r"theme_(\d+)", width=width, help=help_)
        elif column == "Last 24 periods":
            config[column] = st.column_config.LineChartColumn(label, width=width, help=help_)
        else:
            if column == "Since compare snapshot" and since:  # the day and month head it; the help adds the year
                label = "Since " + " ".join(since.split()[:2])
                help_ = f"The change since the snapshot of {since}"
            config[column] = st.column_config.TextColumn(label, width=width, help=help_)
    return shown, config, list(SUMMARY_GRID)
