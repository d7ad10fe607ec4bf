"""What changed between two snapshots (METHODS §3): new periods, revised values, RAG and SPC icon changes, risks
and actions. Pure functions of the two snapshots' tables; snapshot A is this board's, B the previous board's."""

from __future__ import annotations

import polars as pl

from metrics import kpi, series
from metrics.kpi import followed, half_unit
from metrics.snapshot import Snapshot, scan_table

KEY = ["kpi_id", "period_end", "area_code", "phase"]


def _area(values: pl.LazyFrame, area_code: str, phase: str) -> pl.LazyFrame:
    return values.filter((pl.col("area_code") == area_code) & (pl.col("phase") == phase))


def new_periods(
    catalogue: pl.LazyFrame, values_a: pl.LazyFrame, values_b: pl.LazyFrame, *, area_code: str, phase: str = "all"
) -> pl.LazyFrame:
    """Periods of the area's indicators (those the board follows) present in A and absent from B; grain: indicator ×
    period."""
    catalogue = followed(catalogue)
    a, b = _area(values_a, area_code, phase), _area(values_b, area_code, phase)
    return (
        a.join(b.select(KEY), on=KEY, how="anti")
        .join(catalogue.select("kpi_id", "title", "unit", "decimals", "theme", "workstream"), on="kpi_id")
        .select(
            "theme",
            "workstream",
            "kpi_id",
            "title",
            "period_end",
            "period_label",
            "value",
            "status",
            "unit",
            "decimals",
        )
        .sort("theme", "workstream", "kpi_id", "period_end")
    )


def revisions(
    catalogue: pl.LazyFrame, values_a: pl.LazyFrame, values_b: pl.LazyFrame, *, area_code: str, phase: str = "all"
) -> pl.LazyFrame:
    """Values of the same period that differ by at least half a display unit, or gained or lost a value (e.g. a
    suppressed cell); grain: indicator × period. Columns `before` and `after`. Only the indicators the board follows."""
    catalogue = followed(catalogue)
    a, b = _area(values_a, area_code, phase), _area(values_b, area_code, phase)
    both = a.join(b.select(*KEY, before=pl.col("value"), before_status=pl.col("status")), on=KEY, how="inner").join(
        catalogue.select("kpi_id", "title", "unit", "decimals", "theme", "workstream"), on="kpi_id"
    )
    changed = ((pl.col("value") - pl.col("before")).abs() >= half_unit(pl.col("decimals"))) | (
        pl.col("value").is_null() != pl.col("before").is_null()
    )
    return (
        both.filter(changed)
        .select(
            "theme",
            "workstream",
            "kpi_id",
            "title",
            "period_end",
            "period_label",
            "before",
            "before_status",
            after=pl.col("value"),
            after_status=pl.col("status"),
            unit=pl.col("unit"),
            decimals=pl.col("decimals"),
        )
        .sort("theme", "workstream", "kpi_id", "period_end")
    )


def rating_changes(summary_a: pl.LazyFrame, summary_b: pl.LazyFrame) -> pl.LazyFrame:
    """RAG, SPC variation and assurance of each indicator in A against B, where they differ; grain: indicator ×
    measure ("RAG", "Variation", "Assurance"). Inputs are summaries with rag, variation and assurance columns."""
    cols = {"rag": "RAG", "variation": "Variation", "assurance": "Assurance"}
    a = summary_a.select("theme", "workstream", "kpi_id", "title", "polarity", *cols)
    b = summary_b.select("kpi_id", *[pl.col(c).alias(f"{c}_b") for c in cols])
    joined = a.join(b, on="kpi_id", how="inner")
    parts = [
        joined.filter(pl.col(c) != pl.col(f"{c}_b")).select(
            "theme",
            "workstream",
            "kpi_id",
            "title",
            "polarity",
            what=pl.lit(word),
            before=pl.col(f"{c}_b"),
            after=pl.col(c),
        )
        for c, word in cols.items()
    ]
    return pl.concat(parts).sort("theme", "workstream", "kpi_id", "what")


RAG_ORDER = {"Red": 0, "Amber": 1, "Green": 2}


def rag_direction(before: str, after: str) -> str:
    """'better', 'worse' or 'other' (to or from Grey) for a RAG change."""
    if before in RAG_ORDER and after in RAG_ORDER:
        return "better" if RAG_ORDER[after] > RAG_ORDER[before] else "worse"
    return "other"


