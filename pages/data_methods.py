"""About › Data and methods: where every number comes from and how it is calculated."""

from datetime import date

import streamlit as st

from metrics.formatting import fmt_date, md_escape
from ui import data
from ui.components import OGL, compact_table, download_csv, page_header, show_table
from ui.provenance import catalogue_frame, plain_sources_frame, sources_frame, tables_frame
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
built = manifest.get("created_at", "")
st.markdown(
    f"- **Data as at:** {fmt_date(ctx.snapshot.as_at)}\n"
    f"- **Area:** {md_escape(ctx.snapshot.la_name)}\n"
    + (f"- **Prepared:** {fmt_date(date.fromisoformat(built[:10]))}\n" if built[:10].count("-") == 2 else "")
    + f"- **Demonstration data:** {'yes — generated figures around the published ones' if ctx.snapshot.demo else 'no'}\n"
    "- **Checked:** every figure was checked, when the snapshot was opened, against the record made when it was "
    "prepared, so a damaged or altered file is never shown."
)
st.subheader("Sources")
st.markdown(
    "Published statistics are shown as their publishers print them. Each source below is named with its publisher, "
    "the date it was published and its licence."
)
show_table(plain_sources_frame(ctx.snapshot), board=ctx.board)

st.header("Indicator definitions")
catalogue = catalogue_frame(data.table(ctx.snapshot, "kpi_catalogue"))
show_table(catalogue.drop("Id"), board=ctx.board)
download_csv(catalogue, ctx=ctx, name="indicator_definitions", source="Indicator catalogue", key="catalogue_csv")

st.header("Abbreviations")
st.caption("The abbreviations the dashboard and the board papers use; each paper lists the ones it uses.")
compact_table(data.abbreviations_table(ctx.snapshot))

