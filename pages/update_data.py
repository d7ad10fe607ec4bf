"""Plan › Update data (officers only): upload the month's templates and public files, or edit actions, risks and
commentary; check every file, preview what the new snapshot would change, then publish it."""

from datetime import date

import streamlit as st

from metrics.formatting import WORKSTREAM_TITLES, fmt_date
from metrics.schema import ACTION_STATUSES, COMMENTARY_KINDS, RISK_DIRECTIONS, RISK_STATUSES
from present.tables import ACTION_STATUS_WORDS
from ui import data, snapshots
from ui.components import page_header, show_table
from ui.state import context, snapshot_ids, snapshot_label, snapshot_root
from ui.update import (
    after_publish,
    apply_edits,
    check_files,
    read_day,
    recognise_files,
    request,
    rescored_same_direction,
    show_duplicates,
    show_plan,
    show_published,
    uploads_table,
)

ctx = context()
if not ctx.officer:  # decided on the server from the signed-in identity; the page's address alone grants nothing
    st.session_state["_notice"] = "Updating the data is for signed-in officers: you see the public view."
    st.switch_page("pages/summary.py")

page_header(
    ctx,
    "Update data",
    "Load the month's figures and the workstreams' updates into a new snapshot: every file is checked, every "
    "problem listed, and you see what would change before anything is published.",
)
after_publish()
# The uploader and the grids are keyed by the round of publishing, so each publish starts them again empty (a
# widget's own state cannot be reset otherwise: the browser keeps what it holds).
round_ = st.session_state.get("up_round", 0)
ids = snapshot_ids()[0]
today = date.today()
c1, c2 = st.columns(2)
typed = c1.text_input(
    "Data as at (the new snapshot's date, day/month/year)",
    value=today.strftime("%d/%m/%Y"),
    max_chars=20,
    key="up_as_at",
)
day, day_problem = read_day(typed, today)
if day is None:
    c1.error(day_problem, icon=":material/error:")
else:
    c1.caption(f"The new snapshot will be dated {day:%A} {fmt_date(day)}.")
base_id = c2.selectbox(
    "Build on",
    ids,
    format_func=snapshot_label,
    key="up_base",
    help="Tables you do not upload or edit are carried over from this snapshot.",
)
base = snapshots.snapshot(snapshot_root() / base_id)
as_at = day or today
as_at_id = as_at.isoformat()

# Keyed, so the tab chosen stays chosen when the page runs again (after Check or Publish on the second tab).
upload_tab, edit_tab = st.tabs(["Upload files", "Edit actions, risks and commentary"], key="up_tab", on_change="rerun")

with upload_tab:
    files = st.file_uploader(
        "The month's files: local templates (CSV or XLSX), DfE EHC plans release zips, NHS community health services "
        "workbooks, the locality waiting-times return, an ONS ward boundary GeoJSON",
        type=["csv", "xlsx", "zip", "geojson", "json"],
        accept_multiple_files=True,
        key=f"up_files_{round_}",
    )
    show_published("up")
    uploads = recognise_files(files)
    if not uploads:
        st.info(
            "Choose files to upload. Templates are merged into the snapshot's tables by their key: new rows are "
            "added and changed rows become revisions, unless you tick “Replace this table”.",
            icon=":material/upload_file:",
        )
    else:
        show_table(uploads_table(uploads))
        show_duplicates(uploads)
        by_template: dict[str, list[str]] = {}
        for u in uploads:
            if u.kind == "template":
                by_template.setdefault(u.table, []).append(u.name)
        replace = {
            table
            for table, names in by_template.items()
            if st.checkbox(
                f"Replace this table: {table} (instead of merging {' and '.join(names)} into it)",
                key=f"up_replace_{table}",
            )
        }
        signature = (base_id, as_at_id, tuple((u.name, len(u.data)) for u in uploads), tuple(sorted(replace)))
        st.button(
            "Check files", type="primary", key="up_check", disabled=day is None, on_click=request, args=("up_check",)
        )
        if st.session_state.pop("up_check_requested", False) and day is not None:
            with st.spinner("Reading and checking every file…"):
                st.session_state["up_plan"] = (signature, check_files(base, uploads, replace, as_at_id))
        show_plan(ctx, base, signature, as_at_id, "up")

