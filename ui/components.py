"""Small Streamlit pieces every page uses: the page header with its "as at" stamp, the demonstration-data banner,
downloads stamped with source and date, and plain-English empty states."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from metrics.formatting import fmt_date, md_escape
from metrics.schema import PHASE_LABELS
from present.csv import stamped_csv
from ui.snapshots import RUN_LOCK
from ui.state import Context

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."


def demo_banner(ctx: Context) -> None:
    if ctx.snapshot.demo:
        sources = ctx.snapshot.manifest.get("sources", [])
        dfe = any(s.get("publisher") == "Department for Education" for s in sources)
        lait = any("LAIT" in str(s.get("name", "")) for s in sources)
        st.warning(
            "**Demonstration data.** "
            + (
                "The Department for Education's EHC plan statistics for every local authority are the published "
                "figures"
                + (
                    ", and so are its Local Authority Interactive Tool (LAIT) measures and statistical neighbours"
                    if lait
                    else ""
                )
                + ". The local figures — monthly indicators, surveys, wards, waiting times, actions and risks — "
                "are invented, apart from the published figures listed on the Data and methods page."
                if dfe
                else "These figures are generated for demonstration. The published figures they reproduce are "
                "listed on the Data and methods page; everything else is invented."
            ),
            icon=":material/science:",
        )


def page_header(ctx: Context, title: str, context_line: str) -> None:
    """Demonstration banner (demo snapshots only), title, one line of context and the as-at stamp, in that order."""
    notice = st.session_state.pop("_notice", None)
    if notice:
        st.info(notice, icon=":material/lock:")
    demo_banner(ctx)
    st.title(title)
    st.markdown(context_line)
    stamp = f"Data as at **{fmt_date(ctx.snapshot.as_at)}** · {md_escape(ctx.snapshot.la_name)}"
    if ctx.compare is not None:
        stamp += f" · compared with the snapshot of {fmt_date(ctx.compare.as_at)}"
    if ctx.phase != "all":
        stamp += f" · phase: {PHASE_LABELS[ctx.phase]}"
    st.caption(stamp)


def sources_line(ctx: Context) -> str:
    """The snapshot's sources in one line, for stamping downloads."""
    return "; ".join(s.get("name", "") for s in ctx.snapshot.manifest.get("sources", []))


def csv_bytes(frame: pl.DataFrame, *, ctx: Context, source: str) -> bytes:
    """The frame as a CSV stamped with the snapshot's as-at date, its source and whether it is demonstration data."""
    return stamped_csv(frame, as_at=ctx.snapshot.as_at, demo=ctx.snapshot.demo, source=source)


def download_csv(
    frame: pl.DataFrame,
    *,
    ctx: Context,
    name: str,
    source: str,
    key: str,
    label: str = "",
    csv: bytes | None = None,
) -> None:
    """A download button for the frame as a stamped CSV (`csv`: the same bytes already made, e.g. cached)."""
    st.download_button(
        label or "Download this table (CSV)",
        data=csv_bytes(frame, ctx=ctx, source=source) if csv is None else csv,
        file_name=f"{name}_{ctx.snapshot.as_at.isoformat()}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def compact_table(frame: pl.DataFrame) -> None:
    """A few rows as a static table (st.table): plain HTML that a screen reader reads as a table and the browser
    draws at once, where the interactive grid would load, measure and paint a canvas for three or four values."""
    st.table(frame.to_arrow(), hide_index=True)


def show_table(frame: pl.DataFrame, *, board: bool = False, **kwargs) -> None:
    """A Polars frame as a table, handed over as Arrow (Streamlit would otherwise convert it through pandas): the
    interactive grid, or in board mode a static table in large type that shows every row and wraps long text,
    where a grid would scroll, hide rows and clip words on a shared screen."""
    if board:
        st.table(frame.to_arrow(), hide_index=True)
    else:
        st.dataframe(frame.to_arrow(), hide_index=True, width="stretch", **kwargs)


@st.fragment
def chart_or_table(label: str, key: str, chart: Callable[[], None], table: Callable[[], None]) -> None:
    """A chart or its table twin, chosen by a control above them: only the one chosen is built and sent, and
    choosing reruns only this block (a fragment). `label` names the control for screen readers."""
    with RUN_LOCK:  # a fragment's rerun does not pass through app.py, where page runs take turns
        view = st.segmented_control(label, ["Chart", "Table"], default="Chart", key=key, label_visibility="collapsed")
        (table if view == "Table" else chart)()


def picked_ward(event, codes: list[str], *, selection: str) -> str | None:
    """The ward code of the ward clicked on the map: st.vega_lite_chart's point selection named `selection`, a
    list of {"ward_code": ...}; None unless it is one of `codes`."""
    picks = ((event or {}).get("selection") or {}).get(selection)
    for pick in picks if isinstance(picks, list) else []:
        code = pick.get("ward_code") if isinstance(pick, dict) else None
        if code in codes:
            return code
    return None


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")
