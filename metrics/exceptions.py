"""What needs the board's attention first: the indicators that are Red, show a special-cause concern, will
consistently fail their target, or changed RAG since the last board — each with its reasons, worst first. The
Summary page opens with them, the board pack's first page says them in sentences, and the slides carry them.
Pure Polars and Python on frames already worked out (kpi.summary with icons; diff.rating_changes)."""

from __future__ import annotations

import polars as pl

from metrics.diff import rag_direction
from metrics.formatting import fmt_target, fmt_value

CONCERNS = ("concern_high", "concern_low")


def exceptions(summary: pl.DataFrame, ratings: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per indicator needing attention, from the Summary frame (with `variation` and `assurance`) and the
    rating changes since the compare snapshot (diff.rating_changes; None without one). Flags `red`, `concern`,
    `fails`, and `rag_before` (the RAG at the compare snapshot, where it changed); ordered Red first, then
    concerns, consistent fails, RAG changes, each in the Summary's order. Grain: kpi_id."""
    changed = (
        ratings.filter(pl.col("what") == "RAG").select("kpi_id", rag_before=pl.col("before"))
        if ratings is not None and ratings.height
        else pl.DataFrame(schema={"kpi_id": pl.String, "rag_before": pl.String})
    )
    order = summary.with_row_index("_order")
    flagged = order.join(changed, on="kpi_id", how="left").with_columns(
        red=pl.col("rag") == "Red",
        concern=pl.col("variation").is_in(CONCERNS).fill_null(False),
        fails=(pl.col("assurance") == "fail").fill_null(False),
        changed=pl.col("rag_before").is_not_null(),
    )
    keep = pl.col("red") | pl.col("concern") | pl.col("fails") | pl.col("changed")
    rank = pl.when(pl.col("red")).then(0).when(pl.col("concern")).then(1).when(pl.col("fails")).then(2).otherwise(3)
    return flagged.filter(keep).with_columns(_rank=rank).sort("_rank", "_order").drop("_rank", "_order")


def reasons(row: dict, compare_label: str | None = None, *, short: bool = False) -> list[str]:
    """Why one exception needs attention, in words, most serious first (`short`: as a table cell reads them)."""
    out = []
    if row["red"]:
        target = fmt_target(row["target"], row["unit"], row["decimals"], row["target_date"])
        out.append(f"Red (target {target})" if short else f"Red against its target of {target}")
    if row["concern"]:
        way = "higher" if row["variation"] == "concern_high" else "lower"
        out.append(
            f"special-cause concern: unusually {way} (SPC)"
            if short
            else f"a special-cause concern: the latest point is unusually {way} (SPC)"
        )
    if row["fails"]:
        out.append(
            "will fail its target without a change (SPC)"
            if short
            else "will not meet its target without a change: the target lies outside the process limits (SPC)"
        )
    if row["changed"]:
        before, after = row["rag_before"], row["rag"]
        words = {"Grey": "no rating"}
        since = f" since {compare_label}" if compare_label else ""
        way = rag_direction(before, after)
        change = f"RAG {words.get(before, before)} → {words.get(after, after)}{since}"
        out.append(change + (f" ({way})" if way in ("better", "worse") else ""))
    return out


def sentence(row: dict, compare_label: str | None = None) -> str:
    """One exception as a sentence: the indicator, its latest figure and period, and every reason."""
    latest = fmt_value(row["value"], row["unit"], row["decimals"], row["status"] or "")
    period = f" in {row['period_label']}" if row["period_label"] else ""
    why = reasons(row, compare_label)
    return f"{row['title']}: {latest}{period} — {'; '.join(why)}."


def key_messages(summary: pl.DataFrame, ratings: pl.DataFrame | None, compare_label: str | None) -> list[str]:
    """The exceptions in sentences, worst first, opened by a count (the pack's and slides' first page)."""
    found = exceptions(summary, ratings)
    n = {k: int(found[k].sum()) for k in ("red", "concern", "fails", "changed")}
    if not compare_label:
        n["changed"] = 0
    total = summary.height
    head = (
        f"{found.height} of {total} indicators need the board's attention: {n['red']} Red, {n['concern']} with a "
        f"special-cause concern, {n['fails']} that will consistently fail their target"
        + (f", {n['changed']} whose RAG changed since {compare_label}" if compare_label else "")
        # the groups add up to more than the indicators when one is in two: said, so nobody adds them up
        + (" (an indicator can be in more than one of these)" if sum(n.values()) > found.height else "")
        + "."
        if found.height
        else f"None of the {total} indicators is Red, in special-cause concern or failing its target"
        + (", and no RAG changed since " + compare_label if compare_label else "")
        + "."
    )
    return [head, *[sentence(r, compare_label) for r in found.iter_rows(named=True)]]
