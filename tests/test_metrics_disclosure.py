"""Disclosure control (METHODS §6): zeros, 1–7, 8, rounding to the nearest 5, totals, rates."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.disclosure import any_suppressed, count_status, protect, protect_count
from metrics.wards import ward_rates


@pytest.mark.parametrize(
    ("count", "shown", "status"),
    [
        (0, 0, ""),  # a true zero stays zero
        *[(n, None, "c") for n in range(1, 8)],  # 1–7 suppressed
        (8, 10, ""),  # 8/5 = 1.6 → 2 → 10
        (12, 10, ""),
        (13, 15, ""),
        (17, 15, ""),
        (18, 20, ""),
        (2804, 2805, ""),
        (None, None, ""),
    ],
)
def test_protect_count(count, shown, status):
    frame = pl.DataFrame({"n": [count]}, schema={"n": pl.Int64})
    got = frame.select(protect_count(pl.col("n")).alias("v"), count_status(pl.col("n")).alias("s")).row(0)
    assert got == (shown, status)


def test_halves_round_up():
    # exact halves can only come from non-integer input (e.g. an average): 12.5 → 15, 17.5 → 20
    frame = pl.DataFrame({"n": [12.5, 17.5, 7.5]})
    assert frame.select(protect_count(pl.col("n")).alias("v"))["v"].to_list() == [15, 20, 10]


def test_protect_frame_adds_status_and_legend_flag():
    frame = pl.DataFrame({"a": [0, 3, 9], "b": [10, 11, 12]})
    got = protect(frame.lazy(), ["a", "b"]).collect()
    assert got.to_dict(as_series=False) == {
        "a": [0, None, 10],
        "b": [10, 10, 10],
        "a_status": ["", "c", ""],
        "b_status": ["", "", ""],
    }
    assert any_suppressed(got, ["a", "b"]) and not any_suppressed(got.filter(pl.col("a_status") == ""), ["a", "b"])


def _fixture():
    wards = pl.DataFrame(
        {
            "ward_code": ["W1", "W2", "W3"],
            "ward_name": ["One", "Two", "Three"],
            "town": ["T", "T", "U"],
            "imd_decile": [1, 5, 9],
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
    )
    d = date(2025, 9, 30)
    demand = pl.DataFrame(
        {
            "period_end": [d] * 3,
            "ward_code": ["W1", "W2", "W3"],
            "phase": ["primary"] * 3,
            "measure": ["ehcp_caseload"] * 3,
            "count": [3, 22, 103],
            "population": [1000, 2000, 4000],
        }
    )
    return demand.lazy(), wards.lazy(), d


def test_protected_ward_rates_hide_small_counts_and_round_totals():
    demand, wards, d = _fixture()
    got = ward_rates(demand, wards, period_end=d, measure="ehcp_caseload", protected=True).collect()
    by = {r["ward_code"]: r for r in got.iter_rows(named=True)}
    assert by["W1"]["count"] is None and by["W1"]["count_status"] == "c"
    assert by["W1"]["rate"] is None and by["W1"]["lcl"] is None  # a rate with a suppressed numerator is c
    assert by["W2"]["count"] == 20 and by["W2"]["rate"] == pytest.approx(20 / 2000 * 1000)  # from the rounded count
    assert by["W3"]["count"] == 105
    # the borough total is rounded after summing the exact counts: 3 + 22 + 103 = 128 → 130, over 7,000
    assert by["W2"]["borough_rate"] == pytest.approx(130 / 7000 * 1000)
