"""League table of localities (METHODS §5): ranks with ties, significance against the pooled figure (or, for the
national ICB and provider leagues, against England), changes, funnel limits, heat-table quarters, the area's trend and
headline, and the derived PIP3 indicator rows."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from metrics.schema import TABLES
from metrics.waits import (
    NHS_PUBLICATION,
    area_trend,
    derive_wait_kpis,
    funnel,
    headline,
    heat_table,
    league,
    provider_gaps,
    reference_gap,
)
from present.waits import league_display, trend_display_waits

JUN, JUL = date(2025, 6, 30), date(2025, 7, 31)
JUL24 = date(2024, 7, 31)
LOCS = ["A", "B", "C", "D"]


def waits(rows):
    return pl.DataFrame(
        [
            {
                "period_end": d,
                "area_code": a,
                "service": "salt",
                "waiting_total": t,
                "waiting_under_18_weeks": u,
                "waiting_over_52_weeks": o,
                "median_wait_weeks": None,
                "source": "gm_locality_return",
            }
            for d, a, t, u, o in rows
        ],
        schema=TABLES["waiting_times"].columns,
    ).lazy()


DATA = waits(
    [
        (JUL, "A", 1000, 600, 50),  # 60%
        (JUL, "B", 500, 200, 40),  # 40%
        (JUL, "C", 400, 160, 30),  # 40%: tied with B
        (JUL, "D", None, None, None),  # no return
        (JUN, "A", 1000, 580, 55),
        (JUN, "B", 500, 210, 41),
        (JUL24, "A", 900, 450, 60),
    ]
)


def test_league_ranks_ties_and_no_return():
    got = league(DATA, period_end=JUL, service="salt", localities=LOCS).collect()
    assert got["area_code"].to_list() == ["A", "B", "C", "D"]
    assert got["rank"].to_list() == [1, 2, 2, None]  # B and C share 2nd ("=2nd"); D has no return
    assert got["tied"].to_list() == [False, True, True, False]
    assert got["m"].to_list() == [3] * 4  # "of 3": only localities with a value count
    assert got["pct"].to_list()[:3] == [60.0, 40.0, 40.0]


def test_league_significance_against_pooled_figure():
    got = league(DATA, period_end=JUL, service="salt", localities=LOCS).collect()
    # pooled = (600 + 200 + 160) / (1000 + 500 + 400) = 960 / 1900 = 50.53%
    assert got["pooled_pct"][0] == pytest.approx(100 * 960 / 1900)
    # A: Wilson 95% of 600/1000 is 56.9% to 63.0%, wholly above 50.5% → better
    # B: 200/500 → 35.8% to 44.4%, wholly below → worse
    assert got["vs_pooled"].to_list() == ["better", "worse", "worse", None]
    assert got["lcl"][0] == pytest.approx(56.93, abs=0.01) and got["ucl"][0] == pytest.approx(63.00, abs=0.01)


def test_league_changes():
    got = league(DATA, period_end=JUL, service="salt", localities=LOCS).collect()
    # A: 60 − 58 = +2 on June; 60 − 50 = +10 on July 2024. B: 40 − 42 = −2; no value a year earlier.
    assert got["change_1m"].to_list()[:2] == pytest.approx([2.0, -2.0])
    assert got["change_12m"][0] == pytest.approx(10.0) and got["change_12m"][1] is None


def test_funnel_limits():
    lg = league(DATA, period_end=JUL, service="salt", localities=LOCS).collect()
    lim = funnel(lg, points=5)
    p = 960 / 1900
    # at n = 400 × 0.6 = 240: 95% limits p ± 1.959964 √(p(1−p)/240)
    n0 = lim["n"][0]
    assert n0 == pytest.approx(240.0)
    se = math.sqrt(p * (1 - p) / 240)
    assert lim["lower_95"][0] == pytest.approx(100 * (p - 1.959964 * se))
    assert lim["upper_998"][0] == pytest.approx(100 * (p + 3.090232 * se))
    assert lim["n"][-1] == pytest.approx(1000 * 1.15)
    assert (lim["upper_95"] >= lim["pooled"]).all() and (lim["lower_998"] <= lim["lower_95"]).all()


def test_heat_quarters():
    got = heat_table(DATA, period_end=JUL, services=["salt"], localities=LOCS).collect().sort("area_code")
    # ranks 1, 2, 2 of 3: quarter = ceil(4 × (rank − ½) / 3) → ceil(0.67), ceil(2.0), ceil(2.0) = 1, 2, 2
    assert got["quarter"].to_list() == [1, 2, 2, None]
    # ten localities at 90%, 85% … 45%: quarters by ceil(4 × (rank − ½) / 10)
    ten = waits([(JUL, f"L{i}", 100, 90 - 5 * i, 0) for i in range(10)])
    got10 = heat_table(ten, period_end=JUL, services=["salt"], localities=[f"L{i}" for i in range(10)]).collect()
    assert got10.sort("rank")["quarter"].to_list() == [1, 1, 1, 2, 2, 3, 3, 3, 4, 4]


def test_area_trend_and_headline():
    tr = area_trend(DATA, service="salt", area_code="B", localities=LOCS).collect()
    assert tr["period_end"].to_list() == [JUN, JUL]
    assert tr["rank"].to_list() == [2, 2] and tr["pct"].to_list() == pytest.approx([42.0, 40.0])
    lg = league(DATA, period_end=JUL, service="salt", localities=LOCS).collect()
    assert headline(lg, tr, area_code="B", service="salt", name="B") == (
        "B is =2nd of 3 for speech and language therapy: 40% waiting under 18 weeks in July 2025, down from 42% "
        "in June 2025."
    )
    assert headline(lg, tr, area_code="D", service="salt", name="D") == (
        "D made no return for speech and language therapy for July 2025."
    )


def test_derived_indicator_rows_match_the_table():
    rows = derive_wait_kpis(DATA, "A").collect()
    assert rows["kpi_id"].unique().to_list() == ["wait_u18_salt_pct"]
    assert dict(zip(rows["period_end"], rows["value"], strict=True)) == {JUL24: 50.0, JUN: 58.0, JUL: 60.0}
    no_return = derive_wait_kpis(DATA, "D").collect()
    assert no_return["value"].to_list() == [None] and no_return["status"].to_list() == ["x"]


def test_a_national_league_is_compared_with_england_not_with_its_members_pooled():
    # ENG 600 of 1,000 (60%); Q1 45 of 100 (45%: Wilson 35.6% to 54.8%, wholly below 60%); Q2 65 of 100 (55.3% to
    # 73.6%, which holds 60%: similar). Pooled, Q1 and Q2 make 55%, which Q2's interval lies wholly above: better
    rows = waits([(JUL, "ENG", 1000, 600, 10), (JUL, "Q1", 100, 45, 1), (JUL, "Q2", 100, 65, 2)])
    lg = league(rows, period_end=JUL, service="salt", localities=["Q1", "Q2"], reference="ENG").collect()
    assert lg["area_code"].to_list() == ["Q2", "Q1"] and lg["m"].to_list() == [2, 2]  # England is not in the league
    assert lg["pooled_pct"].to_list() == [60.0, 60.0]
    assert lg["vs_pooled"].to_list() == ["similar", "worse"]
    pooled = league(rows, period_end=JUL, service="salt", localities=["Q1", "Q2"]).collect()
    assert pooled["pooled_pct"][0] == pytest.approx(55.0) and pooled["vs_pooled"].to_list() == ["better", "worse"]
    tr = area_trend(rows, service="salt", area_code="Q1", localities=["Q1", "Q2"], reference="ENG").collect()
    assert tr.select("pct", "pooled_pct", "rank", "m").row(0) == (45.0, 60.0, 2, 2)
    assert headline(lg, tr, area_code="Q1", service="salt", name="Q1 ICB", members="ICBs") == (
        "Q1 ICB is 2nd of 2 ICBs for speech and language therapy: 45% waiting under 18 weeks in July 2025."
    )


AUG24, SEP24, MAY = date(2024, 8, 31), date(2024, 9, 30), date(2025, 5, 31)


def test_a_year_earlier_is_the_same_month_when_there_is_one():
    """July 2025 against July 2024, not August 2024 (11 months before), though both are loaded."""
    rows = waits(
        [
            (JUL, "A", 1000, 600, 0),  # 60%
            (AUG24, "A", 1000, 300, 0),  # 30%
            (JUL24, "A", 1000, 250, 0),  # 25%
        ]
    )
    lg = league(rows, period_end=JUL, service="salt", localities=["A"]).collect()
    assert lg["year_end"].to_list() == [JUL24] and lg["change_12m"].to_list() == pytest.approx([35.0])  # 60 − 25
    tr = area_trend(rows, service="salt", area_code="A", localities=["A"]).collect()
    assert headline(lg, tr, area_code="A", service="salt", name="A").endswith(
        "60% waiting under 18 weeks in July 2025, up from 25% in July 2024."
    )
    assert league_display(lg, {}, against="the system")["Since Jul 2024"].to_list() == ["▲ +35 points"]


def test_without_the_same_month_a_year_earlier_the_month_used_is_named():
    """No July 2024: the earliest month loaded in the year before, August 2024, named in the sentence and the
    column; with none from 11 to 2 months before, no year-earlier column at all."""
    rows = waits([(JUL, "A", 1000, 600, 0), (SEP24, "A", 1000, 400, 0), (AUG24, "A", 1000, 300, 0)])
    lg = league(rows, period_end=JUL, service="salt", localities=["A"]).collect()
    assert lg["year_end"].to_list() == [AUG24] and lg["change_12m"].to_list() == pytest.approx([30.0])  # 60 − 30
    tr = area_trend(rows, service="salt", area_code="A", localities=["A"]).collect()
    assert headline(lg, tr, area_code="A", service="salt", name="A").endswith("up from 30% in August 2024.")
    table = league_display(lg, {}, against="the system")
    assert "Since Aug 2024" in table.columns and not any(c.startswith("Since 12") for c in table.columns)
    recent = waits([(JUL, "A", 1000, 600, 0), (JUN, "A", 1000, 550, 0)])  # June is last month's column's
    lg = league(recent, period_end=JUL, service="salt", localities=["A"]).collect()
    assert lg["year_end"].to_list() == [None] and lg["change_12m"].to_list() == [None]
    assert [c for c in league_display(lg, {}, against="the system").columns if c.startswith("Since")] == [
        "Since last month"
    ]


def nhs(rows):
    return waits(rows).with_columns(source=pl.lit("chs_sitrep_provider"))


def test_an_organisation_with_no_line_is_not_in_the_publication_and_a_locality_without_figures_says_which():
    rows = nhs([(JUL, "ENG", 1000, 600, 0), (JUL, "Q1", 100, 45, 0), (JUL, "Q2", 100, 65, 0)])
    where = {"source": "chs_sitrep_provider", "reference": "ENG"}
    lg = league(rows, period_end=JUL, service="salt", localities=["Q1", "Q2"], **where).collect()
    tr = area_trend(rows, service="salt", area_code="Q3", localities=["Q1", "Q2"], **where).collect()
    assert headline(lg, tr, area_code="Q3", service="salt", name="Q3 ICB", publication=NHS_PUBLICATION) == (
        "Q3 ICB is not in NHS England's community health services waiting lists for speech and language therapy in "
        "July 2025."
    )
    local = waits([(JUL, "A", 0, 0, 0), (JUL, "B", 30, None, None), (JUL, "C", None, None, None)])
    lg = league(local, period_end=JUL, service="salt", localities=["A", "B", "C"]).collect()
    tr = local.head(0).collect()
    said = {a: headline(lg, tr, area_code=a, service="salt", name=a) for a in "ABC"}
    assert said == {
        "A": "A had nobody waiting for speech and language therapy at the end of July 2025.",
        "B": "B had 30 waiting for speech and language therapy at the end of July 2025; how long they had waited "
        "was not given.",
        "C": "C made no return for speech and language therapy for July 2025.",
    }


def test_an_icbs_months_without_one_of_its_providers_are_found_and_cautioned():
    """P1 and P2 are the ICB's providers; P2 has a line in May and July but none in June (P3, not the ICB's, none
    in May). P9 never reports the service, so its absence is no gap."""
    rows = nhs(
        [
            (MAY, "Q1", 300, 150, 0),  # 50%
            (MAY, "P1", 100, 50, 0),
            (MAY, "P2", 200, 100, 0),
            (JUN, "Q1", 100, 70, 0),  # 70%: P1's list alone
            (JUN, "P1", 100, 70, 0),
            (JUN, "P3", 50, 25, 0),
            (JUL, "Q1", 300, 180, 0),  # 60%
            (JUL, "P1", 100, 60, 0),
            (JUL, "P2", 200, 120, 0),
            (JUL, "P3", 50, 25, 0),
        ]
    )
    gaps = provider_gaps(rows, service="salt", providers=["P1", "P2", "P9"]).collect()
    assert gaps.rows() == [(JUN, ["P2"])]
    nhs_rows = {"source": "chs_sitrep_provider"}
    tr = area_trend(
        rows, service="salt", area_code="Q1", localities=["Q1"], providers=["P1", "P2", "P9"], **nhs_rows
    ).collect()
    assert tr["missing"].to_list() == [[], ["P2"], []]
    lg = league(rows, period_end=JUL, service="salt", localities=["Q1"], **nhs_rows).collect()
    names = {"Q1": "North ICB", "P2": "South Trust"}
    # July 60% against May 50%, the earliest month of the year before: no gap in either, so no caution
    assert headline(lg, tr, area_code="Q1", service="salt", name="North ICB", names=names).endswith(
        "60% waiting under 18 weeks in July 2025, up from 50% in May 2025."
    )
    june = league(rows, period_end=JUN, service="salt", localities=["Q1"], **nhs_rows).collect()
    assert headline(june, tr, area_code="Q1", service="salt", name="North ICB", names=names).endswith(
        "70% waiting under 18 weeks in June 2025, up from 50% in May 2025. Caution: South Trust has no figures in "
        "the publication for June 2025, so North ICB's figure for that month leaves out its waiting list."
    )
    table = trend_display_waits(tr, "North ICB", "England", names)
    assert table["Caution"].to_list() == ["", "Leaves out South Trust (no figures that month)", ""]
    assert "Caution" not in trend_display_waits(tr.drop("missing"), "North ICB", "England").columns


# --- a zero or missing denominator is a sentence, never an exception (issue 24, item 5) ---------------------------


def _national(eng):
    """Two ICBs and England's line as given (`eng`: total, under 18 weeks; None for no line at all)."""
    rows = [(JUL, "Q1", 100, 45, 1), (JUL, "Q2", 100, 65, 2)]
    if eng is not None:
        rows.append((JUL, "ENG", *eng, 0))
    return league(waits(rows), period_end=JUL, service="salt", localities=["Q1", "Q2"], reference="ENG").collect()


