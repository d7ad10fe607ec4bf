"""Display versions of metric frames: words, units and periods in place of raw numbers, ready for st.dataframe
and CSV downloads. Row-wise formatting only; the numbers come from metrics/."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from charts.palette import RAG_FILL, RAG_INK
from metrics.formatting import (
    ACTION_RAG_WORDS,
    ASSURANCE_LABELS,
    RAG_WORDS,
    SMALL_NUMBER_CAUTION,
    VARIATION_LABELS,
    fmt_change,
    fmt_date,
    fmt_target,
    fmt_value,
    points,
    rag_word,
    variation_words,
    workstream_label,
)


def summary_display(frame: pl.DataFrame, theme: int | None = None) -> pl.DataFrame:
    """The Summary table as people read it: one row per indicator, every figure with its period and unit."""
    if theme is not None:
        frame = frame.filter(pl.col("theme") == theme)
    rows = []
    for r in frame.iter_rows(named=True):
        latest = fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or "")
        if r["phase_fallback"]:
            latest += " (all phases)"
        if r.get("small_number") and r["value"] is not None:
            latest += f" ({SMALL_NUMBER_CAUTION})"
        rows.append(
            {
                "Theme": str(r["theme"]),
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Latest": latest if r["period_label"] is not None else "No data",
                "Period": r["period_label"] or "",
                "Target": fmt_target(r["target"], r["unit"], r["decimals"], r["target_date"]),
                "RAG": rag_word(
                    r["rag"],
                    has_target=r["target"] is not None,
                    has_value=r["period_label"] is not None,
                    small=bool(r.get("small_number")),
                ),
                "Trend": r["trend"] or "► Only one period",
                "Since compare snapshot": fmt_change(
                    r["value"], r["compare_value"], r["period_label"], r["compare_label"], r["unit"], r["decimals"]
                ),
                "Variation": variation_words(r.get("variation"), r.get("no_spc")),
                "Assurance": ""
                if (r.get("variation") or "none") == "none"
                else ASSURANCE_LABELS[r.get("assurance") or "none"],
                "Last 24 periods": [v for v in (r["spark"] or []) if v is not None],
                "Page": f"theme_{r['theme']}",
                "kpi_id": r["kpi_id"],
            }
        )
    schema = {
        "Theme": pl.String,
        "Workstream": pl.String,
        "Indicator": pl.String,
        "Latest": pl.String,
        "Period": pl.String,
        "Target": pl.String,
        "RAG": pl.String,
        "Trend": pl.String,
        "Since compare snapshot": pl.String,
        "Variation": pl.String,
        "Assurance": pl.String,
        "Last 24 periods": pl.List(pl.Float64),
        "Page": pl.String,
        "kpi_id": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _first_capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def exceptions_display(frame: pl.DataFrame, compare_label: str | None) -> pl.DataFrame:
    """The exceptions as the Summary opens with them: the indicator, its latest figure and period, and why it
    needs the board's attention (metrics.exceptions.reasons)."""
    from metrics.exceptions import reasons

    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Latest": fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or ""),
                "Period": r["period_label"] or "",
                "Why it needs attention": _first_capital("; ".join(reasons(r, compare_label, short=True))),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={c: pl.String for c in ("Workstream", "Indicator", "Latest", "Period", "Why it needs attention")},
    )


def board_columns(table: pl.DataFrame) -> pl.DataFrame:
    """The Summary columns that read at a distance, one line a row (no sparkline, no ids; what changed since the
    last board has its own page)."""
    return table.select("Workstream", "Indicator", "Latest", "Period", "Target", "RAG", "Trend")


# GOV.UK Design System colours for RAG cells, each with a text colour that passes WCAG AA (≥ 4.5:1) on it.
RAG_CELL = {
    **{word: (RAG_FILL[word], RAG_INK[word]) for word in ("Green", "Amber", "Red")},
    "No target": ("#F3F2F1", "#0B0C0C"),
    "Too few cases": ("#F3F2F1", "#0B0C0C"),
    "No data": ("#F3F2F1", "#0B0C0C"),
}


