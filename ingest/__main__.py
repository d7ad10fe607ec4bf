"""Command line: `python -m ingest demo | check …`. Prints plain-English errors; exit code 1 on any problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from metrics.schema import TABLES
from metrics.snapshot import SnapshotError, configured_key, open_snapshot, scan_table

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
        snap = open_snapshot(args.snapshot, key=configured_key())
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    print(f"OK: snapshot {snap.id} for {snap.la_name} ({snap.la_code}){' — demonstration data' if snap.demo else ''}")
    print("  signature verified" if snap.signed else "  unsigned (no signing key is configured)")
    for name in TABLES:
        rows = scan_table(snap, name).select(pl.len()).collect().item()
        print(f"  {name:<14} {rows:>7,} rows  sha256 verified")
    for src in snap.manifest.get("sources", []):
        print(f"  source: {src.get('name')} ({src.get('publisher')}, {src.get('published')})")
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from ingest.writer import WriteError, sign_index

    try:
        published, left_out = sign_index(args.out)
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"signed the index of published snapshots in {args.out}: {', '.join(published) or 'none'}")
    for _name, why in left_out:
        print(f"  not published, as it does not verify: {why}", file=sys.stderr)
    return 0


def _base(args: argparse.Namespace):
    """The base snapshot (--snapshot, else the newest under --out), verified; or an error message."""
    from metrics.snapshot import list_snapshots

    path = args.snapshot or (list_snapshots(args.out) or [None])[0]
    if path is None:
        return None, f"No snapshot in {args.out} to build on; build one first (python -m ingest demo|build)."
    try:
        return open_snapshot(path, key=configured_key()), None
    except SnapshotError as exc:
        return None, f"REFUSED: the base snapshot failed its check: {exc}"


def _refuse(problems: list[str]) -> int:
    print("Nothing was written. Problems found:\n  - " + "\n  - ".join(problems), file=sys.stderr)
    return 1


def _lay(args: argparse.Namespace, kind: str, files: list[Path], *, problems=(), config=None) -> int:
    """One source's files laid onto the base snapshot by the one assembly route the Update data page takes too
    (`ingest.assemble`), checked the same way, and written through the same writer; or every problem, and nothing
    written."""
    from datetime import date

    from ingest.assemble import Source, assemble, publish
    from ingest.writer import WriteError

    base, error = _base(args)
    if error:
        print(error, file=sys.stderr)
        return 1
    problems = [*problems(base)] if callable(problems) else list(problems)
    plan = assemble(base, [Source(kind, Path(f)) for f in files])
    problems += plan.problems
    if problems:
        return _refuse(problems)
    if config:
        plan.config.update(config)
    try:
        path = publish(
            base,
            plan,
            out_root=args.out,
            as_at=args.as_at or date.today().isoformat(),
            publisher={"name": f"python -m ingest {args.command}"},
            replace=args.replace,
            where=f"by python -m ingest {args.command}",
        )
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {path}: " + " ".join(plan.notes))
    return 0


def _cmd_wards(args: argparse.Namespace) -> int:
    def area(base) -> list[str]:  # the boundary file is read for the snapshot's own area
        if args.la == base.la_code:
            return []
        return [f"--la {args.la} is not the base snapshot's area ({base.la_code}, {base.la_name})"]

    return _lay(args, "wards", [args.file], problems=area)


def _cmd_waits(args: argparse.Namespace) -> int:
    return _lay(args, "waits", args.files)


def _cmd_chs(args: argparse.Namespace) -> int:
    mapping, problems = {}, []
    for pair in args.provider_for or []:
        locality, _, provider = pair.partition("=")
        if not locality or not provider:
            problems.append(f"--provider-for '{pair}': expected LOCALITY=PROVIDER, e.g. E08000002=RM3")
        mapping[locality] = provider
    print(f"reading {', '.join(Path(f).name for f in args.files)} …")
    return _lay(
        args, "chs", args.files, problems=problems, config={"provider_for_locality": mapping} if mapping else None
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from ingest.build import BuildError, build
    from ingest.writer import WriteError

    try:
        path = build(args.config, as_at=args.as_at, out_root=args.out, replace=args.replace)
    except BuildError as exc:
        return _refuse(exc.problems)
    except WriteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def _cmd_reference(args: argparse.Namespace) -> int:
    from ingest.reference import EXTRACT, write_extract

    rows, problems = write_extract(args.release)
    if problems:
        return _refuse(problems)
    print(f"wrote {EXTRACT} ({rows:,} rows)")
    return 0


def _cmd_reference_lait(args: argparse.Namespace) -> int:
    from ingest.lait_reference import EXTRACT, NEIGHBOURS, write_extract

    rows, problems = write_extract(args.files, args.area)
    if problems:
        return _refuse(problems)
    print(f"wrote {EXTRACT} ({rows:,} rows) and {NEIGHBOURS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Build and check dashboard snapshots.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the demonstration snapshots")
    demo.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    demo.add_argument("--replace", action="store_true", help="move existing snapshots aside instead of refusing")
    demo.set_defaults(func=_cmd_demo)
    reference = sub.add_parser(
        "reference", help="make the committed extract of DfE headline figures from a release zip (for the demo)"
    )
    reference.add_argument("release", type=Path, help="the DfE 'Education, health and care plans' all-files zip")
    reference.set_defaults(func=_cmd_reference)
    reference_lait = sub.add_parser(
        "reference-lait",
        help="make the committed extracts of LAIT's SEN measures and the statistical neighbours (for the demo)",
    )
    reference_lait.add_argument(
        "files",
        type=Path,
        nargs="+",
        help="LAIT's long data, data dictionary and the statistical neighbours workbook, in any order",
    )
    reference_lait.add_argument("--area", required=True, help="the area whose whole series are kept (GSS code)")
    reference_lait.set_defaults(func=_cmd_reference_lait)
    check = sub.add_parser("check", help="verify one snapshot (manifest, hashes, schemas) and summarise it")
    check.add_argument("snapshot", type=Path)
    check.set_defaults(func=_cmd_check)
    index = sub.add_parser(
        "index",
        help="sign the index of published snapshots afresh: every folder that verifies with the key now is published "
        "(after upgrading, or after checking the folders by hand)",
    )
    index.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    index.set_defaults(func=_cmd_index)
    build = sub.add_parser("build", help="build a snapshot from real files named in a TOML config")
    build.add_argument("--config", type=Path, required=True, help="the TOML config (see ingest.example.toml)")
    build.add_argument("--as-at", required=True, help="the snapshot's date, YYYY-MM-DD")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    build.add_argument("--replace", action="store_true", help="move an existing snapshot of that date aside")
    build.set_defaults(func=_cmd_build)
    wards = sub.add_parser("wards", help="load ONS ward boundaries (GeoJSON) into a new snapshot")
    wards.add_argument("file", type=Path, help="GeoJSON of ward boundaries (ONS or a re-publication)")
    wards.add_argument("--la", required=True, help="local authority GSS code, e.g. E08000002")
    wards.add_argument("--snapshot", type=Path, help="base snapshot to copy the other tables from (default newest)")
    wards.add_argument("--as-at", help="date of the new snapshot, YYYY-MM-DD (default today)")
    wards.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
    wards.add_argument("--replace", action="store_true", help="move an existing snapshot of that date aside")
    wards.set_defaults(func=_cmd_wards)
    waits = sub.add_parser("waits", help="load the system's locality waiting-times returns (CSV or XLSX template)")
    waits.add_argument("files", type=Path, nargs="+")
    chs = sub.add_parser("chs", help="load NHS England community health services waiting-list workbooks")
    chs.add_argument("files", type=Path, nargs="+")
    chs.add_argument(
        "--provider-for",
        action="append",
        metavar="LOCALITY=PROVIDER",
        help="show this provider's figures beside a locality, e.g. E08000002=RM3 (approximate)",
    )
    for p in (waits, chs):
        p.add_argument("--snapshot", type=Path, help="base snapshot (default the newest)")
        p.add_argument("--as-at", help="date of the new snapshot, YYYY-MM-DD (default today)")
        p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot folder (default data/snapshots)")
        p.add_argument("--replace", action="store_true", help="move an existing snapshot of that date aside")
    waits.set_defaults(func=_cmd_waits)
    chs.set_defaults(func=_cmd_chs)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a file no check foresaw: a plain message, never a traceback (writes are atomic)
        print(
            f"Stopped on an unexpected problem ({type(exc).__name__}: {exc}). Nothing was written. Please report "
            "it with the file that caused it.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
