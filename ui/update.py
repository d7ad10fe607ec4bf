"""The Update data page's pieces: what each uploaded file was taken to be, the problems table, the preview of a
candidate snapshot against the newest published one, and publishing. The reading, merging and checking live in
`ingest` and are reached only through `ingest.api` (the page itself imports nothing from `ingest`); this only draws
them and keeps the candidate in the session until it is published."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date, datetime

import polars as pl
import streamlit as st

from ingest.api import (
    Plan,
    Upload,
    WriteError,
    candidate,
    duplicates,
    prepare,
    problems_table,
    publish,
    read_workbooks,
    recognise,
    said,
)

# the edit tab's two steps, given to the page from here: pages import nothing from ingest
from ingest.api import apply_edits as apply_edits
from ingest.api import rescored_same_direction as rescored_same_direction
from metrics import diff, kpi
from metrics.formatting import fmt_date, md_escape
from metrics.snapshot import Snapshot, scan_table
from present.changes import rows_of_table
from ui import snapshots
from ui.changes import show_changes
from ui.components import download_csv, show_table
from ui.state import Context, snapshot_root

LOG = logging.getLogger(__name__)
RAG_LABELS = [("Green", "Green"), ("Amber", "Amber"), ("Red", "Red"), ("Grey", "No target or no data")]
TABLE_WORDS = {
    "kpi_catalogue": "Indicator definitions and targets",
    "kpi_values": "Indicator figures",
    "wards": "Wards",
    "ward_demand": "Ward demand",
    "waiting_times": "Waiting times",
    "actions": "Actions",
    "risks": "Risks",
    "commentary": "Commentary",
    "milestones": "Milestones",
}
# How a snapshot's date may be typed: day first, as written in England, or as ISO; "31 October 2025" too.
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y")


def read_day(text: str, today: date) -> tuple[date | None, str]:
    """The date typed for a new snapshot, or None and what is wrong with it. A typed date, not a calendar: the
    calendar's first day of the week follows the browser's language (Sunday for "English (United States)"), which
    the server cannot set, and its pop-up covered the tabs; the GOV.UK Design System asks for dates people know to be
    typed in any case."""
    cleaned = " ".join(text.split())
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        if day > today:
            return None, f"{fmt_date(day)} is in the future: a snapshot records what is known on a day that has come."
        if day.year < 2000:
            return None, f"{fmt_date(day)} is before 2000: check the year."
        return day, ""
    return None, "Type the date as day/month/year, for example 31/10/2025."


def request(action: str) -> None:
    """A button's click, kept in the session until the page acts on it (a callback runs once, before the script,
    so the click survives the frame's rerun of a page opened directly)."""
    st.session_state[f"{action}_requested"] = True


def recognise_files(files) -> list[Upload]:
    """What each file chosen in the uploader is taken to be, by its name and its first bytes."""
    return [recognise(f.name, f.getvalue()) for f in files or []]


def uploads_table(uploads: list[Upload]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "File": [u.name for u in uploads],
            "Size": [f"{len(u.data) / 1024:,.1f} KB" for u in uploads],
            "Taken to be": [u.label for u in uploads],
        }
    )


def show_problems(ctx: Context, plan: Plan, key: str) -> None:
    st.error(
        f"**{len(plan.problems)} problem{'' if len(plan.problems) == 1 else 's'} found. Nothing has been "
        f"written.** Correct {'the files' if plan.origin == 'files' else 'the changes'} and check them again; every "
        "problem is listed.",
        icon=":material/error:",
    )
    table = problems_table(plan.problems)
    show_table(table)
    download_csv(table, ctx=ctx, name=f"{key}_problems", source="Update data check", key=f"{key}-problems-csv")


def _rag(snap: Snapshot) -> dict[str, int]:
    frame = kpi.summary(scan_table(snap, "kpi_catalogue"), scan_table(snap, "kpi_values"), None, area_code=snap.la_code)
    counts = dict(kpi.rag_counts(frame).collect().iter_rows())
    return {word: int(counts.get(word, 0)) for word, _ in RAG_LABELS}


def show_duplicates(uploads: list[Upload]) -> None:
    """Said as soon as the files are chosen, before any check: the same template in two files is refused."""
    for problem in duplicates(uploads):
        st.warning(md_escape(problem), icon=":material/warning:")


def changed_rows(ctx: Context, base: Snapshot, plan: Plan, key: str) -> None:
    """Every row the upload or the edits would add, change or remove, table by table: one line per changed cell with
    its old and new value (text included), one per added or removed row with all its values."""
    st.subheader("Every row that would change")
    st.markdown(
        f"Against the snapshot of {fmt_date(base.as_at)}, which this builds on. A changed row has one line for each "
        "column that differs, with the old value (Was) and the new (Now); an added or removed row has one line "
        "with all its values."
    )
    rows = plan.rows
    for name in rows["Table"].unique(maintain_order=True).to_list():
        part, counts = rows_of_table(rows, name)
        counted = ", ".join(f"{counts[c]:,} {c.lower()}" for c in ("Changed", "Added", "Removed") if counts.get(c))
        st.markdown(f"**{TABLE_WORDS.get(name, name)}** (`{name}`): {counted}")
        table = part.drop("Table")
        show_table(table)
        download_csv(table, ctx=ctx, name=f"{key}_{name}_rows", source="Update data preview", key=f"{key}-{name}-rows")


