"""Board › Since last board: new data, revisions, rating and icon changes, risks and actions between the chosen
snapshot and the compare snapshot."""

import streamlit as st

from metrics.diff import plain_summary
from metrics.formatting import fmt_date
from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context
from ui.tables import (
    action_changes_display,
    new_periods_display,
    ratings_display,
    revisions_display,
    risk_changes_display,
)

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
changes = data.board_diff(ctx.snapshot, ctx.compare, ctx.phase)
st.markdown(
    plain_summary(
        compare_label=when,
        new=changes["new"],
        revised=changes["revised"],
        ratings=changes["ratings"],
        risks=changes["risks"],
        actions=changes["actions"],
    )
)

sections = [
    ("New data", "new", new_periods_display, f"No new data since the snapshot of {when}."),
    ("Revised figures", "revised", revisions_display, f"No revisions since the snapshot of {when}."),
    (
        "Rating and SPC icon changes",
        "ratings",
        ratings_display,
        f"No RAG rating or SPC icon has changed since the snapshot of {when}.",
    ),
    ("Actions", "actions", action_changes_display, f"No action has changed status since the snapshot of {when}."),
    ("Risks", "risks", risk_changes_display, f"No risk is new, closed or re-scored since the snapshot of {when}."),
]
for title, key, display, empty in sections:
    st.header(title)
    frame = changes[key]
    if frame.height == 0:
        empty_state(empty)
        continue
    table = display(frame)
    show_table(table)
    download_csv(
        table, ctx=ctx, name=f"since_last_board_{key}", source="Comparison of two snapshots", key=f"dl-slb-{key}"
    )
