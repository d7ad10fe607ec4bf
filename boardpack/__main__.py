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
    parser.add_argument("--compare", help="as-at date (or folder) of the previous board's snapshot")
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
        return _prebuild(args.root, args.snapshot)
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


def _prebuild(root: Path, snapshot: str | None) -> int:
    from boardpack import papers
    from metrics.snapshot import configured_key, list_snapshots, open_snapshot

    start = time.perf_counter()
    try:
        key = configured_key()
        folders = list_snapshots(root)
        names = [p.name for p in folders]
        chosen = Path(snapshot).name if snapshot else (names[0] if names else None)
        if chosen not in names:
            print(f"REFUSED: no snapshot {chosen or ''} in {root}", file=sys.stderr)
            return 1
        i = names.index(chosen)
        snap = open_snapshot(folders[i], key=key)
        compare = open_snapshot(folders[i + 1], key=key) if i + 1 < len(folders) else None
        done = papers.prebuild(root, snap, compare, key=key)
    except SnapshotError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    print(
        f"board papers for {chosen} ready ({', '.join(p.suffix[1:] for p in done)}) in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
