"""What changed between two snapshots, drawn section by section: used by "Since last board" and by the Update data
page's preview of a snapshot not yet published."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics.diff import plain_summary
from present.changes import (
    action_changes_display,
    new_periods_display,
    ratings_display,
    revisions_display,
    risk_changes_display,
)
from ui.components import download_csv, empty_state, show_table
from ui.state import Context

SECTIONS = [
    ("New data", "new", new_periods_display, "No new data since the snapshot of {when}."),
    ("Revised figures", "revised", revisions_display, "No revisions since the snapshot of {when}."),
    (
        "Rating and SPC icon changes",
        "ratings",
        ratings_display,
        "No RAG rating or SPC icon has changed since the snapshot of {when}.",
    ),
    ("Actions", "actions", action_changes_display, "No action has changed status since the snapshot of {when}."),
    ("Risks", "risks", risk_changes_display, "No risk is new, closed or re-scored since the snapshot of {when}."),
]


def show_changes(ctx: Context, changes: dict[str, pl.DataFrame], *, when: str, key: str, level: str = "header") -> None:
    """The plain-English paragraph, then one section per kind of change, each a table with its download."""
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
    heading = st.header if level == "header" else st.subheader
    for title, part, display, empty in SECTIONS:
        heading(title)
        frame = changes[part]
        if frame.height == 0:
            empty_state(empty.format(when=when))
            continue
        table = display(frame)
        show_table(table, board=ctx.board)
        download_csv(table, ctx=ctx, name=f"{key}_{part}", source="Comparison of two snapshots", key=f"dl-{key}-{part}")
