"""The board's papers on the Summary page: the pack (PDF) and the slides (PowerPoint) served as kept files
(boardpack.papers), never built inside a page run.

A paper that is kept is a plain download: no build, no lock, whoever asks. Publishing keeps the new snapshot's
papers (and `make run` the demonstration's). One that is not kept is built, when asked for, by a separate process
(`python -m boardpack --prebuild`), so a build never holds up another visitor's page, and the block checks every two
seconds until it is ready. Who may start a build:
- anyone, for the papers a board publishes: a snapshot against the one before it (what publishing builds anyway);
- officers, for any other comparison they choose; the public is offered the published papers instead;
- a session has at most one build waiting, and the same pair is never built twice at once on a server.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import streamlit as st

from boardpack import papers
from metrics.formatting import fmt_date
from metrics.signing import AREA_ENV, KEY_ENV
from metrics.snapshot import Snapshot
from ui import snapshots
from ui.state import Context, snapshot_root

LOG = logging.getLogger(__name__)
_spawn = subprocess.Popen  # how a build process is started (tests put a recorder here)
ROOT = Path(__file__).resolve().parents[1]
_JOBS: dict[tuple[str, str, str], subprocess.Popen] = {}  # (root, snapshot id, compare id) → the build running
_JOBS_LOCK = threading.Lock()
REQUESTED = "_papers_requested"  # a click on "Prepare the board papers", for the pair it was offered for
PENDING = "_papers_pending"  # this session's one build waiting, as (snapshot id, compare id)
MIME = {"pdf": "application/pdf", "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def published_pair(snap: Snapshot, ids: list[str]) -> str | None:
    """The compare snapshot a board's papers for `snap` use: the snapshot before it (None when it is the first)."""
    older = [i for i in ids if i < snap.id]
    return older[0] if older else None


