"""Explore › Ward demand: rates per 1,000 children by ward (or town), with 95% intervals, ranking, deprivation
and a ward profile; disclosure-controlled for the public, in board mode and in every download."""

import streamlit as st

from charts.palette import readable
from charts.wards import legend
from metrics.disclosure import LEGEND
from metrics.formatting import md_escape
from metrics.schema import PHASE_LABELS
from metrics.wards import MEASURE_LABELS, map_breaks, profile, significance_sentence
from present.places import area_rates_display, deprivation_display, trend_display
from ui import data
from ui.components import chart_or_table, download_csv, empty_state, page_header, picked_ward, show_table
from ui.state import context

ctx = context()
page_header(
    ctx,
    "Ward demand",
    "Where demand for special educational needs and disabilities (SEND) support is highest: counts and rates per "
    "1,000 children of the phase in each ward, with 95% confidence intervals, compared with the borough.",
)
periods = data.ward_periods(ctx.snapshot)
if not periods:
    empty_state("No ward data in this snapshot — see Data and methods for how to load it.")
    st.stop()

protected = ctx.protected
scale = 16 / 11 if ctx.board else 1.0
# In board mode the map comes first on the screen, on the left, filling its column beside its key, and the choices,
# the borough's figures and the ranked wards stand on its right: on a projector the map is seen without scrolling.
# The map's column is as wide as the map is drawn for this area's shape (a tall area gets a narrow column, a wide one
# a wide column), with a little room to spare; the rest of the 1,760 px of a 1920 px screen goes to the right.
if ctx.board:
    map_width, _ = data.map_size(ctx.snapshot, board=True)
    the_map, the_key, side = st.columns([map_width + 24, 320, max(1416 - map_width, 640)], gap="medium")
else:
    side = st.container()
with side:
    cols = st.columns([3, 2, 2, 2]) if not ctx.board else [*st.columns(2), *st.columns(2)]
    measure = cols[0].selectbox("Measure", list(MEASURE_LABELS), format_func=MEASURE_LABELS.get, key="wd_measure")
    period = cols[1].selectbox("Month", periods, format_func=lambda d: d.strftime("%B %Y"), key="wd_period")
    grouping = cols[2].segmented_control("Group by", ["Wards", "Towns"], default="Wards", key="wd_group") or "Wards"
    shading = cols[3].segmented_control("Map shows", ["Rate", "Deprivation"], default="Rate", key="wd_shade") or "Rate"
    label = MEASURE_LABELS[measure]
    towns = grouping == "Towns"
    st.caption(f"Phase: {PHASE_LABELS[ctx.phase]} (change it in the sidebar). Month: {period:%B %Y}.")

    if protected:
        st.info(f"Figures below local-authority level are protected. {LEGEND}.", icon=":material/shield:")
    else:
        st.warning(
            "**Official – not for publication.** Exact counts below local-authority level are shown for officers. "
            "Switch on board mode before sharing the screen; downloads are always protected.",
            icon=":material/lock:",
        )

borough = data.ward_borough(ctx.snapshot, period, measure, ctx.phase, protected=protected)
rates = data.ward_rates(ctx.snapshot, period, measure, ctx.phase, protected=protected, towns=towns)
ward_rows = data.ward_rates(ctx.snapshot, period, measure, ctx.phase, protected=protected)
wards_table = data.table(ctx.snapshot, "wards")
safe = data.ward_rates(ctx.snapshot, period, measure, ctx.phase, protected=True, towns=towns)


def chart_spec(kind: str, **options) -> dict:
    """The cached spec of one of this page's ward charts for the month, measure, phase and mode chosen."""
    return data.ward_chart(
        ctx.snapshot,
        kind,
        period=period,
        measure=measure,
        phase=ctx.phase,
        protected=protected,
        board=ctx.board,
        **options,
    )


area_word, name_col = ("town", "town") if towns else ("ward", "ward_name")
with side:
    m1, m2, m3 = st.columns(3)
    m1.metric("Borough rate per 1,000", f"{borough['rate']:.1f}", border=True)
    m2.metric(f"{label} in the borough", "c" if borough["count"] is None else f"{borough['count']:,}", border=True)
    m3.metric("95% interval", f"{borough['lcl']:.1f} to {borough['ucl']:.1f}", border=True)
    st.markdown(f"**{md_escape(significance_sentence(rates, area_word=area_word, name=name_col))}**")

geometry = wards_table["geometry_source"][0]
codes = ward_rows["ward_code"].to_list()
# A click on the map chooses the ward for the profile. It is read before anything is drawn, so this run's map,
# bars and profile all show it. Then the map starts again under a new name: the browser keeps a selection and sends
# it with every later run, where it would undo a ward chosen in the box since, and a second click on the same ward
# would change nothing and so send nothing.
clicks = st.session_state.get("wd_map_clicks", 0)
clicked = picked_ward(st.session_state.get(f"ward_map_{clicks}"), codes, selection=f"ward_{clicks}")
if clicked:
    st.session_state["wd_ward"] = clicked
    clicks = st.session_state["wd_map_clicks"] = clicks + 1
