"""The Update data page's pieces: what each uploaded file was taken to be, the problems table, the preview of a
candidate snapshot against the newest published one, and publishing. The reading, merging and checking live in
`ingest.update`; this only draws them and keeps the candidate in the session until it is published."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl
import streamlit as st

from ingest.update import Plan, candidate, problems_table, publish
from ingest.writer import WriteError
from metrics import kpi
from metrics.formatting import fmt_date, md_escape
from metrics.snapshot import Snapshot, scan_table
from ui import data
from ui.changes import show_changes
from ui.components import download_csv, show_table
from ui.state import Context, snapshot_root

LOG = logging.getLogger(__name__)
RAG_LABELS = [("Green", "Green"), ("Amber", "Amber"), ("Red", "Red"), ("Grey", "No target or no data")]


def request(action: str) -> None:
    """A button's click, kept in the session until the page acts on it (a callback runs once, before the script,
    so the click survives the frame's rerun of a page opened directly)."""
    st.session_state[f"{action}_requested"] = True


def uploads_table(uploads) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "File": [u.name for u in uploads],
            "Size": [f"{len(u.data) / 1024:,.1f} KB" for u in uploads],
            "Taken to be": [u.label for u in uploads],
        }
    )


def show_problems(ctx: Context, plan: Plan, key: str) -> None:
    st.error(
        f"**{len(plan.problems)} problem(s) found. Nothing has been written.** Correct the files and check them "
        "again; every problem in every file is listed.",
        icon=":material/error:",
    )
    table = problems_table(plan.problems)
    show_table(table)
    download_csv(table, ctx=ctx, name=f"{key}_problems", source="Update data check", key=f"{key}-problems-csv")


def _rag(snap: Snapshot) -> dict[str, int]:
    frame = kpi.summary(scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), None, area_code=snap.la_code)
    counts = dict(kpi.rag_counts(frame).collect().iter_rows())
    return {word: int(counts.get(word, 0)) for word, _ in RAG_LABELS}


def preview(ctx: Context, base: Snapshot, plan: Plan, as_at: str, key: str) -> None:
    """Everything the new snapshot would change against the newest published one, before anything is written."""
    newest = data.snapshot(snapshot_root() / data_ids()[0])
    cand = candidate(base, plan, as_at)
    when = fmt_date(newest.as_at)
    st.success(
        f"**All files passed their checks.** This is what the snapshot of {fmt_date(cand.as_at)} would change "
        f"against the newest published snapshot ({when}). Nothing has been written yet.",
        icon=":material/check_circle:",
    )
    for note in plan.notes:
        st.markdown(f"- {md_escape(note)}")
    st.subheader("RAG ratings before → after")
    before, after = _rag(newest), _rag(cand)
    cols = st.columns(len(RAG_LABELS))
    for col, (word, label) in zip(cols, RAG_LABELS, strict=True):
        delta = after[word] - before[word]
        col.metric(label, f"{before[word]} → {after[word]}", delta=f"{delta:+d}" if delta else None, delta_color="off")
    show_changes(ctx, data.diff_between(cand, newest), when=when, key=f"{key}_preview", level="subheader")


def data_ids() -> list[str]:
    from ui.state import snapshot_ids

    return snapshot_ids()[0]


def publish_controls(ctx: Context, base: Snapshot, plan: Plan, as_at: str, key: str) -> None:
    """The Publish snapshot button, with an explicit confirmation when the date is already published."""
    st.subheader("Publish")
    exists = (snapshot_root() / as_at).exists()
    replace = False
    if exists:
        st.warning(
            f"A snapshot of {fmt_date(date.fromisoformat(as_at))} is already published. Publishing again replaces "
            "it for everyone; the old one is moved aside, never deleted.",
            icon=":material/warning:",
        )
        replace = st.checkbox(
            f"Replace the published snapshot of {fmt_date(date.fromisoformat(as_at))}", key=f"{key}-confirm"
        )
    name, email = ctx.publisher
    st.caption(f"It will record that it was published by {md_escape(name)}{f' ({md_escape(email)})' if email else ''}.")
    st.button(
        "Publish snapshot",
        type="primary",
        key=f"{key}-publish",
        disabled=exists and not replace,
        on_click=request,
        args=(f"{key}_publish",),
    )
    if st.session_state.pop(f"{key}_publish_requested", False):
        try:
            with st.spinner("Writing and verifying the snapshot…"):
                path = publish(
                    base,
                    plan,
                    out_root=snapshot_root(),
                    as_at=as_at,
                    publisher={"name": name, "email": email},
                    replace=replace,
                )
                data.snapshot(path)  # verified as every session will open it
        except WriteError as exc:
            LOG.warning("Publish refused: %s", exc)
            st.error(md_escape(str(exc).replace(str(snapshot_root()) + "/", "")), icon=":material/error:")
            return
        st.session_state.pop(f"{key}_plan", None)
        st.session_state["_published"] = as_at
        st.session_state["_goto_snapshot"] = as_at  # app.py selects it before drawing the snapshot control
        st.rerun()


def show_plan(ctx: Context, base: Snapshot, signature: tuple, as_at: str, key: str) -> None:
    """The checked candidate held in the session under `{key}_plan`, if it is for what is on screen now: its
    problems, or its preview and the Publish button."""
    held = st.session_state.get(f"{key}_plan")
    if not held or held[0] != signature:
        return
    plan = held[1]
    if plan.problems:
        show_problems(ctx, plan, key)
    else:
        preview(ctx, base, plan, as_at, key)
        publish_controls(ctx, base, plan, as_at, key)
