"""Confidence intervals (METHODS §4) against published tables and hand-worked arithmetic."""

from __future__ import annotations

import math

import polars as pl
import pytest

from metrics.stats import compare_interval, exact_poisson_limits, poisson_limits, rate_per_1000, wilson

Z = 1.959964


@pytest.mark.parametrize(
    ("count", "lower", "upper"),
    # exact 95% Poisson limits as tabulated (e.g. Public Health England's confidence interval tools)
    [(0, 0.0, 3.6889), (1, 0.0253, 5.5716), (2, 0.2422, 7.2247), (5, 1.6235, 11.6683), (9, 4.1154, 17.0848)],
)
def test_exact_limits_below_ten(count, lower, upper):
    lo, hi = exact_poisson_limits(count)
    assert (round(lo, 4), round(hi, 4)) == (lower, upper)
    got = pl.DataFrame({"n": [count]}).select(
        *[e.alias(k) for k, e in zip("lu", poisson_limits(pl.col("n")), strict=True)]
    )
    assert got.row(0) == pytest.approx((lower, upper), abs=1e-4)


def byar(o: int) -> tuple[float, float]:
    return (
        o * (1 - 1 / (9 * o) - Z / (3 * math.sqrt(o))) ** 3,
        (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * math.sqrt(o + 1))) ** 3,
    )


@pytest.mark.parametrize(
    ("count", "lower", "upper"),
    [
        # O = 10: 10 × (1 − 1/90 − 1.959964/(3√10))³ = 10 × 0.782293³ = 4.7874
        #         11 × (1 − 1/99 + 1.959964/(3√11))³ = 11 × 1.186883³ = 18.3915
        (10, 4.7874, 18.3915),
        # O = 100: 100 × (1 − 1/900 − 0.0653321)³ = 100 × 0.9335568³ = 81.3621
        #          101 × (1 − 1/909 + 1.959964/(3√101))³ = 101 × 1.0639078³ = 121.6279
        (100, 81.3621, 121.6279),
    ],
)
def test_byar_from_ten(count, lower, upper):
    assert byar(count) == pytest.approx((lower, upper), abs=1e-3)
    got = pl.DataFrame({"n": [count]}).select(
        *[e.alias(k) for k, e in zip("lu", poisson_limits(pl.col("n")), strict=True)]
    )
    assert got.row(0) == pytest.approx((lower, upper), abs=1e-3)


@pytest.mark.parametrize(
    ("count", "population", "expected"),
    [
        (0, 1000, (0.0, 0.0, 3.6889)),  # a true zero has an upper limit
        (5, 2000, (2.5, 1.6235 / 2, 11.6683 / 2)),  # per 1,000: limits ÷ 2
        (100, 4000, (25.0, 81.3621 / 4, 121.6279 / 4)),
        (None, 1000, (None, None, None)),  # suppressed numerator: no rate, never zero
        (5, 0, (None, None, None)),
    ],
)
def test_rate_per_1000(count, population, expected):
    frame = pl.DataFrame({"c": [count], "p": [population]}, schema={"c": pl.Int64, "p": pl.Int64})
    got = frame.select(*[e.alias(k) for k, e in zip("rlu", rate_per_1000(pl.col("c"), pl.col("p")), strict=True)])
    row = got.row(0)
    if expected[0] is None:
        assert row == (None, None, None)
    else:
        assert row == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        # 170/500: p = 0.34; centre = (0.34 + z²/1000)/(1 + z²/500) = 0.341220;
        # half = z/(1 + z²/500) × √(0.34×0.66/500 + z²/10⁶) = 1.945020 × 0.021276 = 0.041381
        (170, 500, (34.0, 29.984, 38.260)),
        # 0/10: upper = z²/(n + z²) = 3.841459/13.841459 = 0.27753
        (0, 10, (0.0, 0.0, 27.753)),
        (10, 10, (100.0, 72.247, 100.0)),
        (5, 0, (None, None, None)),
    ],
)
def test_wilson(num, den, expected):
    frame = pl.DataFrame({"n": [num], "d": [den]})
    got = frame.select(*[e.alias(k) for k, e in zip("plu", wilson(pl.col("n"), pl.col("d")), strict=True)]).row(0)
    if expected[0] is None:
        assert got == (None, None, None)
    else:
        assert got == pytest.approx(expected, abs=2e-3)


@pytest.mark.parametrize(
    ("lo", "hi", "bench", "expected"),
    [
        (50.0, 60.0, 48.5, "higher"),
        (40.0, 48.0, 48.5, "lower"),
        (45.0, 50.0, 48.5, "similar"),
        (48.5, 50.0, 48.5, "similar"),
        (None, 50.0, 48.5, None),
    ],
)
def test_compare_interval(lo, hi, bench, expected):
    frame = pl.DataFrame(
        {"l": [lo], "u": [hi], "b": [bench]}, schema={"l": pl.Float64, "u": pl.Float64, "b": pl.Float64}
    )
    assert frame.select(compare_interval(pl.col("l"), pl.col("u"), pl.col("b")).alias("x"))["x"][0] == expected
