"""The demonstration snapshots: `python -m ingest demo [--out data/snapshots]`.

Deterministic (every random draw is seeded by a string naming its series). One snapshot per monthly board from
2025-06-30 to 2025-10-31, each holding the whole history known at its date: DfE measures from 2019, local monthly
measures from April 2023. Published figures (ingest/demo_facts.py, KPIS.md) are reproduced exactly at their stated
periods; everything around them is generated and marked demonstration data. Roles, never names.

One module per table or idea: `calendar` (month and year helpers, seeded draws), `catalogue` (the indicators),
`series` (kpi_values), `waits` (waiting_times), `wards` (wards and ward_demand), `plan` (actions, risks, commentary
and milestones, read from the data files beside it) and `build` (one snapshot's tables, and writing them all).
"""

from ingest.demo.build import SNAPSHOT_DATES, build_tables, write_demo
from ingest.demo.calendar import allocate
from ingest.demo.catalogue import CATALOGUE

__all__ = ["CATALOGUE", "SNAPSHOT_DATES", "allocate", "build_tables", "write_demo"]
