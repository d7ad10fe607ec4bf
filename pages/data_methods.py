"""About › Data and methods: where every number comes from and how it is calculated."""

import streamlit as st

from metrics.formatting import fmt_date
from ui import data
from ui.components import OGL, download_csv, page_header, show_table
from ui.provenance import catalogue_frame, sources_frame, tables_frame
from ui.state import context

ctx = context()
page_header(
    ctx,
    "Data and methods",
    "Where every figure on this dashboard comes from, how each indicator is defined, and the statistical rules "
    "used for ratings, charts and privacy.",
)
manifest = ctx.snapshot.manifest

st.header("This snapshot")
st.markdown(
    f"- **Data as at:** {fmt_date(ctx.snapshot.as_at)}\n"
    f"- **Area:** {ctx.snapshot.la_name} ({ctx.snapshot.la_code})\n"
    f"- **Built:** {manifest.get('created_at', 'unknown')}\n"
    f"- **Demonstration data:** {'yes — generated figures around the published ones' if ctx.snapshot.demo else 'no'}\n"
    "- **Integrity:** every table's SHA-256 checksum, columns, types, allowed values and keys were verified when "
    "the snapshot was opened."
)
st.subheader("Sources")
sources = sources_frame(ctx.snapshot)
show_table(sources)
st.subheader("Tables in the snapshot")
show_table(tables_frame(ctx.snapshot))

st.header("Indicator definitions")
catalogue = catalogue_frame(data.table(ctx.snapshot, "kpi_catalogue"))
show_table(catalogue)
download_csv(catalogue, ctx=ctx, name="indicator_definitions", source="Indicator catalogue", key="catalogue_csv")

st.header("Methods")
st.markdown(
    """
**Red, amber, green (RAG).** The latest value, rounded as it is displayed, is compared with the target in the
Priority Impact Plan. Green meets or beats the target; amber misses it by no more than 5% of the target; red misses
it by more. Indicators without a target, or without data, are shown as "No target" and are never coloured.
The word is always shown beside the colour.

**Trend arrows.** The latest period is compared with the one before: ▲ up, ▼ down, ► less than half a display
unit of change. The word says whether the change is an improvement or a worsening for that indicator; neutral
indicators say only "Up" or "Down".

**Since the last board.** Each snapshot holds everything known at its date, so two snapshots can be compared: new
periods, revised values (the same period with a different value), and changes in rating.

**Symbols.** Where there is no number the Government Statistical Service symbols are used: `c` suppressed to
protect privacy, `x` not available, `z` not applicable, `low` rounds to zero, `u` low reliability. A missing value
is never shown as 0.
"""
)
st.header("Loading real data")
st.markdown(
    "Snapshots are built by the command line tool `python -m ingest`; the README explains each source and the "
    "local templates in `data/templates/`. The app reads only snapshots, never source files."
)
st.caption(OGL)
