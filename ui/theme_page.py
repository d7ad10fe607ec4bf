"""The layout shared by the three theme pages: one workstream at a time (chosen at the top, kept in the address as
`?ws=`, in the board's order), with its headline row, one block per indicator, its actions and its latest
commentary. An indicator with enough points for a chart shows the chart or its table (built only when chosen); a
series too short for SPC shows its few values as a compact table, as the board pack does."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from charts.spc import line_key
from metrics.formatting import (
    ASSURANCE_LABELS,
    SMALL_NUMBER_CAUTION,
    THEME_TITLES,
    VARIATION_LABELS,
    WORKSTREAM_TITLES,
    change_badge,
    fmt_change,
    fmt_date,
    fmt_target,
    fmt_value,
    md_escape,
    periods,
    rag_word,
    safe_markdown,
    variation_words,
)
from metrics.kpi import of_theme
from metrics.schema import PHASE_LABELS, WORKSTREAMS
from metrics.spc import MIN_POINTS
from present.figures import draws_comparators
from ui import data
from ui.badges import badge_line
from ui.components import chart_or_table, compact_table, download_csv, empty_state, page_header, show_table
from ui.state import Context, context

THEME_INTROS = {
    1: "How the partnership sets direction, talks with families and builds its workforce.",
    2: "Whether needs are identified early, children get support without long waits, and new education, health "
    "and care (EHC) plans are timely and good.",
    3: "How young people are prepared for adulthood and supported through transitions, whether annual reviews of "
    "EHC plans happen on time, and the use of alternative provision (AP).",
}
ROOT = Path(__file__).resolve().parents[1]
# a page that says more about some of a workstream's indicators, by their id's start (whichever workstream an area's
# plan puts them in)
LINKED_PAGES = {"wait_u18_": ("pages/waiting_times.py", "See the waiting-time league tables")}


def render(theme: int) -> None:
    ctx = context()
    page_header(
        ctx,
        THEME_TITLES[theme],
        THEME_INTROS[theme] + " Charts use statistical process control (SPC): see Data and methods.",
    )
    summary = of_theme(data.summary_with_icons(ctx.snapshot, ctx.compare, ctx.phase), theme)
    present = [w for w in WORKSTREAMS if w in set(summary["workstream"])]
    if not present:
        empty_state("No indicators for this theme in this snapshot.")
        return
    ws = _choose_workstream(present)
    _workstream(ctx, theme, ws)


WS_KEY = "theme_ws"


def _choose_workstream(present: list[str]) -> str:
    """The workstream control: a row of choices in the board's order, seeded from and written back to `?ws=`."""
    wanted = st.query_params.get("ws")
    if st.session_state.get(WS_KEY) not in present:
        st.session_state[WS_KEY] = wanted if wanted in present else present[0]
    ws = st.radio(
        "Workstream",
        present,
        key=WS_KEY,
        horizontal=True,
        format_func=lambda w: WORKSTREAM_TITLES[w],
        help="One workstream at a time; every workstream is also in the board pack.",
    )
    if st.query_params.get("ws") != ws:
        st.query_params["ws"] = ws
    return ws


NEED = "ehcp_need_"  # the DfE primary-need shares: context, shown together as one table


def _workstream(ctx: Context, theme: int, ws: str) -> None:
    needs, rows = data.workstream_rows(ctx.snapshot, ctx.compare, ctx.phase, theme, ws, NEED)
    ids = rows["kpi_id"].to_list()
    with st.container(key=f"ws-{ws.replace('.', '_')}"):
        st.header(WORKSTREAM_TITLES[ws], divider="gray")
        if rows.height:
            _headline(ctx, rows)
        for start, (page, label) in LINKED_PAGES.items():
            if any(i.startswith(start) for i in ids) and (ROOT / page).exists():  # every page is registered
                st.page_link(page, label=label, icon=":material/arrow_forward:")
        for kpi in rows.iter_rows(named=True):
            _indicator_block(ctx, kpi)
        if needs.height:
            _needs_block(ctx, needs)
        if ws != "CONTEXT":
            _actions(ctx, ws)
            _commentary(ctx, ws)


