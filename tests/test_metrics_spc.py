"""SPC (Making Data Count XmR) against hand-worked series: every case listed in METHODS §1.

Notation: n points; mean x̄; mean moving range m̄R; UPL/LPL = x̄ ± 2.66 m̄R; 2σ lines = x̄ ± 1.7733 m̄R.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.spc import icons, spc


def series(values, start=(2023, 1)):
    y, m = start
    dates = []
    for _ in values:
        dates.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return pl.DataFrame({"period_end": dates, "value": [None if v is None else float(v) for v in values]})


def run(values, **kw):
    return spc(series(values).lazy(), **kw).collect()


ALTERNATING = [10, 12] * 7 + [10]  # 15 points


def test_flat_series_has_no_signal():
    # x̄ = (7×10 + 7×12 + 10)/15 = 164/15 = 10.9333; every moving range is 2 so m̄R = 2
    # UPL = 10.9333 + 5.32 = 16.2533, LPL = 5.6133; 2σ = 10.9333 ± 3.5466; sides alternate: no run of 7
    r = run(ALTERNATING)
    assert r["mean"][0] == pytest.approx(164 / 15)
    assert r["upl"][0] == pytest.approx(164 / 15 + 5.32)
    assert r["lpl"][0] == pytest.approx(164 / 15 - 5.32)
    assert r["upl_2s"][0] == pytest.approx(164 / 15 + 1.7733 * 2)
    assert set(r["rule"]) == {""} and set(r["signal"]) == {"common_cause"}
    assert icons(r, polarity="higher_is_better", target=None) == {"variation": "common_cause", "assurance": "none"}


RISE = [11, 13, 11, 13, 11, 13, 10, 11, 12, 13, 14, 15, 16]


def test_seven_point_rise_is_a_trend():
    # x̄ = 163/13 = 12.538; m̄R = (5×2 + 3 + 6×1)/12 = 19/12 = 1.5833; UPL = 12.538 + 4.2117 = 16.750 (16 inside)
    # 2σ line = 12.538 + 2.8077 = 15.346: only 16 beyond, so no 2 of 3; at most 4 points on one side: no shift.
    # points 7–13 (10, 11 … 16) rise six times in a row: all seven are flagged "trend".
    r = run(RISE)
    assert r["mean"][0] == pytest.approx(163 / 13) and r["upl"][0] == pytest.approx(163 / 13 + 2.66 * 19 / 12)
    assert r["rule"].to_list() == [""] * 6 + ["trend"] * 7
    assert r["signal"].to_list()[6:] == ["improvement"] * 7
    assert r["rules_met"][12].to_list() == ["trend_high"]
    assert icons(r, polarity="higher_is_better", target=None)["variation"] == "improvement_high"
    worse = run(RISE, polarity="lower_is_better")
    assert worse["signal"].to_list()[6:] == ["concern"] * 7
    assert icons(worse, polarity="lower_is_better", target=None)["variation"] == "concern_high"
    neutral = run(RISE, polarity="neutral")
    assert neutral["signal"].to_list()[6:] == ["neutral_high"] * 7


def test_a_tie_inside_a_rise_breaks_the_trend():
    # 10, 11, 12, 12, 13, 14, 15: the repeated 12 splits the rise into runs of 3 and 4 points.
    # x̄ = 159/13 = 12.231; m̄R = (5×2 + 3 + 1 + 1 + 0 + 1 + 1 + 1)/12 = 18/12 = 1.5; 2σ line 14.891: only 15
    # beyond, so no 2 of 3; sides: 11 −, 13 +, …, 10 −, 11 −, 12 −, 12 −, 13 + … runs of at most 4: no shift.
    r = run([11, 13, 11, 13, 11, 13, 10, 11, 12, 12, 13, 14, 15])
    assert set(r["rule"]) == {""}


SHIFT = [8, 12, 8, 12, 8, 12, 8, 11, 10.5, 11, 10.5, 11, 10.5, 11]


def test_seven_points_above_the_mean_is_a_shift():
    # x̄ = 143.5/14 = 10.25; the last seven (all ≥ 10.5) are above it. m̄R = (6×4 + 3 + 6×0.5)/13 = 30/13
    # UPL = 10.25 + 2.66×2.3077 = 16.39: no point outside; steps alternate: no trend.
    r = run(SHIFT)
    assert r["mean"][0] == pytest.approx(10.25)
    assert r["rule"].to_list() == [""] * 7 + ["shift"] * 7
    assert icons(r, polarity="higher_is_better", target=None)["variation"] == "improvement_high"
    assert icons(r, polarity="lower_is_better", target=None)["variation"] == "concern_high"


def test_a_point_exactly_on_the_mean_breaks_the_shift():
    # 6, 14 … then 11, 10.5, 11, 10, 10.5, 10.5, 10.5: total 140 over 14 points, so x̄ = 10 exactly
    # and the 10 sits on the mean: runs above it are 3 and 3 long, no shift.
    on_mean = [6, 14, 6, 14, 6, 14, 6, 11, 10.5, 11, 10, 10.5, 10.5, 10.5]
    r = run(on_mean)
    assert r["mean"][0] == 10.0
    assert set(r["rule"]) == {""}
    # the same series with 10.5 instead of 10: x̄ = 140.5/14 = 10.036 and seven points sit above it
    r2 = run([*on_mean[:10], 10.5, *on_mean[11:]])
    assert r2["rule"].to_list()[7:] == ["shift"] * 7


def test_one_point_beyond_the_upper_limit_is_astronomical():
    # 10, 12 … then 20: x̄ = 174/15 = 11.6; m̄R = (13×2 + 8)/14 = 34/14 = 2.4286; UPL = 11.6 + 6.46 = 18.06 < 20
    r = run([10, 12] * 7 + [20])
    assert r["upl"][0] == pytest.approx(11.6 + 2.66 * 34 / 14)
    assert r["rule"].to_list() == [""] * 14 + ["astronomical"]
    assert r["signal"][14] == "improvement"


BASE20 = [10, 12] * 10  # x̄ 11, m̄R 2: a long stable run that keeps the limits steady


def test_two_of_three_beyond_two_sigma_on_the_same_side_fires():
    # + 16, 11.8, 16: x̄ = 263.8/23 = 11.4696; m̄R = (19×2 + 4 + 4.2 + 4.2)/22 = 50.4/22 = 2.2909
    # 2σ line = 11.4696 + 4.0625 = 15.532 (both 16s beyond); UPL = 17.563 (neither outside)
    # all three above x̄ (11.8 > 11.47): the two 16s are flagged, 11.8 is not.
    r = run([*BASE20, 16, 11.8, 16])
    assert r["upl_2s"][0] == pytest.approx(263.8 / 23 + 1.7733 * 50.4 / 22)
    assert r["rule"].to_list()[-3:] == ["two_of_three", "", "two_of_three"]
    assert set(r["rule"].to_list()[:-3]) == {""}


def test_two_of_three_on_opposite_sides_does_not_fire():
    # + 17, 8, 17: x̄ = 262/23 = 11.3913; m̄R = 61/22 = 2.7727; 2σ line 16.308 (both 17s beyond)
    # but 8 is below the mean, so no window of three lies on one side: nothing fires.
    r = run([*BASE20, 17, 8, 17])
    assert set(r["rule"]) == {""}


def test_two_of_three_counts_points_beyond_three_sigma_too():
    # + 17, 12.5, 26: x̄ = 275.5/23 = 11.9783; m̄R = 61/22; 2σ line 16.895, UPL 19.354.
    # 26 is astronomical; under the November 2023 rule it still counts towards 2 of 3, so 17 is flagged.
    r = run([*BASE20, 17, 12.5, 26])
    assert r["rule"].to_list()[-3:] == ["two_of_three", "", "astronomical"]
    assert r["rules_met"][22].to_list() == ["astronomical_high", "two_of_three_high"]


@pytest.mark.parametrize(
    ("polarity", "target", "expected"),
    [
        # ALTERNATING: LPL 5.6133, UPL 16.2533
        ("higher_is_better", 20.0, "fail"),  # target above UPL: the process cannot reach it
        ("higher_is_better", 3.0, "pass"),  # target below LPL: every point will pass
        ("higher_is_better", 11.0, "hit_and_miss"),
        ("lower_is_better", 20.0, "pass"),
        ("lower_is_better", 3.0, "fail"),
        ("lower_is_better", 11.0, "hit_and_miss"),
        ("neutral", 11.0, "none"),
        ("higher_is_better", None, "none"),
    ],
)
def test_assurance(polarity, target, expected):
    assert icons(run(ALTERNATING, polarity=polarity), polarity=polarity, target=target)["assurance"] == expected


def test_fewer_than_13_points_gives_no_limits_and_no_icons():
    r = run(RISE[:12])
    assert r["upl"].is_null().all() and r["lpl_2s"].is_null().all()
    assert set(r["rule"]) == {""}  # the 6-step rise in these 12 points is not flagged either
    assert r["mean"][0] == pytest.approx(sum(RISE[:12]) / 12)  # the run chart still has its mean
    assert icons(r, polarity="higher_is_better", target=5.0) == {"variation": "none", "assurance": "none"}


def test_nulls_are_skipped_never_treated_as_numbers():
    with_gap = [*ALTERNATING[:7], None, *ALTERNATING[7:]]
    r = run(with_gap)
    assert r.height == 16 and r["signal"][7] is None and r["rule"][7] == ""
    clean = run(ALTERNATING)
    # the gap is skipped: x̄ stays 164/15 (not 164/16, as a zero would make it) and the moving range bridges the
    # gap (10 before it, 12 after: 2), so every limit equals the series without the gap
    assert r.drop_nulls("value").drop("period_end").equals(clean.drop("period_end"))


def test_rebase_starts_new_limits():
    before, after = [10, 12] * 7, [20, 22] * 7
    data = series(before + after)
    rebase_on = data["period_end"][14]
    r = spc(data.lazy(), rebase=[rebase_on]).collect()
    assert r["mean"][0] == 11 and r["mean"][14] == 21  # each group its own mean
    assert r["upl"][14] == pytest.approx(21 + 2.66 * 2)
    assert set(r["rule"]) == {""}
    # without the rebase: x̄ = 16, m̄R = (13×2 + 8 + 13×2)/27 = 60/27, LPL = 16 − 5.911 = 10.089: every 10 is
    # outside the limits, as is every 22 (UPL 21.911)
    no_rebase = spc(data.lazy()).collect()
    assert no_rebase["lpl"][0] == pytest.approx(16 - 2.66 * 60 / 27)
    assert no_rebase.filter(pl.col("value").is_in([10.0, 22.0]))["rule"].unique().to_list() == ["astronomical"]


def test_fixed_baseline_uses_the_first_n_points():
    values = [10, 12] * 6 + [30, 32, 30]
    r = run(values, baseline_points=12)
    assert r["mean"][0] == 11 and r["upl"][0] == pytest.approx(11 + 2.66 * 2)
    assert r["rule"].to_list()[-3:] == ["astronomical"] * 3


def test_output_is_sorted_by_period_whatever_the_input_order():
    shuffled = series(ALTERNATING).sample(fraction=1.0, shuffle=True, seed=3)
    r = spc(shuffled.lazy()).collect()
    assert r["period_end"].is_sorted() and r["value"].to_list() == [float(v) for v in ALTERNATING]


def test_the_13_point_minimum_applies_to_each_baseline_group():
    # Hardening row 24: 6 points, then a rebase and a rising run of 7. The whole series has 13 points, but neither
    # group does, so neither gets limits, rules or icons — exactly as the 7 points alone get none.
    data = series([10, 12, 10, 12, 10, 12, 1, 2, 3, 4, 5, 6, 7])
    r = spc(data.lazy(), rebase=[data["period_end"][6]]).collect()
    assert r["upl"].is_null().all() and r["lpl"].is_null().all()
    assert set(r["rule"]) == {""} and set(r["signal"]) == {"no_limits"}  # no limits, so no signal of either kind
    assert icons(r, polarity="higher_is_better", target=5.0) == {"variation": "none", "assurance": "none"}
    alone = spc(series([1, 2, 3, 4, 5, 6, 7]).lazy()).collect()
    assert set(alone["rule"]) == {""} and icons(alone, polarity="higher_is_better", target=5.0)["variation"] == "none"


def test_a_short_latest_group_gives_no_icons_though_an_earlier_group_has_limits():
    # 15 points alternating 10/12 (mean 164/15 = 10.933, every moving range 2, so limits 10.933 ± 5.32), then a
    # rebase with 5 points far above: the latest group is too short, so the icons are "none" rather than read off
    # the earlier group's limits.
    data = series([*ALTERNATING, 40, 41, 42, 43, 44])
    r = spc(data.lazy(), rebase=[data["period_end"][15]]).collect()
    assert r["upl"][0] == pytest.approx(164 / 15 + 2.66 * 2) and r["upl"][15:].is_null().all()
    assert set(r["rule"][15:]) == {""}
    assert icons(r, polarity="higher_is_better", target=20.0) == {"variation": "none", "assurance": "none"}
    # the earlier group alone still gets its icons: target 20 above the upper limit 16.25 → "fail"
    first = spc(series(ALTERNATING).lazy()).collect()
    assert icons(first, polarity="higher_is_better", target=20.0) == {"variation": "common_cause", "assurance": "fail"}


LEVELS = [10, 12] * 6 + [10] + [20, 22] * 6 + [20]  # 13 points about 11, then 13 about 21


def test_a_declared_break_starts_a_new_baseline_and_no_run_spans_it():
    # without the break: x̄ = (142 + 272) / 26 = 15.92; the first 13 lie below it and the next 13 above: shifts
    # (and, with m̄R = (24 × 2 + 10) / 25 = 2.32, 2σ lines at 15.92 ± 4.11, two of three beyond them)
    plain = run(LEVELS)
    assert set(plain["rule"]) == {"shift", "two_of_three"}
    # the publisher declares a break before the 14th period (2024-02-01): two groups, each with its own limits.
    # Group 1: x̄ = (7 × 10 + 6 × 12) / 13 = 142 / 13 = 10.923, every moving range 2, UPL = 10.923 + 2.66 × 2;
    # group 2: x̄ = (7 × 20 + 6 × 22) / 13 = 272 / 13 = 20.923 (the jump across the break is no moving range)
    r = run(LEVELS, breaks=[date(2024, 2, 1)])
    assert r["mean"][0] == pytest.approx(142 / 13) and r["upl"][0] == pytest.approx(142 / 13 + 5.32)
    assert r["mean"][13] == pytest.approx(272 / 13) and r["upl"][13] == pytest.approx(272 / 13 + 5.32)
    assert set(r["rule"]) == {""} and set(r["signal"]) == {"common_cause"}
    # the first period after the break is marked, and the chart draws two segments
    assert r["series_break"].to_list() == [False] * 13 + [True] + [False] * 12
    assert r["segment"].to_list() == [0] * 13 + [1] * 13


def test_a_small_number_is_shown_without_a_signal_and_moves_no_limit():
    frame = series([*ALTERNATING[:7], 100, *ALTERNATING[7:]]).with_columns(
        denominator=pl.Series([50.0] * 7 + [1.0] + [50.0] * 8)
    )
    # 100% on a denominator of 1 would be astronomical; under 10 it is skipped like a null: the other 15 points
    # give the flat series' x̄ = 164 / 15 and m̄R = 2, and no signal anywhere
    r = spc(frame.lazy(), denominator="denominator").collect()
    assert r["small_number"].to_list() == [False] * 7 + [True] + [False] * 8
    assert r["signal"][7] is None and r["rule"][7] == ""
    assert r["mean"][0] == pytest.approx(164 / 15) and r["upl"][0] == pytest.approx(164 / 15 + 5.32)
    assert set(r["signal"].drop_nulls()) == {"common_cause"}
    # a small latest figure gives no variation icon (its own point has no signal), not the previous point's
    last_small = spc(
        frame.with_columns(denominator=pl.Series([50.0] * 15 + [3.0])).lazy(), denominator="denominator"
    ).collect()
    assert icons(last_small, polarity="higher_is_better", target=None) == {"variation": "none", "assurance": "none"}


def test_the_break_is_marked_on_the_chart_and_in_its_table():
    from charts.spc import BREAK_TEXT, indicator_chart
    from present.tables import series_display

    years = [date(y, 12, 31) for y in range(2019, 2025)]
    frame = pl.DataFrame(
        {
            "period_end": years,
            "period_label": [str(d.year) for d in years],
            "value": [60.0, 61.5, 63.0, 64.3, 70.0, 2 / 3 * 100],
            "numerator": [150.0, 160.0, 170.0, 180.0, 210.0, 2.0],
            "denominator": [250.0, 260.0, 270.0, 280.0, 300.0, 3.0],
            "status": [""] * 6,
            "note": [""] * 6,
        }
    )
    # the DfE's break before calendar year 2022; 2024's 2 of 3 is a small number
    r = spc(frame.lazy(), breaks=[date(2022, 1, 1)], denominator="denominator").collect()
    kpi = {"unit": "percent", "decimals": 1}
    table = series_display(r, pl.DataFrame(), kpi)
    notes = dict(zip(table["Period"], table["Note"], strict=True))
    assert notes["2022"].startswith("Break in the series: the publisher changed how the figures are collected")
    assert notes["2021"] == "" and notes["2023"] == ""
    assert notes["2024"] == "Small number: fewer than 10 cases, shown with caution."
    assert dict(zip(table["Period"], table["SPC signal"], strict=True))["2024"] == "No signal: fewer than 10 cases"
    spec = indicator_chart(r, title=None, unit="percent", decimals=1, target=None).to_dict()
    layers = spec["layer"]
    rules = [lay for lay in layers if lay["mark"] == "rule" or lay["mark"].get("type") == "rule"]
    texts = [lay for lay in layers if isinstance(lay["mark"], dict) and lay["mark"].get("type") == "text"]
    assert len(rules) == 1 and len(texts) == 1  # no target: the one rule is the break, labelled
    label_data = spec["datasets"][texts[0]["data"]["name"]]
    assert label_data == [{"period_axis": "2022", "label": BREAK_TEXT}]
    lines = [lay for lay in layers if isinstance(lay["mark"], dict) and lay["mark"].get("type") == "line"]
    assert all(lay["encoding"]["detail"]["field"] == "segment" for lay in lines)  # no line runs across the break


def test_overlapping_rolling_windows_get_no_limits_or_signals():
    """Rolling 12-month figures: each period starts 11 months before the last one ended, so neighbouring points
    share data and the rules would flag nearly every point (19 of 19 on the demo's requests per 1,000). With the
    periods' start dates given, such a series gets a mean but no limits and no signal."""
    ends = [date(2024, m, 28) for m in range(1, 13)] + [date(2025, m, 28) for m in range(1, 8)]
    rising = [float(v) for v in range(19)]  # 19 points rising by one: a trend on any ordinary series
    frame = pl.DataFrame(
        {
            "period_start": [date(e.year - 1, e.month, 1) for e in ends],  # the 12 months to each month
            "period_end": ends,
            "value": rising,
        }
    )
    plain = spc(frame.lazy()).collect()
    assert (plain["rule"] != "").all()  # without the check, every point is special cause (trend, or beyond a limit)
    rolling = spc(frame.lazy(), start="period_start").collect()
    assert rolling["overlapping"].all() and rolling["upl"].is_null().all() and (rolling["rule"] == "").all()
    assert rolling["mean"][0] == 9.0  # (0 + 1 + … + 18) / 19
    assert icons(rolling, polarity="higher_is_better", target=None)["variation"] == "none"
    monthly = frame.with_columns(period_start=pl.col("period_end").dt.month_start())
    assert not spc(monthly.lazy(), start="period_start").collect()["overlapping"].any()


def test_the_demos_rolling_requests_say_why_there_is_no_spc():
    from metrics.formatting import variation_words
    from metrics.series import all_icons, describe, indicator_series
    from metrics.snapshot import open_snapshot, scan_table

    snap = open_snapshot("data/snapshots/2025-10-31")
    cat = scan_table(snap, "kpi_catalogue").collect()
    found = all_icons(cat, scan_table(snap, "kpi_values"), area_code="E08000002", phase="all")
    row = found.filter(pl.col("kpi_id") == "requests_per_1000_4_19").row(0, named=True)
    assert (row["variation"], row["no_spc"]) == ("none", "rolling")
    assert variation_words(row["variation"], row["no_spc"]) == "No SPC: rolling 12-month figures overlap"
    kpi = cat.filter(pl.col("kpi_id") == "requests_per_1000_4_19").row(0, named=True)
    text = describe(
        indicator_series(scan_table(snap, "kpi_values"), kpi, area_code="E08000002", phase="all").collect(), kpi
    )
    assert "neighbouring figures share 11 months" in text and "special cause" not in text