def rag_pills(frame: pl.DataFrame, column: str = "RAG") -> tuple[pl.DataFrame, dict]:
    """The frame with its RAG column as one-word lists, and the column's configuration that shows each word as a
    pill in its RAG colour, for the interactive table: the grid colours them itself, where a pandas Styler would
    be built and turned into styled display values for every cell on every run."""
    words = list(RAG_CELL)
    pills = st.column_config.MultiselectColumn(
        column,
        options=words,
        color=[RAG_CELL[w][0] for w in words],
        width=120,  # "Too few cases" and "No target" on one line
        help="Red, amber or green (RAG) against the Priority Impact Plan target",
    )
    return frame.with_columns(pl.concat_list(pl.col(column))), {column: pills}


def rag_styled(frame: pl.DataFrame, column: str = "RAG"):
    """A pandas Styler (what board mode's static st.table colours cells from) with RAG cells coloured; the word
    stays in the cell."""

    def paint(word: str) -> str:
        bg, fg = RAG_CELL.get(word, ("#FFFFFF", "#0B0C0C"))
        return f"background-color: {bg}; color: {fg}; font-weight: 600; white-space: nowrap"

    return frame.to_pandas().style.map(paint, subset=[column])


SIGNAL_WORDS = {
    "common_cause": "Common cause",
    "improvement": "Improvement",
    "concern": "Concern",
    "neutral_high": "Higher (special cause)",
    "neutral_low": "Lower (special cause)",
}


def series_display(series: pl.DataFrame, comparators: pl.DataFrame, kpi: dict) -> pl.DataFrame:
    """The table twin of an indicator chart: every period with value, SPC centre and limits, signal, and the
    comparators' values for the same period. The note marks the first period after a declared break in the series
    and a figure on a small denominator, which has no SPC signal (METHODS §8)."""
    from metrics.kpi import SMALL_DENOMINATOR

    unit, dec = kpi["unit"], kpi["decimals"]
    brk = pl.col("series_break") if "series_break" in series.columns else pl.lit(False)
    small = pl.col("small_number") if "small_number" in series.columns else pl.lit(False)
    signal = (
        pl.when(small)
        .then(pl.lit(f"No signal: fewer than {SMALL_DENOMINATOR} cases"))
        .otherwise(pl.col("signal").replace_strict(SIGNAL_WORDS, default=""))
    )
    note = pl.concat_str(
        [
            pl.when(brk).then(
                pl.lit(
                    "Break in the series: the publisher changed how the figures are collected from this period, so "
                    "limits and runs start again here."
                )
            ),
            pl.when(small).then(pl.lit(f"Small number: fewer than {SMALL_DENOMINATOR} cases, shown with caution.")),
            pl.when(pl.col("note") != "").then(pl.col("note")),
        ],
        separator=" ",
        ignore_nulls=True,
    )
    out = series.sort("period_end").select(
        pl.col("period_label").alias("Period"),
        pl.struct("value", "status")
        .map_elements(lambda r: fmt_value(r["value"], unit, dec, r["status"] or ""), return_dtype=pl.String)
        .alias("Value"),
        pl.col("numerator").alias("Numerator"),
        pl.col("denominator").alias("Denominator"),
        pl.col("mean").round(dec + 1).alias("Mean"),
        pl.col("lpl").round(dec + 1).alias("Lower process limit"),
        pl.col("upl").round(dec + 1).alias("Upper process limit"),
        signal.alias("SPC signal"),
        pl.col("rule").str.replace_all("_", " ").alias("SPC rule"),
        note.alias("Note"),
    )
    for name in comparators["area_name"].unique(maintain_order=True).to_list() if comparators.height else []:
        comp = comparators.filter(pl.col("area_name") == name).select(
            pl.col("period_label").alias("Period"),
            pl.col("value").map_elements(lambda v: fmt_value(v, unit, dec), return_dtype=pl.String).alias(name),
        )
        out = out.join(comp, on="Period", how="full", coalesce=True)
    return out


