"""Ward rates, borough comparison, ranks, towns, deprivation and class breaks on a hand-made three-ward borough."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.wards import class_breaks, rate_by_deprivation, significance_sentence, town_rates, ward_rates, ward_trend

D1, D2 = date(2025, 8, 31), date(2025, 9, 30)
WARDS = pl.DataFrame(
    {
        "ward_code": ["W1", "W2", "W3"],
        "ward_name": ["One", "Two", "Three"],
        "town": ["North", "North", "South"],
        "imd_decile": [1, 1, 9],
        "lon": [0.0, 0.1, 0.2],
        "lat": [0.0, 0.1, 0.2],
    },
    schema={
        "ward_code": pl.String,
        "ward_name": pl.String,
        "town": pl.String,
        "imd_decile": pl.Int8,
        "lon": pl.Float64,
        "lat": pl.Float64,
    },
).lazy()


def demand():
    rows = []
    # September: primary and secondary rows; W1 has 60 + 40 = 100 plans among 1,000 + 1,000 children
    for code, prim, sec, pop in [("W1", 60, 40, 1000), ("W2", 20, 10, 1000), ("W3", 0, 0, 1000)]:
        rows += [(D2, code, "primary", "ehcp_caseload", prim, pop), (D2, code, "secondary", "ehcp_caseload", sec, pop)]
        rows += [(D1, code, "primary", "ehcp_caseload", prim - 5 if prim else 0, pop)]
    return pl.DataFrame(
        rows, schema=["period_end", "ward_code", "phase", "measure", "count", "population"], orient="row"
    ).lazy()


def test_ward_rates_all_phases():
    got = ward_rates(demand(), WARDS, period_end=D2, measure="ehcp_caseload").collect()
    by = {r["ward_code"]: r for r in got.iter_rows(named=True)}
    # W1: 100 / 2,000 × 1,000 = 50 per 1,000; Byar limits of 100: 81.3621 and 121.6279 → 40.68 to 60.81
    assert by["W1"]["rate"] == 50.0
    assert (by["W1"]["lcl"], by["W1"]["ucl"]) == pytest.approx((40.682, 60.814), abs=1e-3)
    # borough: 130 / 6,000 × 1,000 = 21.667
    assert by["W1"]["borough_rate"] == pytest.approx(130 / 6)
    assert by["W1"]["ratio"] == pytest.approx(50 / (130 / 6))
    assert by["W1"]["vs_borough"] == "higher"
    # W2: 30 / 2,000 = 15 per 1,000; limits of 30 (Byar) 20.24 and 42.83 over 2 → 10.12 to 21.41: below 21.67
    assert by["W2"]["vs_borough"] == "lower"
    # W3: 0 → rate 0, limits 0 to 3.6889/2
    assert (by["W3"]["rate"], by["W3"]["ucl"]) == pytest.approx((0.0, 3.6889 / 2), abs=1e-4)
    assert [r["ward_code"] for r in got.iter_rows(named=True)] == ["W1", "W2", "W3"]
    assert got["rank"].to_list() == [1, 2, 3]
    assert got["share"].to_list() == pytest.approx([100 / 130, 30 / 130, 0.0])


def test_ward_rates_one_phase_and_month():
    got = ward_rates(demand(), WARDS, period_end=D1, measure="ehcp_caseload", phase="primary").collect()
    by = {r["ward_code"]: r["count"] for r in got.iter_rows(named=True)}
    assert by == {"W1": 55, "W2": 15, "W3": 0}


def test_ties_share_the_lower_rank():
    # W1 and W2 both 10 per 1,000: both rank 1 ("=1st"), W3 (5 per 1,000) is 3rd, not 2nd
    exact = pl.DataFrame(
        [
            (D2, "W1", "primary", "ehcp_caseload", 10, 1000),
            (D2, "W2", "primary", "ehcp_caseload", 10, 1000),
            (D2, "W3", "primary", "ehcp_caseload", 5, 1000),
        ],
        schema=["period_end", "ward_code", "phase", "measure", "count", "population"],
        orient="row",
    ).lazy()
    ranks = ward_rates(exact, WARDS, period_end=D2, measure="ehcp_caseload").collect()
    assert dict(zip(ranks["ward_code"], ranks["rank"], strict=True)) == {"W1": 1, "W2": 1, "W3": 3}


def test_towns_and_deprivation_sum_wards_first():
    towns = town_rates(demand(), WARDS, period_end=D2, measure="ehcp_caseload").collect()
    by = {r["town"]: r for r in towns.iter_rows(named=True)}
    assert (by["North"]["count"], by["North"]["population"], by["North"]["wards"]) == (130, 4000, 2)
    assert by["North"]["rate"] == pytest.approx(32.5)
    dep = rate_by_deprivation(demand(), WARDS, period_end=D2, measure="ehcp_caseload").collect()
    assert dep.select("imd_decile", "count", "population").rows() == [(1, 130, 4000), (9, 0, 2000)]


def test_ward_trend_has_each_phase_and_all():
    got = ward_trend(demand(), ward_code="W1", measure="ehcp_caseload").collect()
    rows = {(r["phase"], r["period_end"]): r["count"] for r in got.iter_rows(named=True)}
    assert rows[("all", D2)] == 100 and rows[("primary", D1)] == 55 and rows[("secondary", D2)] == 40


def test_significance_sentence():
    got = ward_rates(demand(), WARDS, period_end=D2, measure="ehcp_caseload").collect()
    assert (
        significance_sentence(got) == "1 ward significantly above the borough rate of 21.7 per 1,000: One; 2 "
        "significantly below (95% intervals)."  # 130 plans among 6,000 children
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2.0, 4.0, 6.0, 8.0, 10.0]),  # quintiles of ten values
        ([5.0, 5.0, 5.0], [5.0]),  # one distinct value: one class
        ([], []),
    ],
)
def test_class_breaks(values, expected):
    assert class_breaks(values) == expected
