"""Board › Since last board: new data, revisions, rating and icon changes, risks and actions between the chosen
snapshot and the compare snapshot."""

import streamlit as st

from metrics.formatting import fmt_date
from ui import data
from ui.changes import show_changes
from ui.components import empty_state, page_header
from ui.state import context

ctx = context()
page_header(
    ctx,
    "Since last board",
    "What is new or different since the previous board's snapshot: new data, revised figures, changed "
    "red/amber/green (RAG) ratings and statistical process control (SPC) icons, actions and risks.",
)
if ctx.compare is None:
    empty_state("There is no earlier snapshot to compare with. Choose one under 'Compare with' in the sidebar.")
    st.stop()

when = fmt_date(ctx.compare.as_at)
show_changes(ctx, data.board_diff(ctx.snapshot, ctx.compare, ctx.phase), when=when, key="since_last_board")