@pytest.mark.parametrize(
    ("eng", "reason"),
    [
        ((0, 0), "England had nobody waiting"),
        (None, f"England is not in {NHS_PUBLICATION} for that month"),
        ((None, None), f"England's line in {NHS_PUBLICATION} is blank"),
        ((500, None), "England's list of 500 does not say how long the children on it had waited"),
    ],
)
def test_england_at_nought_or_missing_gives_no_funnel_and_a_sentence(eng, reason):
    lg = _national(eng)
    # the ICBs are still ranked among themselves (65% first, 45% second), but compared with nothing
    assert lg["area_code"].to_list() == ["Q2", "Q1"] and lg["rank"].to_list() == [1, 2]
    assert lg["pooled_pct"].to_list() == [None, None] and lg["vs_pooled"].to_list() == [None, None]
    assert funnel(lg).height == 0  # was a TypeError: None / 100
    assert reference_gap(lg, against="England", unit="ICB") == (
        f"There is no England figure for speech and language therapy for July 2025 ({reason}), so no ICB is "
        "compared with it."
    )
    tr = area_trend(
        waits([(JUL, "Q1", 100, 45, 1), *([(JUL, "ENG", *eng, 0)] if eng else [])]),
        service="salt",
        area_code="Q1",
        localities=["Q1"],
        reference="ENG",
    ).collect()
    assert tr["pooled_pct"].to_list() == [None]


