"""Board › Summary: every indicator in one table with its latest value, period, target, RAG, trend and change."""

import streamlit as st

from metrics.formatting import THEME_TITLES, fmt_date, plural
from present.tables import board_columns, exceptions_display, summary_display
from ui import data, papers
from ui.components import download_csv, page_header, sources_line
from ui.state import context, snapshot_ids
from ui.tables import SUMMARY_ROW_HEIGHT, rag_styled, summary_grid

ctx = context()
THEME_BY_TITLE = {t: n for n, t in THEME_TITLES.items()}
compared = (
    f" and what changed since the snapshot of {fmt_date(ctx.compare.as_at)}"
    if ctx.compare
    else "; there is no earlier snapshot to compare with"
)
page_header(
    ctx,
    "Summary",
    "Every indicator in the Priority Impact Plan (PIP) and its areas for improvement (AFI): the latest value and "
    "its period, the target, a red/amber/green (RAG) rating, the trend" + compared + ".",
)


def downloads() -> None:
    papers.downloads(ctx, snapshot_ids()[0])


def theme_filter() -> int | None:
    theme_choice = st.segmented_control(
        "Show theme",
        ["All themes", *THEME_TITLES.values()],
        default="All themes",
        key="summary_theme",
        help="Filter the table and the counts to one theme of the plan.",
    )
    theme = next((n for n, t in THEME_TITLES.items() if t == theme_choice), None)
    return theme


# Board mode tells one story per screen: the counts, then the table, with the controls and downloads after it.
if not ctx.board:
    downloads()
    theme = theme_filter()
else:
    theme = THEME_BY_TITLE.get(st.session_state.get("summary_theme"))
# What needs the board's attention comes first, each with its reasons; the full table follows.
since = f"{ctx.compare.as_at:%-d %b %Y}" if ctx.compare else None
found = data.exceptions_frame(ctx.snapshot, ctx.compare, ctx.phase)
st.header("Needs the board's attention")
if found.height:
    st.markdown(
        f"**{plural(found.height, 'indicator')}** "
        + ("is" if found.height == 1 else "are")
        + " Red, show a special-cause concern, will consistently fail their target"
        + (f" or changed RAG since {since}" if since else "")
        + "."
    )
    st.table(exceptions_display(found, since).to_arrow(), hide_index=True)
else:
    st.markdown(
        "No indicator is Red, in special-cause concern or failing its target"
        + (f", and no RAG rating changed since {since}." if since else ".")
    )
st.header("Every indicator")
frame = data.summary_with_icons(ctx.snapshot, ctx.compare, ctx.phase)
table = summary_display(frame, theme)
counts = data.rag_counts_of(ctx.snapshot, ctx.compare, ctx.phase, theme)

cols = st.columns(4)
for col, (word, label) in zip(
    cols,
    [
        ("Green", "Green: meeting target"),
        ("Amber", "Amber: just missing"),
        ("Red", "Red: missing target"),
        ("Grey", "No target or no data"),
    ],
    strict=True,
):
    col.metric(label, f"{counts[word]} of {table.height}", border=True)

if ctx.board:  # a static table whose type scales for the back of the room
    st.table(rag_styled(board_columns(table)), hide_index=True)
else:
    shown, config, order = summary_grid(summary_display(frame, theme, short=True), since)
    st.dataframe(
        shown.to_arrow(),
        hide_index=True,
        width="stretch",
        height=min(40 + SUMMARY_ROW_HEIGHT * table.height, 1300),
        row_height=SUMMARY_ROW_HEIGHT,
        column_order=order,
        column_config=config,
    )
if ctx.board:
    theme_filter()
    downloads()
download_csv(
    table.drop("Last 24 periods", "Page"),
    ctx=ctx,
    name="summary",
    source=sources_line(ctx),
    key="summary_csv",
)
st.caption(
    "RAG compares the latest value, as displayed, with the PIP target: green meets or beats it, amber misses it by "
    "no more than 5% of the target, red misses by more; indicators without a target are shown as 'No target'. "
    "Trend compares the latest period with the one before (► when the change is under half a display unit). "
    "SPC variation and assurance follow NHS England's Making Data Count rules and need at least 13 points. "
    "Definitions and sources are on the Data and methods page."
)
