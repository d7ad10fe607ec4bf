"""Finding exact ward counts in what the app sends: a snapshot whose ward counts are recognisable, the set of exact
counts that protection would change, and a scanner of every string and number in Streamlit's protobuf messages
(AppTest elements or the browser's websocket frames), Arrow payloads decoded.

Exact ward counts are made recognisable by multiplying every ward count by a million and adding 7 (and every
population by a million, so rates keep their size), which lifts them above any published local-authority figure.
No such count, nor any exact town or borough total, is a multiple of 5, while every protected count is; so any of
them found anywhere in a page's data is a leak.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pyarrow as pa

from metrics.snapshot import open_snapshot, scan_table

SCALE = 1_000_000
SENTINEL_DATES = ("2025-09-30", "2025-10-31")


def write_sentinel_snapshots(root: Path, demo_tables: dict[str, pl.DataFrame]) -> None:
    """Two snapshots (a board and the one before) of the demo's tables with recognisable ward counts."""
    from ingest.writer import write_snapshot

    wd = demo_tables["ward_demand"].with_columns(
        count=pl.when(pl.col("count") > 0).then(pl.col("count") * SCALE + 7).otherwise(pl.col("count")),
        population=pl.col("population") * SCALE,
    )
    area = {"la_code": "E08000002", "la_name": "Bury"}
    for as_at in SENTINEL_DATES:
        write_snapshot({**demo_tables, "ward_demand": wd}, out_root=root, as_at=as_at, area=area, demo=True)


def exact_ward_counts(snapshot_path: Path) -> set[int]:
    """Every exact count below local-authority level that protection would change: each ward's, each town's and
    the borough's total, for every month, measure and phase (and all phases together)."""
    snap = open_snapshot(snapshot_path)
    wd = scan_table(snap, "ward_demand").join(scan_table(snap, "wards").select("ward_code", "town"), on="ward_code")
    keys = ["period_end", "measure"]
    frames = [wd.select("count")]
    for extra in ([], ["phase"], ["town"], ["town", "phase"], ["ward_code"]):
        frames.append(wd.group_by([*keys, *extra]).agg(pl.col("count").sum()).select("count"))
    counts = pl.concat(frames).collect()["count"]
    return {int(c) for c in counts if c is not None and c % 5 != 0}


NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?!\w)")  # a figure, not the digits of a code like E08000007


def numbers_in_text(text: str) -> set[int]:
    found = set()
    for token in NUMBER.findall(text):
        value = float(token.replace(",", ""))
        if value.is_integer():
            found.add(int(value))
    return found


def arrow_values(blob: bytes) -> list:
    try:
        table = pa.ipc.open_stream(blob).read_all()
    except (pa.ArrowInvalid, OSError):
        return []
    return [v for column in table.columns for v in column.to_pylist()]


def payload(message, texts: list[str], numbers: set[int]) -> None:
    """Every string and number in a protobuf message, Arrow payloads (dataframes, chart datasets) decoded."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for v in values:
            if field.type == field.TYPE_MESSAGE:
                payload(v, texts, numbers)
            elif field.type == field.TYPE_STRING:
                texts.append(v)
                numbers |= numbers_in_text(v)
            elif field.type == field.TYPE_BYTES:
                for cell in arrow_values(v):
                    if isinstance(cell, bool) or cell is None:
                        continue
                    if isinstance(cell, int | float) and float(cell).is_integer():
                        numbers.add(int(cell))
                    elif isinstance(cell, str):
                        texts.append(cell)
                        numbers |= numbers_in_text(cell)
            elif field.type in (field.TYPE_INT32, field.TYPE_INT64, field.TYPE_DOUBLE, field.TYPE_FLOAT) and (
                float(v).is_integer()
            ):
                numbers.add(int(v))


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def sent(at) -> tuple[str, set[int]]:
    """The text and numbers of every element of an AppTest run."""
    texts: list[str] = []
    numbers: set[int] = set()
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            payload(proto, texts, numbers)
    return "\n".join(texts), numbers


def frames_sent(frames: list[bytes]) -> tuple[str, set[int]]:
    """The text and numbers of every ForwardMsg a browser received over the websocket."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    texts: list[str] = []
    numbers: set[int] = set()
    for frame in frames:
        if isinstance(frame, str):
            frame = frame.encode()
        payload(ForwardMsg.FromString(frame), texts, numbers)
    return "\n".join(texts), numbers
