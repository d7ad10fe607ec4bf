"""The demonstration waiting times: the locality returns of every locality of the system, by service and month,
each known a month after it ends."""

from __future__ import annotations

from datetime import date

from ingest import demo_facts as F  # noqa: N812 - short name for the facts table
from ingest.demo.calendar import LOCAL_START, add_months, month_end, month_range, rng

WAIT_SIZES = {"camhs": 9, "salt": 7, "ot": 2, "physio": 3, "community_paediatrics": 7}  # Bury list size, hundreds
LOCALITY_SCALE = {
    "E08000001": 1.3,
    "E08000002": 1.0,
    "E08000003": 2.9,
    "E08000004": 1.3,
    "E08000005": 1.2,
    "E08000006": 1.3,
    "E08000007": 1.4,
    "E08000008": 1.2,
    "E08000009": 1.2,
    "E08000010": 1.6,
}


def bury_wait_pct(service: str, months: list[date]) -> list[int]:
    """The area's % under 18 weeks per month; the published months are exact (KPIS.md)."""
    n = len(months)
    if service == "salt":
        flat = [12, 11, 12, 10, 11, 10, 11, 9, 10, 11, 10, 9, 10, 9, 10, 9, 9]
        rise = [11, 13, 15, 17, 20, 22, 25, 27, 29, 31, 34]
        return (flat + rise)[:n]
    centre = {"camhs": 65, "ot": 69, "physio": 68, "community_paediatrics": 75}[service]
    r = rng("bury-wait", service)
    vals = [centre + r.randint(-3, 3) for _ in months]
    vals[-1] = F.WAIT_FACTS[service][2]
    return vals


def waiting_rows() -> list[dict]:
    """GM locality returns, Apr 2023 to the latest month each service reaches (Jul 2025; CAMHS Jun 2025)."""
    out: list[dict] = []
    for service in ("camhs", "salt", "ot", "physio", "community_paediatrics"):
        fy, fm, fpct, frank = F.WAIT_FACTS[service]
        months = month_range(LOCAL_START, month_end(fy, fm))
        bury = bury_wait_pct(service, months)
        levels = {}
        for code in F.GM_LOCALITIES:
            if code == F.BURY:
                continue
            r = rng("wait-level", service, code)
            levels[code] = r.uniform(15, 55) if service == "salt" else r.uniform(45, 90)
        for i, d in enumerate(months):
            pct = {code: levels[code] + rng("wait", service, code, d).uniform(-2.5, 2.5) for code in levels}
            if (d.year, d.month) == (fy, fm):  # enforce the published rank with clear margins
                order = sorted(pct, key=lambda c: -pct[c])
                for k, code in enumerate(order):
                    if k < frank - 1:
                        pct[code] = max(pct[code], fpct + 2 + k)
                    else:
                        pct[code] = min(pct[code], fpct - 2 - (k - frank + 1))
            pct[F.BURY] = bury[i]
            for code, p in pct.items():
                size = max(1, round(WAIT_SIZES[service] * LOCALITY_SCALE[code] * (1 + 0.04 * ((i % 7) - 3) / 3)))
                total = 100 * size
                under = round(total * p / 100) if code != F.BURY else total * int(p) // 100
                over52_share = {"salt": 0.13, "community_paediatrics": 0.07, "camhs": 0.1}.get(service, 0.02)
                over52 = round((total - under) * over52_share * 2.2)
                row = {
                    "period_end": d,
                    "area_code": code,
                    "service": service,
                    "waiting_total": total,
                    "waiting_under_18_weeks": under,
                    "waiting_over_52_weeks": over52,
                    "median_wait_weeks": round(max(2.0, 40 - 0.38 * 100 * under / total), 1),
                    "source": "gm_locality_return",
                    "known": add_months(d, 4 if service == "camhs" else 3),
                }
                if code == "E08000008" and service == "ot" and d == date(2025, 2, 28):
                    row.update(
                        waiting_total=None,
                        waiting_under_18_weeks=None,
                        waiting_over_52_weeks=None,
                        median_wait_weeks=None,
                    )  # no return that month: shown as x, never 0
                out.append(row)
    return out