st.header("Methods")
st.markdown(
    """
**Red, amber, green (RAG).** The latest value, rounded as it is displayed, is compared with the target in the
Priority Impact Plan. Green meets or beats the target; amber misses it by no more than 5% of the target; red misses
it by more. Indicators without a target are shown as "No target", and those without data as "No data"; neither is
coloured. The word is always shown beside the colour.

**Small numbers.** A percentage or rate resting on fewer than 10 cases is shown with a caution ("fewer than 10
cases") and is given no RAG rating ("Too few cases"), rank, quartile or SPC signal: one plan of one on time is 100%,
and says nothing a rating could.

**Actions.** A complete action is green. Any other action past its due date is red and marked overdue, whatever
its owner last reported. Before its due date an action on track is green, at risk amber, off track red, and not
started "Not yet due".

**Trend arrows and changes.** The latest period is compared with the one before: ▲ up, ▼ down, ► less than half a
display unit of change. The arrow always follows the direction the number moved; the word (and, on the headline
tiles, the colour) says whether that is an improvement or a worsening for the indicator: a fall is an improvement
where lower is better. Indicators with no better direction say only "Up" or "Down" and are grey.

**Since the last board.** Each snapshot holds everything known at its date, so two snapshots can be compared: new
periods, revised values (the same period with a different value), and changes in rating.

**Statistical process control (SPC).** Charts follow NHS England's *Making Data Count* method. The centre line is the
mean; the process limits are the mean plus or minus 2.66 times the average month-to-month change. A point is a
*special cause* when it lies outside the limits, is one of 7 rising or 7 falling in a row, is one of 2 in 3 beyond
the inner (2-sigma) line on the same side, or is one of 7 on the same side of the mean. The variation icon
describes the latest point (improving, concern, or common cause); the assurance icon compares the target with the
limits: inside them the target is met in some months and missed in others ("hit and miss"). Series with fewer than
13 points are drawn as run charts without limits. After a sustained, explained change the limits can restart.
Where a publisher declares a break in a series (the Department for Education's 2023 change to its EHC plan
collection), the chart draws the break and stops its lines there, the table marks it, and limits and runs start
again after it: figures collected differently are never read as one process.

**Published figures.** Where a publisher prints a percentage, that figure is shown as printed, with its numerator
and denominator beside it; where the printed figure and the counts disagree, the printed one is shown and a note
says so. Region and England figures are the publisher's own rows. Where the dashboard adds up authorities itself
(the health system's, or regions the publisher does not give), an authority whose figure is suppressed is left out
of the numerator and the denominator alike, and the figure says how many were used.

**Intervals and comparisons.** Percentages carry 95% Wilson score intervals; ward rates per 1,000 carry exact
Poisson limits (Byar's approximation from 10 upwards). A locality or ward is "significantly" above or below the
comparator only when its whole interval lies above or below it. League-table ranks put the best first and are
worked on the figure as published (rounded to its decimal places); equal figures share the rank shown with "="
("=73rd of 145", where 145 counts the authorities with a figure). Quartiles among English local authorities use
the standard (type 7) quantiles of the same figures; A is the best quarter for the indicator. Counts are listed,
not ranked, because authorities differ in size.

**Privacy (disclosure control).** Board meetings are screen-shared and their papers published, so in board mode,
in every download and in the board pack, any count below local-authority level is protected: a true 0 stays 0,
counts of 1 to 7 are shown as `c`, all other counts (totals too) are rounded to the nearest 5, and rates are worked
out from the rounded counts. Published local-authority statistics are shown as published.

**Symbols.** Where there is no number the Government Statistical Service symbols are used: `c` suppressed to
protect privacy, `x` not available, `z` not applicable, `low` rounds to zero, `u` low reliability. A missing value
is never shown as 0.
"""
)
st.header("Accessibility statement")
st.markdown(
    """
We want everyone who uses this dashboard to be able to read it, including people using screen readers,
keyboards or magnification. It aims to meet the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA.

**What we do.** Every chart has a one-sentence description (read out by screen readers) and a table with the same
figures; colour is never the only way meaning is shown (ratings carry their words, chart points their shapes,
the heat table its numbers); text meets a 4.5:1 contrast ratio; controls are labelled and work from the keyboard;
board mode enlarges the type for a shared screen.

**How we tested it.** Every page is scanned whole in a real browser (Chromium) with the axe-core rules for WCAG
2.0, 2.1 and 2.2 at levels A and AA, in normal and board mode, as part of the automated tests, and must show no
problem at all, however minor. axe's further advice beyond WCAG finds one minor point, in the file uploader of the
officers' Update data page, whose markup comes from Streamlit.

**Known limitations.** The ward map is a picture for sighted users: its figures are in the table beside it and
in the ranked chart's table. Interactive charts can be hard to explore by keyboard; use their tables instead. The
board pack is a tagged PDF (headings, tables and lists marked up, every chart described in words) and the slides
keep every title in its title placeholder.

**Other formats.** If you need any figure in another format, download the table under it as CSV, or ask the SEND
performance and intelligence team for the board papers in a format that suits you.
"""
)
if ctx.officer and not ctx.board:  # for the people who run the dashboard, never for the public or a shared screen
    st.header("Technical details (officers)")
    st.markdown(
        f"- **Area code:** {md_escape(ctx.snapshot.la_code)}\n"
        f"- **Built:** {md_escape(built or 'unknown')}\n"
        "- **Integrity:** every table's SHA-256 checksum, columns, types, allowed values and keys were verified when "
        "the snapshot was opened.\n"
        + (
            "- **Signature:** verified. The manifest (the demonstration flag, the sources and every checksum) is "
            "signed with this dashboard's key, so an edit to any of it would have been refused."
            if ctx.snapshot.signed
            else "- **Signature:** none. Snapshots are unsigned because no signing key is configured, so the "
            "checksums show accidental damage but not a deliberate edit of the manifest (see the README, "
            "\u201cBad input\u201d)."
        )
    )
    st.subheader("Source files")
    show_table(sources_frame(ctx.snapshot), board=ctx.board)
    st.subheader("Tables in the snapshot")
    show_table(tables_frame(ctx.snapshot), board=ctx.board)
    st.subheader("Loading real data")
    st.markdown(
        """
The app reads only snapshots, never source files. Snapshots are built by officers on the Update data page, or by
the command line tool:

- `python -m ingest build --config ingest.toml --as-at 2025-11-03` — DfE education, health and care plan
  statistics, NHS England community waiting-list workbooks, ONS ward boundaries and the local templates in one go
  (the README's "Building a snapshot from real data" shows the config);
- `python -m ingest waits`, `python -m ingest chs`, `python -m ingest wards` — add one source to a new snapshot;
- `python -m ingest check <snapshot folder>` — verify a snapshot.

Every problem in a file is listed at once, with the file, row, column and value, and nothing is written until
all the files are right. The templates are in `data/templates/`: each is its header row alone, and the
folder's README documents every column with an example row.
"""
    )

st.caption(OGL)
