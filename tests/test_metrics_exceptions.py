"""The exceptions the Summary, the pack's key messages and the slides open with (metrics.exceptions), on a small
hand-made Summary frame whose every flag is known."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.exceptions import exceptions, key_messages, sentence


def summary() -> pl.DataFrame:
    rows = [
        # kpi_id, title, value, rag, variation, assurance, target
        ("a", "Plans within 20 weeks", 91.0, "Green", "common_cause", "hit_and_miss", 90.0),
        ("b", "Waiting under 18 weeks", 34.0, "Red", "improvement_high", "fail", 80.0),
        ("c", "Plans audited inadequate", 6.0, "Green", "concern_high", "pass", 10.0),
        ("d", "Attendance", 92.0, "Amber", "common_cause", "fail", 95.0),
        ("e", "Requests", 15.8, "Grey", "neutral_high", "none", None),
        ("f", "Local Offer useful", 66.0, "Green", "none", "none", 65.0),
    ]
    return pl.DataFrame(
        [
            {
                "kpi_id": k,
                "title": t,
                "value": v,
                "rag": r,
                "variation": var,
                "assurance": a,
                "target": tg,
                "target_date": date(2026, 3, 31) if tg is not None else None,
                "unit": "percent",
                "decimals": 0,
                "status": "",
                "period_label": "Jul 2025",
            }
            for k, t, v, r, var, a, tg in rows
        ]
    )


def ratings() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kpi_id": ["f", "b", "a"],
            "what": ["RAG", "RAG", "Variation"],
            "before": ["Red", "Amber", "concern_low"],
            "after": ["Green", "Red", "common_cause"],
        }
    )


def test_every_kind_of_exception_is_found_worst_first():
    found = exceptions(summary(), ratings())
    # b is Red (and worse since the last board); c a special-cause concern; d fails consistently; f changed RAG.
    # a (only its variation changed) and e (neutral, no target) need nothing.
    assert found["kpi_id"].to_list() == ["b", "c", "d", "f"]
    assert found.select("red", "concern", "fails", "changed").rows() == [
        (True, False, True, True),
        (False, True, False, False),
        (False, False, True, False),
        (False, False, False, True),
    ]


def test_without_a_compare_snapshot_no_rag_change_is_claimed():
    assert exceptions(summary(), None)["kpi_id"].to_list() == ["b", "c", "d"]


def test_each_exception_reads_as_a_sentence_with_every_reason():
    rows = {r["kpi_id"]: r for r in exceptions(summary(), ratings()).iter_rows(named=True)}
    assert sentence(rows["b"], "30 September 2025") == (
        "Waiting under 18 weeks: 34% in Jul 2025 — Red against its target of 80% by Mar 2026; will not meet its "
        "target without a change: the target lies outside the process limits (SPC); RAG Amber → Red since 30 "
        "September 2025 (worse)."
    )
    assert sentence(rows["c"]) == (
        "Plans audited inadequate: 6% in Jul 2025 — a special-cause concern: the latest point is unusually higher "
        "(SPC)."
    )
    assert sentence(rows["f"], "30 September 2025").endswith("RAG Red → Green since 30 September 2025 (better).")


def test_key_messages_open_with_the_count():
    messages = key_messages(summary(), ratings(), "30 September 2025")
    assert messages[0] == (
        "4 of 6 indicators need the board's attention: 1 Red, 1 with a special-cause concern, 2 that will "
        "consistently fail their target, 2 whose RAG changed since 30 September 2025 (an indicator can be in more "
        "than one of these)."
    )
    assert len(messages) == 5
    # where each indicator is in one group only, the groups add up to the indicators: nothing to warn of
    apart = key_messages(summary().filter(pl.col("kpi_id").is_in(["c", "d"])), None, None)[0]
    assert apart == (
        "2 of 2 indicators need the board's attention: 0 Red, 1 with a special-cause concern, 1 that will "
        "consistently fail their target."
    )
    calm = summary().filter(pl.col("kpi_id").is_in(["a", "e"]))
    assert key_messages(calm, None, None) == [
        "None of the 2 indicators is Red, in special-cause concern or failing its target."
    ]