def _headline(ctx: Context, rows: pl.DataFrame) -> None:
    per_row = 3 if ctx.board else 4
    kpis = list(rows.iter_rows(named=True))
    for start in range(0, len(kpis), per_row):
        cols = st.columns(per_row)
        for col, kpi in zip(cols, kpis[start : start + per_row], strict=False):
            with col.container(border=True):
                # Streamlit would take the arrow from a leading ASCII "-" and the colour from the sign; the change
                # is written with a true minus, so both are set here: the arrow by the sign, the colour by polarity
                badge = {"text": None, "arrow": "auto", "colour": "gray"}
                if kpi["change"] is not None and kpi["compare_label"] != kpi["period_label"]:
                    badge = change_badge(
                        kpi["change"], kpi["polarity"], kpi["decimals"], kpi["unit"], kpi["compare_label"]
                    )
                st.markdown(f"**{md_escape(kpi['title'])}**")
                st.metric(
                    md_escape(kpi["title"]),
                    fmt_value(kpi["value"], kpi["unit"], kpi["decimals"], kpi["status"] or ""),
                    delta=md_escape(badge["text"]) if badge["text"] else None,
                    delta_color=badge["colour"],
                    delta_arrow=badge["arrow"],
                    label_visibility="collapsed",
                )
                target = (
                    "no target"
                    if kpi["target"] is None
                    else f"target {fmt_target(kpi['target'], kpi['unit'], kpi['decimals'], kpi['target_date'])}"
                )
                small = bool(kpi["small_number"]) and kpi["value"] is not None
                st.caption(
                    f"{md_escape(kpi['period_label'] or 'No data')} · {md_escape(target)}"
                    + (f" · **{SMALL_NUMBER_CAUTION}**" if small else "")
                )
                # below 13 points there is no assurance to speak of either
                badge_line(
                    kpi["rag"],
                    kpi["variation"],
                    None if kpi["variation"] == "none" else kpi["assurance"],
                    rag_text=rag_word(kpi["rag"], has_target=kpi["target"] is not None, small=small),
                    variation_text=variation_words(kpi["variation"], kpi.get("no_spc"), short=True),
                )


SHORT = 6  # fewer points than this: a compact table of the values, no chart


def _indicator_block(ctx: Context, kpi: dict) -> None:
    series = data.indicator(ctx.snapshot, kpi["kpi_id"], ctx.phase)
    with st.container(border=True, key=f"kpi-{kpi['kpi_id']}"):
        st.subheader(md_escape(kpi["title"]))
        st.caption(f"{md_escape(kpi['definition'])} Source: {md_escape(kpi['source'])}.")
        icons_text = (
            (
                f"{periods(kpi['n_points'])}, too few for SPC control limits (they need {MIN_POINTS}): "
                + ("its values are shown as a table" if kpi["n_points"] < SHORT else "a run chart")
                if (kpi.get("no_spc") or "few") == "few"
                else f"{variation_words(kpi['variation'], kpi['no_spc'])}: a run chart"
            )
            if kpi["variation"] == "none"
            else f"{VARIATION_LABELS[kpi['variation']]} · {ASSURANCE_LABELS[kpi['assurance']]}"
        )
        since = fmt_date(ctx.compare.as_at) if ctx.compare else "the compare snapshot"
        change = fmt_change(
            kpi["value"], kpi["compare_value"], kpi["period_label"], kpi["compare_label"], kpi["unit"], kpi["decimals"]
        )
        st.markdown(f"**Icons:** {icons_text} · **Since {since}:** {md_escape(change)}")
        if ctx.phase != "all" and series["phase_fallback"].any():
            st.caption(f"Not available by phase: showing all phases, not {PHASE_LABELS[ctx.phase]}.")
        if series.height == 0:
            empty_state("No data for this indicator in this snapshot.")
            return
        description = data.description(ctx.snapshot, kpi["kpi_id"], ctx.phase)
        table = data.indicator_table(ctx.snapshot, kpi["kpi_id"], ctx.phase)
        if kpi["n_points"] < SHORT:
            compact_table(table.select([c for c in table.columns if c not in SPC_COLUMNS]))
            st.caption(md_escape(description))
        else:
            chart_or_table(
                f"Show {md_escape(kpi['title'])} as",
                f"view-{kpi['kpi_id']}",
                chart=lambda: _chart(ctx, kpi, description),
                table=lambda: show_table(table, board=ctx.board),
            )
        download_csv(
            table,
            ctx=ctx,
            name=kpi["kpi_id"],
            source=kpi["source"],
            key=f"dl-{kpi['kpi_id']}",
            csv=data.indicator_csv(ctx.snapshot, kpi["kpi_id"], ctx.phase),
        )