def risk_changes(risks_a: pl.LazyFrame, risks_b: pl.LazyFrame) -> pl.LazyFrame:
    """Risks new in A, closed since B, or with a changed score or direction; grain: risk. Column `change`."""
    a = risks_a.select("risk_id", "title", "score", "direction", "status")
    b = risks_b.select("risk_id", score_b=pl.col("score"), direction_b=pl.col("direction"), status_b=pl.col("status"))
    j = a.join(b, on="risk_id", how="full", coalesce=True)
    titles_b = risks_b.select("risk_id", title_b=pl.col("title"))
    j = j.join(titles_b, on="risk_id", how="left").with_columns(pl.col("title").fill_null(pl.col("title_b")))
    change = (
        pl.when(pl.col("status_b").is_null())
        .then(pl.lit("New risk"))
        .when(pl.col("status").is_null() | ((pl.col("status") == "closed") & (pl.col("status_b") == "open")))
        .then(pl.lit("Closed"))
        .when(pl.col("score") != pl.col("score_b"))
        .then(pl.format("Score {} → {}", pl.col("score_b"), pl.col("score")))
        .when(pl.col("direction") != pl.col("direction_b"))
        .then(pl.format("Direction {} → {}", pl.col("direction_b"), pl.col("direction")))
    )
    return (
        j.with_columns(change=change)
        .filter(pl.col("change").is_not_null())
        .select("risk_id", "title", "change", "score", "direction", "status")
        .sort("risk_id")
    )


def action_changes(actions_a: pl.LazyFrame, actions_b: pl.LazyFrame) -> pl.LazyFrame:
    """Actions new in A or whose status changed since B; grain: action. Columns `before`, `after`."""
    b = actions_b.select("action_id", before=pl.col("status"))
    return (
        actions_a.join(b, on="action_id", how="left")
        .filter(pl.col("before").is_null() | (pl.col("before") != pl.col("status")))
        .select("action_id", "workstream", "title", "owner_role", "due_date", "before", after=pl.col("status"))
        .sort("action_id")
    )


def plain_summary(
    *,
    compare_label: str,
    new: pl.DataFrame,
    revised: pl.DataFrame,
    ratings: pl.DataFrame,
    risks: pl.DataFrame,
    actions: pl.DataFrame,
) -> str:
    """One paragraph in plain English from the counts of each kind of change."""

    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one}" if count == 1 else f"{count or 'no'} {many}"

    indicators = new["kpi_id"].n_unique() if new.height else 0
    rag = ratings.filter(pl.col("what") == "RAG")
    better = sum(rag_direction(b, a) == "better" for b, a in zip(rag["before"], rag["after"], strict=True))
    worse = sum(rag_direction(b, a) == "worse" for b, a in zip(rag["before"], rag["after"], strict=True))
    icons = ratings.filter(pl.col("what") != "RAG")["kpi_id"].n_unique() if ratings.height else 0
    parts = [
        f"Since the snapshot of {compare_label}, "
        + (
            f"{n(indicators, 'indicator has', 'indicators have')} new data ({n(new.height, 'new period', 'new periods')})"
            if indicators
            else "no indicator has new data"
        ),
        f"{n(revised.height, 'earlier value was', 'earlier values were')} revised",
    ]
    if rag.height:
        detail = ", ".join(x for x in (f"{better} better" if better else "", f"{worse} worse" if worse else "") if x)
        parts.append(
            f"{n(rag.height, 'RAG rating changed', 'RAG ratings changed')}" + (f" ({detail})" if detail else "")
        )
    else:
        parts.append("no RAG rating changed")
    parts.append(f"{'no indicator' if icons == 0 else n(icons, 'indicator', 'indicators')} changed SPC icon")
    text = "; ".join(parts) + ". "
    moved = {0: "no action changed status or was added", 1: "1 action changed status or was added"}.get(
        actions.height, f"{actions.height} actions changed status or were added"
    )
    text += f"On the plan, {moved}, and {n(risks.height, 'risk', 'risks')} changed on the register."
    return text


def between(
    a: Snapshot, b: Snapshot, phase: str = "all", *, icons_of_a: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """What changed from snapshot `b` to `a`, as frames keyed new, revised, ratings, risks and actions: the one
    comparison the Since last board page, the Update data page's preview (of a snapshot not yet written), the PDF and
    the slides all show. `icons_of_a`: `a`'s SPC icons (metrics.series.all_icons) when the caller has them already
    (the pack works them out for its own Summary; the series of every indicator take about half a second)."""

    def t(snap: Snapshot, name: str) -> pl.LazyFrame:
        return scan_table(snap, name)

    def rated(snap: Snapshot, known: pl.DataFrame | None = None) -> pl.LazyFrame:
        s = kpi.summary(t(snap, "kpi_catalogue"), t(snap, "kpi_values"), None, area_code=snap.la_code, phase=phase)
        icons_ = known
        if icons_ is None:
            icons_ = series.all_icons(
                t(snap, "kpi_catalogue").collect(), t(snap, "kpi_values"), area_code=snap.la_code, phase=phase
            )
        return s.join(icons_.lazy(), on="kpi_id", how="left")

    cat = t(a, "kpi_catalogue")
    return {
        "new": new_periods(cat, t(a, "kpi_values"), t(b, "kpi_values"), area_code=a.la_code, phase=phase).collect(),
        "revised": revisions(cat, t(a, "kpi_values"), t(b, "kpi_values"), area_code=a.la_code, phase=phase).collect(),
        "ratings": rating_changes(rated(a, icons_of_a), rated(b)).collect(),
        "risks": risk_changes(t(a, "risks"), t(b, "risks")).collect(),
        "actions": action_changes(t(a, "actions"), t(b, "actions")).collect(),
    }