if ctx.board:
    bar_col = side
else:
    map_col, bar_col = st.columns([6, 5])
    map_col.header("Map")
    the_map, the_key = map_col.container(), map_col.container()
shade = "imd" if shading == "Deprivation" else "rate"
breaks = map_breaks(ward_rows, shade)
title = "Deprivation decile (1 = most deprived)" if shade == "imd" else f"{label} per 1,000 ({period:%b %Y})"
key_chart = legend(
    breaks,
    title=title,
    decimals=0 if shade == "imd" else 1,
    no_data=shade == "rate",
    font_scale=scale,
    reverse=shade == "imd",
    vertical=ctx.board,
)
# The map is drawn at its own size (the size its names were fitted to); in board mode its key stands beside it.
the_map.vega_lite_chart(
    chart_spec("map", highlight=st.session_state.get("wd_ward"), shade=shade, selection=f"ward_{clicks}"),
    on_select="rerun",
    selection_mode=[f"ward_{clicks}"],
    key=f"ward_map_{clicks}",
    width="content",
)
with the_key:
    st.caption(f"Map key: {title}")
    if ctx.board:  # like every board chart, at 16 px or more (the key's own labels are drawn at 17.5)
        st.vega_lite_chart(readable(key_chart.to_dict()), width=int(200 * scale), theme=None)
    else:
        st.altair_chart(key_chart, width="stretch", height=int(64 * scale), theme=None)
if geometry == "ons":
    the_key.caption(
        "Ward boundaries: ONS (Contains National Statistics and OS data © Crown copyright and database right 2023)."
    )
else:  # how to load the real ones is for the officer at their desk, never the shared screen or the public's
    load = "" if ctx.protected else " Load the ONS boundary file on the Update data page."
    the_key.caption(
        "Ward shapes are approximate: drawn around the real ward centres for this demonstration, not ONS "
        f"boundaries.{load}"
    )
the_key.caption("Hover over a ward for its figures; click a ward to open its profile below.")

with bar_col:
    st.header(f"{'Towns' if towns else 'Wards'} ranked")

    def ranked_chart() -> None:
        st.vega_lite_chart(
            chart_spec("ranked", towns=towns, highlight=st.session_state.get("wd_ward")),
            width="stretch",
        )
        st.caption(
            "Bars: rate per 1,000. Grey lines: 95% intervals. Orange diamond: significantly above the "
            "borough (dashed orange line)."
        )

    chart_or_table(
        f"Show the {area_word}s ranked as",
        "wd_ranked_view",
        chart=ranked_chart,
        table=lambda: show_table(area_rates_display(rates, towns=towns), board=ctx.board),
    )
    download_csv(
        area_rates_display(safe, towns=towns),
        ctx=ctx,
        name=f"{area_word}_{measure}_{period}",
        source="Local case-management system (ward demand)",
        key="wd_csv",
        label="Download this table (CSV, disclosure-controlled)",
    )
if protected:
    st.caption(LEGEND)

st.header("Demand and deprivation")
dep = data.deprivation(ctx.snapshot, period, measure, ctx.phase, protected=protected)
chart_or_table(
    "Show demand and deprivation as",
    "wd_dep_view",
    chart=lambda: st.vega_lite_chart(
        chart_spec("deprivation"),
        width="stretch",
    ),
    table=lambda: show_table(deprivation_display(dep), board=ctx.board),
)

st.header("Ward profile")
names = dict(zip(ward_rows["ward_code"], ward_rows["ward_name"], strict=True))
ward = st.selectbox("Ward", codes, format_func=names.get, key="wd_ward")
info = profile(ward_rows, ward)
p1, p2, p3, p4 = st.columns(4)
p1.metric("Rank (1 = highest rate)", "c" if info["rank"] is None else f"{info['rank']} of {info['ranked']}")
p2.metric(
    "Rate per 1,000",
    "c" if info["rate"] is None else f"{info['rate']:.1f}",
    delta=None if info["rate"] is None else f"{info['rate'] - info['borough_rate']:+.1f} on the borough",
    delta_color="off",
)
p3.metric("Share of the borough's count", "c" if info["share"] is None else f"{100 * info['share']:.0f}%")
p4.metric("Deprivation decile", "x" if info["imd_decile"] is None else f"{info['imd_decile']} of 10")
trend = data.ward_trend(ctx.snapshot, ward, measure, protected=protected)
labels = {"all": "All phases", **{k: v for k, v in PHASE_LABELS.items() if k != "all"}}
chart_or_table(
    "Show the ward's trend as",
    "wd_trend_view",
    chart=lambda: st.vega_lite_chart(
        chart_spec("trend", highlight=ward),
        width="stretch",
    ),
    table=lambda: show_table(trend_display(trend, labels), board=ctx.board),
)
