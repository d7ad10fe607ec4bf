"""What the app may use of `ingest`, in one place: the Update data page (through `ui.update`) recognises uploaded
files, lays them onto a snapshot or applies its edits, previews the candidate, shows its problems and publishes it.

The page never reaches past this module: the readers, the merge and the writer behind it may change without the app
changing. Every name here is the one assembly route's (`ingest.assemble`), or the page's own front to it
(`ingest.update`).
"""

from __future__ import annotations

from ingest.assemble import Plan, candidate, publish
from ingest.problems import Problem, problems_table, said
from ingest.update import (
    Upload,
    apply_edits,
    duplicates,
    prepare,
    read_workbooks,
    recognise,
    rescored_same_direction,
)
from ingest.writer import WriteError

__all__ = [
    "Plan",
    "Problem",
    "Upload",
    "WriteError",
    "apply_edits",
    "candidate",
    "duplicates",
    "prepare",
    "problems_table",
    "publish",
    "read_workbooks",
    "recognise",
    "rescored_same_direction",
    "said",
]