# the table twin's SPC and count columns, left out of a short series' compact table
SPC_COLUMNS = {
    "Numerator",
    "Denominator",
    "Mean",
    "Lower process limit",
    "Upper process limit",
    "SPC signal",
    "SPC rule",
}


def _chart(ctx: Context, kpi: dict, description: str) -> None:
    st.vega_lite_chart(
        data.indicator_spec(ctx.snapshot, kpi["kpi_id"], ctx.phase, ctx.board),
        width="stretch",
        key=f"chart-{kpi['kpi_id']}",
    )
    st.caption(md_escape(description))
    comparators = draws_comparators(kpi["unit"]) and data.comparators(ctx.snapshot, kpi["kpi_id"]).height > 0
    st.caption(
        line_key(
            spc=kpi["variation"] != "none",
            target=kpi["target"] is not None,
            comparators=comparators,
            rolling=kpi.get("no_spc") == "rolling",
        )
    )


def _needs_block(ctx: Context, needs: pl.DataFrame) -> None:
    """The primary type of need of the area's EHC plans beside England's and the region's, latest period, most
    common first: one table, as a few shares of one year are read better than drawn."""
    table = data.needs_table(ctx.snapshot, needs["kpi_id"].to_list())
    with st.container(border=True, key="kpi-primary-need"):
        st.subheader("Primary type of need of EHC plans (DfE)")
        if table.height == 0:
            empty_state("No primary-need figures in this snapshot.")
            return
        st.caption(
            "Each EHC plan records the child's or young person's primary type of special educational need. "
            f"Shares of all EHC plans at the January census, {md_escape(needs['period_label'][0] or '')}; the "
            "Department for Education's SEN2 statistics."
        )
        compact_table(table)
        download_csv(table, ctx=ctx, name="primary_need", source="DfE SEN2", key="dl-primary-need")


def _actions(ctx: Context, ws: str) -> None:
    frame = data.actions(ctx.snapshot, [ws])  # the flags; the table's words are data.actions_table's
    st.subheader("Actions")
    if frame.height == 0:
        empty_state("No actions are recorded for this workstream in this snapshot.")
        return
    overdue = frame["overdue"].sum()
    if overdue:
        st.markdown(f"**{overdue} overdue** (past the due date and not complete): shown first and marked ⚠.")
    show_table(data.actions_table(ctx.snapshot, [ws]), board=ctx.board)


def _commentary(ctx: Context, ws: str) -> None:
    frame = data.commentary(ctx.snapshot, ws)
    st.subheader("Commentary")
    if frame.height == 0:
        empty_state("No commentary has been written for this workstream yet.")
        return
    kinds = {
        "impact": "Impact",
        "next_steps": "Next steps",
        "strength": "Strength",
        "development": "Area to develop",
        "exception": "Exception report",
    }
    latest, earlier = data.commentary_parts(ctx.snapshot, ws)
    for r in latest.iter_rows(named=True):
        st.markdown(f"**{kinds[r['kind']]}** — {fmt_date(r['written'])}, {md_escape(r['author_role'])}")
        st.markdown(safe_markdown(r["text"]))  # bold, italic, lists and paragraphs only
    if earlier.height:
        with st.expander(f"Earlier commentary ({earlier.height})"):
            for r in earlier.iter_rows(named=True):
                st.markdown(f"**{kinds[r['kind']]}** — {fmt_date(r['written'])}, {md_escape(r['author_role'])}")
                st.markdown(safe_markdown(r["text"]))
