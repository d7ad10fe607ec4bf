"""Summary metrics: RAG, trend arrows, latest values, phase fallback, change since a compare snapshot."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import kpi
from metrics.formatting import fmt_change, fmt_value


@pytest.mark.parametrize(
    ("value", "target", "polarity", "decimals", "expected"),
    [
        # higher is better, target 90: tolerance is 5% of 90 = 4.5, so amber down to 85.5
        (90.0, 90.0, "higher_is_better", 0, "Green"),
        (89.6, 90.0, "higher_is_better", 0, "Green"),  # shown as 90%: meets the target as displayed
        (89.4, 90.0, "higher_is_better", 0, "Amber"),  # shown as 89%
        (85.5, 90.0, "higher_is_better", 1, "Amber"),  # exactly 90 − 4.5
        (85.4, 90.0, "higher_is_better", 1, "Red"),
        # lower is better, target 10: amber up to 10.5
        (10.0, 10.0, "lower_is_better", 1, "Green"),
        (10.5, 10.0, "lower_is_better", 1, "Amber"),
        (10.6, 10.0, "lower_is_better", 1, "Red"),
        (33.8, 10.0, "lower_is_better", 0, "Red"),
        # no target, no value, neutral
        (50.0, None, "higher_is_better", 0, "Grey"),
        (None, 90.0, "higher_is_better", 0, "Grey"),
        (14.4, 14.0, "neutral", 1, "Grey"),
    ],
)
def test_rag(value, target, polarity, decimals, expected):
    frame = pl.DataFrame(
        {"v": [value], "t": [target], "p": [polarity], "d": [decimals]},
        schema={"v": pl.Float64, "t": pl.Float64, "p": pl.String, "d": pl.Int8},
    )
    got = frame.select(kpi.rag_expr(pl.col("v"), pl.col("t"), pl.col("p"), pl.col("d")).alias("rag"))["rag"][0]
    assert got == expected


@pytest.mark.parametrize(
    ("value", "previous", "polarity", "decimals", "expected"),
    [
        (34.0, 31.0, "higher_is_better", 0, "▲ Improving"),
        (31.0, 34.0, "higher_is_better", 0, "▼ Worsening"),
        (19.0, 21.0, "lower_is_better", 0, "▼ Improving"),
        (21.0, 19.0, "lower_is_better", 0, "▲ Worsening"),
        (70.0, 69.0, "neutral", 0, "▲ Up"),
        (91.6, 91.58, "higher_is_better", 1, "► No change"),  # |Δ| = 0.02 < half of 0.1
        (91.6, 91.55, "higher_is_better", 1, "▲ Improving"),  # |Δ| = 0.05 is not below 0.05
        (91.6, None, "higher_is_better", 1, None),
    ],
)
def test_trend(value, previous, polarity, decimals, expected):
    frame = pl.DataFrame(
        {"v": [value], "prev": [previous], "p": [polarity], "d": [decimals]},
        schema={"v": pl.Float64, "prev": pl.Float64, "p": pl.String, "d": pl.Int8},
    )
    got = frame.select(kpi.trend_expr(pl.col("v"), pl.col("prev"), pl.col("p"), pl.col("d")).alias("t"))["t"][0]
    assert got == expected


def _values(rows):
    return pl.DataFrame(
        [
            {
                "kpi_id": k,
                "period_start": d.replace(day=1),
                "period_end": d,
                "period_label": d.strftime("%b %Y"),
                "area_code": a,
                "phase": ph,
                "value": v,
                "numerator": None,
                "denominator": None,
                "status": "",
                "note": "",
            }
            for k, d, a, ph, v in rows
        ],
        schema={
            "kpi_id": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "period_label": pl.String,
            "area_code": pl.String,
            "phase": pl.String,
            "value": pl.Float64,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "status": pl.String,
            "note": pl.String,
        },
    )


def test_latest_values_takes_latest_period_whatever_the_row_order():
    v = _values(
        [
            ("a", date(2025, 3, 31), "X", "all", 3.0),
            ("a", date(2025, 1, 31), "X", "all", 1.0),
            ("a", date(2025, 2, 28), "X", "all", 2.0),
        ]
    )
    got = kpi.latest_values(v.lazy()).collect()
    assert got["value"].to_list() == [3.0]
    assert got["previous_value"].to_list() == [2.0]
    assert got["period_label"].to_list() == ["Mar 2025"]
    assert got["spark"].to_list() == [[1.0, 2.0, 3.0]]


def test_phase_fallback_marks_indicators_without_that_phase():
    v = _values(
        [
            ("a", date(2025, 1, 31), "X", "all", 10.0),
            ("a", date(2025, 1, 31), "X", "primary", 4.0),
            ("b", date(2025, 1, 31), "X", "all", 7.0),
            ("b", date(2025, 1, 31), "Y", "primary", 99.0),
        ]
    )
    got = kpi.for_area_phase(v.lazy(), "X", "primary").collect().sort("kpi_id")
    expected = pl.DataFrame({"kpi_id": ["a", "b"], "value": [4.0, 7.0], "phase_fallback": [False, True]})
    assert_frame_equal(got.select("kpi_id", "value", "phase_fallback"), expected)


def _catalogue(ids):
    from metrics.schema import TABLES

    rows = [
        {
            "kpi_id": i,
            "theme": 1,
            "workstream": "PIP1",
            "title": i,
            "definition": "",
            "unit": "percent",
            "polarity": "higher_is_better",
            "target": 90.0,
            "target_date": None,
            "baseline_value": None,
            "baseline_period": None,
            "frequency": "monthly",
            "decimals": 0,
            "source": "",
            "next_update": None,
            "spc_rebase": [],
        }
        for i in ids
    ]
    return pl.DataFrame(rows, schema=TABLES["kpi_catalogue"].columns)


def test_summary_one_row_per_indicator_with_change_since_compare():
    now = _values(
        [
            ("a", date(2025, 8, 31), "X", "all", 80.0),
            ("a", date(2025, 9, 30), "X", "all", 92.0),
            ("b", date(2025, 9, 30), "X", "all", 50.0),
        ]
    )
    before = _values([("a", date(2025, 8, 31), "X", "all", 79.0)])
    got = kpi.summary(_catalogue(["a", "b", "c"]).lazy(), now.lazy(), before.lazy(), area_code="X").collect()
    got = got.sort("kpi_id")
    assert got["kpi_id"].to_list() == ["a", "b", "c"]
    assert got["rag"].to_list() == ["Green", "Red", "Grey"]  # 92 ≥ 90; 50 < 85.5; c has no data
    assert got["change"].to_list() == [13.0, None, None]  # 92 − 79
    assert got["trend"].to_list() == ["▲ Improving", None, None]
    counts = dict(kpi.rag_counts(got.lazy()).collect().iter_rows())
    assert counts == {"Green": 1, "Amber": 0, "Red": 1, "Grey": 1}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((92.0, 79.0, "Sep 2025", "Aug 2025", "percent", 0), "New period: Sep 2025 (▲ +13 points on Aug 2025)"),
        ((91.0, 90.0, "Sep 2025", "Sep 2025", "percent", 0), "Revised: 90% → 91%"),
        ((90.2, 90.0, "Sep 2025", "Sep 2025", "percent", 0), "No new data"),  # 0.2 < half a display unit
        ((50.0, None, "Sep 2025", None, "count", 0), "New indicator"),
        ((2804.0, 2804.0, "January 2025", "January 2025", "count", 0), "No new data"),
    ],
)
def test_fmt_change(args, expected):
    assert fmt_change(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((34.0, "percent", 0), "34%"),
        ((2804.0, "count", 0), "2,804"),
        ((14.396, "rate_per_1000", 1), "14.4 per 1,000"),
        ((None, "percent", 0, "c"), "c"),
        ((None, "count", 0, ""), "x"),
        ((12.25, "weeks", 1), "12.2 weeks"),
    ],
)
def test_fmt_value(args, expected):
    assert fmt_value(*args) == expected


def test_action_rag_overdue_is_red_whatever_the_reported_status():
    # METHODS §2: as at 31 Oct 2025, an action due 1 Jan 2025 and not complete is overdue, so Red even when its
    # owner still reports it on track or at risk; complete stays Green; before the due date the status decides.
    frame = pl.DataFrame(
        {
            "status": ["complete", "on_track", "at_risk", "off_track", "not_started"] * 2,
            "due": [date(2025, 1, 1)] * 5 + [date(2026, 1, 1)] * 5,
        }
    )
    got = frame.select(kpi.action_rag_expr(pl.col("status"), pl.col("due"), date(2025, 10, 31)).alias("r"))["r"]
    past, future = got.to_list()[:5], got.to_list()[5:]
    assert past == ["Green", "Red", "Red", "Red", "Red"]
    assert future == ["Green", "Green", "Amber", "Red", "Grey"]


def test_an_action_due_today_is_not_yet_overdue():
    frame = pl.DataFrame({"status": ["on_track"], "due": [date(2025, 10, 31)]})
    got = frame.select(kpi.action_rag_expr(pl.col("status"), pl.col("due"), date(2025, 10, 31)).alias("r"))["r"]
    assert got.to_list() == ["Green"]
