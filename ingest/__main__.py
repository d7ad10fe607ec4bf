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


def _cmd_wards(args: argparse.Namespace) -> int:
    from datetime import date

    from ingest.geo import read_wards
    from ingest.writer import WriteError, write_snapshot
    from metrics.snapshot import list_snapshots, sha256_file

    root = args.out
    base_path = args.snapshot or (list_snapshots(root) or [None])[0]
    if base_path is None:
        print(
            f"No snapshot in {root} to add boundaries to; build one first (python -m ingest demo|build).",
            file=sys.stderr,
        )
        return 1
    try:
        base = open_snapshot(base_path)
    except SnapshotError as exc:
        print(f"REFUSED: the base snapshot failed its check: {exc}", file=sys.stderr)
        return 1
    wards, problems = read_wards(args.file, args.la)
    if args.la != base.la_code:
        problems.append(f"--la {args.la} is not the base snapshot's area ({base.la_code}, {base.la_name})")
    tables = {name: scan_table(base, name).collect() for name in TABLES}
    known = tables["wards"]
    codes = {w.code for w in wards}
    if known.height:
        missing = sorted(set(known["ward_code"]) - codes)
        extra = sorted(codes - set(known["ward_code"]))
        if missing:
            problems.append(f"{args.file}: {len(missing)} ward(s) of {args.la} missing: {', '.join(missing)}")
        if extra:
            problems.append(
                f"{args.file}: {len(extra)} ward(s) not in the snapshot's ward list (a different "
                f"boundary year?): {', '.join(extra)}"
            )
    if problems:
        print("Boundaries not loaded; nothing was written:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 1
    old = {r["ward_code"]: r for r in known.iter_rows(named=True)}
    tables["wards"] = pl.DataFrame(
        [
            {
                "ward_code": w.code,
                "ward_name": w.name,
                "town": old.get(w.code, {}).get("town", ""),
                "lon": w.lon,
                "lat": w.lat,
                "geometry": w.geometry,
                "geometry_source": "ons",
                "imd_decile": old.get(w.code, {}).get("imd_decile"),
            }
            for w in sorted(wards, key=lambda w: w.code)
        ],
        schema=TABLES["wards"].columns,
    )
    manifest = base.manifest
    source = {
        "name": "ONS ward boundaries",
        "file": Path(args.file).name,
        "sha256": sha256_file(args.file),
        "publisher": "Office for National Statistics",
        "licence": "OGL-3.0",
        "published": "",
    }
    as_at = args.as_at or date.today().isoformat()
    try:
        path = write_snapshot(
            tables,
            out_root=root,
            as_at=as_at,
            area=manifest["area"],
            demo=manifest["demo"],
            sources=[*manifest.get("sources", []), source],
            replace=args.replace,
            notes=[
                *manifest.get("notes", []),
                f"Ward boundaries from {Path(args.file).name}; other tables copied from snapshot {base.id}.",
            ],
        )
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {path}: {len(wards)} wards with ONS boundaries (other tables from {base.id})")
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
    wards = sub.add_parser("wards", help="load ONS ward boundaries (GeoJSON) into a new snapshot")
    wards.add_argument("file", type=Path, help="GeoJSON of ward boundaries (ONS or a re-publication)")
    wards.add_argument("--la", required=True, help="local authority GSS code, e.g. E08000002")
    wards.add_argument("--snapshot", type=Path, help="base snapshot to copy the other tables from (default newest)")
    wards.add_argument("--as-at", help="date of the new snapshot, YYYY-MM-DD (default today)")
    wards.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    wards.add_argument("--replace", action="store_true", help="move an existing snapshot of that date aside")
    wards.set_defaults(func=_cmd_wards)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