ACTION_STATUS_WORDS = {
    "complete": "Complete",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "not_started": "Not started",
}


def actions_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Actions as people read them: overdue marked, status and RAG in words, owner role, due date."""
    return frame.select(
        pl.when(pl.col("overdue")).then(pl.lit("⚠ Overdue")).otherwise(pl.lit("")).alias("Overdue"),
        pl.col("action_id").alias("Ref"),
        pl.col("title").alias("Action"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("due_date").map_elements(fmt_date, return_dtype=pl.String).alias("Due"),
        pl.col("status").replace_strict(ACTION_STATUS_WORDS).alias("Status"),
        pl.col("rag").replace_strict(ACTION_RAG_WORDS).alias("RAG"),
        pl.col("progress_note").alias("Latest update"),
        pl.col("updated").map_elements(fmt_date, return_dtype=pl.String).alias("Updated"),
    )


def filter_actions(
    frame: pl.DataFrame, *, workstreams: list[str], owners: list[str], statuses: list[str]
) -> pl.DataFrame:
    """The actions matching every filter that has a choice (an empty choice keeps all); order unchanged."""
    keep = pl.lit(True)
    for column, chosen in (("workstream", workstreams), ("owner_role", owners), ("status", statuses)):
        if chosen:
            keep = keep & pl.col(column).is_in(chosen)
    return frame.filter(keep)


DIRECTION_WORDS = {"rising": "▲ Rising", "stable": "► Stable", "falling": "▼ Falling"}


def risks_display(frame: pl.DataFrame) -> pl.DataFrame:
    """The risk register as people read it: reference, risk, workstreams, likelihood, severity, score, direction
    (arrow and word), owner role, status, mitigation."""
    return frame.select(
        pl.col("risk_id").alias("Ref"),
        pl.col("title").alias("Risk"),
        pl.col("workstreams").list.join(", ").alias("Workstreams"),
        pl.col("likelihood").cast(pl.Int32).alias("Likelihood (1–5)"),
        pl.col("severity").cast(pl.Int32).alias("Severity (1–5)"),
        pl.col("score").cast(pl.Int32).alias("Score (of 25)"),
        pl.col("direction").replace_strict(DIRECTION_WORDS).alias("Direction"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("status").str.to_titlecase().alias("Status"),
        pl.col("mitigation").alias("Mitigation"),
    )


def new_periods_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Value": fmt_value(r["value"], r["unit"], r["decimals"], r["status"] or ""),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={"Workstream": pl.String, "Indicator": pl.String, "Period": pl.String, "Value": pl.String},
    )


def revisions_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Was": fmt_value(r["before"], r["unit"], r["decimals"], r["before_status"] or ""),
                "Now": fmt_value(r["after"], r["unit"], r["decimals"], r["after_status"] or ""),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={k: pl.String for k in ("Workstream", "Indicator", "Period", "Was", "Now")},
    )


def ratings_display(frame: pl.DataFrame) -> pl.DataFrame:
    def word(what: str, code: str) -> str:
        if what == "RAG":
            return RAG_WORDS.get(code, code)
        if what == "Variation":
            return VARIATION_LABELS.get(code, code)
        return ASSURANCE_LABELS.get(code, code)

    return pl.DataFrame(
        [
            {
                "Workstream": workstream_label(r["workstream"]),
                "Indicator": r["title"],
                "What changed": r["what"],
                "Was": word(r["what"], r["before"]),
                "Now": word(r["what"], r["after"]),
            }
            for r in frame.iter_rows(named=True)
        ],
        schema={k: pl.String for k in ("Workstream", "Indicator", "What changed", "Was", "Now")},
    )


def action_changes_display(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("action_id").alias("Ref"),
        pl.col("workstream").map_elements(workstream_label, return_dtype=pl.String).alias("Workstream"),
        pl.col("title").alias("Action"),
        pl.col("owner_role").alias("Owner (role)"),
        pl.col("before").replace_strict(ACTION_STATUS_WORDS, default="New action").alias("Was"),
        pl.col("after").replace_strict(ACTION_STATUS_WORDS).alias("Now"),
    )


def risk_changes_display(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("risk_id").alias("Ref"),
        pl.col("title").alias("Risk"),
        pl.col("change").alias("Change"),
        pl.col("score").alias("Score now (likelihood × severity)"),
        pl.col("direction").str.to_titlecase().alias("Direction"),
    )


VS_BOROUGH = {"higher": "Significantly higher", "lower": "Significantly lower", "similar": "Similar"}


def _count_text(count, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if count is None else f"{count:,}"


def _rate_text(rate, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if rate is None else f"{rate:.1f}"


def _ci_text(lcl, ucl, status: str) -> str:
    if status == "c":
        return "c"
    return "x" if lcl is None else f"{lcl:.1f} to {ucl:.1f}"


def area_rates_display(frame: pl.DataFrame, *, towns: bool = False) -> pl.DataFrame:
    """Ward or town rates as people read them: rank, area, count (c where suppressed), population, rate per 1,000,
    95% interval and comparison with the borough."""
    rows = []
    for r in frame.iter_rows(named=True):
        status = r.get("count_status") or ""
        row = {"Rank (1 = highest rate)": "" if r["rank"] is None else str(r["rank"])}
        if towns:
            row |= {"Town": r["town"], "Wards": str(r["wards"])}
        else:
            row |= {"Ward": r["ward_name"], "Town": r["town"]}
        row |= {
            "Count": _count_text(r["count"], status),
            "Population of the phase": f"{r['population']:,}" if r["population"] is not None else "x",
            "Rate per 1,000": _rate_text(r["rate"], status),
            "95% interval": _ci_text(r["lcl"], r["ucl"], status),
            "Compared with the borough": VS_BOROUGH.get(r["vs_borough"], "c" if status == "c" else "x"),
        }
        if not towns:
            row["Deprivation decile"] = "" if r["imd_decile"] is None else str(r["imd_decile"])
        rows.append(row)
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]} if rows else None)


def deprivation_display(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Deprivation decile (1 = most deprived)": str(r["imd_decile"]),
                "Wards": str(r["wards"]),
                "Count": _count_text(r["count"], r.get("count_status") or ""),
                "Rate per 1,000": _rate_text(r["rate"], r.get("count_status") or ""),
                "95% interval": _ci_text(r["lcl"], r["ucl"], r.get("count_status") or ""),
            }
            for r in frame.drop_nulls("imd_decile").iter_rows(named=True)
        ]
    )


def trend_display(frame: pl.DataFrame, phase_labels: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "Month": r["period_end"].strftime("%b %Y"),
                "Phase": phase_labels.get(r["phase"], r["phase"]),
                "Count": _count_text(r["count"], r["count_status"]),
                "Rate per 1,000": _rate_text(r["rate"], r["count_status"]),
                "95% interval": _ci_text(r["lcl"], r["ucl"], r["count_status"]),
            }
            for r in frame.sort("phase", "period_end").iter_rows(named=True)
        ]
    )


def map_rows(rates: pl.DataFrame, wards_table: pl.DataFrame, *, shade: str) -> pl.DataFrame:
    """Ward rows for the map: geometry, the value that shades it and the tooltip's text (already disclosure-safe;
    the map gives each its title)."""
    texts = rates.select(
        "ward_code",
        "rate",
        "imd_decile",
        pl.struct("count", "count_status")
        .map_elements(lambda r: _count_text(r["count"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("count_text"),
        pl.struct("rate", "count_status")
        .map_elements(lambda r: _rate_text(r["rate"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("rate_text"),
        pl.struct("lcl", "ucl", "count_status")
        .map_elements(lambda r: _ci_text(r["lcl"], r["ucl"], r["count_status"] or ""), return_dtype=pl.String)
        .alias("ci_text"),
        pl.col("imd_decile").cast(pl.String).fill_null("x").alias("imd_text"),
    )
    out = wards_table.select("ward_code", "ward_name", "lon", "lat", "geometry").join(texts, on="ward_code")
    return out.with_columns(shade=pl.col("imd_decile").cast(pl.Float64) if shade == "imd" else pl.col("rate"))


SIG_WORDS = {"better": "Better than {}", "similar": "Similar to {}", "worse": "Worse than {}"}


def _arrow(delta) -> str:
    if delta is None:
        return "x"
    if abs(delta) < 0.5:
        return "► no change"
    return f"{'▲' if delta > 0 else '▼'} {points(delta, 0, 'percent')}"


def league_display(frame: pl.DataFrame, names: dict[str, str], *, against: str, unit: str = "Locality") -> pl.DataFrame:
    """The league table as people read it, best first: rank "9th of 10" (= for ties), % with its interval,
    comparison with the reference figure (`against`: the pooled system figure, or England), changes since last
    month and since the month a year earlier that the column names ("Since Jul 2024": the same month a year before,
    or the month used when that one has no figures; no column when no month does), list size and long waits; "x"
    where there was no return. `unit` heads the names column (locality, ICB, provider)."""
    from metrics.areas import ordinal

    year_end = frame["year_end"].drop_nulls()
    since_year = f"Since {year_end[0]:%b %Y}" if len(year_end) else None
    rows = []
    for r in frame.iter_rows(named=True):
        none = r["pct"] is None
        rows.append(
            {
                "Rank": "x" if none else ("=" if r["tied"] else "") + f"{ordinal(r['rank'])} of {r['m']}",
                unit: names.get(r["area_code"], r["area_code"]),
                "Under 18 weeks": "x" if none else f"{r['pct']:.0f}%",
                "95% interval": "x" if none else f"{r['lcl']:.0f}% to {r['ucl']:.0f}%",
                f"Compared with {against}": "x (no return)"
                if none
                else SIG_WORDS.get(r["vs_pooled"], "").format(against),
                "Since last month": _arrow(r["change_1m"]),
                **({since_year: _arrow(r["change_12m"])} if since_year else {}),
                "On the list": "x" if r["waiting_total"] is None else f"{r['waiting_total']:,}",
                "Over 52 weeks": "x" if r["waiting_over_52_weeks"] is None else f"{r['waiting_over_52_weeks']:,}",
                "Median wait (weeks)": "x" if r["median_wait_weeks"] is None else f"{r['median_wait_weeks']:.1f}",
            }
        )
    if rows and all(r["Median wait (weeks)"] == "x" for r in rows):
        rows = [{k: v for k, v in r.items() if k != "Median wait (weeks)"} for r in rows]  # not in the NHS files
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


def heat_cells(frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """Heat-table cells with names and the printed label ("34%" and "9th", or "x")."""
    from metrics.areas import ordinal
    from metrics.waits import SERVICE_NAMES

    rows = []
    for r in frame.iter_rows(named=True):
        label = "x" if r["pct"] is None else f"{r['pct']:.0f}%\n{'=' if r['tied'] else ''}{ordinal(r['rank'])}"
        rows.append(
            {
                "service_name": SERVICE_NAMES.get(r["service"], r["service"])
                .capitalize()
                .replace(" (camhs)", " (CAMHS)")
                + f", {r['period_end']:%b %Y}",
                "area_name": names.get(r["area_code"], r["area_code"]),
                "label": label,
                "quarter": r["quarter"],
                "tooltip": "no return" if r["pct"] is None else label.replace("\n", ", "),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "service_name": pl.String,
            "area_name": pl.String,
            "label": pl.String,
            "quarter": pl.Int8,
            "tooltip": pl.String,
        },
    )


def heat_display(cells: pl.DataFrame) -> pl.DataFrame:
    """The heat table's twin: services as rows, localities as columns, "34% (9th)" in each cell."""
    return (
        cells.with_columns(
            pl.col("label").str.replace("\n", " (")
            + pl.when(pl.col("label") == "x").then(pl.lit("")).otherwise(pl.lit(")"))
        )
        .pivot(on="area_name", index="service_name", values="label")
        .rename({"service_name": "Service"})
    )


