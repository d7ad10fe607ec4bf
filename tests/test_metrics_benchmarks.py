"""Benchmarks (METHODS §5): ranks with ties, polarity, type 7 quartiles, comparators."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import metrics.benchmarks as bm
from metrics.benchmarks import benchmark_table, quartile_letter
from metrics.schema import TABLES

END = date(2024, 12, 31)


def values(rows):
    return pl.DataFrame(
        [
            {
                "kpi_id": k,
                "period_start": date(2024, 1, 1),
                "period_end": END,
                "period_label": "2024",
                "area_code": a,
                "phase": "all",
                "value": v,
                "numerator": n,
                "denominator": d,
                "status": "",
                "note": "",
            }
            for k, a, v, n, d in rows
        ],
        schema=TABLES["kpi_values"].columns,
    ).lazy()


CAT = pl.DataFrame(
    {"kpi_id": ["t"], "title": ["Timeliness"], "unit": ["percent"], "decimals": [1], "polarity": ["higher_is_better"]}
)


@pytest.fixture(autouse=True)
def small_nation(monkeypatch):
    monkeypatch.setattr(bm, "NATIONAL_MIN", 3)  # these tiny "nations" stand in for the 150 English authorities


def test_rank_in_england_needs_national_data(monkeypatch):
    monkeypatch.setattr(bm, "NATIONAL_MIN", 100)
    data = values([("t", "E06000001", 10.0, None, None), ("t", "E08000002", 50.0, None, None)])
    got = benchmark_table(data, CAT, area="E08000002", region="E12000002", system=[], neighbours=[]).row(0, named=True)
    assert got["england_rank"] is None and got["quartile"] is None and got["england_of"] == 2


def test_quartiles_type_7_and_polarity():
    # LA values 10, 20, 30, 40, 50: type 7 quartiles at h = (5 − 1) × q → 20, 30, 40
    data = values(
        [
            ("t", "E06000001", 10.0, None, None),
            ("t", "E06000002", 20.0, None, None),
            ("t", "E06000003", 30.0, None, None),
            ("t", "E08000001", 40.0, 40, 100),
            ("t", "E08000002", 50.0, 50, 100),
            ("t", "E92000001", 35.0, None, None),
            ("t", "E12000002", 45.0, None, None),
        ]
    )
    got = benchmark_table(
        data, CAT, area="E08000002", region="E12000002", system=["E08000001", "E08000002"], neighbours=[]
    ).row(0, named=True)
    assert (
        got["quartile"] == "A" and got["england_rank"] == 1 and got["england_of"] == 5
    )  # regions and England excluded
    assert (got["england"], got["region"]) == (35.0, 45.0)
    assert got["system"] == pytest.approx(100 * 90 / 200)  # pooled from numerators: (40 + 50) / (100 + 100)
    assert (got["system_rank"], got["system_of"]) == (1, 2)
    other = benchmark_table(data, CAT, area="E08000002", region="E12000009", system=[], neighbours=[]).row(
        0, named=True
    )
    assert (other["region"], other["system"], other["system_rank"]) == (None, None, None)  # no row, no system
    lower = benchmark_table(
        data,
        CAT.with_columns(polarity=pl.lit("lower_is_better")),
        area="E08000002",
        region="E12000002",
        system=["E08000001", "E08000002"],
        neighbours=[],
    ).row(0, named=True)
    assert lower["quartile"] == "D" and lower["england_rank"] == 5


@pytest.mark.parametrize(
    ("value", "polarity", "expected"),
    [
        (45.0, "higher_is_better", "A"),
        (40.0, "higher_is_better", "A"),
        (35.0, "higher_is_better", "B"),
        (25.0, "higher_is_better", "C"),
        (5.0, "higher_is_better", "D"),
        (15.0, "lower_is_better", "A"),
        (45.0, "lower_is_better", "D"),
        (45.0, "neutral", None),
        (None, "higher_is_better", None),
    ],
)
def test_quartile_letter(value, polarity, expected):
    assert quartile_letter(value, 20.0, 30.0, 40.0, polarity) == expected


def test_ties_share_rank_and_counts_are_not_ranked():
    data = values(
        [
            ("t", "E06000001", 50.0, None, None),
            ("t", "E08000002", 50.0, None, None),
            ("t", "E06000003", 10.0, None, None),
            ("c", "E08000002", 2804.0, None, None),
            ("c", "E06000001", 100.0, None, None),
        ]
    )
    cat = pl.concat(
        [
            CAT,
            pl.DataFrame(
                {"kpi_id": ["c"], "title": ["Caseload"], "unit": ["count"], "decimals": [0], "polarity": ["neutral"]}
            ),
        ]
    )
    got = {
        r["kpi_id"]: r
        for r in benchmark_table(data, cat, area="E08000002", region="E12000002", system=[], neighbours=[]).iter_rows(
            named=True
        )
    }
    assert (got["t"]["england_rank"], got["t"]["england_tied"]) == (1, True)
    assert got["c"]["england_rank"] is None and got["c"]["quartile"] is None


def test_ranks_and_quartiles_are_worked_on_the_figure_as_shown():
    # worked-out shares 50.04% and 49.96% are both shown as 50.0%: they share a rank, as LAIT's tables do, and the
    # area is "=2nd of 4" behind 60.0%, not 3rd
    data = values(
        [
            ("t", "E06000001", 60.0, 60, 100),
            ("t", "E06000002", 50.04, 5004, 10000),
            ("t", "E08000002", 49.96, 4996, 10000),
            ("t", "E06000003", 40.0, 40, 100),
        ]
    )
    got = benchmark_table(data, CAT, area="E08000002", region=None, system=[], neighbours=[]).row(0, named=True)
    assert (got["england_rank"], got["england_of"], got["england_tied"]) == (2, 4, True)
    # quartiles on the shown values 40.0, 50.0, 50.0, 60.0: type 7 at h = 3q → Q1 = 47.5, Q2 = 50.0, Q3 = 52.5;
    # the area's shown 50.0 is at the median: B (unrounded, 49.96 would fall below it into C)
    assert got["quartile"] == "B"


def test_a_small_denominator_gets_no_rank_or_quartile_and_is_not_ranked_among():
    # the Isles of Scilly's 1 plan of 1 on time (100%) is under 10: not ranked, no quartile, flagged; the others
    # are ranked among themselves: Camden 75.0% is 1st of 3
    data = values(
        [
            ("t", "E06000053", 100.0, 1, 1),
            ("t", "E09000007", 75.0, 150, 200),
            ("t", "E09000012", 50.0, 50, 100),
            ("t", "E06000052", 50.0, 250, 500),
        ]
    )
    scilly = benchmark_table(data, CAT, area="E06000053", region=None, system=[], neighbours=[]).row(0, named=True)
    assert scilly["small_number"] is True
    assert (scilly["england_rank"], scilly["quartile"], scilly["value"]) == (None, None, 100.0)
    camden = benchmark_table(data, CAT, area="E09000007", region=None, system=[], neighbours=[]).row(0, named=True)
    assert (camden["england_rank"], camden["england_of"], camden["small_number"]) == (1, 3, False)


def test_the_systems_figures_leave_out_suppressed_authorities_and_sum_counts():
    system = ["E09000007", "E09000012", "E09000019"]
    data = values(
        [
            # Hackney's share is suppressed: left out of numerator and denominator alike
            ("t", "E09000007", 50.0, 100, 200),
            ("t", "E09000012", None, None, 100),
            ("t", "E09000019", 50.0, 150, 300),
            ("c", "E09000007", 200.0, None, None),
            ("c", "E09000012", 100.0, None, None),
            ("c", "E09000019", 300.0, None, None),
        ]
    )
    cat = pl.concat(
        [
            CAT,
            pl.DataFrame(
                {"kpi_id": ["c"], "title": ["Caseload"], "unit": ["count"], "decimals": [0], "polarity": ["neutral"]}
            ),
        ]
    )
    got = {
        r["kpi_id"]: r
        for r in benchmark_table(data, cat, area="E09000019", region=None, system=system, neighbours=[]).iter_rows(
            named=True
        )
    }
    # (100 + 150) / (200 + 300) = 50.0%, from 2 of the 3 authorities, and the table says so
    assert (got["t"]["system"], got["t"]["system_used"], got["t"]["system_count"]) == (50.0, 2, 3)
    # counts are summed for the system, never shown as x: 200 + 100 + 300 = 600
    assert (got["c"]["system"], got["c"]["system_used"], got["c"]["system_rank"]) == (600.0, 3, None)
