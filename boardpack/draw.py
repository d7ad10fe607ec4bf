"""The board pack's chart drawer, run as its own process by boardpack.Charts: `python boardpack/draw.py FOLDER
SCALE`.

Reads chart numbers from standard input, one per line, turns FOLDER/<n>.json (a Vega-Lite spec) into
FOLDER/<n>.png with vl-convert (SCALE pixels per CSS pixel) and marks it finished with FOLDER/<n>.done.
vl-convert holds Python's global lock while it draws, so a thread cannot overlap it with the rest of the pack; a
process can, drawing while the document is still being written and laid out. Run by path, not as a module, so it
imports only vl-convert (not the package's Polars and Altair).
"""

import os
import sys
from pathlib import Path

import vl_convert as vlc

WARM_UP = '{"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}'


def main(folder: Path, scale: float) -> None:
    vlc.vegalite_to_png(WARM_UP, scale=scale)  # start the engine (about a second) before the first chart arrives
    for line in sys.stdin:
        n = line.strip()
        if n:
            png = vlc.vegalite_to_png((folder / f"{n}.json").read_text(encoding="utf-8"), scale=scale)
            (folder / f"{n}.png.part").write_bytes(png)
            os.replace(folder / f"{n}.png.part", folder / f"{n}.png")  # replaces a stand-in, if one was written
            (folder / f"{n}.done").touch()


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))
