"""The frame: page config, the sign-in gate (the role from the signed-in identity), navigation, the global controls
and their URL sync, the snapshot check and banner.

No data logic and no page content live here: pages compose, metrics compute.
"""

from __future__ import annotations

import logging

import streamlit as st

from metrics.formatting import md_escape
from metrics.schema import PHASE_LABELS, PHASES
from metrics.snapshot import SnapshotError
from ui import access, areas, signin, snapshots, style
from ui.state import (
    FRAME_FLAG,
    KEY_BOARD,
    KEY_COMPARE,
    KEY_PHASE,
    KEY_SNAPSHOT,
    NO_COMPARE,
    Context,
    compare_chosen,
    init_from_url,
    settle_compare,
    snapshot_ids,
    snapshot_label,
    snapshot_root,
    store_problem,
    sync_to_url,
)

LOG = logging.getLogger("send_dashboard")

PAGES = {
    "Board": [
        st.Page("pages/summary.py", title="Summary", icon=":material/table_chart:", default=True),
        st.Page("pages/since_last_board.py", title="Since last board", icon=":material/difference:"),
    ],
    "Themes": [
        st.Page("pages/theme_1.py", title="Theme 1 – Strategy, communication, workforce", icon=":material/flag:"),
        st.Page("pages/theme_2.py", title="Theme 2 – Identification, access, new plans", icon=":material/search:"),
        st.Page("pages/theme_3.py", title="Theme 3 – Adulthood, transitions, reviews, AP", icon=":material/school:"),
    ],
    "Explore": [
        st.Page("pages/ward_demand.py", title="Ward demand", icon=":material/map:"),
        st.Page("pages/waiting_times.py", title="Waiting times", icon=":material/schedule:"),
        st.Page("pages/benchmarks.py", title="Benchmarks", icon=":material/leaderboard:"),
    ],
    "Plan": [
        st.Page("pages/actions_risks.py", title="Actions and risks", icon=":material/checklist:"),
    ],
    "About": [
        st.Page("pages/data_methods.py", title="Data and methods", icon=":material/info:"),
    ],
}


# The landing page: the deployment's areas (ui.areas). Reached by its address or "All areas", and shown in place of
# any page while no area is chosen (a deployment of several areas opened without one, or an unknown area).
LANDING = st.Page(areas.landing, title="Choose an area", icon=":material/apps:", url_path="areas", visibility="hidden")