with edit_tab:
    st.markdown(
        "Change an action's status, progress note or due date, a risk's scores, direction, status or mitigation, "
        "or write a new dated note for a workstream. Then check, preview and publish as for uploads."
    )
    actions = data.table(base, "actions")
    risks = data.table(base, "risks")
    st.subheader("Actions")
    edited_actions = st.data_editor(
        actions.select(
            "action_id", "workstream", "title", "owner_role", "due_date", "status", "progress_note"
        ).to_pandas(),
        key=f"ed_actions_{round_}",
        hide_index=True,
        width="stretch",
        disabled=["action_id", "workstream", "title", "owner_role"],
        column_config={
            "action_id": st.column_config.TextColumn("Ref"),
            "workstream": st.column_config.TextColumn("Workstream"),
            "title": st.column_config.TextColumn("Action"),
            "owner_role": st.column_config.TextColumn("Owner (role)"),
            "due_date": st.column_config.DateColumn("Due", required=True, format="D MMM YYYY"),
            "status": st.column_config.SelectboxColumn(
                "Status", options=list(ACTION_STATUSES), format_func=ACTION_STATUS_WORDS.get, required=True
            ),
            "progress_note": st.column_config.TextColumn("Latest update", max_chars=2000),
        },
    )
    st.subheader("Risks")
    edited_risks = st.data_editor(
        risks.select("risk_id", "title", "likelihood", "severity", "direction", "status", "mitigation").to_pandas(),
        key=f"ed_risks_{round_}",
        hide_index=True,
        width="stretch",
        disabled=["risk_id", "title"],
        column_config={
            "risk_id": st.column_config.TextColumn("Ref"),
            "title": st.column_config.TextColumn("Risk"),
            "likelihood": st.column_config.NumberColumn(
                "Likelihood (1–5)", min_value=1, max_value=5, step=1, required=True
            ),
            "severity": st.column_config.NumberColumn(
                "Severity (1–5)", min_value=1, max_value=5, step=1, required=True
            ),
            "direction": st.column_config.SelectboxColumn(
                "Direction", options=list(RISK_DIRECTIONS), format_func=str.capitalize, required=True
            ),
            "status": st.column_config.SelectboxColumn(
                "Status", options=list(RISK_STATUSES), format_func=str.capitalize, required=True
            ),
            "mitigation": st.column_config.TextColumn("Mitigation", max_chars=2000),
        },
    )
    risks_now = data.edited_frame(edited_risks, "risks")
    rescored = rescored_same_direction(risks, risks_now)
    confirmed = set()
    if rescored:
        st.warning(
            "You have re-scored a risk without changing its direction. Set the direction the new score shows in "
            "the table, or confirm below that it is unchanged.",
            icon=":material/warning:",
        )
        for r in rescored:
            if st.checkbox(
                f"{r['risk_id']} ({r['title']}): the score goes from {r['score']} to {r['score_now']}; keep the "
                f"direction “{r['direction'].capitalize()}”",
                key=f"ed_keep_direction_{r['risk_id']}",
            ):
                confirmed.add(r["risk_id"])
    st.subheader("New commentary")
    n1, n2, n3 = st.columns(3)
    workstream = n1.selectbox(
        "Workstream", [w for w in WORKSTREAM_TITLES if w != "CONTEXT"], format_func=WORKSTREAM_TITLES.get, key="ed_ws"
    )
    kind = n2.selectbox(
        "Kind", list(COMMENTARY_KINDS), format_func=lambda k: k.replace("_", " ").capitalize(), key="ed_kind"
    )
    role = n3.text_input("Written by (role, not a name)", key="ed_role", max_chars=120)
    text = st.text_area(
        "Note (bold, italic, lists and paragraphs; links show as text)", key="ed_text", max_chars=10_000, height=120
    )
    notes = (
        [
            {
                "workstream": workstream,
                "kpi_id": "",
                "written": as_at,
                "kind": kind,
                "author_role": role.strip(),
                "text": text.strip(),
            }
        ]
        if text.strip()
        else []
    )
    ed_signature = (
        base_id,
        as_at_id,
        edited_actions.to_json(date_format="iso"),
        edited_risks.to_json(date_format="iso"),
        str(notes),
        tuple(sorted(confirmed)),
    )
    st.button(
        "Check changes", type="primary", key="ed_check", disabled=day is None, on_click=request, args=("ed_check",)
    )
    if st.session_state.pop("ed_check_requested", False) and day is not None:
        who = " ".join(p for p in (ctx.publisher[0], f"({ctx.publisher[1]})" if ctx.publisher[1] else "") if p)
        missing_role = bool(notes) and not notes[0]["author_role"]
        plan = apply_edits(
            base,
            actions=data.edited_frame(edited_actions, "actions"),
            risks=risks_now,
            notes=notes,
            as_at=as_at,
            who=who,
            direction_confirmed=confirmed,
        )
        if missing_role:
            plan.problems.append("New commentary: say who wrote it, by role (for example “Head of SEND”)")
            plan.tables = {}
        st.session_state["ed_plan"] = (ed_signature, plan)
    show_published("ed")
    show_plan(ctx, base, ed_signature, as_at_id, "ed")