def preview(ctx: Context, base: Snapshot, plan: Plan, as_at: str, key: str) -> None:
    """Everything the new snapshot would change, before anything is written: every changed row against the
    snapshot it builds on, then the board's view of it against the newest published one."""
    passed = "All files passed their checks." if plan.origin == "files" else "Your changes passed their checks."
    if plan.unchanged:
        st.info(
            f"**{passed}** They change nothing in the snapshot of {fmt_date(base.as_at)}: every row in them is "
            "already there (or a file holds only its header), so there is nothing to publish.",
            icon=":material/info:",
        )
        for note in plan.notes:
            st.markdown(f"- {md_escape(note)}")
        return
    newest = snapshots.snapshot(snapshot_root() / data_ids()[0])
    cand = candidate(base, plan, as_at)
    when = fmt_date(newest.as_at)
    st.success(
        f"**{passed}** This is what the snapshot of {fmt_date(cand.as_at)} would change. Nothing has been written yet.",
        icon=":material/check_circle:",
    )
    for note in plan.notes:
        st.markdown(f"- {md_escape(note)}")
    changed_rows(ctx, base, plan, key)
    st.subheader(f"What the board would see change since the snapshot of {when}")
    st.subheader("RAG ratings before → after")
    before, after = _rag(newest), _rag(cand)
    cols = st.columns(len(RAG_LABELS))
    for col, (word, label) in zip(cols, RAG_LABELS, strict=True):
        delta = after[word] - before[word]
        col.metric(label, f"{before[word]} → {after[word]}", delta=f"{delta:+d}" if delta else None, delta_color="off")
    show_changes(ctx, diff.between(cand, newest), when=when, key=f"{key}_preview", level="subheader")


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
                snapshots.snapshot(path)  # verified as every session will open it
        except WriteError as exc:
            LOG.warning("Publish refused: %s", exc)
            st.error(md_escape(str(exc).replace(str(snapshot_root()) + "/", "")), icon=":material/error:")
            return
        # the board's papers for the new snapshot (against the one before it) are built now, by a separate process,
        # so the Summary's buttons serve them at once
        from ui.papers import published_pair, start_build

        ids = data_ids()
        snap = snapshots.snapshot(path)
        start_build(snapshot_root(), snap.id, published_pair(snap, ids))
        st.session_state.pop(f"{key}_plan", None)
        st.session_state["_published"] = (as_at, key)  # said where the Publish button was, on the same tab
        st.session_state["_publish_reset"] = as_at  # the next run starts the update again on the new snapshot
        st.session_state["_goto_snapshot"] = as_at  # app.py selects it before drawing the snapshot control
        st.rerun()


def after_publish() -> None:
    """At the top of the page's run after a publish: the next update builds on the snapshot just published, and the
    files and edits that went into it are cleared (the widgets are not drawn yet in this run, so they may be)."""
    published = st.session_state.pop("_publish_reset", None)
    if not published:
        return
    st.session_state["up_base"] = published
    st.session_state["up_round"] = st.session_state.get("up_round", 0) + 1  # a new uploader and new grids, empty
    st.session_state["ed_text"] = ""  # the note is in the snapshot now; the role and workstream stay


@contextlib.contextmanager
def outside_run_lock() -> Iterator[None]:
    """Let other sessions' page runs go on while this one waits for something slow that needs neither Python nor
    Polars here (a child process reading workbooks): the server's run lock (ui.snapshots.RUN_LOCK, held by every page run)
    is released for the while, as many times as this thread holds it, and taken again after."""
    held = 0
    while True:
        try:
            snapshots.RUN_LOCK.release()
        except RuntimeError:  # not (or no longer) held by this thread
            break
        held += 1
    try:
        yield
    finally:
        for _ in range(held):
            snapshots.RUN_LOCK.acquire()


def check_files(base: Snapshot, uploads: list[Upload], replace: set[str], as_at: str) -> Plan:
    """`prepare`, with any failure no check foresaw turned into one plain problem (and the details logged), so the
    officer never meets Streamlit's generic error page; nothing is written either way. The workbooks are read first,
    outside the server's run lock, each in a child process with a time and memory budget (ingest.workbook): a
    hostile workbook can take up to that budget, and no other session waits for it."""
    try:
        with outside_run_lock():
            read_workbooks(uploads)
        return prepare(base, uploads, replace=replace, work_dir=snapshot_root(), as_at=as_at)
    except Exception as exc:
        LOG.exception("Checking uploads failed unexpectedly")
        return Plan(
            problems=[
                said(
                    f"Checking the files stopped on an unexpected {type(exc).__name__}, so nothing has been written. "
                    "Check that each file opens in a spreadsheet, or upload them one at a time to find the one at "
                    "fault, and tell the dashboard's maintainers."
                )
            ]
        )


def show_published(key: str) -> None:
    """The success message, on the tab that published, where the preview was."""
    done = st.session_state.get("_published")
    if done and done[1] == key:
        del st.session_state["_published"]
        st.success(
            f"**Published the snapshot of {fmt_date(date.fromisoformat(done[0]))}.** Every page now shows it, and "
            "the next update builds on it.",
            icon=":material/check_circle:",
        )


def show_plan(ctx: Context, base: Snapshot, signature: tuple, as_at: str, key: str) -> None:
    """The checked candidate held in the session under `{key}_plan`, if it is for what is on screen now: its
    problems, or its preview and (when it changes something) the Publish button."""
    held = st.session_state.get(f"{key}_plan")
    if not held or held[0] != signature:
        return
    plan = held[1]
    if plan.problems:
        show_problems(ctx, plan, key)
    else:
        preview(ctx, base, plan, as_at, key)
        if not plan.unchanged:
            publish_controls(ctx, base, plan, as_at, key)
