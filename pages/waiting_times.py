"""Explore › Waiting times: the 10 Greater Manchester localities × children's community services — % waiting
under 18 weeks, rank, significance against GM, funnel plot, trend and long waits."""

import streamlit as st

from metrics.areas import NHS_ORGANISATIONS, area_name
from metrics.formatting import md_escape
from metrics.waits import SERVICE_NAMES, headline
from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context
from ui.tables import heat_cells, heat_display, league_display, provider_display, trend_display_waits

ctx = context()
page_header(
    ctx,
    "Waiting times: Greater Manchester league table",
    "How long children wait for community health services in the 10 Greater Manchester (GM) localities: the share "
    "waiting 18 weeks or less, each locality's rank, whether it differs significantly from the GM figure, and "
    "how it has changed.",
)
services = data.wait_services(ctx.snapshot)
if not services:
    empty_state("No waiting-time data in this snapshot — see Data and methods for how to load locality returns.")
    st.stop()

area = area_name(ctx.snapshot.la_code)
c1, c2 = st.columns([3, 2])
choice = c1.selectbox(
    "Service",
    ["all", *services],
    key="wt_service",
    format_func=lambda s: "All five services" if s == "all" else SERVICE_NAMES[s].capitalize(),
)
service = None if choice == "all" else choice
months = data.wait_months(ctx.snapshot, service)
period = c2.selectbox("Month", months, format_func=lambda d: d.strftime("%B %Y"), key="wt_month")
scale = 1.3 if ctx.board else 1.0

if service is None:
    st.header(f"{md_escape(area)} against the other localities, {period:%B %Y}")
    for s in services:
        month = next((m for m in data.wait_months(ctx.snapshot, s) if m <= period), None)
        if month is None:
            st.markdown(f"- No returns yet for {SERVICE_NAMES[s]}.")
            continue
        sentence = headline(
            data.league(ctx.snapshot, month, s),
            data.area_trend(ctx.snapshot, s),
            area_code=ctx.snapshot.la_code,
            service=s,
        )
        st.markdown("- " + md_escape(sentence))
    cells = heat_cells(data.heat(ctx.snapshot, period, services))
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    with chart_tab:
        st.vega_lite_chart(
            data.wait_chart(ctx.snapshot, "heat", period=period, services=services, board=ctx.board), width="stretch"
        )
        st.caption(
            f"Each cell: % waiting under 18 weeks and rank (1st = highest share). Darker blue = better "
            f"quarter of the ranking; x = no return that month. {area} is outlined in orange."
        )
    with table_tab:
        show_table(heat_display(cells))
        download_csv(
            heat_display(cells),
            ctx=ctx,
            name=f"waiting_times_heat_{period}",
            source="GM locality waiting-time returns",
            key="wt_heat_csv",
        )
else:
    league = data.league(ctx.snapshot, period, service)
    trend = data.area_trend(ctx.snapshot, service)
    st.markdown(f"### {md_escape(headline(league, trend, area_code=ctx.snapshot.la_code, service=service))}")
    st.subheader("League table")
    pooled = league["pooled_pct"][0]
    st.caption(
        f"{SERVICE_NAMES[service].capitalize()}, {period:%B %Y}. GM figure (all returns pooled): "
        + ("x" if pooled is None else f"{pooled:.0f}%")
        + ". Better or worse than GM means the locality's 95% "
        "interval lies wholly above or below it; ties share the rank (=)."
    )
    table = league_display(league)
    show_table(table)
    download_csv(
        table,
        ctx=ctx,
        name=f"league_{service}_{period}",
        source="GM locality waiting-time returns",
        key="wt_league_csv",
    )
    col_f, col_t = st.columns(2) if not ctx.board else (st.container(), st.container())
    with col_f:
        st.subheader("Funnel plot")
        st.vega_lite_chart(
            data.wait_chart(ctx.snapshot, "funnel", period=period, service=service, board=ctx.board), width="stretch"
        )
        st.caption(
            "Localities outside the 95% lines differ from the GM figure by more than chance would suggest "
            "for their list size; outside the 99.8% lines, very unlikely to be chance."
        )
    with col_t:
        st.subheader(f"{md_escape(area)} over time")
        st.vega_lite_chart(
            data.wait_chart(ctx.snapshot, "trend", period=period, service=service, board=ctx.board), width="stretch"
        )
        with st.expander("Table of the trend"):
            show_table(trend_display_waits(trend, area))

mapping = ctx.snapshot.manifest.get("config", {}).get("provider_for_locality", {})
provider = mapping.get(ctx.snapshot.la_code)
orgs = [o for o in (provider, "QOP", "Y62", "ENG") if o]
rows = data.providers(ctx.snapshot, period, [service] if service else services, orgs)
if rows.height:
    st.subheader("NHS England figures for the same month")
    st.caption(
        (
            f"{NHS_ORGANISATIONS.get(provider, provider)} provides community services in {area} and in other "
            "localities, so its figures only approximate the locality's. "
            if provider
            else ""
        )
        + "Source: NHS England community health services waiting lists (CAMHS is not part of that publication)."
    )
    show_table(provider_display(rows))