def provider_display(frame: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """NHS England organisation rows: organisation, service, list size, % under 18 weeks, over 52 weeks."""
    from metrics.waits import SERVICE_NAMES

    rows = []
    for r in frame.iter_rows(named=True):
        under, total = r["waiting_under_18_weeks"], r["waiting_total"]
        pct = None if under is None or not total else 100 * under / total
        rows.append(
            {
                "Organisation": names.get(r["area_code"], r["area_code"]),
                "Service": SERVICE_NAMES.get(r["service"], r["service"]).capitalize(),
                "On the list": f"{r['waiting_total']:,}",
                # z: nobody waiting, so no share to give; x: not published
                "Under 18 weeks": ("z" if total == 0 else "x") if pct is None else f"{pct:.0f}%",
                "Over 52 weeks": "x" if r["waiting_over_52_weeks"] is None else f"{r['waiting_over_52_weeks']:,}",
            }
        )
    return pl.DataFrame(
        rows,
        schema={k: pl.String for k in ("Organisation", "Service", "On the list", "Under 18 weeks", "Over 52 weeks")},
    )


def trend_display_waits(
    trend: pl.DataFrame, area: str, pooled: str, names: dict[str, str] | None = None
) -> pl.DataFrame:
    """The area's waiting-time trend as a table: month, % under 18 weeks, the reference figure (`pooled` names it,
    e.g. the system's pooled figure or England), rank, list size, long waits; and, for an ICB whose providers had
    no figures some month (area_trend with providers), a caution naming them in those months."""
    from metrics.areas import ordinal

    gaps = "missing" in trend.columns and trend["missing"].list.len().sum() > 0
    names = names or {}
    rows = []
    for r in trend.iter_rows(named=True):
        row = {
            "Month": r["period_end"].strftime("%b %Y"),
            f"{area}: under 18 weeks": "x" if r["pct"] is None else f"{r['pct']:.0f}%",
            f"{pooled} figure": "x" if r["pooled_pct"] is None else f"{r['pooled_pct']:.0f}%",
            "Rank": "x" if r["rank"] is None else f"{ordinal(r['rank'])} of {r['m']}",
            "On the list": "x" if r["total"] is None else f"{r['total']:,}",
            "Over 52 weeks": "x" if r["over_52"] is None else f"{r['over_52']:,}",
        }
        if gaps:
            missing = [names.get(c, c) for c in r["missing"]]
            row["Caution"] = f"Leaves out {', '.join(missing)} (no figures that month)" if missing else ""
        rows.append(row)
    return pl.DataFrame(rows)


def benchmark_display(frame: pl.DataFrame, setup, *, region_only: bool = False) -> pl.DataFrame:
    """The benchmark table as people read it: the area's value as published with its counts, comparators (England,
    the area's region and system, its statistical neighbours' average; a column only for a comparator the area has;
    the system's and neighbours' figures say how many authorities they use when some are left out), ranks "=Nth of
    M" among the system's authorities, among the area and its neighbours, and in England with the quartile — or, in
    the region-only view (`region_only`), among the region's authorities — and a note (the publisher's percentage
    against its counts, a small-number caution). METHODS §8."""
    from metrics.areas import ordinal
    from metrics.kpi import SMALL_DENOMINATOR

    small_words = f"fewer than {SMALL_DENOMINATOR} cases"

    def rank(r, key):
        if r["unit"] == "count":
            return "Not ranked (a count)"
        if r["small_number"]:
            return f"Not ranked: {small_words}"
        if r[f"{key}_rank"] is None:
            return "Needs the full DfE release" if key == "england" else "x"
        word = ("=" if r[f"{key}_tied"] else "") + f"{ordinal(r[f'{key}_rank'])} of {r[f'{key}_of']}"
        return word + (" (highest first)" if r["polarity"] == "neutral" else "")

    def quartile(r):
        if r["quartile"]:
            return r["quartile"]
        if r["polarity"] == "neutral":
            return "Not applicable"
        return f"Not given: {small_words}" if r["small_number"] else "Needs the full DfE release"

    def counts(r):
        if r["unit"] == "count" or r["numerator"] is None or r["denominator"] is None:
            return ""
        return f"{r['numerator']:,.0f} of {r['denominator']:,.0f}"

    def note(r):
        parts = []
        if r["small_number"]:
            parts.append(f"Small number: {counts(r)}, {small_words}; shown without rank or quartile.")
        if r["note"]:
            parts.append(r["note"])
        return " ".join(parts)

    rows = []
    for r in frame.iter_rows(named=True):

        def v(x, _r=r):
            return fmt_value(x, _r["unit"], _r["decimals"]) if x is not None else "x"

        def group(key, _r=r):
            if _r[key] is None:
                return "Not applicable" if _r["unit"] == "count" and key == "neighbours" else "x"
            used, of = _r[f"{key}_used"], _r[f"{key}_count"]
            return v(_r[key]) + (f" ({used} of {of} authorities)" if used < of else "")

        rows.append(
            {
                "Indicator": r["title"],
                "Period": r["period_label"],
                "Area": v(r["value"]),
                "Counts": counts(r),
                "England": v(r["england"]),
                **({setup.region_name: v(r["region"])} if setup.region_name else {}),
                **({setup.system_short: group("system")} if setup.system else {}),
                **({"Statistical neighbours (average)": group("neighbours")} if setup.neighbours else {}),
                **({f"Rank in {setup.system_short}": rank(r, "system")} if setup.system else {}),
                **({"Rank among neighbours": rank(r, "neighbours")} if setup.neighbours else {}),
                **(
                    {f"Rank in {setup.region_phrase}": rank(r, "region")}
                    if region_only
                    else {"Rank in England": rank(r, "england"), "Quartile (A = best)": quartile(r)}
                ),
                "Note": note(r),
            }
        )
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


def neighbour_display(frame: pl.DataFrame, setup, row: dict) -> pl.DataFrame:
    """The area and each of its statistical neighbours on one indicator (metrics.benchmarks.neighbour_table), as
    people read it: the authority, how close a neighbour DfE's file says it is, the figure as published (its symbol
    where there is none) and its rank among them ("=2nd of 11"; counts and small numbers are not ranked)."""
    from metrics.areas import ordinal

    rows = []
    for r in frame.iter_rows(named=True):
        if r["rank"] is None or row["unit"] == "count":
            rank = "Not ranked (a count)" if row["unit"] == "count" else "Not ranked"
        else:
            rank = ("=" if r["tied"] else "") + f"{ordinal(r['rank'])} of {r['of']}"
            rank += " (highest first)" if row["polarity"] == "neutral" else ""
        rows.append(
            {
                "Local authority": setup.name(r["area_code"]),
                "Statistical neighbour": "The area itself"
                if r["area_code"] == setup.la_code
                else setup.closeness.get(r["area_code"], "") or "Yes",
                row["period_label"] or "Value": fmt_value(r["value"], row["unit"], row["decimals"], r["status"]),
                "Rank among them": rank,
            }
        )
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}) if rows else pl.DataFrame()


FORMULA_START = r"^[=+\-@\t\r]"


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
    prefixed with an apostrophe, so a CSV opened in Excel shows them as text (OWASP, "CSV injection"). Numbers stay
    numbers."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def stamped_csv(frame: pl.DataFrame, *, as_at: date, demo: bool, source: str) -> bytes:
    """CSV with the as-at date and source stamped on every row, so a file read on its own still says where it's from;
    every text cell is formula-safe."""
    stamped = frame.with_columns(
        pl.lit(as_at.isoformat()).alias("data_as_at"),
        pl.lit(source).alias("source"),
        pl.lit("Demonstration data" if demo else "").alias("data_status"),
    )
    return formula_safe(stamped).write_csv().encode()
