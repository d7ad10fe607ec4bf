"""Snapshot diff (METHODS §3) on tiny hand-made tables."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics import diff
from metrics.schema import TABLES


def values(rows):
    return pl.DataFrame(
        [
            {
                "kpi_id": k,
                "period_start": d.replace(day=1),
                "period_end": d,
                "period_label": d.strftime("%b %Y"),
                "area_code": "A",
                "phase": "all",
                "value": v,
                "numerator": None,
                "denominator": None,
                "status": s,
                "note": "",
            }
            for k, d, v, s in rows
        ],
        schema=TABLES["kpi_values"].columns,
    ).lazy()


CAT = pl.DataFrame(
    {
        "kpi_id": ["p", "c"],
        "title": ["Percent", "Count"],
        "unit": ["percent", "count"],
        "decimals": [0, 0],
        "theme": [1, 1],
        "workstream": ["PIP1", "PIP1"],
    },
    schema={
        "kpi_id": pl.String,
        "title": pl.String,
        "unit": pl.String,
        "decimals": pl.Int8,
        "theme": pl.Int8,
        "workstream": pl.String,
    },
).lazy()
JUL, AUG, SEP = date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30)


def test_new_periods_and_revisions():
    before = values([("p", JUL, 50.0, ""), ("p", AUG, 60.0, ""), ("c", JUL, 10.0, ""), ("c", AUG, 12.0, "")])
    after = values(
        [
            ("p", JUL, 50.4, ""),  # |Δ| = 0.4 < 0.5 (half of a whole percent): not a revision
            ("p", AUG, 61.0, ""),  # |Δ| = 1: revised 60 → 61
            ("p", SEP, 62.0, ""),  # new period
            ("c", JUL, None, "c"),  # a value that became suppressed: revised
            ("c", AUG, 12.0, ""),
        ]
    )
    new = diff.new_periods(CAT, after, before, area_code="A").collect()
    assert new.select("kpi_id", "period_end").rows() == [("p", SEP)]
    rev = diff.revisions(CAT, after, before, area_code="A").collect().sort("kpi_id", "period_end")
    assert rev.select("kpi_id", "period_end", "before", "after", "after_status").rows() == [
        ("c", JUL, 10.0, None, "c"),
        ("p", AUG, 60.0, 61.0, ""),
    ]


def test_rating_changes_and_direction():
    base = {
        "theme": [1, 1],
        "workstream": ["PIP1", "PIP1"],
        "kpi_id": ["p", "c"],
        "title": ["P", "C"],
        "polarity": ["higher_is_better", "neutral"],
    }
    a = pl.DataFrame(
        {
            **base,
            "rag": ["Green", "Grey"],
            "variation": ["improvement_high", "common_cause"],
            "assurance": ["pass", "none"],
        }
    ).lazy()
    b = pl.DataFrame(
        {**base, "rag": ["Amber", "Grey"], "variation": ["common_cause", "common_cause"], "assurance": ["pass", "none"]}
    ).lazy()
    got = diff.rating_changes(a, b).collect()
    assert got.select("kpi_id", "what", "before", "after").rows() == [
        ("p", "RAG", "Amber", "Green"),
        ("p", "Variation", "common_cause", "improvement_high"),
    ]
    assert diff.rag_direction("Amber", "Green") == "better"
    assert diff.rag_direction("Green", "Red") == "worse"
    assert diff.rag_direction("Grey", "Red") == "other"


def _risks(rows):
    return pl.DataFrame(
        [{"risk_id": r, "title": r, "score": s, "direction": d, "status": st} for r, s, d, st in rows]
    ).lazy()


def test_risk_changes():
    before = _risks(
        [
            ("R1", 16, "rising", "open"),
            ("R2", 9, "stable", "open"),
            ("R3", 6, "stable", "open"),
            ("R4", 4, "stable", "open"),
        ]
    )
    after = _risks(
        [
            ("R1", 16, "stable", "open"),
            ("R2", 6, "falling", "open"),
            ("R3", 6, "stable", "closed"),
            ("R4", 4, "stable", "open"),
            ("R5", 12, "rising", "open"),
        ]
    )
    got = diff.risk_changes(after, before).collect()
    assert got.select("risk_id", "change").rows() == [
        ("R1", "Direction rising → stable"),
        ("R2", "Score 9 → 6"),
        ("R3", "Closed"),
        ("R5", "New risk"),
    ]


def test_action_changes():
    cols = {"workstream": "PIP1", "title": "t", "owner_role": "lead", "due_date": date(2025, 9, 30)}
    before = pl.DataFrame(
        [{"action_id": "A1", "status": "at_risk", **cols}, {"action_id": "A2", "status": "on_track", **cols}]
    ).lazy()
    after = pl.DataFrame(
        [
            {"action_id": "A1", "status": "complete", **cols},
            {"action_id": "A2", "status": "on_track", **cols},
            {"action_id": "A3", "status": "not_started", **cols},
        ]
    ).lazy()
    got = diff.action_changes(after, before).collect()
    assert got.select("action_id", "before", "after").rows() == [
        ("A1", "at_risk", "complete"),
        ("A3", None, "not_started"),
    ]


def test_plain_summary_counts():
    new = pl.DataFrame({"kpi_id": ["a", "a", "b"]})
    ratings = pl.DataFrame(
        {
            "kpi_id": ["a", "b", "b"],
            "what": ["RAG", "RAG", "Variation"],
            "before": ["Red", "Green", "x"],
            "after": ["Amber", "Amber", "y"],
        }
    )
    text = diff.plain_summary(
        compare_label="30 September 2025",
        new=new,
        revised=pl.DataFrame({"k": [1]}),
        ratings=ratings,
        risks=pl.DataFrame(),
        actions=pl.DataFrame({"a": [1, 2]}),
    )
    assert text.startswith("Since the snapshot of 30 September 2025, 2 indicators have new data (3 new periods)")
    assert "1 earlier value was revised" in text
    assert "2 RAG ratings changed (1 better, 1 worse)" in text
    assert "1 indicator changed SPC icon" in text and "2 actions" in text and "and no risks changed" in text


def test_plain_summary_says_no_rather_than_zero():
    empty = pl.DataFrame(
        {"kpi_id": [], "what": [], "before": [], "after": []},
        schema={c: pl.String for c in ("kpi_id", "what", "before", "after")},
    )
    text = diff.plain_summary(
        compare_label="30 September 2025",
        new=pl.DataFrame({"kpi_id": []}, schema={"kpi_id": pl.String}),
        revised=pl.DataFrame(),
        ratings=empty,
        risks=pl.DataFrame(),
        actions=pl.DataFrame(),
    )
    assert text == (
        "Since the snapshot of 30 September 2025, no indicator has new data; no earlier values were revised; no RAG "
        "rating changed; no indicator changed SPC icon. On the plan, no action changed status or was added, and no "
        "risks changed on the register."
    )


def test_between_uses_the_icons_it_is_given_and_they_match_its_own(demo_root):
    """The pack passes the icons it already worked out for its Summary; the comparison must be the same as when
    `between` works them out itself, and the given ones must be the ones used (else the saving is not real)."""
    from metrics import series
    from metrics.snapshot import open_snapshot, scan_table

    a, b = (open_snapshot(demo_root / d, key=None) for d in ("2025-10-31", "2025-09-30"))
    icons = series.all_icons(
        scan_table(a, "kpi_catalogue").collect(), scan_table(a, "kpi_values"), area_code=a.la_code, phase="all"
    )
    own, given = diff.between(a, b), diff.between(a, b, icons_of_a=icons)
    for name in own:
        assert own[name].equals(given[name]), name
    # every indicator said to have no special cause: the rating changes now differ wherever b's had one
    flat = icons.with_columns(variation=pl.lit("none"), assurance=pl.lit("none"))
    assert not diff.between(a, b, icons_of_a=flat)["ratings"].equals(own["ratings"])
