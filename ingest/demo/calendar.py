"""Calendar helpers of the demonstration data: month ends, month labels, financial quarters and academic years,
whole numbers shared out by weights, and the seeded random draws (each seeded by a string naming its series, so the
demo is the same on every machine and whatever order its series are drawn in)."""

from __future__ import annotations

import random
from datetime import date, timedelta

LOCAL_START = (2023, 4)


def month_end(y: int, m: int) -> date:
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(d: date, k: int) -> date:
    """The month end k months after the month of d."""
    idx = d.year * 12 + d.month - 1 + k
    return month_end(idx // 12, idx % 12 + 1)


def month_range(start: tuple[int, int], end: date) -> list[date]:
    out, d = [], month_end(*start)
    while d <= end:
        out.append(d)
        d = add_months(d, 1)
    return out


def month_label(d: date) -> str:
    return d.strftime("%b %Y")


def fy_quarter_label(end: date) -> str:
    q = {6: 1, 9: 2, 12: 3, 3: 4}[end.month]
    fy = end.year if end.month > 3 else end.year - 1
    return f"Q{q} {fy}/{str(fy + 1)[2:]}"


def academic_label(end_year: int) -> str:
    return f"{end_year - 1}/{str(end_year)[2:]}"


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split a whole-number total by weights, largest remainder first, so the parts always add up to the total."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    base = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def rng(*key: object) -> random.Random:
    return random.Random("|".join(str(k) for k in key))
