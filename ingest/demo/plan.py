"""The demonstration improvement plan's actions, risks, commentary and milestones, read from `plan.toml` beside
this module (data, written for this project; roles, never names), in the shapes `ingest.demo.build` lays out as
tables. The board's monthly meetings are a rule, not data: the third Monday of each month from June 2024."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

PLAN_FILE = Path(__file__).with_name("plan.toml")


def _third_monday(y: int, m: int) -> date:
    first = date(y, m, 1)
    return first + timedelta(days=(0 - first.weekday()) % 7 + 14)


_PLAN = tomllib.loads(PLAN_FILE.read_text(encoding="utf-8"))
# id, workstream, title, owner role, due, [(from, status, note)]
ACTIONS = [
    (
        a["id"],
        a["workstream"],
        a["title"],
        a["owner_role"],
        a["due"],
        [(t["from"], t["status"], t["note"]) for t in a["timeline"]],
    )
    for a in _PLAN["action"]
]
# id, workstreams, title, raised, impact, mitigation, owner, [(from, likelihood, severity, direction)]
RISKS = [
    (
        r["id"],
        r["workstreams"],
        r["title"],
        r["raised"],
        r["impact"],
        r["mitigation"],
        r["owner_role"],
        [(t["from"], t["likelihood"], t["severity"], t["direction"]) for t in r["timeline"]],
    )
    for r in _PLAN["risk"]
]
# workstream, kpi_id, written, kind, author role, text (markdown)
COMMENTARY = [
    (c["workstream"], c["kpi_id"], c["written"], c["kind"], c["author_role"], c["text"]) for c in _PLAN["commentary"]
]
BOARD_DAYS = [_third_monday(y, m) for y, m in [(2024, m) for m in range(6, 13)] + [(2025, m) for m in range(1, 13)]]
MILESTONES = [
    *[(m["date"], m["kind"], m["title"], m["detail"]) for m in _PLAN["milestone"]],
    *[
        (
            d,
            "board",
            "SEND Improvement and Assurance Board",
            "First meeting, with an independent chair." if i == 0 else "Monthly board meeting.",
        )
        for i, d in enumerate(BOARD_DAYS)
    ],
]
