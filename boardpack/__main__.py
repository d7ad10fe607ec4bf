"""`python -m boardpack --snapshot 2025-10-31 --compare 2025-09-30 --out pack.pdf [--format pdf|pptx]`"""

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
    parser.add_argument("--snapshot", required=True, help="as-at date of the snapshot, or its folder")
    parser.add_argument("--compare", help="as-at date (or folder) of the previous board's snapshot")
    parser.add_argument("--root", type=Path, default=ROOT, help="snapshot folder (default data/snapshots)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the file")
    parser.add_argument(
        "--format", choices=("pdf", "pptx"), default=None, help="pdf (the default) or pptx; else from --out's ending"
    )
    args = parser.parse_args(argv)

    def where(x: str) -> Path:
        return Path(x) if Path(x).is_dir() else args.root / x

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


if __name__ == "__main__":
    sys.exit(main())
