"""Confidence intervals (METHODS §4): exact Poisson limits for counts (Byar's approximation from 10 upwards,
exact chi-square below), and Wilson score intervals for proportions. Pure Polars expressions."""

from __future__ import annotations

import math

import polars as pl

Z95 = 1.959964
BYAR_FROM = 10


def _poisson_cdf(k: int, mu: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mu)."""
    term, total = math.exp(-mu), math.exp(-mu)
    for i in range(1, k + 1):
        term *= mu / i
        total += term
    return total


def _solve(f, lo: float, hi: float) -> float:
    """Root of a decreasing function by bisection (f > 0 below the root)."""
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


def exact_poisson_limits(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact 95% limits of a Poisson count O: the means at which P(X ≥ O) = α/2 (lower) and P(X ≤ O) = α/2
    (upper), equal to χ²(α/2, 2O)/2 and χ²(1−α/2, 2O+2)/2."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    lower = 0.0 if count == 0 else _solve(lambda mu: alpha / 2 - (1 - _poisson_cdf(count - 1, mu)), 0.0, count + 50.0)
    upper = _solve(lambda mu: _poisson_cdf(count, mu) - alpha / 2, 0.0, count + 100.0)
    return lower, upper


EXACT_TABLE = {k: exact_poisson_limits(k) for k in range(BYAR_FROM)}


def poisson_limits(count: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Lower and upper 95% limits of a Poisson count (METHODS §4): exact below 10, Byar's approximation from 10.
    Null count gives null limits."""
    o = count.cast(pl.Float64)
    o1 = o + 1
    z = Z95
    byar_lo = o * (1 - 1 / (9 * o) - z / (3 * o.sqrt())).pow(3)
    byar_hi = o1 * (1 - 1 / (9 * o1) + z / (3 * o1.sqrt())).pow(3)
    small = count.cast(pl.Int64, strict=False)
    exact_lo = small.replace_strict({k: v[0] for k, v in EXACT_TABLE.items()}, default=None, return_dtype=pl.Float64)
    exact_hi = small.replace_strict({k: v[1] for k, v in EXACT_TABLE.items()}, default=None, return_dtype=pl.Float64)
    lower = pl.when(count.is_null()).then(None).when(o < BYAR_FROM).then(exact_lo).otherwise(byar_lo)
    upper = pl.when(count.is_null()).then(None).when(o < BYAR_FROM).then(exact_hi).otherwise(byar_hi)
    return lower, upper


def rate_per_1000(count: pl.Expr, population: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Rate per 1,000 with its 95% limits (Poisson limits of the count over the population); null numerator or
    zero/null population gives nulls, never zero."""
    ok = count.is_not_null() & population.is_not_null() & (population > 0)
    lo, hi = poisson_limits(count)
    scale = 1000.0 / population.cast(pl.Float64)
    return (
        pl.when(ok).then(count.cast(pl.Float64) * scale),
        pl.when(ok).then(lo * scale),
        pl.when(ok).then(hi * scale),
    )


def wilson(numerator: pl.Expr, denominator: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Proportion with its Wilson score interval, as percentages (METHODS §4); null when either side is null or
    the denominator is 0."""
    n = denominator.cast(pl.Float64)
    p = numerator.cast(pl.Float64) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = (z / (1 + z * z / n)) * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
    ok = numerator.is_not_null() & denominator.is_not_null() & (denominator > 0)
    return (
        pl.when(ok).then(100 * p),
        pl.when(ok).then(100 * (centre - half)),
        pl.when(ok).then(100 * (centre + half)),
    )


def compare_interval(lower: pl.Expr, upper: pl.Expr, benchmark: pl.Expr) -> pl.Expr:
    """ "higher" when the interval lies wholly above the benchmark, "lower" wholly below, else "similar"
    (METHODS §5); null when the interval is null."""
    return (
        pl.when(lower.is_null() | upper.is_null() | benchmark.is_null())
        .then(None)
        .when(lower > benchmark)
        .then(pl.lit("higher"))
        .when(upper < benchmark)
        .then(pl.lit("lower"))
        .otherwise(pl.lit("similar"))
    )