def start_build(root: Path, snap_id: str, compare_id: str | None) -> bool:
    """Start building the pair's papers in a separate process unless a build of that pair is running; True when
    one is now running."""
    job = (str(root), snap_id, compare_id or "")
    with _JOBS_LOCK:
        running = _JOBS.get(job)
        if running is not None and running.poll() is None:
            return True
        cmd = [sys.executable, "-m", "boardpack", "--prebuild", "--root", str(root), "--snapshot", snap_id]
        cmd += ["--compare", compare_id] if compare_id else ["--no-compare"]
        # The build signs and checks with the app's own key for the session's area (`root` is that area's folder),
        # whichever secrets file it came from, handed over in the child's environment (never on its command line,
        # which other users of the machine can read).
        key = snapshots.snapshot_key()
        env = {k: v for k, v in os.environ.items() if k not in (KEY_ENV, AREA_ENV)}
        if key is not None:
            env[KEY_ENV] = key.decode("utf-8")
        try:
            _JOBS[job] = _spawn(
                cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            LOG.warning("Could not start the board papers' build: %s", exc)
            return False
        return True


def build_failed(root: Path, snap_id: str, compare_id: str | None) -> bool:
    """Whether the last build of the pair on this server has ended without giving papers that can be served: an
    error, or papers this server cannot read back (its message goes to the log)."""
    with _JOBS_LOCK:
        job = _JOBS.get((str(root), snap_id, compare_id or ""))
    if job is None or job.poll() is None:
        return False
    LOG.warning("The board papers' build failed: %s", (job.stderr.read() if job.stderr else b"").decode()[-2000:])
    return True


def _kept(ctx: Context, compare: Snapshot | None) -> dict[str, bytes | None]:
    key = snapshots.snapshot_key()
    return {kind: papers.read(snapshot_root(), ctx.snapshot, compare, kind, key=key) for kind in papers.KINDS}


def _buttons(ctx: Context, compare: Snapshot | None, kept: dict[str, bytes | None]) -> None:
    stem = f"{ctx.snapshot.la_name.lower().replace(' ', '_')}_{ctx.snapshot.as_at.isoformat()}"
    pack_col, slides_col = st.columns(2)
    pack_col.download_button(
        "Download board pack (PDF)",
        data=kept["pdf"],
        file_name=f"board_pack_{stem}.pdf",
        mime=MIME["pdf"],
        icon=":material/picture_as_pdf:",
        key="board_pack",
        help="All pages as one PDF for the board's papers, disclosure-controlled.",
    )
    slides_col.download_button(
        "Download board slides (PowerPoint)",
        data=kept["pptx"],
        file_name=f"board_slides_{stem}.pptx",
        mime=MIME["pptx"],
        icon=":material/slideshow:",
        key="board_slides",
        help="An editable 16:9 deck: the Summary, each workstream with native charts and its commentary in the "
        "speaker notes, wards (disclosure-controlled), waiting times, risks and actions.",
    )


def downloads(ctx: Context, ids: list[str]) -> None:
    """The papers' download buttons, or word of their build. A fragment: while a build is waiting only it reruns,
    every two seconds, until the papers are kept."""
    published = published_pair(ctx.snapshot, ids)
    # The public get the papers a board publishes; an officer gets the comparison on screen.
    compare_id = (ctx.compare.id if ctx.compare else None) if ctx.officer else published
    pair = (ctx.snapshot.id, compare_id)
    waiting = st.session_state.get(PENDING) == pair
    st.fragment(_papers, run_every=2 if waiting else None)(ctx, compare_id, compare_id == published)


def _papers(ctx: Context, compare_id: str | None, published: bool) -> None:
    with snapshots.RUN_LOCK:  # a fragment's rerun does not pass through app.py, where page runs take turns
        root = snapshot_root()
        compare = snapshots.snapshot(root / compare_id) if compare_id else None
        kept = _kept(ctx, compare)
        pair = (ctx.snapshot.id, compare_id)
        waiting = st.session_state.get(PENDING)
        against = f"against {fmt_date(compare.as_at)}" if compare else "with no comparison"
        if all(kept.values()):
            if not ctx.officer and ctx.compare is not None and ctx.compare.id != compare_id:
                st.caption(f"The board's papers compare {fmt_date(ctx.snapshot.as_at)} {against}, as published.")
            _buttons(ctx, compare, kept)
            if waiting == pair:  # ready: stop checking (the whole page runs once more, without the timer)
                st.session_state.pop(PENDING)
                st.rerun()
            return
        if waiting == pair and build_failed(root, *pair):
            st.session_state.pop(PENDING)
            st.error("The board papers could not be built. The server log has the reason.", icon=":material/error:")
            return
        if waiting not in (None, pair):
            st.info(
                "The board papers for another comparison are still being prepared. Try this one when they are ready.",
                icon=":material/hourglass_top:",
            )
            return
        if waiting is None:
            st.caption(f"The board papers for {fmt_date(ctx.snapshot.as_at)} {against} have not been prepared yet.")
            if not (published or ctx.officer):
                return  # never reached: the public are only offered the published papers
            # the click is kept by a callback, which runs before the script: a button's own value is gone after
            # the frame's rerun of a page opened directly
            st.button(
                "Prepare the board papers (PDF and slides)",
                key="prepare_papers",
                icon=":material/build:",
                on_click=st.session_state.__setitem__,
                args=(REQUESTED, pair),
            )
            if st.session_state.pop(REQUESTED, None) != pair:
                return
            if not start_build(root, *pair):
                st.error("The board papers cannot be prepared just now.", icon=":material/error:")
                return
            st.session_state[PENDING] = pair
            st.rerun()  # again, so that this block checks back every two seconds
        st.info(
            f"Preparing the board papers for {fmt_date(ctx.snapshot.as_at)} {against}: about ten seconds. They "
            "appear here when ready.",
            icon=":material/hourglass_top:",
        )
