"""What changed between two snapshots, drawn section by section: used by "Since last board" and by the Update data
page's preview of a snapshot not yet published."""

from __future__ import annotations

import polars as pl
import streamlit as st

from metrics.diff import plain_summary
from present.changes import SECTIONS, change_sections
from ui.components import download_csv, empty_state, show_table
from ui.state import Context


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
    empties = {key: empty for _, key, _, empty in SECTIONS}
    for title, part, table in change_sections(changes):
        heading(title)
        if table is None:
            empty_state(empties[part].format(when=when))
            continue
        show_table(table, board=ctx.board)
        download_csv(table, ctx=ctx, name=f"{key}_{part}", source="Comparison of two snapshots", key=f"dl-{key}-{part}")
