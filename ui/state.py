"""The global controls (area, snapshot, compare-with snapshot, phase, board mode): their keys, their sync with the
URL, where the session's area keeps its snapshots, and the `Context` pages read. app.py draws the widgets; pages only
call `context()`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from metrics import signing
from metrics.formatting import fmt_date
from metrics.schema import PHASES
from metrics.snapshot import Snapshot, list_snapshots, unlisted_folders

LOG = logging.getLogger(__name__)

KEY_SNAPSHOT = "g_snapshot"
KEY_COMPARE = "g_compare"
KEY_PHASE = "g_phase"
KEY_BOARD = "g_board"
NO_COMPARE = "none"
# Set when the person chose the compare snapshot (in the sidebar, or by a link naming one other than the default):
# only then does it stay when the snapshot shown changes; otherwise it is always the snapshot before the one shown.
KEY_COMPARE_CHOSEN = "_compare_chosen"
PARAMS = {KEY_SNAPSHOT: "as_at", KEY_COMPARE: "compare", KEY_PHASE: "phase", KEY_BOARD: "mode"}
# The session's area (ui.areas chooses it on every run, before anything is read): its GSS code ("" for the one area
# of a root holding its snapshot folders itself), its snapshot folder, and whether the area belongs in the address.
KEY_AREA = "g_area"
AREA_ROOT = "_area_root"
AREA_IN_URL = "_area_in_url"


def _session() -> Any:
    """The session's state during a script run; an empty mapping outside one (the command line, a bench)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return st.session_state if get_script_run_ctx() is not None else {}


