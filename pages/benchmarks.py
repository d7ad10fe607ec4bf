"""Explore › Benchmarks: the area against England, its region, its health and care system and statistical
neighbours on the DfE education, health and care plan (SEN2) measures, with ranks and quartiles."""

import streamlit as st

from metrics.formatting import md_escape
from metrics.kpi import SMALL_DENOMINATOR
from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context
from ui.tables import benchmark_display

ctx = context()
where = data.setup(ctx.snapshot)
against = md_escape(data.comparison_words(where))
if where.system and where.system_short != where.system_name:
    against = against.replace(
        md_escape(where.system_name), md_escape(f"the {where.system_name} ({where.system_short}) authorities")
    )
page_header(
    ctx,
    "Benchmarks",
    f"How {md_escape(where.la_name)} compares with {against}"
    + (" and its statistical neighbours" if where.neighbours else "")
    + " on the Department for Education's education, health and care (EHC) plan statistics (SEN2): the latest "
    "value, rank and quartile among all English local authorities.",
)
rows = data.benchmark_rows(ctx.snapshot)
if rows.height == 0:
    empty_state("No DfE EHC plan statistics in this snapshot — see Data and methods for how to load them.")
    st.stop()

dfe = [s for s in ctx.snapshot.manifest.get("sources", []) if s.get("publisher") == "Department for Education"]
source_line = (
    "; ".join(s["name"] + (f", published {s['published']}" if s.get("published") else "") for s in dfe) or "DfE SEN2"
)
table = benchmark_display(rows, where)
show_table(table)
system_words = (
    f"The {md_escape(where.system_short)} figure is worked out here: a count is the sum of its authorities, a "
    "percentage is pooled from their counts, leaving out of both any authority whose figure is suppressed or not "
    "available (the cell then says how many it uses). "
    if where.system
    else ""
)
st.caption(
    f"Source: {source_line}. The area's, England's and the region's figures are the publisher's own, with the area's "
    "counts beside its figure; where a published percentage and its counts disagree, the note says so. "
    + system_words
    + "Ranks: 1st = best for the indicator (for indicators with no better direction, the highest value is 1st), "
    "worked on the figure as shown, to the publisher's decimal places; equal figures share a rank, shown with "
    '"=", and "of" counts the authorities ranked. Quartile A is the best quarter of English local authorities '
    f"(type 7 quantiles of the figures as shown). A percentage on fewer than {SMALL_DENOMINATOR} cases is shown with a "
    "caution and is neither ranked nor given a quartile. Counts are not ranked because authorities differ in size. "
    + ("" if where.neighbours else "No statistical neighbours are configured (set them in the build config). ")
    + f"This snapshot holds {rows['england_of'].max()} local authorities."
)
download_csv(table, ctx=ctx, name="benchmarks", source=source_line, key="bm_csv")

choice = st.selectbox(
    "Indicator",
    rows["kpi_id"].to_list(),
    format_func=dict(zip(rows["kpi_id"], rows["title"], strict=True)).get,
    key="bm_kpi",
)
st.header("Over time")
st.vega_lite_chart(data.bench_chart(ctx.snapshot, "trend", choice, ctx.board), width="stretch")
st.header("Every English local authority")
st.vega_lite_chart(data.bench_chart(ctx.snapshot, "strip", choice, ctx.board), width="stretch")
st.caption(
    "Each tick is one local authority"
    + (f" ({md_escape(where.system_name)} authorities darker)" if where.system else "")
    + f"; the diamond is {md_escape(where.la_name)}. Source: {source_line}."
)
