"""The board pack's chart drawer, run as its own process by boardpack.Charts: `python boardpack/draw.py FOLDER`.

Reads chart numbers from standard input, one per line, and turns FOLDER/<n>.json (a Vega-Lite spec) into
FOLDER/<n>.png with vl-convert. vl-convert holds Python's global lock while it draws, so a thread cannot overlap it
with the rest of the pack; a process can, drawing while the document is still being written. Run by path, not as
a module, so it imports only vl-convert (not the package's Polars and Altair).
"""

import sys
from pathlib import Path

import vl_convert as vlc

SCALE = 1.3  # pixels per CSS pixel: sharp on paper and on a projector without making the PDF heavy


def main(folder: Path) -> None:
    for line in sys.stdin:
        n = line.strip()
        if n:
            png = vlc.vegalite_to_png((folder / f"{n}.json").read_text(encoding="utf-8"), scale=SCALE)
            (folder / f"{n}.png.part").write_bytes(png)
            (folder / f"{n}.png.part").rename(folder / f"{n}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
