"""Explore › Benchmarks: the area against England, its region, its health and care system and its statistical
neighbours on the DfE's published measures for every local authority (the EHC plan statistics, SEN2, and LAIT's
measures for children with SEN), with ranks and quartiles; each neighbour's figure; a view within the region."""

import streamlit as st

from metrics.formatting import md_escape
from metrics.kpi import SMALL_DENOMINATOR
from present.benchmarks import benchmark_display, comparison_words, neighbour_display
from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context

ctx = context()
where = data.setup(ctx.snapshot)
against = md_escape(comparison_words(where))
if where.system and where.system_short != where.system_name:
    against = against.replace(
        md_escape(where.system_name), md_escape(f"the {where.system_name} ({where.system_short}) authorities")
    )
page_header(
    ctx,
    "Benchmarks",
    f"How {md_escape(where.la_name)} compares with {against}"
    + (" and its statistical neighbours" if where.neighbours else "")
    + " on the Department for Education's (DfE) figures published for every local authority: the education, health "
    "and care (EHC) plan statistics (SEN2) and the Local Authority Interactive Tool's (LAIT) measures for children "
    "with special educational needs (SEN): the latest value, rank and quartile.",
)
rows = data.benchmark_rows(ctx.snapshot)
if rows.height == 0:
    empty_state(
        "No DfE EHC plan statistics or LAIT measures in this snapshot — see Data and methods for how to load them."
    )
    st.stop()

dfe = [s for s in ctx.snapshot.manifest.get("sources", []) if s.get("publisher") == "Department for Education"]
source_line = "; ".join(
    dict.fromkeys(s["name"] + (f", published {s['published']}" if s.get("published") else "") for s in dfe)
) or ("DfE SEN2" if "EHC plans (SEN2)" in set(rows["topic"]) else "DfE LAIT")
topics = rows["topic"].unique(maintain_order=True).to_list()
topic = None
ALL = "All published measures"
if len(topics) > 1:
    picked = st.selectbox(
        "Measures",
        [ALL, *topics],
        key="bm_topic",
        help="The EHC plan statistics (SEN2), or one of LAIT's topics: each measure LAIT defines for children with "
        "SEN or by SEN status.",
    )
    topic = None if picked == ALL else picked
    rows = data.benchmark_rows(ctx.snapshot, topic)
region_only = False
if where.region_authorities:
    view = st.radio(
        "Rank the area",
        ["Among every English local authority", f"Within {where.region_phrase} only"],
        horizontal=True,
        key="bm_view",
        help=f"Within the region: {md_escape(where.la_name)} is ranked among {md_escape(where.region_phrase)}'s "
        f"{len(where.region_authorities)} local authorities, and the strip below shows only them.",
    )
    region_only = view != "Among every English local authority"
table = benchmark_display(rows, where, region_only=region_only)
show_table(table, board=ctx.board)
system_words = (
    f"The {md_escape(where.system_short)} figure is worked out here: a count is the sum of its authorities, a "
    "percentage is pooled from their counts, leaving out of both any authority whose figure is suppressed or not "
    "available (the cell then says how many it uses). "
    if where.system
    else ""
)
neighbour_words = (
    f"Statistical neighbours: the {len(where.neighbours)} authorities most like {md_escape(where.la_name)}"
    + (f" in {md_escape(where.neighbours_set)}" if where.neighbours_set else "")
    + "; their figure is pooled from their counts as the system's is, or, for a measure published without counts "
    "(LAIT's), the average of the neighbours with a figure; the area is ranked among itself and them. "
    if where.neighbours
    else "No statistical neighbours are configured (give DfE's statistical neighbours file with the LAIT files, or "
    "list them in the build config). "
)
st.caption(
    f"Source: {md_escape(source_line)}. The area's, England's and the region's figures are the publisher's own, with "
    "the area's counts beside its figure where the publisher gives them; where a published percentage and its counts "
    "disagree, the note says so. "
    + system_words
    + neighbour_words
    + "Ranks: 1st = best for the indicator (for indicators with no better direction, the highest value is 1st), "
    "worked on the figure as shown, to the publisher's decimal places; equal figures share a rank, shown with "
    '"=", and "of" counts the authorities ranked. Quartile A is the best quarter of English local authorities '
    f"(type 7 quantiles of the figures as shown). A percentage on fewer than {SMALL_DENOMINATOR} cases is shown with a "
    "caution and is neither ranked nor given a quartile. Counts are not ranked because authorities differ in size. "
    + f"This snapshot holds {rows['england_of'].max()} local authorities."
)
download_csv(table, ctx=ctx, name="benchmarks", source=source_line, key="bm_csv")

choice = st.selectbox(
    "Indicator",
    rows["kpi_id"].to_list(),
    format_func=dict(zip(rows["kpi_id"], rows["title"], strict=True)).get,
    key="bm_kpi",
)
row = next(r for r in rows.iter_rows(named=True) if r["kpi_id"] == choice)
st.header("Over time")
st.vega_lite_chart(data.bench_chart(ctx.snapshot, "trend", choice, ctx.board), width="stretch")
if where.neighbours:
    st.header("Statistical neighbours")
    neighbours = neighbour_display(data.neighbours(ctx.snapshot, choice), where, row)
    show_table(neighbours, board=ctx.board)
    st.caption(
        f"{md_escape(row['title'])}, {md_escape(row['period_label'])}: {md_escape(where.la_name)} and its "
        f"{len(where.neighbours)} statistical neighbours"
        + (f" ({md_escape(where.neighbours_set)})" if where.neighbours_set else "")
        + ", nearest first, with how close DfE's file says each is. Ranked on the figures as shown; an authority "
        "with no figure (x) is not ranked."
    )
    download_csv(neighbours, ctx=ctx, name=f"neighbours_{choice}", source=source_line, key="bm_nb_csv")
st.header(f"Every local authority in {where.region_phrase}" if region_only else "Every English local authority")
st.vega_lite_chart(data.bench_chart(ctx.snapshot, "strip", choice, ctx.board, region_only), width="stretch")
st.caption(
    "Each tick is one local authority"
    + (f" ({md_escape(where.system_name)} authorities darker)" if where.system else "")
    + f"; the diamond is {md_escape(where.la_name)}. Source: {md_escape(source_line)}."
)
