"""Explore › Waiting times: children's community services — % waiting under 18 weeks, rank, significance, funnel
plot, trend and long waits. With locality returns: the league of the system's localities against their pooled
figure. With the NHS England workbooks alone: the national leagues of integrated care boards and NHS providers
against England, the area's own highlighted."""

import streamlit as st

from metrics.formatting import md_escape
from metrics.waits import NHS_PUBLICATION, SERVICE_NAMES, gap_caution, headline, reference_gap
from present.waits import (
    heat_cells,
    heat_display,
    league_display,
    provider_display,
    rows_naming,
    trend_display_waits,
)
from ui import data
from ui.components import chart_or_table, download_csv, empty_state, page_header, show_table
from ui.state import context

ctx = context()
where = data.setup(ctx.snapshot)
local_services = data.wait_services(ctx.snapshot) if where.system else []
nhs_services = data.wait_services(ctx.snapshot, data.NHS)
NHS_SOURCE = "NHS England community health services waiting lists"


def service_name(s: str) -> str:
    return SERVICE_NAMES.get(s, s.replace("_", " ")).capitalize().replace("(camhs)", "(CAMHS)")


if local_services:
    system = where.system_name
    page_header(
        ctx,
        f"Waiting times: {system} league table",
        f"How long children wait for community health services in the {len(where.localities)} {system} "
        "localities: the share waiting 18 weeks or less, each locality's rank, whether it differs significantly "
        f"from the {system} figure, and how it has changed.",
    )
elif nhs_services:
    page_header(
        ctx,
        "Waiting times: ICB and provider league tables",
        "How long children wait for community health services, from NHS England's monthly waiting lists: the share "
        "waiting 18 weeks or less for every integrated care board (ICB) and every NHS provider in England, each "
        "one's rank, and whether it differs significantly from England. These are ICB and provider figures, not "
        "the local authority's: each serves several areas. No locality return is loaded.",
    )
else:
    page_header(ctx, "Waiting times", "How long children wait for community health services.")
    empty_state(
        "No waiting-time data in this snapshot. Load NHS England's community health services workbooks or the "
        "locality returns — see Data and methods."
    )
    st.stop()

scale = 1.3 if ctx.board else 1.0


def locality_view() -> None:
    services = local_services
    area = where.la_name
    system = where.system_name
    c1, c2 = st.columns([3, 2])
    choice = c1.selectbox(
        "Service",
        ["all", *services],
        key="wt_service",
        format_func=lambda s: f"All {len(services)} services" if s == "all" else service_name(s),
    )
    service = None if choice == "all" else choice
    months = data.wait_months(ctx.snapshot, service)
    period = c2.selectbox("Month", months, format_func=lambda d: d.strftime("%B %Y"), key="wt_month")
    source = f"{system} locality waiting-time returns"
    if service is None:
        st.header(f"{md_escape(area)} against the other localities, {period:%B %Y}")
        for s in services:
            month = next((m for m in data.wait_months(ctx.snapshot, s) if m <= period), None)
            if month is None:
                st.markdown(f"- No returns for {SERVICE_NAMES.get(s, s)} up to {period:%B %Y}.")
                continue
            sentence = headline(
                data.league(ctx.snapshot, month, s),
                data.area_trend(ctx.snapshot, s),
                area_code=ctx.snapshot.la_code,
                service=s,
                name=area,
            )
            st.markdown("- " + md_escape(sentence))
        cells = heat_cells(data.heat(ctx.snapshot, period, services), where.names)

        def heat_chart() -> None:
            st.vega_lite_chart(
                data.wait_chart(ctx.snapshot, "heat", period=period, services=services, board=ctx.board),
                width="stretch",
            )
            st.caption(
                "Each cell: % waiting under 18 weeks and rank (1st = highest share). Darker blue = better "
                f"quarter of the ranking; x = no return that month. {md_escape(area)} is outlined in orange."
            )

        def heat_table() -> None:
            show_table(heat_display(cells), board=ctx.board)
            download_csv(
                heat_display(cells), ctx=ctx, name=f"waiting_times_heat_{period}", source=source, key="wt_heat_csv"
            )

        chart_or_table("Show the services heat map as", "wt_heat_view", chart=heat_chart, table=heat_table)
        return period, services
    league = data.league(ctx.snapshot, period, service)
    trend = data.area_trend(ctx.snapshot, service)
    st.markdown(f"### {md_escape(headline(league, trend, area_code=ctx.snapshot.la_code, service=service, name=area))}")
    st.subheader("League table")
    pooled = league["pooled_pct"][0]
    short = where.system_short
    called = system if short == system else f"{system} ({short})"  # the short name spelt out where it is first used
    st.caption(
        f"{service_name(service)}, {period:%B %Y}. {md_escape(called)} figure (all returns pooled): "
        + ("x" if pooled is None else f"{pooled:.0f}%")
        + f". Better or worse than {md_escape(short)} means the locality's 95% confidence interval lies wholly "
        "above or below it; ties share the rank (=)."
    )
    gap = reference_gap(league, against=system)  # a zero or missing denominator: said, and no funnel drawn
    if gap:
        st.caption(md_escape(gap))
    table = league_display(league, where.names, against=where.system_short)
    show_table(table, board=ctx.board)
    download_csv(table, ctx=ctx, name=f"league_{service}_{period}", source=source, key="wt_league_csv")
    col_f, col_t = st.columns(2) if not ctx.board else (st.container(), st.container())
    with col_f:
        st.subheader("Funnel plot")
        if gap:
            empty_state(f"{gap} There is no funnel plot without it.")
        else:
            st.vega_lite_chart(
                data.wait_chart(ctx.snapshot, "funnel", period=period, service=service, board=ctx.board),
                width="stretch",
            )
            st.caption(
                f"Each point is a locality. One outside the 95% lines differs from the {md_escape(system)} figure "
                "by more than chance would suggest for its list size; outside the 99.8% lines, the difference is "
                "very unlikely to be chance."
            )
    with col_t:
        st.subheader(f"{md_escape(area)} over time")
        st.vega_lite_chart(
            data.wait_chart(ctx.snapshot, "trend", period=period, service=service, board=ctx.board), width="stretch"
        )
        with st.expander("Table of the trend"):
            show_table(trend_display_waits(trend, area, system), board=ctx.board)
    return period, [service]


