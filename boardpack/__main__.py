"""`python -m boardpack --snapshot 2025-10-31 --compare 2025-09-30 --out pack.pdf [--format pdf|pptx]`, or
`python -m boardpack --prebuild [--snapshot 2025-10-31]`: build and keep the board's papers (the pack and the
slides of a snapshot against the one before it, default the newest) where the app serves them at once."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from metrics.snapshot import SnapshotError

ROOT = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m boardpack", description="Build the board pack (PDF) or the board slides (PowerPoint)."
    )
    parser.add_argument("--snapshot", help="as-at date of the snapshot, or its folder (--prebuild: the newest)")
    parser.add_argument(
        "--compare", help="as-at date (or folder) of the previous board's snapshot (--prebuild: the one before)"
    )
    parser.add_argument("--no-compare", action="store_true", help="--prebuild: papers with no comparison")
    parser.add_argument("--root", type=Path, default=ROOT, help="snapshot folder (default data/snapshots)")
    parser.add_argument("--out", type=Path, help="where to write the file")
    parser.add_argument(
        "--prebuild",
        action="store_true",
        help="build and keep the pack and slides of the snapshot against the one before it, for the app to serve",
    )
    parser.add_argument(
        "--format", choices=("pdf", "pptx"), default=None, help="pdf (the default) or pptx; else from --out's ending"
    )
    args = parser.parse_args(argv)

    def where(x: str) -> Path:
        return Path(x) if Path(x).is_dir() else args.root / x

    if args.prebuild:
        return _prebuild(args.root, args.snapshot, args.compare, no_compare=args.no_compare)
    if not args.snapshot or not args.out:
        parser.error("--snapshot and --out are needed (or --prebuild)")

    from boardpack import build_pdf
    from boardpack.slides import build_deck

    kind = args.format or ("pptx" if args.out.suffix.lower() == ".pptx" else "pdf")
    build = build_deck if kind == "pptx" else build_pdf
    start = time.perf_counter()
    try:
        pdf = build(where(args.snapshot), where(args.compare) if args.compare else None)
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    args.out.write_bytes(pdf)
    print(f"wrote {args.out} ({len(pdf) / 1024:,.0f} KB) in {time.perf_counter() - start:.1f} s")
    return 0


def _prebuild(root: Path, snapshot: str | None, compare: str | None, *, no_compare: bool = False) -> int:
    """Build and keep the papers of `snapshot` (default the newest) against `compare` (default the snapshot before
    it; none with `no_compare`)."""
    from boardpack import papers
    from metrics.snapshot import configured_key, list_snapshots, open_snapshot

    start = time.perf_counter()
    try:
        key = configured_key()
        names = [p.name for p in list_snapshots(root)]
        chosen = Path(snapshot).name if snapshot else (names[0] if names else None)
        older = [n for n in names if chosen and n < chosen]
        other = None if no_compare else Path(compare).name if compare else (older[0] if older else None)
        missing = [n for n in (chosen, other) if n is not None and n not in names] or ([] if chosen else ["(none)"])
        if missing:
            print(f"REFUSED: no snapshot {', '.join(missing)} in {root}", file=sys.stderr)
            return 1
        snap = open_snapshot(Path(root) / chosen, key=key)
        comp = open_snapshot(Path(root) / other, key=key) if other else None
        done = papers.prebuild(root, snap, comp, key=key)
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    print(
        f"board papers for {chosen} against {other or 'nothing'} ready ({', '.join(p.suffix[1:] for p in done)}) in {took:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