def base_root() -> Path:
    """The deployment's snapshot folder: $SEND_SNAPSHOT_ROOT, else data/snapshots beside app.py. With several areas
    it holds one folder per area."""
    env = os.environ.get("SEND_SNAPSHOT_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data" / "snapshots"


def snapshot_root() -> Path:
    """Where the session's area keeps its snapshots (and its board papers, its lock and its signed index); the
    deployment's snapshot folder when no area is chosen or outside a script run."""
    root = _session().get(AREA_ROOT)
    return Path(root) if root else base_root()


def session_area() -> str | None:
    """The GSS code of the session's area in a deployment of several areas; None otherwise. Every snapshot read
    or written in the run is signed and checked with that area's key (metrics.signing)."""
    session = _session()
    return (session.get(KEY_AREA) or None) if session.get(AREA_ROOT) else None


signing.use_area(session_area)


# Whether each snapshot folder can be reached, found by a background thread per folder that looks at it every
# PROBE_EVERY seconds while pages are asking (it stops after a minute without), so a page never waits on the storage
# itself: a store on a network share that has stopped answering hangs whoever touches it. A page waits at most
# STORE_DEADLINE seconds, and only for a folder's very first answer; otherwise it reads the latest answer, at most
# PROBE_EVERY seconds old, without starting or waiting for a thread while it holds the server's run lock.
PROBE_EVERY = 1.0
STORE_DEADLINE = 3.0
PROBE_IDLE = 60.0
NOT_ANSWERING = "it has not answered (the shared storage it is on may be down)"


@dataclass
class _Probe:
    root: str
    outcome: str = ""
    at: float = 0.0  # when the last answer came (time.monotonic)
    asked: float = 0.0
    started: float = 0.0
    running: bool = False
    answered: threading.Event = field(default_factory=threading.Event)


_PROBES: dict[str, _Probe] = {}
_PROBES_LOCK = threading.Lock()


def _probe_once(root: str) -> str:
    """One look at the folder: "" when it can be listed, else why not (plain English, no path)."""
    try:
        with os.scandir(root) as entries:
            next(entries, None)
        return ""
    except FileNotFoundError:
        return "it is not there (the shared storage it is on may not be mounted)"
    except NotADirectoryError:
        return "it is not a folder"
    except OSError as exc:
        LOG.error("Snapshot store %s cannot be read: %s", root, exc)
        return f"it cannot be read ({exc.strerror or type(exc).__name__})"


def _probing(probe: _Probe) -> None:
    while True:
        outcome = _probe_once(probe.root)
        probe.outcome, probe.at = outcome, time.monotonic()
        probe.answered.set()
        time.sleep(PROBE_EVERY)
        with _PROBES_LOCK:
            if time.monotonic() - probe.asked > PROBE_IDLE:
                probe.running = False
                return


def store_problem(root: Path | str) -> str:
    """Why the snapshot folder cannot be reached just now ("" when it can), in plain English without its path: not
    there, not a folder, unreadable, or not answering (no answer for STORE_DEADLINE seconds past its due time)."""
    key = os.fspath(root)
    now = time.monotonic()
    with _PROBES_LOCK:
        probe = _PROBES.setdefault(key, _Probe(key))
        probe.asked = now
        if not probe.running:
            probe.running, probe.started = True, now
            probe.answered.clear()
            threading.Thread(target=_probing, args=(probe,), name="snapshot-store-probe", daemon=True).start()
    if not probe.answered.is_set():
        waited = now - probe.started
        if waited >= STORE_DEADLINE or not probe.answered.wait(STORE_DEADLINE - waited):
            LOG.error("Snapshot store %s has not answered in %.0f s", key, STORE_DEADLINE)
            return NOT_ANSWERING
    if time.monotonic() - probe.at > PROBE_EVERY + STORE_DEADLINE:  # the probe is stuck in the storage
        return NOT_ANSWERING
    return probe.outcome


def snapshot_ids() -> tuple[list[str], list[tuple[str, str]]]:
    """The snapshots that verify (ids, i.e. as-at dates, newest first), and every other folder that looks meant as
    one with the reason it cannot be shown — so one damaged or oddly named folder never takes the app down. In a
    deployment of several areas a snapshot of another area (by its manifest's code) is never shown as this one's."""
    from ingest.writer import JOURNAL, recover
    from ui import snapshots

    root = snapshot_root()
    if (root / JOURNAL).exists():  # a publish stopped part-way (a server killed): finish it before listing
        recover(root)
    area = session_area()
    good, unavailable = [], list(unlisted_folders(root))
    for path in list_snapshots(root):
        problem = snapshots.verdict(path)
        if not problem and area and snapshots.snapshot(path).la_code != area:
            problem = f"it is a snapshot of another area ({snapshots.snapshot(path).la_code}), not of {area}"
        if problem:
            unavailable.append((path.name, problem))
        else:
            good.append(path.name)
    return good, sorted(unavailable, reverse=True)


def snapshot_label(snapshot_id: str) -> str:
    """'31 October 2025' for a snapshot id; 'No comparison' for the none option."""
    if snapshot_id == NO_COMPARE:
        return "No comparison"
    return fmt_date(date.fromisoformat(snapshot_id))


def default_compare(ids: list[str], chosen: str) -> str:
    """The previous snapshot before `chosen` (the last board), or none."""
    older = [i for i in ids if i < chosen]
    return older[0] if older else NO_COMPARE


def init_from_url(ids: list[str], *, officer: bool = True) -> None:
    """On a session's first run, seed the controls from the URL so a shared link reopens the same view. The mode is
    taken from the URL only for an officer: the public view is always protected, whatever the link says."""
    if st.session_state.get("_url_loaded"):
        return
    st.session_state["_url_loaded"] = True
    qp = st.query_params
    as_at = qp.get("as_at")
    if as_at in ids:
        st.session_state[KEY_SNAPSHOT] = as_at
    compare = qp.get("compare")
    if compare in ids or compare == NO_COMPARE:
        st.session_state[KEY_COMPARE] = compare
        # a link carries the compare snapshot it was made with; it is a choice only if it is not that view's default
        shown = as_at if as_at in ids else ids[0]
        st.session_state[KEY_COMPARE_CHOSEN] = compare != default_compare(ids, shown)
    if qp.get("phase") in PHASES:
        st.session_state[KEY_PHASE] = qp.get("phase")
    if officer and qp.get("mode") in ("board", "officer"):
        st.session_state[KEY_BOARD] = qp.get("mode") == "board"


def compare_chosen(ids: list[str]) -> None:
    """The sidebar's compare control changed: the person chose it, unless they chose the default back."""
    chosen = st.session_state.get(KEY_SNAPSHOT) or ids[0]
    st.session_state[KEY_COMPARE_CHOSEN] = st.session_state.get(KEY_COMPARE) != default_compare(ids, chosen)


def settle_compare(ids: list[str], chosen: str) -> None:
    """The compare snapshot for the snapshot shown: the one before it (the last board) unless the person chose
    another that is still earlier than the one shown. Run before the control is drawn, on every run, so that a
    session moved to a newly published snapshot compares it with the one before it, not with the old default."""
    options = [i for i in ids if i < chosen] + [NO_COMPARE]
    current = st.session_state.get(KEY_COMPARE)
    if not st.session_state.get(KEY_COMPARE_CHOSEN) or current not in options:
        st.session_state[KEY_COMPARE] = default_compare(ids, chosen)
        st.session_state[KEY_COMPARE_CHOSEN] = False


def sync_to_url() -> None:
    """Mirror the controls into the URL, only those that differ and all in one change of address (each change is
    a message the browser acts on, and a page switch starts with an address holding none of them)."""
    wanted = {
        "area": st.session_state.get(KEY_AREA) if st.session_state.get(AREA_IN_URL) else None,
        "as_at": st.session_state.get(KEY_SNAPSHOT),
        "compare": st.session_state.get(KEY_COMPARE),
        "phase": st.session_state.get(KEY_PHASE, "all"),
        "mode": "board" if st.session_state.get(KEY_BOARD) else "officer",
    }
    changed = {k: v for k, v in wanted.items() if v is not None and st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


@dataclass(frozen=True)
class Context:
    """What every page needs: the verified snapshot, the compare snapshot (or None), phase, board mode (the
    presentation: large type, static tables) and whether the viewer is an officer (from the signed-in identity)."""

    snapshot: Snapshot
    compare: Snapshot | None
    phase: str
    board: bool
    officer: bool = True
    publisher: tuple[str, str] = ("local user", "")  # name and email of the signed-in officer, for the manifest

    @property
    def protected(self) -> bool:
        """Whether figures below local-authority level must be disclosure-controlled: always for the public,
        and in board mode for officers too (the screen is shared)."""
        return self.board or not self.officer


FRAME_FLAG = "_frame_active"


def context() -> Context:
    """The current global context, set by app.py before the page runs.

    Streamlit treats an app with a `pages/` folder as a legacy multipage app until `st.navigation` first runs, so a
    deep link opened in a new session (and every AppTest page switch) can run a page file without app.py. When that
    happens the page asks for one rerun through the frame instead of showing anything half-built.
    """
    if not st.session_state.get(FRAME_FLAG):
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state["_context"]