def test_england_with_a_figure_leaves_no_sentence():
    assert reference_gap(_national((1000, 600)), against="England", unit="ICB") == ""


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([(JUL, "A", 0, 0, 0), (JUL, "B", 0, 0, 0)], "nobody was waiting in any locality that made a return"),
        ([(JUL, "A", None, None, None), (JUL, "B", None, None, None)], "no locality made a return"),
        ([(JUL, "A", 40, None, None), (JUL, "B", 0, 0, 0)], "no locality's return said how long the children"),
    ],
)
def test_localities_with_nobody_waiting_pool_to_no_figure_not_nan(rows, reason):
    lg = league(waits(rows), period_end=JUL, service="salt", localities=["A", "B"]).collect()
    # 0 of 0 pooled was NaN, which Polars orders above every number; it is no figure
    assert lg["pooled_pct"].to_list() == [None, None]
    assert funnel(lg).height == 0
    gap = reference_gap(lg, against="Greater Manchester")
    assert gap.startswith("There is no Greater Manchester figure for speech and language therapy for July 2025 (")
    assert reason in gap and gap.endswith("), so no locality is compared with it.")
    tr = area_trend(waits(rows), service="salt", area_code="A", localities=["A", "B"]).collect()
    assert tr["pooled_pct"].to_list() == [None]
