"""Plan › Actions and risks: the Priority Impact Plan's action tracker across every workstream and the risk
register with its likelihood × severity heat grid."""

import streamlit as st

from metrics.formatting import WORKSTREAM_TITLES, md_escape, plural
from metrics.plan import filter_actions
from metrics.schema import ACTION_STATUSES
from present.tables import ACTION_STATUS_WORDS, actions_display, risks_display
from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context

ctx = context()
page_header(
    ctx,
    "Actions and risks",
    "The Priority Impact Plan (PIP) actions across every workstream, with their owner roles, due dates and status, "
    "and the board's risk register: how likely each risk is, how severe it would be, and which way it is moving.",
)

actions = data.actions(ctx.snapshot, list(WORKSTREAM_TITLES))
risks = data.risk_register(ctx.snapshot)

counts = st.columns(4)
counts[0].metric("Actions", f"{actions.height}", border=True)
counts[1].metric("Overdue", f"{int(actions['overdue'].sum()) if actions.height else 0}", border=True)
counts[2].metric("Complete", f"{int((actions['status'] == 'complete').sum()) if actions.height else 0}", border=True)
counts[3].metric("Open risks", f"{int((risks['status'] == 'open').sum())}", border=True)
st.caption("Overdue: past its due date and not complete. RAG for an action comes from its status and due date.")

st.header("Action tracker")
if actions.height == 0:
    empty_state("No actions are recorded in this snapshot.")
else:
    if ctx.board:
        shown = actions
    else:
        f1, f2, f3 = st.columns(3)
        workstreams = f1.multiselect(
            "Workstream",
            sorted(set(actions["workstream"])),
            format_func=lambda w: WORKSTREAM_TITLES.get(w, w),
            key="ar_ws",
            placeholder="All workstreams",
        )
        owners = f2.multiselect("Owner (role)", sorted(set(actions["owner_role"])), key="ar_owner", placeholder="All")
        statuses = f3.multiselect(
            "Status",
            [s for s in ACTION_STATUSES if s in set(actions["status"])],
            format_func=ACTION_STATUS_WORDS.get,
            key="ar_status",
            placeholder="All",
        )
        shown = filter_actions(actions, workstreams=workstreams, owners=owners, statuses=statuses)
    overdue = int(shown["overdue"].sum())
    st.markdown(
        f"**{plural(shown.height, 'action')}**"
        + (f", **{overdue} overdue** (shown first and marked ⚠)." if overdue else ", none overdue.")
    )
    table = actions_display(shown)
    if ctx.board:
        st.table(table.to_arrow())
    else:
        show_table(table, board=ctx.board)
        download_csv(table, ctx=ctx, name="actions", source="PIP action tracker", key="ar_actions_csv")

st.header("Risk register")
if risks.height == 0:
    empty_state("No risks are recorded in this snapshot.")
else:
    chart_tab, table_tab, download_tab = st.tabs(["Heat grid", "Table", "Download"])
    with chart_tab:
        spec = data.risk_chart(ctx.snapshot, ctx.board)
        st.vega_lite_chart(spec, width="stretch")
        st.caption(md_escape(spec["description"]))
        st.caption(
            "Each open risk is placed by its reference in the cell of its likelihood and severity; the score is "
            "likelihood × severity. Bands: low 1–6, medium 8–12, high 15–25."
        )
    register = risks_display(risks)
    with table_tab:
        if ctx.board:
            st.table(register.to_arrow())
        else:
            show_table(register, board=ctx.board)
    with download_tab:
        download_csv(register, ctx=ctx, name="risks", source="SEND board risk register", key="ar_risks_csv")