def frame() -> None:
    """One run: the area, the role, the global controls, the snapshot, then the page."""
    snapshots.new_run()  # snapshots' files are looked at once in this run
    # The area comes first: where snapshots are read and published, which key checks them and who is an officer all
    # follow it. The role is decided on the server from the signed-in identity in that area, on every run; the URL and
    # widgets never grant it.
    deployment = areas.current_deployment()
    area, notice = areas.choose(deployment)
    viewer = access.current(deployment, area)
    # Board mode (and the public view, which is always the board presentation) opens with the sidebar collapsed, so the
    # screen holds one story; the snapshot, the mode and sign-in stay one click away behind its button.
    _board_now = (not viewer.officer) or st.session_state.get(KEY_BOARD, st.query_params.get("mode") == "board")
    st.set_page_config(
        page_title="SEND improvement board dashboard",
        page_icon=":material/monitoring:",
        layout="wide",
        initial_sidebar_state="collapsed" if _board_now else "expanded",
    )
    # Updating the data is for officers; for anyone else the page is not in the navigation, and its address leads to the
    # Summary with a one-line notice.
    PAGES["Plan"].append(
        st.Page(
            "pages/update_data.py",
            title="Update data",
            icon=":material/upload:",
            visibility="visible" if viewer.officer else "hidden",
        )
    )
    # Streamlit's own sectioned navigation puts section headings inside its list of links, which screen readers and
    # axe reject; so the navigation is hidden and drawn here as headed groups of plain page links.
    nav = st.navigation({**PAGES, "": [LANDING]}, position="hidden")
    st.session_state["_registered_pages"] = tuple(
        p._page if isinstance(p._page, str) else "" for ps in PAGES.values() for p in ps
    )
    if area is None or nav.url_path == LANDING.url_path:
        with st.sidebar:
            signin.panel(viewer, board=True, landing=True)
        areas.landing(deployment, notice, PAGES["Board"][0] if nav.url_path == LANDING.url_path else nav)
        return
    if deployment.several and len(deployment.areas) > 1:
        with st.sidebar:
            areas.sidebar_header(area, LANDING)
    with st.sidebar.container(key="site-navigation"):
        for section, pages in PAGES.items():
            st.markdown(f"#### {section}")
            for p in pages:
                if p.visibility != "hidden":
                    st.page_link(p)

    # Fail closed: when the secrets cannot say whether snapshots are signed (a file that does not parse, an unusable
    # [snapshots]), no snapshot is shown as verified, and the page says why.
    key_problem = snapshots.key_problem()
    if key_problem:
        LOG.error("No snapshot can be checked: %s", key_problem)
        with st.sidebar:
            signin.panel(viewer, board=True)
        st.error(
            f"**No snapshot can be shown:** {md_escape(key_problem)}. Whether snapshots must be signed, and with which "
            "key, is set in the secrets file, so none can be checked and none is shown as verified. The dashboard's "
            "administrator should correct the secrets file (see the README, \u201cDeploying for a board\u201d).",
            icon=":material/gpp_bad:",
        )
        st.stop()

    # A snapshot store that cannot be reached (a share not mounted, a server not answering) is said plainly on every
    # page, never taken for "no snapshots yet".
    unreachable = store_problem(snapshot_root())
    if unreachable:
        LOG.error("Snapshot store %s cannot be reached: %s", snapshot_root(), unreachable)
        with st.sidebar:
            signin.panel(viewer, board=True)
        st.error(
            f"**The snapshot store cannot be reached just now:** {unreachable}. No figures can be shown until it "
            "can. Try again in a minute; if this lasts, tell the dashboard's administrator.",
            icon=":material/cloud_off:",
        )
        st.stop()

    ids, unavailable = snapshot_ids()

    def show_unavailable() -> None:
        if unavailable:
            with st.sidebar.expander(
                f"{len(unavailable)} snapshot folder(s) cannot be shown", icon=":material/warning:"
            ):
                for name, problem in unavailable:
                    st.markdown(f"**{md_escape(name)}**: {md_escape(problem)}")

    if not ids:
        show_unavailable()
        LOG.error("No usable snapshots in %s", snapshot_root())
        st.error(
            "No snapshots can be shown: none has been built yet, or every one failed its check (see the sidebar). "
            "Build the demonstration snapshots with `python -m ingest demo`, or your own with `python -m ingest build` "
            "(see the README)."
        )
        st.stop()

    init_from_url(ids, officer=viewer.officer)
    if st.session_state.get("_goto_snapshot") in ids:  # a snapshot just published in this session
        st.session_state[KEY_SNAPSHOT] = st.session_state.pop("_goto_snapshot")
    if st.session_state.get(KEY_SNAPSHOT) not in ids:
        st.session_state[KEY_SNAPSHOT] = ids[0]
    st.session_state.setdefault(KEY_PHASE, "all")
    st.session_state.setdefault(KEY_BOARD, False)
    if not viewer.officer:
        st.session_state[KEY_BOARD] = True  # the public board view: no officer mode to switch to
    # Keep the hidden controls' values while board mode hides their widgets (Streamlit drops unrendered widget state).
    for _key in (KEY_PHASE, KEY_COMPARE):
        if _key in st.session_state:
            st.session_state[_key] = st.session_state[_key]

    with st.sidebar:
        st.selectbox(
            "Snapshot (data as at)",
            ids,
            key=KEY_SNAPSHOT,
            format_func=snapshot_label,
            help="Each snapshot holds everything known on that date. The newest is chosen unless a link says otherwise.",
        )
        chosen = st.session_state[KEY_SNAPSHOT]
        compare_options = [i for i in ids if i < chosen] + [NO_COMPARE]
        settle_compare(ids, chosen)
        board = st.session_state[KEY_BOARD]
        if not board or not viewer.officer:
            st.selectbox(
                "Compare with (last board)",
                compare_options,
                key=KEY_COMPARE,
                format_func=snapshot_label,
                on_change=compare_chosen,
                args=(ids,),
                help="Changes are shown against this snapshot: by default the one before, i.e. the last board's.",
            )
            st.selectbox("Phase", list(PHASES), key=KEY_PHASE, format_func=PHASE_LABELS.get)
        if viewer.officer:
            st.toggle(
                "Board mode", key=KEY_BOARD, help="Larger type and fewer controls, for screen-sharing at the board."
            )

        if viewer.officer and st.session_state[KEY_BOARD]:
            st.markdown("**Board mode is on.** Figures below local-authority level are disclosure-controlled.")
        signin.panel(viewer, board=st.session_state[KEY_BOARD])
    show_unavailable()

    sync_to_url()
    style.apply(st.session_state[KEY_BOARD])

    root = snapshot_root()
    try:
        snap = snapshots.snapshot(root / chosen)
    except SnapshotError as exc:  # changed on disk since it was listed
        st.error(
            f"**The snapshot of {chosen} cannot be shown because it failed its integrity check.**\n\n{md_escape(exc)}"
        )
        st.caption("Choose another snapshot in the sidebar, or rebuild this one with `python -m ingest`.")
        st.stop()

    compare = None
    compare_id = st.session_state.get(KEY_COMPARE, NO_COMPARE)
    if compare_id != NO_COMPARE:
        try:
            compare = snapshots.snapshot(root / compare_id)
        except SnapshotError as exc:
            st.warning(
                f"The compare snapshot of {compare_id} failed its integrity check, so no changes are shown. "
                f"{md_escape(exc)}"
            )

    st.session_state["_context"] = Context(
        snapshot=snap,
        compare=compare,
        phase=st.session_state[KEY_PHASE],
        board=st.session_state[KEY_BOARD],
        officer=viewer.officer,
        publisher=(viewer.publisher["name"], viewer.publisher["email"]),
    )
    st.session_state[FRAME_FLAG] = True
    try:
        nav.run()
    finally:
        st.session_state[FRAME_FLAG] = False


# One page run at a time per server. Python runs one thread at a time anyway; what this prevents is Polars' worker
# threads waiting for Python's lock held by another session's run that is itself waiting for those workers, which
# stopped every session of a server under twenty concurrent ones (python -m bench).
with snapshots.RUN_LOCK:
    frame()
