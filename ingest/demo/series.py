"""The demonstration `kpi_values` rows: the truth, each row with the date it becomes known. DfE measures from
2019 with the published figures reproduced exactly at their stated periods (ingest.demo_facts, KPIS.md), and the
local monthly measures from April 2023 generated around them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ingest import demo_facts as F  # noqa: N812 - short name for the facts table
from ingest.demo.calendar import (
    LOCAL_START,
    academic_label,
    add_months,
    allocate,
    fy_quarter_label,
    month_end,
    month_label,
    month_range,
    rng,
)
from ingest.demo.catalogue import KPI, POP_4_19
from metrics.schema import PHASES


@dataclass
class Row:
    kpi_id: str
    period_start: date
    period_end: date
    period_label: str
    value: float | None
    area_code: str = F.BURY
    phase: str = "all"
    numerator: float | None = None
    denominator: float | None = None
    status: str = ""
    note: str = ""
    known: date | None = None


def pct(num: float, den: float) -> float:
    return 100.0 * num / den


def _monthly_rows(kpi_id: str, months: list[date], values: list[float], **kw) -> list[Row]:
    lag = KPI[kpi_id].lag_months
    return [
        Row(kpi_id, d.replace(day=1), d, month_label(d), float(v), known=add_months(d, lag), **kw)
        for d, v in zip(months, values, strict=True)
    ]


def dfe_rows() -> list[Row]:
    rows: list[Row] = []
    published = date(2025, 6, 26)
    for area in F.TIMELINESS:
        for i, year in enumerate(F.DFE_YEARS):
            s, e, label = date(year, 1, 1), date(year, 12, 31), str(year)
            den, num, pc = F.TIMELINESS[area][i]
            rows.append(Row("ehcp_20wk_pct", s, e, label, pc, area, numerator=num, denominator=den, known=published))
            den_x, num_x = F.TIMELINESS_EXCL[area][i]
            pc_x = round(pct(num_x, den_x), 1)
            rows.append(
                Row("ehcp_20wk_excl_pct", s, e, label, pc_x, area, numerator=num_x, denominator=den_x, known=published)
            )
            rows.append(Row("ehcp_requests", s, e, label, float(F.REQUESTS[area][i]), area, known=published))
            rows.append(Row("ehcp_new_plans", s, e, label, float(F.NEW_PLANS[area][i]), area, known=published))
        for i, year in enumerate(F.CASELOAD_YEARS):
            rows.append(
                Row(
                    "ehcp_caseload",
                    date(year, 1, 1),
                    date(year, 1, 31),
                    f"January {year}",
                    float(F.CASELOAD[area][i]),
                    area,
                    known=published,
                )
            )
    return rows


def ehcp_20wk_month_series() -> tuple[list[date], list[int], list[int]]:
    """Plans issued per month and those within 20 weeks, Apr 2023 – Oct 2025.

    Apr–Dec 2023 sums to 243 of 327 (74.3%, matching the DfE 74.1% for 2023); 2024 sums to exactly 293 of 296
    (DfE 2024: 99%); every month of 2025 is above 90%.
    """
    den = [30, 34, 38, 36, 40, 37, 39, 36, 37]
    pct = [48, 55, 62, 68, 74, 80, 86, 92, 95]
    num = [round(d * p / 100) for d, p in zip(den, pct, strict=True)]
    den += [22, 24, 27, 25, 26, 23, 21, 28, 26, 27, 25, 22]
    num += [22, 24, 26, 25, 26, 23, 20, 28, 26, 26, 25, 22]
    den += [30, 28, 31, 29, 33, 35, 32, 30, 34, 31]
    num += [29, 27, 29, 28, 31, 33, 30, 29, 32, 30]
    return month_range(LOCAL_START, date(2025, 10, 31)), den, num


PHASE_WEIGHTS = {  # shares of each measure by phase: early_years, primary, secondary, post16, post19
    "ehcp_caseload": [0.06, 0.34, 0.33, 0.19, 0.08],
    "ehcp_requests": [0.22, 0.40, 0.28, 0.08, 0.02],
    "ehcp_new": [0.18, 0.38, 0.30, 0.11, 0.03],
    "sen_support": [0.07, 0.52, 0.36, 0.05, 0.0],
    "ap_placements": [0.0, 0.2, 0.7, 0.1, 0.0],
    "eotas": [0.0, 0.3, 0.55, 0.15, 0.0],
}
PHASE_KEYS = list(PHASES[1:])


def _ehcp_month_rows() -> list[Row]:
    months, den, num = ehcp_20wk_month_series()
    rows: list[Row] = []
    lag = KPI["ehcp_20wk_month_pct"].lag_months
    for i, d in enumerate(months):
        base = dict(period_start=d.replace(day=1), period_end=d, period_label=month_label(d), known=add_months(d, lag))
        rows.append(Row("ehcp_20wk_month_pct", value=pct(num[i], den[i]), numerator=num[i], denominator=den[i], **base))
        dens = allocate(
            den[i],
            [
                w * (1 + 0.3 * rng("new", d, p).random())
                for p, w in zip(PHASE_KEYS, PHASE_WEIGHTS["ehcp_new"], strict=True)
            ],
        )
        late = den[i] - num[i]
        lates = allocate(late, [x + 0.01 for x in dens]) if late else [0] * 5
        lates = [min(a, b) for a, b in zip(lates, dens, strict=True)]
        for p, dp, lp in zip(PHASE_KEYS, dens, lates, strict=True):
            if dp == 0:
                rows.append(
                    Row(
                        "ehcp_20wk_month_pct",
                        value=None,
                        phase=p,
                        numerator=0,
                        denominator=0,
                        status="z",
                        note="No plans issued in the month",
                        **base,
                    )
                )
            else:
                rows.append(
                    Row(
                        "ehcp_20wk_month_pct",
                        value=pct(dp - lp, dp),
                        phase=p,
                        numerator=dp - lp,
                        denominator=dp,
                        **base,
                    )
                )
    return rows


def requests_monthly() -> tuple[list[date], list[int]]:
    """Requests received per month, Apr 2023 – Oct 2025; calendar 2024 sums to 560, the DfE figure."""
    vals = [55, 57, 58, 56, 54, 57, 58, 56, 55]
    vals += [52, 50, 49, 47, 46, 45, 44, 47, 46, 45, 45, 44]
    vals += [44, 46, 50, 54, 58, 60, 57, 55, 58, 60]
    return month_range(LOCAL_START, date(2025, 10, 31)), vals


def ap_monthly() -> tuple[list[date], list[int]]:
    """Children in alternative provision at each month end: 32 in Feb 2024, 65 in Jul 2024, 69 in Jul 2025."""
    # fmt: off
    vals = [27, 28, 26, 27, 29, 30, 31, 30, 29, 31, 32,   # Apr 2023 – Feb 2024
            38, 44, 52, 59, 65,                           # Mar – Jul 2024
            64, 66, 67, 66, 68, 67, 66, 68, 67, 68, 70, 69,   # Aug 2024 – Jul 2025
            70, 71, 71]                                   # Aug – Oct 2025
    # fmt: on
    return month_range(LOCAL_START, date(2025, 10, 31)), vals


def local_rows() -> list[Row]:
    rows: list[Row] = []
    # PIP1 requests rate: rolling 12 months from the monthly counts
    months, req = requests_monthly()
    for i in range(11, len(months)):
        total = sum(req[i - 11 : i + 1])
        d = months[i]
        rows.append(
            Row(
                "requests_per_1000_4_19",
                add_months(d, -11).replace(day=1),
                d,
                f"12 months to {month_label(d)}",
                1000 * total / POP_4_19,
                numerator=total,
                denominator=POP_4_19,
                known=add_months(d, 1),
            )
        )
    rows.append(
        Row(
            "requests_per_1000_4_19",
            date(2024, 1, 1),
            date(2024, 12, 31),
            "12 months to Dec 2024",
            14.4,
            area_code=F.NORTH_WEST,
            note="DfE SEN2 requests in 2024 per 1,000 aged 4–19",
            known=date(2025, 6, 26),
        )
    )
    # PIP1 SEN support, termly census (January, May, October)
    for (y, m), v in zip(
        [(2023, 1), (2023, 5), (2023, 10), (2024, 1), (2024, 5), (2024, 10), (2025, 1), (2025, 5)],
        [4310, 4355, 4402, 4486, 4590, 4713, 4828, 4936],
        strict=True,
    ):
        d = month_end(y, m)
        rows.append(
            Row("sen_support_mainstream", d.replace(day=1), d, f"{d:%B %Y} census", float(v), known=add_months(d, 2))
        )
    # AFI1 Local Offer survey (March each year)
    for y, (num, den) in zip((2023, 2024, 2025), ((123, 300), (152, 310), (171, 300)), strict=True):
        rows.append(
            Row(
                "local_offer_useful_pct",
                date(y, 2, 1),
                date(y, 3, 31),
                f"{y} survey",
                pct(num, den),
                numerator=num,
                denominator=den,
                known=date(y, 5, 31),
            )
        )
    # AFI1 complaints per financial quarter
    q_ends = [
        month_end(2023, 6),
        month_end(2023, 9),
        month_end(2023, 12),
        month_end(2024, 3),
        month_end(2024, 6),
        month_end(2024, 9),
        month_end(2024, 12),
        month_end(2025, 3),
        month_end(2025, 6),
        month_end(2025, 9),
    ]
    for d, v in zip(q_ends, [31, 38, 46, 51, 44, 36, 29, 24, 21, 19], strict=True):
        rows.append(
            Row(
                "parent_complaints",
                add_months(d, -2).replace(day=1),
                d,
                fy_quarter_label(d),
                float(v),
                known=add_months(d, 1),
            )
        )
    # AFI3 SENCo network, termly (autumn = Dec, spring = Mar/Apr, summer = Jul)
    for d, lab, (num, den) in [
        (date(2024, 12, 31), "Autumn term 2024", (62, 80)),
        (date(2025, 4, 30), "Spring term 2025", (68, 80)),
        (date(2025, 7, 31), "Summer term 2025", (73, 80)),
    ]:
        rows.append(
            Row(
                "senco_network_pct",
                date(d.year, d.month, 1),
                d,
                lab,
                pct(num, den),
                numerator=num,
                denominator=den,
                known=add_months(d, 1),
            )
        )
    # PIP2 SENCo survey: 33% → 42% and 38% → 42%
    for kid, pair in (("toolkit_use_pct", ((33, 100), (42, 100))), ("toolkit_embedded_pct", ((38, 100), (42, 100)))):
        for d, lab, (num, den) in zip(
            (date(2025, 1, 31), date(2025, 7, 31)), ("Jan 2025 survey", "Jul 2025 survey"), pair, strict=True
        ):
            rows.append(
                Row(
                    kid,
                    date(d.year, d.month, 1),
                    d,
                    lab,
                    pct(num, den),
                    numerator=num,
                    denominator=den,
                    known=add_months(d, 1),
                )
            )
    # PIP2 attendance of children with SEND, academic years
    for y, v, prim, sec in ((2023, 90.7, 92.6, 88.4), (2024, 91.1, 92.9, 88.9), (2025, 91.6, 93.1, 89.6)):
        base = dict(
            period_start=date(y - 1, 9, 1),
            period_end=date(y, 8, 31),
            period_label=academic_label(y),
            known=date(y, 9, 30),
        )
        rows.append(Row("send_attendance_pct", value=v, **base))
        rows.append(Row("send_attendance_pct", value=prim, phase="primary", **base))
        rows.append(Row("send_attendance_pct", value=sec, phase="secondary", **base))
    # PIP2 parent survey: early identification
    for y, (num, den) in ((2024, (156, 300)), (2025, (180, 300))):
        rows.append(
            Row(
                "parent_satisfied_early_id_pct",
                date(y, 2, 1),
                date(y, 3, 31),
                f"{y} survey",
                pct(num, den),
                numerator=num,
                denominator=den,
                known=date(y, 5, 31),
            )
        )
    # PIP2 new plans for children aged 11+: 54% (2023) → 30% (2025 to date)
    for y, (num, den), note in (
        (2022, (220, 431), ""),
        (2023, (247, 457), ""),
        (2024, (148, 361), ""),
        (2025, (84, 280), "Year to date: plans issued January to September 2025"),
    ):
        rows.append(
            Row(
                "new_ehcp_age11plus_pct",
                date(y, 1, 1),
                date(y, 12, 31),
                str(y) + (" to date" if note else ""),
                pct(num, den),
                numerator=num,
                denominator=den,
                note=note,
                known=date(y + 1, 5, 31) if y < 2025 else date(2025, 6, 30),
            )
        )
    rows += _ehcp_month_rows()
    # PIP6.1 audit grades per quarter
    a_ends = [
        month_end(2024, 6),
        month_end(2024, 9),
        month_end(2024, 12),
        month_end(2025, 3),
        month_end(2025, 6),
        month_end(2025, 9),
    ]
    for d, good, inad, n in zip(
        a_ends, [21, 26, 30, 35, 38, 42], [7, 6, 4, 3, 3, 2], [44, 47, 49, 53, 54, 58], strict=True
    ):
        for kid, num in (("ehcp_audit_good_pct", good), ("ehcp_audit_inadequate_pct", inad)):
            rows.append(
                Row(
                    kid,
                    add_months(d, -2).replace(day=1),
                    d,
                    fy_quarter_label(d),
                    pct(num, n),
                    numerator=num,
                    denominator=n,
                    known=add_months(d, 1),
                )
            )
    # CONTEXT: EHC plans per head against England
    for y, v in ((2023, 31.0), (2024, 34.0), (2025, 27.0)):
        rows.append(
            Row("ehcp_rate_vs_england_pct", date(y, 1, 1), date(y, 1, 31), f"January {y}", v, known=date(y, 6, 30))
        )
    # PIP4 PfA caseload per quarter; 72, of whom 30 with a learning disability, at the latest quarter
    for d, v in zip(
        [month_end(2024, 9), month_end(2024, 12), month_end(2025, 3), month_end(2025, 6), month_end(2025, 9)],
        [48, 55, 61, 66, 72],
        strict=True,
    ):
        note = "Of whom 30 have a learning disability" if v == 72 else ""
        rows.append(
            Row(
                "pfa_caseload",
                add_months(d, -2).replace(day=1),
                d,
                fy_quarter_label(d),
                float(v),
                note=note,
                known=add_months(d, 1),
            )
        )
    # PIP5
    for d, lab, (num, den) in [
        (date(2024, 7, 31), "Summer term 2024", (52, 81)),
        (date(2025, 7, 31), "Summer term 2025", (81, 81)),
    ]:
        rows.append(
            Row(
                "six_into_seven_pct",
                date(d.year, 4, 1),
                d,
                lab,
                pct(num, den),
                numerator=num,
                denominator=den,
                known=add_months(d, 1),
            )
        )
    for y, v in ((2024, 89.0), (2025, 92.0)):
        rows.append(
            Row("y7_send_attendance_pct", date(y - 1, 9, 1), date(y, 8, 31), academic_label(y), v, known=date(y, 9, 30))
        )
    e_ends = [
        month_end(2024, 3),
        month_end(2024, 6),
        month_end(2024, 9),
        month_end(2024, 12),
        month_end(2025, 3),
        month_end(2025, 6),
    ]
    for d, (num, den) in zip(
        e_ends, [(348, 400), (344, 400), (336, 400), (352, 400), (340, 400), (344, 400)], strict=True
    ):
        rows.append(
            Row(
                "eet_16_17_pct",
                add_months(d, -2).replace(day=1),
                d,
                month_label(d),
                pct(num, den),
                numerator=num,
                denominator=den,
                known=add_months(d, 2),
            )
        )
    for y, (num, den) in ((2024, (45, 300)), (2025, (54, 300))):
        rows.append(
            Row(
                "parent_satisfied_transitions_pct",
                date(y, 2, 1),
                date(y, 3, 31),
                f"{y} survey",
                pct(num, den),
                numerator=num,
                denominator=den,
                known=date(y, 5, 31),
            )
        )
    # PIP6.2 annual reviews: 2024/25 has 2,549 plans due a review and 862 overdue
    for y, (num, den) in ((2023, (1034, 2130)), (2024, (980, 2372)), (2025, (862, 2549))):
        rows.append(
            Row(
                "annual_review_overdue_pct",
                date(y - 1, 9, 1),
                date(y, 8, 31),
                academic_label(y),
                pct(num, den),
                numerator=num,
                denominator=den,
                note=f"{den:,} plans due a review; {den - num:,} completed or not yet due",
                known=date(y, 9, 30),
            )
        )
    # AFI2 children in alternative provision (phase rows come from the ward table's split)
    months, ap = ap_monthly()
    rows += _monthly_rows("ap_children", months, ap)
    return rows