def national_league(level: str, period, service: str, focus: list[str]) -> None:
    """One national league (ICBs or providers) for a service and month, the area's own organisations first."""
    word = {
        "icb": ("ICB", "ICBs", "integrated care boards", "ICB's"),
        "provider": ("Provider", "providers", "NHS providers", "provider's"),
    }
    unit, plural, long, whose = word[level]
    league = data.league(ctx.snapshot, period, service, level)
    if league.height == 0:
        st.markdown(f"No {long} reported {SERVICE_NAMES.get(service, service)} for {period:%B %Y}.")
        return
    names = {**where.names, **{c: f"{where.name(c)} (this area's)" for c in focus}}
    for code in focus:
        trend = data.area_trend(ctx.snapshot, service, level, code)
        sentence = headline(
            league,
            trend,
            area_code=code,
            service=service,
            name=where.name(code),
            members=plural,
            publication=NHS_PUBLICATION,
            names=where.names,
        )
        st.markdown("- " + md_escape(sentence))
    england = league["pooled_pct"][0]
    st.caption(
        f"{service_name(service)}, {period:%B %Y}: {league['m'][0]} {long} with children on the list. England: "
        + ("x" if england is None else f"{england:.0f}%")
        + f". Better or worse than England means the {whose} 95% confidence interval lies wholly above or below "
        "England's figure; ties share the rank (=). Source: NHS England community health services waiting lists."
    )
    gap = reference_gap(league, against="England", unit=unit if level == "icb" else "provider")
    if gap:  # England's figure is missing or of nobody: said, and no funnel drawn
        st.caption(md_escape(gap))
    table = league_display(league, names, against="England", unit=unit)
    mine = rows_naming(table, unit, [names[c] for c in focus])
    if mine.height:
        show_table(mine, board=ctx.board)
    with st.expander(f"All {league.height} {long}"):
        show_table(table, board=ctx.board)
    download_csv(table, ctx=ctx, name=f"{level}_league_{service}_{period}", source=NHS_SOURCE, key=f"wt_{level}_csv")

    def chart(kind: str, code: str) -> None:
        spec = data.wait_chart(
            ctx.snapshot, kind, period=period, service=service, board=ctx.board, level=level, code=code
        )
        st.vega_lite_chart(spec, width="stretch")

    col_f, col_t = st.columns(2) if not ctx.board else (st.container(), st.container())
    with col_f:
        st.subheader(f"Funnel plot of {long}", anchor=False)
        if gap:
            empty_state(f"{gap} There is no funnel plot without it.")
        else:
            chart("funnel", focus[0] if focus else "")
            st.caption(
                f"Each point is one of the {long}. One outside the 95% lines differs from England by more than "
                "chance would suggest for its list size; outside the 99.8% lines, the difference is very unlikely "
                "to be chance."
            )
    with col_t:
        if focus:
            trend = data.area_trend(ctx.snapshot, service, level, focus[0])
            st.subheader(f"{md_escape(where.name(focus[0]))} over time", anchor=False)
            chart("trend", focus[0])
            caution = gap_caution(trend, trend["period_end"].to_list(), where.names, where.name(focus[0]))
            if caution:  # an ICB's figure is its providers' returns added up: a missing one shrinks it
                st.caption(md_escape(caution) + " Those months are ringed in orange.")
            with st.expander("Table of the trend"):
                show_table(trend_display_waits(trend, where.name(focus[0]), "England", where.names), board=ctx.board)


def national_view():
    system = where.system
    icb = [system.icb] if system and system.icb else []
    provs = list(system.providers) if system else []
    c1, c2 = st.columns([3, 2])
    service = c1.selectbox("Service", nhs_services, key="wt_nhs_service", format_func=service_name)
    months = data.wait_months(ctx.snapshot, service, data.NHS)
    period = c2.selectbox("Month", months, format_func=lambda d: d.strftime("%B %Y"), key="wt_nhs_month")
    st.header(f"Integrated care boards, {period:%B %Y}")
    if not icb:
        st.caption("No ICB is configured for this area ([system] icb in the build config), so none is highlighted.")
    national_league("icb", period, service, icb)
    st.header(f"NHS providers, {period:%B %Y}")
    if not provs:
        st.caption(
            "No providers are configured for this area ([system] providers in the build config), so none is "
            "highlighted."
        )
    national_league("provider", period, service, provs)
    return period, [service]


period, shown = locality_view() if local_services else national_view()

if local_services:
    mapping = ctx.snapshot.manifest.get("config", {}).get("provider_for_locality", {})
    provider = mapping.get(ctx.snapshot.la_code)
    icb = where.system.icb if where.system else None
    orgs = [o for o in (provider, icb, "ENG") if o]
    rows = data.providers(ctx.snapshot, period, shown, orgs)
    if rows.height:
        st.subheader("NHS England figures for the same month")
        st.caption(
            (
                f"{md_escape(where.name(provider))} provides community services in {md_escape(where.la_name)} and "
                "in other localities, so its figures only approximate the locality's. "
                if provider
                else ""
            )
            + "Source: NHS England community health services waiting lists (CAMHS is not part of that publication)."
        )
        show_table(provider_display(rows, where.names), board=ctx.board)
