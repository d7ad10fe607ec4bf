"""Explore › Benchmarks: the area against England, the North West, Greater Manchester and statistical neighbours
on the DfE education, health and care plan (SEN2) measures, with ranks and quartiles."""

import streamlit as st

from ui import data
from ui.components import download_csv, empty_state, page_header, show_table
from ui.state import context
from ui.tables import benchmark_display

ctx = context()
page_header(
    ctx,
    "Benchmarks",
    "How the area compares with England, the North West, the Greater Manchester (GM) authorities and its "
    "statistical neighbours on the Department for Education's education, health and care (EHC) plan statistics "
    "(SEN2): the latest value, rank and quartile among all English local authorities.",
)
rows = data.benchmark_rows(ctx.snapshot)
if rows.height == 0:
    empty_state("No DfE EHC plan statistics in this snapshot — see Data and methods for how to load them.")
    st.stop()

names = data.area_names(ctx.snapshot)
gm, neighbours = data.comparator_sets(ctx.snapshot)
dfe = [s for s in ctx.snapshot.manifest.get("sources", []) if s.get("publisher") == "Department for Education"]
source_line = (
    "; ".join(s["name"] + (f", published {s['published']}" if s.get("published") else "") for s in dfe) or "DfE SEN2"
)
table = benchmark_display(rows)
show_table(table)
st.caption(
    f"Source: {source_line}. Ranks: 1st = best for the indicator (for indicators with no better direction, the "
    "highest value is 1st). Quartile A is the best quarter of English local authorities (type 7 quantiles). Counts "
    "are not ranked because authorities differ in size. "
    + ("" if neighbours else "No statistical neighbours are configured (set them in the build config). ")
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
    "Each tick is one local authority (Greater Manchester authorities darker); the diamond is "
    f"{names.get(ctx.snapshot.la_code, ctx.snapshot.la_name)}. Source: {source_line}."
)
