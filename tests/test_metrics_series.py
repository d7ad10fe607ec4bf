"""The one-sentence descriptions of an indicator's chart (metrics.series.describe): the words a screen reader and
the board pack use in place of the chart, read as written English for one point, a few and many."""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.series import describe
from metrics.spc import spc

KPI = {
    "title": "Plans within 20 weeks",
    "unit": "percent",
    "decimals": 1,
    "target": None,
    "polarity": "higher_is_better",
}


def result(values: list[float], start_year: int = 2000) -> pl.DataFrame:
    years = list(range(start_year, start_year + len(values)))
    frame = pl.LazyFrame(
        {
            "period_end": [date(y, 12, 31) for y in years],
            "period_label": [str(y) for y in years],
            "value": [float(v) for v in values],
        }
    )
    return spc(frame, polarity="higher_is_better").collect()


def test_one_point_is_not_described_as_a_change_from_itself():
    text = describe(result([50.0], 2024), KPI)
    assert text.startswith("Plans within 20 weeks: 50.0% in 2024, the only period with a value.")
    assert "from 50.0% in 2024" not in text and "(1 periods)" not in text


def test_a_short_series_counts_its_periods_in_words():
    text = describe(result([40, 45, 50, 55], 2021), KPI)
    assert "Plans within 20 weeks: 55.0% in 2024, from 40.0% in 2021 (4 periods)." in text
    assert "Too few points for control limits (they need 13)." in text


def test_special_cause_points_are_counted_with_the_right_noun():
    # 20 years rising by 1 each year: every point sits in a run of 7 or more rising points (the trend rule), and
    # the first and last points lie beyond the limits, so all 20 are special cause: "20 points show"
    many = describe(result(list(range(1, 21))), KPI)
    assert "20 points show special cause" in many and "point(s)" not in many
    # 10, 14 alternating seven times, then 12 and 40: mean 220/16 = 13.75; moving ranges 13 × 4, then 2 and 28, so
    # m̄R = 82/15 = 5.47 and the upper limit 13.75 + 2.66 × 5.47 = 28.3. Only 40 lies beyond it; the alternating
    # points straddle the mean (no shift) and never rise 7 times (no trend): "1 point shows"
    one = describe(result([10, 14] * 7 + [12, 40]), KPI)
    assert "1 point shows special cause" in one, one


def test_meeting_a_target_is_said_as_it_happened():
    lower = {**KPI, "target": 35.0, "polarity": "lower_is_better", "decimals": 0}
    # 51, 54, 41, 30 against "35 or below": only the latest meets it
    first = describe(result([51, 54, 41, 30], 2022), lower)
    assert "It is at or below the target of 35% for the first time in 2025." in first
    assert "since 2025" not in first
    assert "It has been at or below the target of 35% since 2024." in describe(result([51, 34, 30], 2023), lower)
    assert "It has been at or below the target of 35% throughout." in describe(result([30, 31], 2024), lower)
    assert "It is at or below the target of 35%." in describe(result([30], 2024), lower)
    assert "It has not yet reached the target of 35%." in describe(result([40, 36], 2024), lower)
