"""Command line: `python -m ingest demo | check …`. Prints plain-English errors; exit code 1 on any problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from metrics.schema import TABLES
from metrics.snapshot import SnapshotError, open_snapshot, scan_table

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def _cmd_demo(args: argparse.Namespace) -> int:
    from ingest.demo import write_demo
    from ingest.writer import WriteError

    try:
        for path in write_demo(args.out, replace=args.replace):
            print(f"wrote {path}")
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        snap = open_snapshot(args.snapshot)
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    print(f"OK: snapshot {snap.id} for {snap.la_name} ({snap.la_code}){' — demonstration data' if snap.demo else ''}")
    for name in TABLES:
        rows = scan_table(snap, name).select(pl.len()).collect().item()
        print(f"  {name:<14} {rows:>7,} rows  sha256 verified")
    for src in snap.manifest.get("sources", []):
        print(f"  source: {src.get('name')} ({src.get('publisher')}, {src.get('published')})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Build and check dashboard snapshots.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the demonstration snapshots")
    demo.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    demo.add_argument("--replace", action="store_true", help="move existing snapshots aside instead of refusing")
    demo.set_defaults(func=_cmd_demo)
    check = sub.add_parser("check", help="verify one snapshot (manifest, hashes, schemas) and summarise it")
    check.add_argument("snapshot", type=Path)
    check.set_defaults(func=_cmd_check)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
